"""Slot suggestions: times people can actually come to, each with its reasons in words. Pure.

Every half hour from 07:00 to 21:00 (Phnom Penh time) of every day in the window is a candidate
that starts late enough for the agenda to be announced in time. A candidate that clashes with
another meeting of the commune, or with any meeting at the same venue, is never suggested. The
rest are scored (services/meetings/slot_scoring.py says how: days off, evenings, the days
around Khmer New Year and Pchum Ben, facilitators' availability, busy seasons).

The best slot of each day is kept, and the days are ranked by score, then by time. If no
weekday evening made the list but one exists, it takes the last place: a list of weekends only
leaves out everyone who works on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from services.meetings.domain import (
    MAX_HOURS,
    MIN_MINUTES,
    PHNOM_PENH,
    MeetingError,
)
from services.meetings.lifecycle import find_clash
from services.meetings.slot_scoring import (
    Availability,
    BusySeason,
    Conditions,
    Holiday,
    Reason,
    Slot,
    score,
)

__all__ = [
    "Availability",
    "BusySeason",
    "Conditions",
    "Holiday",
    "Reason",
    "Slot",
    "SlotRequest",
    "check_request",
    "score",
    "suggest",
    "years_between",
]

DAY_STARTS = time(7, 0)
DAY_ENDS = time(21, 0)
STEP = timedelta(minutes=30)
MAX_WINDOW_DAYS = 92
MAX_SUGGESTIONS = 20


@dataclass(frozen=True)
class SlotRequest:
    commune_code: str
    first_day: date
    last_day: date
    duration: timedelta
    venue_key: str | None = None
    limit: int = 5


def check_request(request: SlotRequest, today: date) -> None:
    if request.last_day < request.first_day:
        raise MeetingError(
            "slots.window_invalid",
            "The last day comes before the first day.",
            "ថ្ងៃចុងក្រោយនៅមុនថ្ងៃដំបូង។",
            field="toDate",
        )
    if (request.last_day - request.first_day).days + 1 > MAX_WINDOW_DAYS:
        raise MeetingError(
            "slots.window_too_long",
            "Look at most {days} days at a time.",
            "សូមមើលយ៉ាងច្រើន {days} ថ្ងៃក្នុងមួយលើក។",
            field="toDate",
            days=MAX_WINDOW_DAYS,
        )
    if request.last_day < today:
        raise MeetingError(
            "slots.window_in_the_past",
            "These days have already passed.",
            "ថ្ងៃទាំងនេះបានកន្លងផុតហើយ។",
            field="toDate",
        )
    minutes = request.duration.total_seconds() / 60
    if not MIN_MINUTES <= minutes <= MAX_HOURS * 60:
        raise MeetingError(
            "slots.duration_invalid",
            "A meeting lasts between {low} minutes and {high} hours.",
            "កិច្ចប្រជុំមានរយៈពេលពី {low} នាទី ដល់ {high} ម៉ោង។",
            field="durationMinutes",
            low=MIN_MINUTES,
            high=MAX_HOURS,
        )
    if not 1 <= request.limit <= MAX_SUGGESTIONS:
        raise MeetingError(
            "slots.limit_invalid",
            "Ask for between 1 and {limit} suggestions.",
            "សូមស្នើពី ១ ដល់ {limit} សំណើ។",
            field="first",
            limit=MAX_SUGGESTIONS,
        )


def suggest(request: SlotRequest, conditions: Conditions) -> list[Slot]:
    """The best slot of each day in the window, best days first; never a clash."""
    earliest = conditions.now + timedelta(days=conditions.notice_days)
    best_per_day: list[Slot] = []
    day = request.first_day
    while day <= request.last_day:
        best: Slot | None = None
        for start in _starts(day, request.duration):
            end = start + request.duration
            if start < earliest:
                continue
            clash = find_clash(
                conditions.calendar,
                commune_code=request.commune_code,
                venue_key=request.venue_key or "",
                start=start,
                end=end,
            )
            if clash is not None:
                continue
            slot = score(start, end, conditions)
            if best is None or slot.score > best.score:
                best = slot
        if best is not None:
            best_per_day.append(best)
        day += timedelta(days=1)
    best_per_day.sort(key=lambda s: (-s.score, s.starts_at))
    chosen = best_per_day[: request.limit]
    evenings = [s for s in best_per_day if _is_evening(s)]
    if request.limit > 1 and evenings and not any(_is_evening(s) for s in chosen):
        chosen[-1] = evenings[0]
    return chosen


def _is_evening(slot: Slot) -> bool:
    return any(r.code == "weekday_evening" for r in slot.reasons)


def _starts(day: date, duration: timedelta) -> list[datetime]:
    start = datetime.combine(day, DAY_STARTS, PHNOM_PENH)
    last_end = datetime.combine(day, DAY_ENDS, PHNOM_PENH)
    starts: list[datetime] = []
    while start + duration <= last_end:
        starts.append(start.astimezone(UTC))
        start += STEP
    return starts


def years_between(first: date, last: date) -> list[int]:
    return list(range(first.year, last.year + 1))
