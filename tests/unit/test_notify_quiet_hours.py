"""Quiet hours (default 21:00-06:00 Asia/Phnom_Penh, UTC+7), read from a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from services.notify.domain.quiet import FixedClock, QuietHours

PHNOM_PENH_2100 = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # 21:00 local


@pytest.fixture
def night() -> QuietHours:
    quiet = QuietHours.parse("21:00-06:00")
    assert quiet is not None
    return quiet


@pytest.mark.parametrize(
    ("utc_hour", "utc_minute", "quiet"),
    [
        (13, 59, False),  # 20:59 local
        (14, 0, True),  # 21:00
        (17, 0, True),  # 00:00, past midnight
        (22, 59, True),  # 05:59
        (23, 0, False),  # 06:00
        (5, 0, False),  # 12:00
    ],
)
def test_the_default_window_holds_the_local_night(
    night: QuietHours, utc_hour: int, utc_minute: int, quiet: bool
) -> None:
    assert night.contains(datetime(2026, 3, 10, utc_hour, utc_minute, tzinfo=UTC)) is quiet


def test_a_message_at_2130_local_waits_until_0600_local_the_next_morning(night: QuietHours) -> None:
    at = datetime(2026, 3, 10, 14, 30, tzinfo=UTC)  # 21:30 on 10 March in Phnom Penh
    assert night.until(at) == datetime(2026, 3, 10, 23, 0, tzinfo=UTC)  # 06:00 on 11 March


def test_a_message_after_midnight_waits_until_0600_the_same_morning(night: QuietHours) -> None:
    at = datetime(2026, 3, 10, 19, 15, tzinfo=UTC)  # 02:15 on 11 March in Phnom Penh
    assert night.until(at) == datetime(2026, 3, 10, 23, 0, tzinfo=UTC)


def test_outside_quiet_hours_nothing_waits(night: QuietHours) -> None:
    assert night.until(datetime(2026, 3, 10, 3, 0, tzinfo=UTC)) is None


def test_a_window_within_one_day_works_too() -> None:
    lunch = QuietHours.parse("12:00-13:30")
    assert lunch is not None
    assert lunch.contains(datetime(2026, 3, 10, 5, 0, tzinfo=UTC))  # 12:00 local
    assert not lunch.contains(datetime(2026, 3, 10, 6, 30, tzinfo=UTC))  # 13:30 local
    assert lunch.until(datetime(2026, 3, 10, 5, 10, tzinfo=UTC)) == datetime(2026, 3, 10, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize("off", ["", "off", "  OFF "])
def test_quiet_hours_can_be_switched_off(off: str) -> None:
    assert QuietHours.parse(off) is None


@pytest.mark.parametrize("bad", ["21-06", "25:00-06:00", "21:00-21:00", "nine to six"])
def test_a_malformed_window_is_refused_at_start(bad: str) -> None:
    with pytest.raises(ValueError):
        QuietHours.parse(bad)


def test_the_window_prints_as_it_was_written(night: QuietHours) -> None:
    assert str(night) == "21:00-06:00"
    assert (night.start, night.end) == (time(21), time(6))


def test_a_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(PHNOM_PENH_2100)
    assert clock.now() == PHNOM_PENH_2100
    clock.advance(60)
    assert clock.now() == datetime(2026, 3, 10, 14, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 3, 10, 14, 0))  # naive: which timezone?
