"""Meetings: what one is, and what every rule about it shares. Pure: no I/O, no framework.

The rules live beside this module (lifecycle, agenda, attendance, decisions, slots). Each takes
the meeting as it is, the caller, the time now (UTC) and whatever else it needs (the commune's
calendar, the agenda candidates), and returns the meeting as it becomes: a new frozen value. A
refusal raises :class:`MeetingError` with a stable code before anything is changed.

``sequence`` is the iCalendar SEQUENCE: 0 when scheduled, raised on every reschedule and on
cancellation.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, field_validator

from contracts.local_time import PHNOM_PENH as PHNOM_PENH  # the meetings service reads it from here
from contracts.meetings import (
    AgendaItem,
    AttendanceCounts,
    DecisionKind,
    MeetingDetails,
    MeetingState,
    MeetingType,
    RankedNeed,
    Venue,
)
from contracts.needs import PlaceName
from services.runtime.errors import DomainError
from services.runtime.identity import COUNCIL_ROLES, Identity, Role

ICS_DOMAIN = "meetings.khum"

MANAGING_ROLES = COUNCIL_ROLES | {Role.PROVINCE_ADMIN, Role.NATIONAL_ADMIN}
TAKING_PART_ROLES = MANAGING_ROLES | {Role.FACILITATOR}

OPEN_STATES = frozenset({MeetingState.PLANNED, MeetingState.ANNOUNCED, MeetingState.RESCHEDULED})
ANNOUNCED_STATES = frozenset({MeetingState.ANNOUNCED, MeetingState.RESCHEDULED})

MIN_MINUTES = 15
MAX_HOURS = 12
MAX_DAYS_AHEAD = 730
TITLE_MAX = 200
PLACE_MAX = 200
NOTES_MAX = 1000
REASON_MAX = 1000
LINK_MAX = 500
MAX_LANGUAGES = 6


class MeetingError(DomainError):
    """A meeting rule said no; ``field`` names the GraphQL input concerned."""


class Place(BaseModel):
    """A venue as stored: the contract's venue plus the village's names when known."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    village_code: str
    place: str
    village_name_km: str | None = None
    village_name_latin: str | None = None

    @property
    def key(self) -> str:
        """Two meetings at the same key are in the same room."""
        return f"{self.village_code}:{' '.join(self.place.casefold().split())}"

    def contract(self) -> Venue:
        names = (
            PlaceName(km=self.village_name_km, latin=self.village_name_latin)
            if self.village_name_km and self.village_name_latin
            else None
        )
        return Venue(village_code=self.village_code, place=self.place, village_name=names)


