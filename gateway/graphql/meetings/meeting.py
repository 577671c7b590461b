"""The Meeting node, built from the meetings service's answer, and its page."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from contracts.api.meetings import meeting as contract
from contracts.api.meetings.meeting import (
    AgendaPublic,
    AttendancePublic,
    DecisionPublic,
    MeetingPublic,
    PlacePublic,
)
from contracts.local_time import PHNOM_PENH
from contracts.meetings import MeetingState, MeetingType
from gateway.graphql.context import Context
from gateway.graphql.ids import Node, to_global
from gateway.graphql.meetings.parts import (
    Agenda,
    AgendaItem,
    Attendance,
    Decision,
    IntentionGroups,
    MeetingIntentions,
    MeetingLanguage,
    MeetingTransition,
    RankedNeed,
    RsvpGroup,
    RsvpSummary,
    RsvpTotals,
    Venue,
)
from gateway.graphql.meetings.vocabulary import pick, shown
from gateway.graphql.relay import CountedConnection, Edge


@strawberry.type(description="A CIP meeting. Times are UTC; `startsAtLocal` is Phnom Penh time.")
class Meeting(Node):
    commune_code: str = strawberry.field(description="The commune (6 digits).")
    type: MeetingType = strawberry.field(description="What kind of meeting.")
    title: str | None = strawberry.field(description="A title, if given.")
    state: MeetingState = strawberry.field(description="Where the meeting is in its life.")
    venue: Venue = strawberry.field(description="Where.")
    starts_at: datetime = strawberry.field(description="Start (UTC).")
    ends_at: datetime = strawberry.field(description="End (UTC).")
    duration_minutes: int = strawberry.field(description="How long, in minutes.")
    languages: list[MeetingLanguage] = strawberry.field(description="Languages spoken, Khmer first.")
    interpreter_arranged: bool = strawberry.field(description="An interpreter is arranged.")
    accessibility_notes: str | None = strawberry.field(description="Access for people with disabilities.")
    remote_link: str | None = strawberry.field(description="Telegram group, Facebook Live or video call.")
    sequence: int = strawberry.field(description="iCalendar SEQUENCE: raised on every reschedule.")
    was_announced: bool = strawberry.field(description="The meeting was made public.")
    cancel_reason: str | None = strawberry.field(description="Why it was cancelled.")
    ics_uid: str = strawberry.field(description="iCalendar UID, stable for the meeting's life.")
    agenda: Agenda | None = strawberry.field(description="The published agenda, if any.")
    rsvps: RsvpSummary = strawberry.field(description="Who said they will come.")
    code: str = strawberry.field(description="Short code people send as COME <code> by SMS or Telegram.")
    intentions: MeetingIntentions = strawberry.field(
        description="How many said themselves they will come, in all and by group."
    )
    attendance: Attendance | None = strawberry.field(description="Who came, once recorded.")
    decisions: list[Decision] = strawberry.field(description="Decisions recorded at the meeting.")
    minutes: str | None = strawberry.field(description="The published minutes.")
    history: list[MeetingTransition] = strawberry.field(description="Every step, oldest first.")
    created_at: datetime = strawberry.field(description="When it was scheduled (UTC).")
    updated_at: datetime = strawberry.field(description="Last change (UTC).")
    labels: strawberry.Private[dict[str, dict[str, str]]]
    raw: strawberry.Private[str]

    @strawberry.field(description="The start in Phnom Penh time (UTC+7).")
    def starts_at_local(self) -> datetime:
        return self.starts_at.astimezone(PHNOM_PENH)

    @strawberry.field(description="The end in Phnom Penh time (UTC+7).")
    def ends_at_local(self) -> datetime:
        return self.ends_at.astimezone(PHNOM_PENH)

    @strawberry.field(description="The kind of meeting, in words.")
    def type_label(self, info: Info[Context, None], lang: str | None = None) -> str:
        return pick(self.labels["type"], lang or info.context.lang)

    @strawberry.field(description="The state, in words.")
    def state_label(self, info: Info[Context, None], lang: str | None = None) -> str:
        return pick(self.labels["state"], lang or info.context.lang)

    @strawberry.field(description="Where to download the meeting as an iCalendar file (path on this site).")
    def calendar_url(self) -> str:
        return f"/meetings/{self.raw}.ics"

    @classmethod
    def of(cls, meeting: MeetingPublic) -> Meeting:
        return cls(
            id=to_global("Meeting", meeting.id),
            raw=meeting.id,
            commune_code=meeting.commune_code,
            type=meeting.type,
            title=meeting.title,
            state=meeting.state,
            venue=_venue(meeting.venue),
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
            duration_minutes=meeting.duration_minutes,
            languages=[MeetingLanguage(code=lang.code, names=dict(lang.name)) for lang in meeting.languages],
            interpreter_arranged=meeting.interpreter_arranged,
            accessibility_notes=meeting.accessibility_notes,
            remote_link=meeting.remote_link,
            sequence=meeting.sequence,
            was_announced=meeting.was_announced,
            cancel_reason=meeting.cancel_reason,
            ics_uid=meeting.ics_uid,
            agenda=_agenda(meeting.agenda) if meeting.agenda else None,
            rsvps=_rsvps(meeting.rsvps),
            code=meeting.code,
            intentions=MeetingIntentions(
                total=meeting.intentions.total, by_group=IntentionGroups(**shown(meeting.intentions.by_group))
            ),
            attendance=_attendance(meeting.attendance) if meeting.attendance else None,
            decisions=[_decision(d) for d in meeting.decisions],
            minutes=meeting.minutes,
            history=[
                MeetingTransition(
                    at=t.at,
                    from_state=t.from_state,
                    to_state=t.to_state,
                    reason=t.reason,
                    emergency_reason=t.emergency_reason,
                )
                for t in meeting.history
            ],
            created_at=meeting.created_at,
            updated_at=meeting.updated_at,
            labels={"type": dict(meeting.type_label), "state": dict(meeting.state_label)},
        )


def _venue(venue: PlacePublic) -> Venue:
    km, latin = venue.village_name_km, venue.village_name_latin
    return Venue(
        village_code=venue.village_code,
        place=venue.place,
        names={"km": km, "en": latin} if km and latin else {},
    )


def _agenda(agenda: AgendaPublic) -> Agenda:
    return Agenda(
        items=[
            AgendaItem(
                position=i.position,
                kind=i.kind,
                title=i.title,
                need_id=to_global("Need", i.need_id) if i.need_id else None,
                tracking_code=i.tracking_code,
                minutes=i.minutes,
                owner=i.owner,
            )
            for i in agenda.items
        ],
        total_minutes=agenda.total_minutes,
        published_at=agenda.published_at,
    )


def _rsvps(rsvps: contract.RsvpSummary) -> RsvpSummary:
    return RsvpSummary(
        attending=RsvpTotals(**shown(rsvps.attending)),
        maybe_people=rsvps.maybe_people,
        not_attending_people=rsvps.not_attending_people,
        answers=rsvps.answers,
        groups=[
            RsvpGroup(label=g.label, response=g.response, people=g.people, answered_at=g.at)
            for g in rsvps.groups
        ],
    )


def _attendance(attendance: AttendancePublic) -> Attendance:
    return Attendance(
        **shown(attendance.counts),
        quorum_met=attendance.quorum_met,
        recorded_at=attendance.recorded_at,
        names=attendance.names,
    )


def _decision(decision: DecisionPublic) -> Decision:
    return Decision(
        id=strawberry.ID(decision.id),
        kind=decision.kind,
        year=decision.year,
        needs=[RankedNeed(need_id=to_global("Need", n.need_id), rank=n.rank) for n in decision.needs],
        summary=decision.summary,
        decided_at=decision.decided_at,
    )


MeetingEdge = Edge[Meeting]


@strawberry.type(description="A page of meetings, the most recently scheduled first.")
class MeetingConnection(CountedConnection[Meeting]):
    pass
