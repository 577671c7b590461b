"""A meeting's life: schedule, announce, reschedule, cancel, and the clash check. Pure.

planned -> announced -> rescheduled* -> held -> minutes_published, or cancelled (with a reason)
from any state before held. Announcing needs a published agenda at least ``notice_days`` before
the meeting. No two meetings of a commune overlap, nor two meetings at one venue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from contracts.meetings import MeetingState
from services.meetings.domain import (
    ANNOUNCED_STATES,
    LINK_MAX,
    MAX_DAYS_AHEAD,
    MAX_HOURS,
    MAX_LANGUAGES,
    MIN_MINUTES,
    NOTES_MAX,
    PLACE_MAX,
    REASON_MAX,
    TITLE_MAX,
    CalendarEntry,
    Meeting,
    MeetingError,
    Place,
    RescheduleMeeting,
    ScheduleMeeting,
    Transition,
    clean_text,
    require_manager,
    require_open,
    when_text,
)
from services.meetings.notice_rules import check_cancel, check_reschedule
from services.runtime.identity import Identity

_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_LINK = re.compile(r"^https://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def check_times(start: datetime, end: datetime, now: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise MeetingError(
            "meeting.time_zone_missing",
            "Times must say their time zone.",
            "ពេលវេលាត្រូវតែបញ្ជាក់តំបន់ម៉ោង។",
            field="startsAt",
        )
    if end <= start:
        raise MeetingError(
            "meeting.end_before_start",
            "The meeting must end after it starts.",
            "កិច្ចប្រជុំត្រូវបញ្ចប់ក្រោយពេលចាប់ផ្តើម។",
            field="endsAt",
        )
    if start <= now:
        raise MeetingError(
            "meeting.in_the_past",
            "This time has already passed. Choose a time in the future.",
            "ពេលវេលានេះបានកន្លងផុតហើយ។ សូមជ្រើសរើសពេលវេលានាពេលអនាគត។",
            field="startsAt",
        )
    if start > now + timedelta(days=MAX_DAYS_AHEAD):
        raise MeetingError(
            "meeting.too_far_ahead",
            "Meetings can be scheduled at most two years ahead.",
            "កិច្ចប្រជុំអាចកំណត់ពេលទុកមុនបានយ៉ាងច្រើនពីរឆ្នាំ។",
            field="startsAt",
        )
    length = end - start
    if length < timedelta(minutes=MIN_MINUTES):
        raise MeetingError(
            "meeting.too_short",
            "A meeting lasts at least {minutes} minutes.",
            "កិច្ចប្រជុំមានរយៈពេលយ៉ាងតិច {minutes} នាទី។",
            field="endsAt",
            minutes=MIN_MINUTES,
        )
    if length > timedelta(hours=MAX_HOURS):
        raise MeetingError(
            "meeting.too_long",
            "A meeting lasts at most {hours} hours.",
            "កិច្ចប្រជុំមានរយៈពេលយ៉ាងច្រើន {hours} ម៉ោង។",
            field="endsAt",
            hours=MAX_HOURS,
        )


def find_clash(
    entries: Iterable[CalendarEntry],
    *,
    commune_code: str,
    venue_key: str,
    start: datetime,
    end: datetime,
    exclude: str | None = None,
) -> CalendarEntry | None:
    """The first meeting of the same commune, or at the same venue, that overlaps [start, end)."""
    for entry in sorted(entries, key=lambda e: e.starts_at):
        if entry.meeting_id == exclude or not entry.overlaps(start, end):
            continue
        if entry.commune_code == commune_code or entry.venue_key == venue_key:
            return entry
    return None


def check_no_clash(
    entries: Iterable[CalendarEntry],
    commune_code: str,
    venue: Place,
    start: datetime,
    end: datetime,
    exclude: str | None = None,
) -> None:
    clash = find_clash(
        entries, commune_code=commune_code, venue_key=venue.key, start=start, end=end, exclude=exclude
    )
    if clash is not None:
        raise MeetingError(
            "meeting.clash",
            "Another meeting in this commune or at this place is at {when}. Choose another time.",
            "មានកិច្ចប្រជុំមួយទៀតនៅក្នុងឃុំនេះ ឬនៅទីកន្លែងនេះ នៅម៉ោង {when}។ សូមជ្រើសរើសពេលវេលាផ្សេង។",
            status=409,
            field="startsAt",
            when=when_text(clash.starts_at, clash.ends_at),
        )


def check_place(venue: Place) -> Place:
    place = clean_text(venue.place, PLACE_MAX, "venue.place", required=True)
    if not re.fullmatch(r"\d{8}", venue.village_code):
        raise MeetingError(
            "meeting.village_invalid",
            "Choose the village where the meeting is held.",
            "សូមជ្រើសរើសភូមិដែលកិច្ចប្រជុំប្រព្រឹត្តទៅ។",
            field="venue.villageCode",
        )
    assert place is not None
    return venue.model_copy(update={"place": place})


def check_languages(codes: Sequence[str]) -> list[str]:
    """Khmer always comes first; other codes are ISO 639 (e.g. jra for Jarai)."""
    result = ["km"]
    for raw in codes:
        code = raw.strip().lower()
        if not _LANGUAGE.match(code):
            raise MeetingError(
                "meeting.language_invalid",
                "Unknown language code {language}.",
                "មិនស្គាល់លេខកូដភាសា {language}។",
                field="languages",
                language=raw[:10],
            )
        if code not in result:
            result.append(code)
    if len(result) > MAX_LANGUAGES:
        raise MeetingError(
            "meeting.too_many_languages",
            "At most {limit} languages.",
            "យ៉ាងច្រើន {limit} ភាសា។",
            field="languages",
            limit=MAX_LANGUAGES,
        )
    return result


def check_link(link: str | None) -> str | None:
    cleaned = (link or "").strip()
    if not cleaned:
        return None
    if len(cleaned) > LINK_MAX or not _LINK.match(cleaned):
        raise MeetingError(
            "meeting.remote_link_invalid",
            "The remote link must be a web address starting with https://",
            "តំណភ្ជាប់ពីចម្ងាយត្រូវតែជាអាសយដ្ឋានគេហទំព័រដែលចាប់ផ្តើមដោយ https://",
            field="remoteLink",
        )
    return cleaned


# ---------- the rules ----------


def schedule(
    command: ScheduleMeeting,
    caller: Identity,
    now: datetime,
    calendar: Iterable[CalendarEntry],
    *,
    meeting_id: str,
) -> Meeting:
    require_manager(caller, command.commune_code)
    venue = check_place(command.venue)
    check_times(command.starts_at, command.ends_at, now)
    title = clean_text(command.title, TITLE_MAX, "title")
    notes = clean_text(command.accessibility_notes, NOTES_MAX, "accessibilityNotes")
    languages = check_languages(command.languages)
    link = check_link(command.remote_link)
    starts_at, ends_at = command.starts_at.astimezone(UTC), command.ends_at.astimezone(UTC)
    check_no_clash(calendar, command.commune_code, venue, starts_at, ends_at)
    return Meeting(
        id=meeting_id,
        commune_code=command.commune_code,
        type=command.type,
        title=title,
        venue=venue,
        starts_at=starts_at,
        ends_at=ends_at,
        languages=languages,
        interpreter_arranged=command.interpreter_arranged,
        accessibility_notes=notes,
        remote_link=link,
        state=MeetingState.PLANNED,
        history=[Transition(at=now, by=caller.user_id, from_state=None, to_state=MeetingState.PLANNED)],
        created_by=caller.user_id,
        created_at=now,
        updated_at=now,
    )


def announce(meeting: Meeting, caller: Identity, now: datetime, notice_days: int) -> Meeting:
    """Make the meeting public. Its agenda must be published, at least ``notice_days`` ahead."""
    require_manager(caller, meeting.commune_code)
    if meeting.state in ANNOUNCED_STATES:
        raise MeetingError(
            "meeting.already_announced",
            "This meeting has already been announced.",
            "កិច្ចប្រជុំនេះត្រូវបានប្រកាសរួចហើយ។",
            status=409,
        )
    require_open(
        meeting,
        "meeting.state_invalid",
        "A meeting that is {state} cannot be announced.",
        "កិច្ចប្រជុំដែលស្ថិតក្នុងស្ថានភាព {state} មិនអាចប្រកាសបានទេ។",
    )
    if meeting.agenda is None:
        raise MeetingError(
            "meeting.agenda_missing",
            "Publish the agenda first: people must know what the meeting is about.",
            "សូមផ្សព្វផ្សាយរបៀបវារៈជាមុនសិន៖ ប្រជាជនត្រូវដឹងថាកិច្ចប្រជុំនិយាយអំពីអ្វី។",
            status=409,
        )
    if now > meeting.starts_at - timedelta(days=notice_days):
        raise MeetingError(
            "meeting.notice_too_short",
            "Announce at least {days} days before the meeting, with its agenda. "
            "This one starts {when}: reschedule it first.",
            "ត្រូវប្រកាសយ៉ាងតិច {days} ថ្ងៃមុនកិច្ចប្រជុំ ជាមួយរបៀបវារៈ។ កិច្ចប្រជុំនេះចាប់ផ្តើម {when}៖ សូមប្តូរពេលជាមុនសិន។",
            status=409,
            days=notice_days,
            when=when_text(meeting.starts_at, meeting.ends_at),
        )
    return meeting.moved(MeetingState.ANNOUNCED, caller.user_id, now, was_announced=True)


def reschedule(
    meeting: Meeting,
    command: RescheduleMeeting,
    caller: Identity,
    now: datetime,
    calendar: Iterable[CalendarEntry],
    notice_days: int = 0,
) -> Meeting:
    """Move a meeting; an announced one keeps its notice rules (``notice_rules.py``)."""
    require_manager(caller, meeting.commune_code)
    require_open(
        meeting,
        "meeting.not_reschedulable",
        "A meeting that is {state} cannot be rescheduled.",
        "កិច្ចប្រជុំដែលស្ថិតក្នុងស្ថានភាព {state} មិនអាចប្តូរពេលបានទេ។",
    )
    venue = check_place(command.venue) if command.venue is not None else meeting.venue
    check_times(command.starts_at, command.ends_at, now)
    reason = clean_text(command.reason, REASON_MAX, "reason")
    if reason is None and meeting.was_announced:
        raise _reason_required()
    unchanged = (
        command.starts_at == meeting.starts_at
        and command.ends_at == meeting.ends_at
        and venue.key == meeting.venue.key
    )
    if unchanged:
        raise MeetingError(
            "meeting.reschedule_unchanged",
            "The new time and place are the same as before.",
            "ពេលវេលា និងទីកន្លែងថ្មី ដូចគ្នានឹងមុន។",
            field="startsAt",
        )
    length = int((command.ends_at - command.starts_at).total_seconds() // 60)
    if meeting.agenda is not None and meeting.agenda.total_minutes > length:
        raise MeetingError(
            "agenda.too_long",
            "The agenda needs {total} minutes but the meeting lasts {length}.",
            "របៀបវារៈត្រូវការ {total} នាទី ប៉ុន្តែកិច្ចប្រជុំមានរយៈពេលតែ {length} នាទី។",
            field="endsAt",
            total=meeting.agenda.total_minutes,
            length=length,
        )
    starts_at, ends_at = command.starts_at.astimezone(UTC), command.ends_at.astimezone(UTC)
    check_no_clash(calendar, meeting.commune_code, venue, starts_at, ends_at, meeting.id)
    urgent = check_reschedule(meeting, starts_at, ends_at, now, notice_days, command.emergency_reason)
    state = MeetingState.RESCHEDULED if meeting.was_announced else MeetingState.PLANNED
    return meeting.moved(
        state,
        caller.user_id,
        now,
        reason,
        emergency_reason=urgent,
        starts_at=starts_at,
        ends_at=ends_at,
        venue=venue,
        sequence=meeting.sequence + 1,
    )


def _reason_required() -> MeetingError:
    return MeetingError(
        "meeting.reason_required",
        "Please give the reason: people must be told why.",
        "សូមផ្តល់មូលហេតុ៖ ប្រជាជនត្រូវតែដឹងថាហេតុអ្វី។",
        field="reason",
    )


def cancel(
    meeting: Meeting,
    reason: str | None,
    caller: Identity,
    now: datetime,
    notice_days: int = 0,
    emergency_reason: str | None = None,
) -> Meeting:
    require_manager(caller, meeting.commune_code)
    require_open(
        meeting,
        "meeting.not_cancellable",
        "A meeting that is {state} cannot be cancelled.",
        "កិច្ចប្រជុំដែលស្ថិតក្នុងស្ថានភាព {state} មិនអាចលុបចោលបានទេ។",
    )
    cleaned = clean_text(reason, REASON_MAX, "reason")
    if cleaned is None:
        raise _reason_required()
    urgent = check_cancel(meeting, now, notice_days, emergency_reason)
    return meeting.moved(
        MeetingState.CANCELLED,
        caller.user_id,
        now,
        cleaned,
        emergency_reason=urgent,
        cancel_reason=cleaned,
        sequence=meeting.sequence + 1,
    )


# ---------- the commune calendar the clash check reads ----------


def calendar_entries(meeting: Meeting) -> list[CalendarEntry]:
    if meeting.state is MeetingState.CANCELLED:
        return []
    return [
        CalendarEntry(meeting.id, meeting.commune_code, meeting.venue.key, meeting.starts_at, meeting.ends_at)
    ]


def updated_calendar(
    entries: Iterable[CalendarEntry], meeting: Meeting, now: datetime
) -> list[CalendarEntry]:
    """The calendar with the meeting's current slot (none once cancelled); long-past slots drop out."""
    horizon = now - timedelta(days=1)
    kept = [e for e in entries if e.meeting_id != meeting.id and e.ends_at > horizon]
    return sorted([*kept, *calendar_entries(meeting)], key=lambda e: (e.starts_at, e.meeting_id))
