"""How one candidate time is scored, and why, in Khmer and English. Pure.

* a day off (weekend or public holiday) in the daytime +30, a weekday evening (from 17:00) +25,
  both moved by the share of people who work by day every day (farmers, six-day factory
  shifts): for them a Saturday is no day off and the evening is the time they have, so at 100%
  a day off counts +10 and an evening +40; weekday working hours -30; starting before 08:00 -5;
  ending after 20:30 -10;
* Khmer New Year and Pchum Ben themselves -40: people are home but busy with family and the
  pagoda; the two days before and after them bring up to +60, in proportion to the share of
  people who work away (they are home, and free); the Water Festival and other holidays when
  migrants come home bring the same on the days themselves;
* facilitators' stated availability: up to +20, in proportion to how many can come;
* the commune's busy seasons (e.g. rice harvest): -50.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from services.meetings.domain import PHNOM_PENH, CalendarEntry
from services.meetings.labels import WEEKDAYS

DAY_OFF_POINTS = 30
EVENING_POINTS = 25
# How far the share of people working by day every day moves a day off down and an evening up.
DAY_OFF_SHIFT_MAX = 20
EVENING_SHIFT_MAX = 15
FESTIVAL_DAY_POINTS = -40
AROUND_FESTIVAL_DAYS = 2
FAMILY_FESTIVALS = frozenset({"khmer_new_year", "pchum_ben"})
WORKING_HOURS_POINTS = -30
EARLY_POINTS = -5
LATE_POINTS = -10
MIGRANT_POINTS_MAX = 60
FACILITATOR_POINTS_MAX = 20
BUSY_SEASON_POINTS = -50
LATE_END = time(20, 30)
"""A meeting ending after this (Phnom Penh) leaves people going home in the dark."""


def ends_late(start: datetime, end: datetime) -> bool:
    """The night-hours rule: ends after 20:30 local time, or on a later day than it starts."""
    a, b = start.astimezone(PHNOM_PENH), end.astimezone(PHNOM_PENH)
    return b.time() > LATE_END or b.date() != a.date()


@dataclass(frozen=True)
class Holiday:
    kind: str
    start: date
    end: date
    name_en: str
    name_km: str
    migrants_home: bool = True
    source: str = "local"

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end

    def is_family_festival(self) -> bool:
        return self.kind in FAMILY_FESTIVALS

    def is_around(self, day: date) -> bool:
        """Within a couple of days before or after the festival, not on it."""
        margin = timedelta(days=AROUND_FESTIVAL_DAYS)
        return not self.covers(day) and self.start - margin <= day <= self.end + margin


@dataclass(frozen=True)
class BusySeason:
    """A yearly stretch (month, day) to (month, day); it may run over the new year."""

    label: str
    start: tuple[int, int]
    end: tuple[int, int]

    def covers(self, day: date) -> bool:
        md = (day.month, day.day)
        if self.start <= self.end:
            return self.start <= md <= self.end
        return md >= self.start or md <= self.end


@dataclass(frozen=True)
class Availability:
    """A facilitator can come on ``weekday`` (0 = Monday) between two local times."""

    weekday: int
    start: time
    end: time

    def covers(self, start: datetime, end: datetime) -> bool:
        return (
            start.weekday() == self.weekday
            and start.date() == end.date()
            and self.start <= start.time()
            and end.time() <= self.end
        )


@dataclass(frozen=True)
class Conditions:
    """What the commune and its people told us, and the calendar as it is."""

    now: datetime
    notice_days: int = 7
    migrant_share_percent: int = 0
    day_work_share_percent: int = 0
    busy_seasons: Sequence[BusySeason] = ()
    holidays: Sequence[Holiday] = ()
    facilitators: Sequence[Sequence[Availability]] = ()
    calendar: Sequence[CalendarEntry] = ()


@dataclass(frozen=True)
class Reason:
    code: str
    points: int
    en: str
    km: str


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    score: int
    reasons: tuple[Reason, ...] = field(default=())


def score(start: datetime, end: datetime, conditions: Conditions) -> Slot:
    """Score one slot and say why, in Khmer and English."""
    a, b = start.astimezone(PHNOM_PENH), end.astimezone(PHNOM_PENH)
    day = a.date()
    reasons: list[Reason] = []
    holidays = [h for h in conditions.holidays if h.covers(day)]
    festival = next((h for h in holidays if h.is_family_festival()), None)
    holiday = next((h for h in holidays if h.migrants_home), holidays[0] if holidays else None)
    around = next((h for h in conditions.holidays if h.is_family_festival() and h.is_around(day)), None)
    day_work = max(0, min(100, conditions.day_work_share_percent))
    day_off = DAY_OFF_POINTS - round(DAY_OFF_SHIFT_MAX * day_work / 100)
    evening = EVENING_POINTS + round(EVENING_SHIFT_MAX * day_work / 100)
    if festival is not None:
        reasons.append(
            Reason(
                "festival_day",
                FESTIVAL_DAY_POINTS,
                f"On {festival.name_en} itself people are home but busy with family and the pagoda.",
                f"ក្នុងថ្ងៃ{festival.name_km}ផ្ទាល់ មនុស្សនៅផ្ទះ ប៉ុន្តែរវល់ជាមួយគ្រួសារ និងវត្តអារាម។",
            )
        )
    elif holiday is not None:
        reasons.append(
            Reason(
                "holiday",
                day_off,
                f"On {holiday.name_en}, a public holiday: a day off work.",
                f"ក្នុងថ្ងៃ{holiday.name_km} ជាថ្ងៃឈប់សម្រាកសាធារណៈ៖ មិនមែនជាថ្ងៃធ្វើការទេ។",
            )
        )
    elif a.weekday() >= 5:
        weekday = WEEKDAYS[a.weekday()]
        reasons.append(
            Reason(
                "weekend",
                day_off,
                f"On a {weekday['en']}, when most people are not at work.",
                f"{weekday['km']} ជាថ្ងៃដែលមនុស្សភាគច្រើនមិនធ្វើការ។",
            )
        )
    elif a.time() >= time(17, 0):
        reasons.append(
            Reason(
                "weekday_evening",
                evening,
                "On a weekday evening, after work.",
                "ពេលល្ងាចថ្ងៃធ្វើការ ក្រោយម៉ោងធ្វើការ។",
            )
        )
    else:
        reasons.append(
            Reason(
                "working_hours",
                WORKING_HOURS_POINTS,
                "During working hours: many people cannot come.",
                "ក្នុងម៉ោងធ្វើការ៖ មនុស្សជាច្រើនមិនអាចមកបានទេ។",
            )
        )
    if a.time() < time(8, 0):
        reasons.append(Reason("early", EARLY_POINTS, "Starts before 08:00.", "ចាប់ផ្តើមមុនម៉ោង ០៨:០០។"))
    if ends_late(start, end):
        reasons.append(
            Reason(
                "ends_late",
                LATE_POINTS,
                "Ends after 20:30: it is hard to get home in the dark.",
                "បញ្ចប់ក្រោយម៉ោង ២០:៣០៖ ពិបាកធ្វើដំណើរទៅផ្ទះវិញនៅពេលងងឹត។",
            )
        )
    share = max(0, min(100, conditions.migrant_share_percent))
    migrant_points = round(MIGRANT_POINTS_MAX * share / 100)
    if festival is None and around is not None and share > 0:
        reasons.append(
            Reason(
                "migrants_home",
                migrant_points,
                f"Just before or after {around.name_en}: people who work away are home"
                f" ({share}% of people here) and not yet busy with the festival.",
                f"មុន ឬក្រោយ{around.name_km}បន្តិច៖ អ្នកដែលធ្វើការឆ្ងាយពីផ្ទះនៅផ្ទះ"
                f" ({share}% នៃប្រជាជននៅទីនេះ) ហើយមិនទាន់រវល់នឹងពិធីបុណ្យ។",
            )
        )
    elif festival is None and holiday is not None and holiday.migrants_home and share > 0:
        reasons.append(
            Reason(
                "migrants_home",
                migrant_points,
                f"During {holiday.name_en}, people who work away are home ({share}% of people here).",
                f"ក្នុងអំឡុង{holiday.name_km} អ្នកដែលធ្វើការឆ្ងាយពីផ្ទះបានត្រឡប់មកផ្ទះវិញ ({share}% នៃប្រជាជននៅទីនេះ)។",
            )
        )
    if conditions.facilitators:
        total = len(conditions.facilitators)
        able = sum(1 for windows in conditions.facilitators if any(w.covers(a, b) for w in windows))
        reasons.append(
            Reason(
                "facilitators",
                round(FACILITATOR_POINTS_MAX * able / total),
                f"{able} of {total} facilitators said they can come at this time.",
                f"អ្នកសម្របសម្រួល {able} នាក់ ក្នុងចំណោម {total} នាក់ បាននិយាយថាអាចមកបាននៅពេលនេះ។",
            )
        )
    for season in conditions.busy_seasons:
        if season.covers(day):
            reasons.append(
                Reason(
                    "busy_season",
                    BUSY_SEASON_POINTS,
                    f"During {season.label}, a busy time here: many people cannot come.",
                    f"ក្នុងអំឡុង {season.label} ដែលជាពេលមមាញឹកនៅទីនេះ៖ មនុស្សជាច្រើនមិនអាចមកបានទេ។",
                )
            )
    reasons.append(
        Reason(
            "no_clash",
            0,
            "No other meeting in the commune or at this place at this time.",
            "គ្មានកិច្ចប្រជុំផ្សេងទៀតនៅក្នុងឃុំ ឬនៅទីកន្លែងនេះ នៅពេលនេះទេ។",
        )
    )
    return Slot(start, end, sum(r.points for r in reasons), tuple(reasons))
