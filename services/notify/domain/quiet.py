"""Quiet hours: no SMS or push at night (default 21:00-06:00, Asia/Phnom_Penh), and the clock
that says what time it is. Code that needs "now" takes a :class:`Clock`, so tests fix it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from contracts.local_time import TIME_ZONE

DEFAULT_QUIET_HOURS = "21:00-06:00"

_WINDOW = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("a clock's time must carry a timezone")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def advance(self, seconds: float) -> None:
        self._at += timedelta(seconds=seconds)


@dataclass(frozen=True)
class QuietHours:
    """A daily window in local time; it may cross midnight (21:00-06:00)."""

    start: time
    end: time
    timezone: str = TIME_ZONE

    @classmethod
    def parse(cls, window: str, timezone: str = TIME_ZONE) -> QuietHours | None:
        """``"21:00-06:00"``; an empty string or ``"off"`` means no quiet hours."""
        if not window.strip() or window.strip().lower() == "off":
            return None
        match = _WINDOW.match(window)
        if match is None:
            raise ValueError(f"quiet hours must look like 21:00-06:00, not {window!r}")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if (h1, m1) == (h2, m2):
            raise ValueError("quiet hours must not start and end at the same time")
        ZoneInfo(timezone)  # fail at start, not at 21:00
        return cls(time(h1, m1), time(h2, m2), timezone)

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.timezone)).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def until(self, moment: datetime) -> datetime | None:
        """When the quiet period that holds ``moment`` ends (UTC), or None if it is not quiet."""
        if not self.contains(moment):
            return None
        zone = ZoneInfo(self.timezone)
        local = moment.astimezone(zone)
        end = datetime.combine(local.date(), self.end, tzinfo=zone)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=zone)
        return end.astimezone(UTC)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"
