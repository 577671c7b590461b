"""How a meeting is shown through the API: to its commune, to its council, to the public.

Names noted at attendance are for the council only; the public sees a meeting only once it
was announced, without who answered for which group. Counts of the sensitive groups
(disability, IDPoor, indigenous, migrant) in attendance and RSVPs follow the one privacy rule
(contracts/privacy.py): under 5 they read "<5" outside the commune's council.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from contracts.meetings import (
    AgendaItem,
    DecisionKind,
    MeetingState,
    MeetingType,
    RankedNeed,
)
from contracts.privacy import suppress_groups
from services.meetings.attendance import RSVP_GROUPS, RsvpResponse
from services.meetings.domain import MANAGING_ROLES, Meeting
from services.meetings.intentions import intention_counts
from services.meetings.labels import LANGUAGES, MEETING_STATES, MEETING_TYPES
from services.runtime.identity import Identity


class Label(BaseModel):
    km: str
    en: str


class PlacePublic(BaseModel):
    village_code: str
    place: str
    village_name_km: str | None
    village_name_latin: str | None


class LanguagePublic(BaseModel):
    code: str
    name: Label


class AgendaPublic(BaseModel):
    items: list[AgendaItem]
    total_minutes: int
    published_at: datetime


class RsvpGroupPublic(BaseModel):
    label: str
    response: RsvpResponse
    people: int
    at: datetime


Count = int | str  # a whole number, or "<5" where the privacy rule hides it


class GroupCounts(BaseModel):
    """People of each group, as RSVPs and "I will come" count them."""

    women: int = 0
    disability: Count = 0
    idpoor: Count = 0
    indigenous: Count = 0
    migrant: Count = 0
    youth: int = 0
    remote: int = 0


class RsvpTotals(GroupCounts):
    people: int = 0


class AttendanceCountsPublic(BaseModel):
    total: int
    in_person: int
    remote: int
    women: int
    men: int
    disability: Count
    idpoor: Count
    indigenous: Count
    migrant: Count
    youth: int
    council_present: int
    council_total: int


class RsvpSummary(BaseModel):
    attending: RsvpTotals
    maybe_people: int
    not_attending_people: int
    answers: int
    groups: list[RsvpGroupPublic]


class AttendancePublic(BaseModel):
    counts: AttendanceCountsPublic
    quorum_met: bool
    recorded_at: datetime
    names: list[str]


class DecisionPublic(BaseModel):
    id: str
    kind: DecisionKind
    year: int
    needs: list[RankedNeed]
    summary: str | None
    decided_at: datetime


class TransitionPublic(BaseModel):
    at: datetime
    from_state: MeetingState | None
    to_state: MeetingState
    reason: str | None
    emergency_reason: str | None = None


class IntentionGroups(GroupCounts):
    """Of those who said "I will come", how many in each group."""


class IntentionsPublic(BaseModel):
    """How many said "I will come" (themselves, by page, SMS or Telegram), and of which groups."""

    total: int
    by_group: IntentionGroups


class MeetingPublic(BaseModel):
    id: str
    commune_code: str
    type: MeetingType
    type_label: Label
    title: str | None
    state: MeetingState
    state_label: Label
    venue: PlacePublic
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    languages: list[LanguagePublic]
    interpreter_arranged: bool
    accessibility_notes: str | None
    remote_link: str | None
    sequence: int
    was_announced: bool
    cancel_reason: str | None
    ics_uid: str
    agenda: AgendaPublic | None
    rsvps: RsvpSummary
    code: str
    intentions: IntentionsPublic
    attendance: AttendancePublic | None
    decisions: list[DecisionPublic]
    minutes: str | None
    history: list[TransitionPublic]
    created_at: datetime
    updated_at: datetime


class MeetingPage(BaseModel):
    items: list[MeetingPublic]
    next_after: str | None
    total: int


def _rsvps(meeting: Meeting, with_groups: bool, council: bool) -> RsvpSummary:
    totals = dict.fromkeys(("people", *RSVP_GROUPS), 0)
    maybe = absent = 0
    for answer in meeting.rsvps:
        if answer.response == RsvpResponse.ATTENDING:
            counts = answer.counts.model_dump()
            totals = {k: totals[k] + counts[k] for k in totals}
        elif answer.response == RsvpResponse.MAYBE:
            maybe += answer.counts.people
        else:
            absent += answer.counts.people
    groups = [
        RsvpGroupPublic(label=a.label, response=RsvpResponse(a.response), people=a.counts.people, at=a.at)
        for a in meeting.rsvps
    ]
    return RsvpSummary(
        attending=RsvpTotals(**suppress_groups(totals, council=council)),
        maybe_people=maybe,
        not_attending_people=absent,
        answers=len(meeting.rsvps),
        groups=groups if with_groups else [],
    )


def _intentions(meeting: Meeting, council: bool) -> IntentionsPublic:
    counts = intention_counts(meeting)
    return IntentionsPublic(
        total=counts.total, by_group=IntentionGroups(**suppress_groups(counts.by_group, council=council))
    )


def show(meeting: Meeting, caller: Identity | None) -> MeetingPublic:
    """``caller`` None: the public view."""
    council = caller is not None and caller.role in MANAGING_ROLES and caller.covers(meeting.commune_code)
    # Small counts: the commune's own council roles only (not admins, not the public).
    own_council = caller is not None and caller.is_council_of(meeting.commune_code)
    agenda = meeting.agenda
    attendance = meeting.attendance
    return MeetingPublic(
        id=meeting.id,
        commune_code=meeting.commune_code,
        type=meeting.type,
        type_label=Label(**MEETING_TYPES[meeting.type]),
        title=meeting.title,
        state=meeting.state,
        state_label=Label(**MEETING_STATES[meeting.state]),
        venue=PlacePublic(**meeting.venue.model_dump()),
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        duration_minutes=meeting.duration_minutes,
        languages=[
            LanguagePublic(code=code, name=Label(**LANGUAGES.get(code, {"km": code, "en": code})))
            for code in meeting.languages
        ],
        interpreter_arranged=meeting.interpreter_arranged,
        accessibility_notes=meeting.accessibility_notes,
        remote_link=meeting.remote_link,
        sequence=meeting.sequence,
        was_announced=meeting.was_announced,
        cancel_reason=meeting.cancel_reason,
        ics_uid=meeting.ics_uid,
        agenda=AgendaPublic(
            items=agenda.items, total_minutes=agenda.total_minutes, published_at=agenda.published_at
        )
        if agenda
        else None,
        rsvps=_rsvps(meeting, with_groups=caller is not None, council=own_council),
        code=meeting.code,
        intentions=_intentions(meeting, own_council),
        attendance=AttendancePublic(
            counts=AttendanceCountsPublic(
                **suppress_groups(attendance.counts.model_dump(), council=own_council)
            ),
            quorum_met=attendance.quorum_met,
            recorded_at=attendance.recorded_at,
            names=attendance.names if council else [],
        )
        if attendance
        else None,
        decisions=[
            DecisionPublic(
                id=d.id, kind=d.kind, year=d.year, needs=d.needs, summary=d.summary, decided_at=d.decided_at
            )
            for d in meeting.decisions
        ],
        minutes=meeting.minutes,
        history=[
            TransitionPublic(
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
    )
