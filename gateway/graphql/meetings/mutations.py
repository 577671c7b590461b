"""Changing meetings: schedule, agenda, announce, reschedule, cancel, RSVP, attendance,
decisions, minutes; the holiday table, a commune's profile and a facilitator's availability."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from contracts.api.meetings.changes import (
    AgendaIn,
    AgendaItemIn,
    AttendanceIn,
    CancelIn,
    DecisionIn,
    IntentionIn,
    MeetingCreate,
    MinutesIn,
    RankedNeedIn,
    RescheduleIn,
    RsvpIn,
)
from contracts.api.meetings.scheduling import (
    AvailabilityIn,
    HolidayIn,
    HolidayTableIn,
    ProfileIn,
    SeasonIn,
    WindowIn,
)
from gateway.graphql.context import Context
from gateway.graphql.ids import raw_id
from gateway.graphql.meetings.calls import aware, checked_commune, meeting_raw, raw_need, venue_body
from gateway.graphql.meetings.inputs import (
    AgendaItemInput,
    AttendanceInput,
    AvailabilityWindowInput,
    HolidayInput,
    MeetingIntentionInput,
    RecordDecisionInput,
    RescheduleMeetingInput,
    RsvpInput,
    ScheduleMeetingInput,
    SchedulingProfileInput,
)
from gateway.graphql.meetings.meeting import Meeting
from gateway.graphql.meetings.scheduling import (
    AvailabilityWindow,
    HolidayTable,
    SchedulingProfile,
    holiday_table_of,
    profile_of,
    windows_of,
)
from gateway.graphql.meetings.vocabulary import WRITE_SCOPE


@strawberry.type
class MeetingsMutation:
    @strawberry.mutation(
        description="Put a meeting on the commune's calendar (planned). Refused if it clashes."
    )
    async def schedule_meeting(self, info: Info[Context, None], input: ScheduleMeetingInput) -> Meeting:
        ctx = info.context
        identity = ctx.require_write(WRITE_SCOPE)
        body = MeetingCreate.model_construct(
            commune_code=checked_commune(ctx, input.commune_code),
            type=input.type,
            venue=await venue_body(ctx, identity, input.venue),
            starts_at=aware(input.starts_at),
            ends_at=aware(input.ends_at),
            title=input.title,
            languages=input.languages,
            interpreter_arranged=input.interpreter_arranged,
            accessibility_notes=input.accessibility_notes,
            remote_link=input.remote_link,
            idempotency_key=input.idempotency_key,
        )
        return Meeting.of(await ctx.clients.meetings.schedule_meeting(ctx.caller, body))

    @strawberry.mutation(
        description="Publish (or replace) the agenda: items in order with time boxes and owners."
    )
    async def publish_agenda(
        self, info: Info[Context, None], meeting_id: strawberry.ID, items: list[AgendaItemInput]
    ) -> Meeting:
        ctx = info.context
        ctx.require_write(WRITE_SCOPE)
        body = AgendaIn.model_construct(
            items=[
                AgendaItemIn.model_construct(
                    kind=i.kind, minutes=i.minutes, owner=i.owner, title=i.title, need_id=raw_need(i.need_id)
                )
                for i in items
            ]
        )
        meeting = meeting_raw(ctx, meeting_id)
        return Meeting.of(await ctx.clients.meetings.publish_agenda(ctx.caller, meeting, body))

    @strawberry.mutation(description="Make the meeting public. Needs its agenda published in time.")
    async def announce_meeting(self, info: Info[Context, None], meeting_id: strawberry.ID) -> Meeting:
        ctx = info.context
        ctx.require_write(WRITE_SCOPE)
        return Meeting.of(await ctx.clients.meetings.announce(ctx.caller, meeting_raw(ctx, meeting_id)))

    @strawberry.mutation(description="Move a meeting; its iCalendar SEQUENCE goes up. Not once it was held.")
    async def reschedule_meeting(self, info: Info[Context, None], input: RescheduleMeetingInput) -> Meeting:
        ctx = info.context
        identity = ctx.require_write(WRITE_SCOPE)
        meeting = meeting_raw(ctx, input.meeting_id)
        body = RescheduleIn.model_construct(
            starts_at=aware(input.starts_at),
            ends_at=aware(input.ends_at),
            venue=await venue_body(ctx, identity, input.venue) if input.venue else None,
            reason=input.reason,
            emergency_reason=input.emergency_reason,
        )
        return Meeting.of(await ctx.clients.meetings.reschedule(ctx.caller, meeting, body))

    @strawberry.mutation(
        description="Cancel a meeting, with the reason people will be told. An announced meeting "
        "closer than its notice period needs `emergencyReason`."
    )
    async def cancel_meeting(
        self,
        info: Info[Context, None],
        meeting_id: strawberry.ID,
        reason: str,
        emergency_reason: str | None = None,
    ) -> Meeting:
        ctx = info.context
        ctx.require_write(WRITE_SCOPE)
        body = CancelIn.model_construct(reason=reason, emergency_reason=emergency_reason)
        return Meeting.of(await ctx.clients.meetings.cancel(ctx.caller, meeting_raw(ctx, meeting_id), body))

    @strawberry.mutation(
        description='"I will come": anyone may say it for an announced meeting (the public page), a '
        "facilitator for a person they met. Counted, never named."
    )
    async def record_meeting_intention(
        self, info: Info[Context, None], input: MeetingIntentionInput
    ) -> Meeting:
        ctx = info.context
        if ctx.session is not None or ctx.api_token is not None:
            ctx.require_write(WRITE_SCOPE)  # anyone else is the public visitor, saying it for themselves
        body = IntentionIn.model_construct(groups=input.groups, intention_id=input.intention_id)
        meeting = meeting_raw(ctx, input.meeting_id)
        return Meeting.of(await ctx.clients.meetings.record_intention(ctx.caller, meeting, body))

    @strawberry.mutation(
        description="Answer for a group of people; the same label again replaces the answer."
    )
    async def rsvp(self, info: Info[Context, None], input: RsvpInput) -> Meeting:
        counts = {
            name: getattr(input, name)
            for name in (
                "people",
                "women",
                "disability",
                "idpoor",
                "indigenous",
                "migrant",
                "youth",
                "remote",
            )
        }
        ctx = info.context
        ctx.require_write(WRITE_SCOPE)
        body = RsvpIn.model_construct(response=input.response, counts=counts, label=input.label)
        meeting = meeting_raw(ctx, input.meeting_id)
        return Meeting.of(await ctx.clients.meetings.rsvp(ctx.caller, meeting, body))

    @strawberry.mutation(description="Record the counts taken at the meeting; the meeting is then held.")
    async def record_attendance(
        self, info: Info[Context, None], meeting_id: strawberry.ID, attendance: AttendanceInput
    ) -> Meeting:
        counts = {
            name: getattr(attendance, name)
            for name in (
                "total",
                "in_person",
                "remote",
                "women",
                "men",
                "disability",
                "idpoor",
                "indigenous",
                "migrant",
                "youth",
                "council_present",
                "council_total",
            )
        }
        ctx = info.context
        ctx.require_write(WRITE_SCOPE)
        body = AttendanceIn.model_construct(counts=counts, names=attendance.names)
        meeting = meeting_raw(ctx, meeting_id)
        return Meeting.of(await ctx.clients.meetings.record_attendance(ctx.caller, meeting, body))

    @strawberry.mutation(description="Record a decision; a prioritisation tells intake the needs' ranks.")
    async def record_decision(self, info: Info[Context, None], input: RecordDecisionInput) -> Meeting:
        ctx = info.context
        ctx.require_write(WRITE_SCOPE)
        body = DecisionIn.model_construct(
            kind=input.kind,
            year=input.year,
            needs=[
                RankedNeedIn.model_construct(need_id=raw_id("Need", n.need_id), rank=n.rank)
                for n in input.needs
            ],
            summary=input.summary,
            idempotency_key=input.idempotency_key,
        )
        meeting = meeting_raw(ctx, input.meeting_id)
        return Meeting.of(await ctx.clients.meetings.record_decision(ctx.caller, meeting, body))

    @strawberry.mutation(description="Publish the minutes of a held meeting; its record is then closed.")
    async def publish_minutes(
        self, info: Info[Context, None], meeting_id: strawberry.ID, minutes: str
    ) -> Meeting:
        ctx = info.context
        ctx.require_write(WRITE_SCOPE)
        body = MinutesIn.model_construct(minutes=minutes)
        meeting = meeting_raw(ctx, meeting_id)
        return Meeting.of(await ctx.clients.meetings.publish_minutes(ctx.caller, meeting, body))

    @strawberry.mutation(
        description="Replace a year's local events (admins); official holidays come from the package."
    )
    async def set_holiday_table(
        self, info: Info[Context, None], year: int, holidays: list[HolidayInput]
    ) -> HolidayTable:
        ctx = info.context
        ctx.require_write(WRITE_SCOPE)
        body = HolidayTableIn.model_construct(
            holidays=[
                HolidayIn.model_construct(
                    kind=h.kind,
                    start=h.start,
                    end=h.end,
                    name_en=h.name_en,
                    name_km=h.name_km,
                    migrants_home=h.migrants_home,
                )
                for h in holidays
            ]
        )
        return holiday_table_of(await ctx.clients.meetings.set_holidays(ctx.caller, year, body))

    @strawberry.mutation(description="Say when the commune's people can come (its council).")
    async def set_commune_scheduling_profile(
        self, info: Info[Context, None], commune_code: str, input: SchedulingProfileInput
    ) -> SchedulingProfile:
        ctx = info.context
        ctx.require_write(WRITE_SCOPE)
        body = ProfileIn.model_construct(
            migrant_share_percent=input.migrant_share_percent,
            busy_seasons=[
                SeasonIn.model_construct(label=s.label, start=s.start, end=s.end) for s in input.busy_seasons
            ],
            day_work_share_percent=input.day_work_share_percent,
        )
        commune = checked_commune(ctx, commune_code)
        return profile_of(await ctx.clients.meetings.set_scheduling_profile(ctx.caller, commune, body))

    @strawberry.mutation(description="Say when you can come to meetings in a commune (facilitators).")
    async def set_my_availability(
        self, info: Info[Context, None], commune_code: str, windows: list[AvailabilityWindowInput]
    ) -> list[AvailabilityWindow]:
        ctx = info.context
        ctx.require_write(WRITE_SCOPE)
        body = AvailabilityIn.model_construct(
            windows=[WindowIn.model_construct(weekday=w.weekday, start=w.start, end=w.end) for w in windows]
        )
        commune = checked_commune(ctx, commune_code)
        answer = await ctx.clients.meetings.set_my_availability(ctx.caller, commune, body)
        return windows_of(answer.windows)
