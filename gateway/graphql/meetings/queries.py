"""Reading meetings, slot suggestions, holiday tables and scheduling profiles."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from gateway.clients import ServiceError
from gateway.graphql.context import Context
from gateway.graphql.ids import raw_id
from gateway.graphql.meetings.calls import checked_commune
from gateway.graphql.meetings.inputs import MeetingFilter, VenueInput
from gateway.graphql.meetings.meeting import Meeting, MeetingConnection, MeetingEdge
from gateway.graphql.meetings.scheduling import (
    AgendaCandidate,
    AvailabilityWindow,
    FacilitatorAvailability,
    HolidayTable,
    SchedulingProfile,
    SlotSuggestions,
    candidate_of,
    holiday_table_of,
    profile_of,
    slots_of,
    windows_of,
)
from gateway.graphql.meetings.vocabulary import CURSOR_KIND, MEETING_ID
from gateway.graphql.relay import PageInfo, check_first, decode_cursor, encode_cursor


@strawberry.type
class MeetingsQuery:
    @strawberry.field(description="One meeting of your communes, or null.")
    async def meeting(self, info: Info[Context, None], id: strawberry.ID) -> Meeting | None:
        ctx = info.context
        ctx.require_caller()
        raw = raw_id("Meeting", id)
        if not MEETING_ID.match(raw):
            return None
        try:
            found = await ctx.clients.meetings.meeting(ctx.caller, raw)
        except ServiceError as exc:
            if exc.code == "meeting.not_found":
                return None
            raise
        return Meeting.of(found)

    @strawberry.field(description="Meetings of your communes, the most recently scheduled first.")
    async def meetings(
        self,
        info: Info[Context, None],
        filter: MeetingFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> MeetingConnection:
        ctx = info.context
        ctx.require_caller()
        limit = check_first(first, ctx.lang)
        after_id = decode_cursor(CURSOR_KIND, after, ctx.lang) or None
        wanted = filter or MeetingFilter()
        commune = checked_commune(ctx, wanted.commune_code) if wanted.commune_code is not None else None
        page = await ctx.clients.meetings.meetings(
            ctx.caller,
            commune=commune,
            states=wanted.states or (),
            type=wanted.type,
            after=after_id,
            limit=limit,
        )
        edges = [MeetingEdge(cursor=encode_cursor(CURSOR_KIND, m.id), node=Meeting.of(m)) for m in page.items]
        return MeetingConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.next_after is not None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page.total,
        )

    @strawberry.field(description="The best times for a meeting in a window of days, each with its reasons.")
    async def suggest_meeting_slots(
        self,
        info: Info[Context, None],
        commune_code: str,
        from_date: date,
        to_date: date,
        duration_minutes: int,
        venue: VenueInput | None = None,
        first: int = 5,
    ) -> SlotSuggestions:
        ctx = info.context
        ctx.require_caller()
        suggestions = await ctx.clients.meetings.suggest_slots(
            ctx.caller,
            checked_commune(ctx, commune_code),
            from_date,
            to_date,
            duration_minutes,
            village=venue.village_code if venue else None,
            place=venue.place if venue else None,
            limit=first,
        )
        return slots_of(suggestions)

    @strawberry.field(description="The commune's needs that can go on an agenda, newest first.")
    async def agenda_candidates(
        self, info: Info[Context, None], commune_code: str, first: int = 100
    ) -> list[AgendaCandidate]:
        ctx = info.context
        ctx.require_caller()
        commune = checked_commune(ctx, commune_code)
        found = await ctx.clients.meetings.agenda_candidates(
            ctx.caller, commune, check_first(first, ctx.lang)
        )
        return [candidate_of(c) for c in found]

    @strawberry.field(description="A year's public holidays, as slot suggestions use them.")
    async def holiday_table(self, info: Info[Context, None], year: int) -> HolidayTable:
        ctx = info.context
        ctx.require_caller()
        return holiday_table_of(await ctx.clients.meetings.holidays(ctx.caller, year))

    @strawberry.field(description="When a commune's people can come: migrants' share and busy seasons.")
    async def commune_scheduling_profile(
        self, info: Info[Context, None], commune_code: str
    ) -> SchedulingProfile:
        ctx = info.context
        ctx.require_caller()
        commune = checked_commune(ctx, commune_code)
        return profile_of(await ctx.clients.meetings.scheduling_profile(ctx.caller, commune))

    @strawberry.field(description="The times you said you can come to meetings in a commune.")
    async def my_availability(self, info: Info[Context, None], commune_code: str) -> list[AvailabilityWindow]:
        ctx = info.context
        ctx.require_caller()
        commune = checked_commune(ctx, commune_code)
        return windows_of((await ctx.clients.meetings.my_availability(ctx.caller, commune)).windows)

    @strawberry.field(
        description="Every facilitator's weekly times in a commune, unnamed (F1, F2...): for its council."
    )
    async def facilitators_availability(
        self, info: Info[Context, None], commune_code: str
    ) -> list[FacilitatorAvailability]:
        ctx = info.context
        ctx.require_caller()
        commune = checked_commune(ctx, commune_code)
        found = await ctx.clients.meetings.facilitators_availability(ctx.caller, commune)
        return [
            FacilitatorAvailability(facilitator=f.facilitator, windows=windows_of(f.windows)) for f in found
        ]
