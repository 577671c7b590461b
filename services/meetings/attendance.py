"""Who says they will come (RSVPs, by group) and who came (attendance counts). Pure.

Attendance is counts, never a register of people: by sex, disability, IDPoor, indigenous,
migrant, youth, and remote versus in person. Every group is part of everyone present, so no
group may be larger than the total. Names may be noted but are kept for the council only.
Quorum: more than half of the commune's council members present.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.meetings import AttendanceCounts, MeetingState, RsvpResponse
from services.meetings.domain import (
    OPEN_STATES,
    TAKING_PART_ROLES,
    Attendance,
    Meeting,
    MeetingError,
    Rsvp,
    RsvpCounts,
    clean_text,
    require_manager,
)
from services.meetings.labels import GROUPS
from services.runtime.identity import Identity

MAX_COUNT = 100_000
MAX_RSVPS = 500
MAX_NAMES = 2000
NAME_MAX = 100
LABEL_MAX = 100

RSVP_GROUPS = ("women", "disability", "idpoor", "indigenous", "migrant", "youth", "remote")
ATTENDANCE_FIELDS = tuple(AttendanceCounts.model_fields)
SUBGROUPS = ("disability", "idpoor", "indigenous", "migrant", "youth")


@dataclass(frozen=True)
class RsvpCommand:
    response: RsvpResponse
    counts: Mapping[str, int]
    label: str | None = None


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _not_negative(counts: Mapping[str, int], code: str) -> None:
    for name, value in counts.items():
        if value < 0:
            raise MeetingError(
                code,
                "Counts cannot be negative ({group_en}).",
                "ចំនួនមិនអាចតិចជាងសូន្យបានទេ ({group_km})។",
                field=camel(name),
                group_en=GROUPS[name]["en"],
                group_km=GROUPS[name]["km"],
            )
        if value > MAX_COUNT:
            raise MeetingError(
                "attendance.too_large",
                "{value} is more than any meeting can hold.",
                "{value} ច្រើនជាងកិច្ចប្រជុំណាមួយអាចទទួលបាន។",
                field=camel(name),
                value=value,
            )


def _within(part: str, value: int, whole: str, total: int, code: str) -> None:
    if value > total:
        raise MeetingError(
            code,
            "The count of {part_en} ({value}) cannot be more than {whole_en} ({total}).",
            "ចំនួន{part_km} ({value}) មិនអាចច្រើនជាង{whole_km} ({total}) បានទេ។",
            field=camel(part),
            part_en=GROUPS[part]["en"],
            part_km=GROUPS[part]["km"],
            whole_en=GROUPS[whole]["en"],
            whole_km=GROUPS[whole]["km"],
            value=value,
            total=total,
        )


def rsvp(meeting: Meeting, command: RsvpCommand, caller: Identity, now: datetime) -> Meeting:
    """A facilitator (or council member) answers for a group of citizens; a repeat replaces it."""
    if caller.role not in TAKING_PART_ROLES or not caller.covers(meeting.commune_code):
        raise MeetingError(
            "meeting.not_allowed",
            "You cannot answer for this meeting.",
            "អ្នកមិនអាចឆ្លើយតបសម្រាប់កិច្ចប្រជុំនេះបានទេ។",
            status=403,
        )
    if meeting.state not in OPEN_STATES:
        raise MeetingError(
            "rsvp.closed",
            "Answers are closed: the meeting is {state}.",
            "ការឆ្លើយតបត្រូវបានបិទ៖ កិច្ចប្រជុំស្ថិតក្នុងស្ថានភាព {state}។",
            status=409,
            state=meeting.state.value,
        )
    unknown = set(command.counts) - {"people", *RSVP_GROUPS}
    if unknown:
        raise MeetingError(
            "rsvp.group_unknown",
            "Unknown group {group}.",
            "មិនស្គាល់ក្រុម {group}។",
            field="counts",
            group=sorted(unknown)[0][:40],
        )
    counts = {"people": 0, **{g: 0 for g in RSVP_GROUPS}, **command.counts}
    _not_negative(counts, "rsvp.count_negative")
    if counts["people"] < 1:
        raise MeetingError(
            "rsvp.people_missing",
            "Say how many people this answer is for.",
            "សូមបញ្ជាក់ថាការឆ្លើយតបនេះសម្រាប់មនុស្សប៉ុន្មាននាក់។",
            field="people",
        )
    for group in RSVP_GROUPS:
        _within(group, counts[group], "people", counts["people"], "rsvp.exceeds_total")
    label = clean_text(command.label, LABEL_MAX, "label") or ""
    key = f"{caller.user_id}:{label.casefold()}"
    others = [r for r in meeting.rsvps if r.key != key]
    if len(others) >= MAX_RSVPS:
        raise MeetingError(
            "rsvp.too_many",
            "This meeting has too many answers already.",
            "កិច្ចប្រជុំនេះមានការឆ្លើយតបច្រើនពេកហើយ។",
            status=409,
        )
    entry = Rsvp(
        key=key,
        by=caller.user_id,
        label=label,
        response=command.response.value,
        counts=RsvpCounts(**counts),
        at=now,
    )
    return meeting.model_copy(update={"rsvps": [*others, entry], "updated_at": now})


def check_counts(raw: Mapping[str, int]) -> AttendanceCounts:
    """Validate attendance counts: none negative, every group within everyone present."""
    missing = [name for name in ATTENDANCE_FIELDS if name not in raw]
    if missing:
        raise MeetingError(
            "attendance.count_missing",
            "The count of {group_en} is missing.",
            "ខ្វះចំនួន{group_km}។",
            field=camel(missing[0]),
            group_en=GROUPS[missing[0]]["en"],
            group_km=GROUPS[missing[0]]["km"],
        )
    counts = {name: raw[name] for name in ATTENDANCE_FIELDS}
    _not_negative(counts, "attendance.negative")
    total = counts["total"]
    if counts["in_person"] + counts["remote"] != total:
        raise MeetingError(
            "attendance.split_mismatch",
            "In person ({in_person}) and remote ({remote}) must add up to everyone present ({total}).",
            "អ្នកចូលរួមផ្ទាល់ ({in_person}) និងពីចម្ងាយ ({remote}) ត្រូវតែស្មើនឹងអ្នកចូលរួមសរុប ({total})។",
            field="inPerson",
            in_person=counts["in_person"],
            remote=counts["remote"],
            total=total,
        )
    if counts["women"] + counts["men"] > total:
        raise MeetingError(
            "attendance.exceeds_total",
            "Women ({women}) and men ({men}) together are more than everyone present ({total}).",
            "ស្ត្រី ({women}) និងបុរស ({men}) រួមគ្នា ច្រើនជាងអ្នកចូលរួមសរុប ({total})។",
            field="women",
            women=counts["women"],
            men=counts["men"],
            total=total,
        )
    for group in SUBGROUPS:
        _within(group, counts[group], "total", total, "attendance.exceeds_total")
    _within("council_present", counts["council_present"], "total", total, "attendance.exceeds_total")
    _within(
        "council_present",
        counts["council_present"],
        "council_total",
        counts["council_total"],
        "attendance.council_exceeds",
    )
    return AttendanceCounts(**counts)


def quorum_met(counts: AttendanceCounts) -> bool:
    return counts.council_total > 0 and counts.council_present * 2 > counts.council_total


def record_attendance(
    meeting: Meeting,
    raw: Mapping[str, int],
    names: list[str] | None,
    caller: Identity,
    now: datetime,
    opens_before: timedelta,
) -> Meeting:
    """Counts taken at the meeting; the first recording marks the meeting held."""
    require_manager(caller, meeting.commune_code)
    if meeting.state is MeetingState.PLANNED:
        raise MeetingError(
            "attendance.not_announced",
            "This meeting was never announced, so it cannot have been held. Announce it first.",
            "កិច្ចប្រជុំនេះមិនដែលត្រូវបានប្រកាសទេ ដូច្នេះវាមិនអាចប្រព្រឹត្តទៅបានទេ។ សូមប្រកាសវាជាមុនសិន។",
            status=409,
        )
    if meeting.state in (MeetingState.CANCELLED, MeetingState.MINUTES_PUBLISHED):
        raise MeetingError(
            "attendance.closed",
            "Attendance cannot change: the meeting is {state}.",
            "វត្តមានមិនអាចផ្លាស់ប្តូរបានទេ៖ កិច្ចប្រជុំស្ថិតក្នុងស្ថានភាព {state}។",
            status=409,
            state=meeting.state.value,
        )
    if meeting.state is not MeetingState.HELD and now < meeting.starts_at - opens_before:
        raise MeetingError(
            "attendance.too_early",
            "Attendance can be recorded from {minutes} minutes before the meeting starts.",
            "វត្តមានអាចកត់ត្រាបានចាប់ពី {minutes} នាទីមុនពេលកិច្ចប្រជុំចាប់ផ្តើម។",
            status=409,
            minutes=int(opens_before.total_seconds() // 60),
        )
    counts = check_counts(raw)
    kept_names = [n.strip() for n in names or [] if n.strip()]
    if len(kept_names) > min(counts.total, MAX_NAMES) or any(len(n) > NAME_MAX for n in kept_names):
        raise MeetingError(
            "attendance.names_invalid",
            "There are more names than people present, or a name is too long.",
            "មានឈ្មោះច្រើនជាងចំនួនអ្នកចូលរួម ឬឈ្មោះមួយវែងពេក។",
            field="names",
        )
    attendance = Attendance(
        counts=counts,
        names=kept_names,
        quorum_met=quorum_met(counts),
        recorded_by=caller.user_id,
        recorded_at=now,
    )
    if meeting.state is MeetingState.HELD:
        return meeting.model_copy(update={"attendance": attendance, "updated_at": now})
    return meeting.moved(MeetingState.HELD, caller.user_id, now, attendance=attendance)
