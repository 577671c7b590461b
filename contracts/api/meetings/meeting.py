"""A meeting as meetings answers it (to its commune, its council or the public), and a page of them.

Counts of the sensitive groups (disability, IDPoor, indigenous, migrant) follow the one privacy
rule (contracts/privacy.py): under 5 they read "<5" outside the commune's council, hence ``Count``.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from contracts.meetings import AgendaItem, DecisionKind, MeetingState, MeetingType, RankedNeed, RsvpResponse

Count = int | str  # a whole number, or "<5" where the privacy rule hides it


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
    """GET /meetings/{id}, GET /public/meetings/{id}, and the answer of every change to a meeting."""

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
    """GET /meetings and GET /public/communes/{commune}/meetings: the most recently scheduled first."""

    items: list[MeetingPublic]
    next_after: str | None
    total: int


class CalendarFile(BaseModel):
    """A meeting or a commune's feed as iCalendar text, inside JSON like every other answer."""

    filename: str
    ics: str