class Transition(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    at: datetime
    by: str
    from_state: MeetingState | None
    to_state: MeetingState
    reason: str | None = None
    emergency_reason: str | None = None


class Agenda(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    items: list[AgendaItem]
    published_by: str
    published_at: datetime

    @property
    def total_minutes(self) -> int:
        return sum(item.minutes for item in self.items)


class RsvpCounts(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    people: int
    women: int = 0
    disability: int = 0
    idpoor: int = 0
    indigenous: int = 0
    migrant: int = 0
    youth: int = 0
    remote: int = 0


class Rsvp(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    key: str
    by: str
    label: str
    response: str
    counts: RsvpCounts
    at: datetime


class Intention(BaseModel):
    """One person said they will come: how, and the groups they said they belong to. No name,
    no phone: notify keeps who to tell, meetings only counts."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    channel: str
    groups: list[str] = []
    at: datetime


class Attendance(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    counts: AttendanceCounts
    names: list[str] = []
    quorum_met: bool
    recorded_by: str
    recorded_at: datetime


class Decision(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    kind: DecisionKind
    year: int
    needs: list[RankedNeed]
    summary: str | None
    decided_by: str
    decided_at: datetime
    idempotency_key: str | None = None


class Meeting(BaseModel):
    """A meeting as stored; every rule returns a new one (frozen)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    commune_code: str
    type: MeetingType
    title: str | None
    venue: Place
    starts_at: datetime
    ends_at: datetime
    languages: list[str]
    interpreter_arranged: bool
    accessibility_notes: str | None
    remote_link: str | None
    state: MeetingState
    sequence: int = 0
    was_announced: bool = False
    cancel_reason: str | None = None
    agenda: Agenda | None = None
    rsvps: list[Rsvp] = []
    intentions: list[Intention] = []
    attendance: Attendance | None = None
    decisions: list[Decision] = []
    minutes: str | None = None
    history: list[Transition] = []
    created_by: str
    created_at: datetime
    updated_at: datetime

    @field_validator("starts_at", "ends_at", "created_at", "updated_at")
    @classmethod
    def _in_utc(cls, moment: datetime) -> datetime:
        """Stored and compared in UTC, whatever offset a caller wrote."""
        return moment.astimezone(UTC) if moment.tzinfo is not None else moment

    @property
    def ics_uid(self) -> str:
        """Stable for the meeting's whole life, so calendars update the one event."""
        return f"{self.id}@{ICS_DOMAIN}"

    @property
    def code(self) -> str:
        """A short code people type in ``COME <code>``; derived from the id, so never stored."""
        return meeting_code(self.id)

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    def details(self) -> MeetingDetails:
        return MeetingDetails(
            type=self.type,
            title=self.title,
            venue=self.venue.contract(),
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            languages=self.languages,
            interpreter_arranged=self.interpreter_arranged,
            accessibility_notes=self.accessibility_notes,
            remote_link=self.remote_link,
        )

    def moved(
        self,
        to: MeetingState,
        by: str,
        now: datetime,
        reason: str | None = None,
        *,
        emergency_reason: str | None = None,
        **changes: object,
    ) -> Meeting:
        step = Transition(
            at=now,
            by=by,
            from_state=self.state,
            to_state=to,
            reason=reason,
            emergency_reason=emergency_reason,
        )
        return self.model_copy(
            update={**changes, "state": to, "updated_at": now, "history": [*self.history, step]}
        )


@dataclass(frozen=True)
class ScheduleMeeting:
    """Command: put a meeting on the commune's calendar."""

    commune_code: str
    type: MeetingType
    venue: Place
    starts_at: datetime
    ends_at: datetime
    title: str | None = None
    languages: tuple[str, ...] = ("km",)
    interpreter_arranged: bool = False
    accessibility_notes: str | None = None
    remote_link: str | None = None


@dataclass(frozen=True)
class RescheduleMeeting:
    starts_at: datetime
    ends_at: datetime
    venue: Place | None = None
    reason: str | None = None
    emergency_reason: str | None = None


@dataclass(frozen=True)
class CalendarEntry:
    """A meeting's place in time, as the clash check sees it."""

    meeting_id: str
    commune_code: str
    venue_key: str
    starts_at: datetime
    ends_at: datetime

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.starts_at < end and start < self.ends_at


CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6


def meeting_code(meeting_id: str) -> str:
    """Six Latin letters without look-alikes (no I, L, O): easy to type on a keypad phone, and
    no digit to write in Khmer or western form."""
    value = int.from_bytes(hashlib.sha256(meeting_id.encode()).digest()[:8], "big")
    chars = []
    for _ in range(CODE_LENGTH):
        value, index = divmod(value, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[index])
    return "".join(chars)


def local(moment: datetime) -> datetime:
    return moment.astimezone(PHNOM_PENH)


def when_text(start: datetime, end: datetime) -> str:
    """``2027-04-14 09:00–11:00`` in Phnom Penh time, for messages."""
    a, b = local(start), local(end)
    tail = b.strftime("%H:%M") if a.date() == b.date() else b.strftime("%Y-%m-%d %H:%M")
    return f"{a:%Y-%m-%d %H:%M}–{tail}"


# ---------- checks shared by the rules ----------


def require_manager(caller: Identity, commune_code: str) -> None:
    if caller.role not in MANAGING_ROLES or not caller.covers(commune_code):
        raise MeetingError(
            "meeting.not_allowed",
            "Only the commune's council can do this.",
            "មានតែក្រុមប្រឹក្សាឃុំប៉ុណ្ណោះដែលអាចធ្វើការនេះបាន។",
            status=403,
        )


def require_open(meeting: Meeting, code: str, en: str, km: str) -> None:
    if meeting.state not in OPEN_STATES:
        raise MeetingError(code, en, km, status=409, state=meeting.state.value)


def clean_text(value: str | None, limit: int, field: str, *, required: bool = False) -> str | None:
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise MeetingError(
                "meeting.text_required",
                "Please fill this in.",
                "សូមបំពេញព័ត៌មាននេះ។",
                field=field,
            )
        return None
    if len(cleaned) > limit:
        raise MeetingError(
            "meeting.text_too_long",
            "This is too long: {length} characters, at most {limit}.",
            "អត្ថបទនេះវែងពេក៖ {length} តួអក្សរ យ៉ាងច្រើនបំផុត {limit}។",
            field=field,
            length=len(cleaned),
            limit=limit,
        )
    return cleaned
