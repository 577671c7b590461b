"""Slot suggestions with fixed holiday tables: times people can come, each with its reasons in
Khmer and English, never a clash, busy seasons avoided, migrants' holidays first where many
people work away."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.meetings.domain import PHNOM_PENH, CalendarEntry, MeetingError
from services.meetings.lifecycle import find_clash
from services.meetings.slots import (
    Availability,
    BusySeason,
    Conditions,
    Holiday,
    SlotRequest,
    check_request,
    suggest,
)

NOW = datetime(2027, 2, 1, 3, 0, tzinfo=UTC)  # Monday 1 February 2027, 10:00 in Phnom Penh
KHMER = re.compile(r"[\u1780-\u17FF]")

HOLIDAYS_2027 = (
    Holiday("khmer_new_year", date(2027, 4, 14), date(2027, 4, 16), "Khmer New Year", "បុណ្យចូលឆ្នាំខ្មែរ"),
    Holiday("pchum_ben", date(2027, 9, 29), date(2027, 10, 1), "Pchum Ben", "បុណ្យភ្ជុំបិណ្ឌ"),
    Holiday("water_festival", date(2027, 11, 12), date(2027, 11, 14), "the Water Festival", "បុណ្យអុំទូក"),
    Holiday("other", date(2027, 4, 1), date(2027, 4, 1), "A holiday", "ថ្ងៃឈប់", migrants_home=False),
)
APRIL = SlotRequest("160101", date(2027, 4, 1), date(2027, 4, 30), timedelta(hours=2), None, 5)


def local(moment: datetime) -> datetime:
    return moment.astimezone(PHNOM_PENH)


def in_new_year(moment: datetime) -> bool:
    return date(2027, 4, 14) <= local(moment).date() <= date(2027, 4, 16)


def around_new_year(moment: datetime) -> bool:
    day = local(moment).date()
    return date(2027, 4, 12) <= day <= date(2027, 4, 18) and not in_new_year(moment)


def test_with_many_migrants_the_days_around_khmer_new_year_lead_not_the_festival_itself() -> None:
    slots = suggest(APRIL, Conditions(now=NOW, migrant_share_percent=40, holidays=HOLIDAYS_2027))
    assert slots, "no suggestion"
    assert not any(in_new_year(s.starts_at) for s in slots)
    first = slots[0]
    assert around_new_year(first.starts_at)
    why = next(r for r in first.reasons if r.code == "migrants_home")
    assert "Khmer New Year" in why.en and "40%" in why.en
    assert "បុណ្យចូលឆ្នាំខ្មែរ" in why.km
    assert sum(around_new_year(s.starts_at) for s in slots) >= 3


def test_on_the_festival_days_themselves_people_are_busy() -> None:
    day = SlotRequest("160101", date(2027, 4, 15), date(2027, 4, 15), timedelta(hours=2), None, 1)
    [slot] = suggest(day, Conditions(now=NOW, migrant_share_percent=40, holidays=HOLIDAYS_2027))
    codes = [r.code for r in slot.reasons]
    assert "festival_day" in codes and "migrants_home" not in codes and "holiday" not in codes
    busy = next(r for r in slot.reasons if r.code == "festival_day")
    assert busy.points < 0 and "បុណ្យចូលឆ្នាំខ្មែរ" in busy.km


def test_without_migrants_the_new_year_has_no_special_pull() -> None:
    slots = suggest(APRIL, Conditions(now=NOW, migrant_share_percent=0, holidays=HOLIDAYS_2027))
    assert all("migrants_home" not in [r.code for r in s.reasons] for s in slots)
    assert not in_new_year(slots[0].starts_at)


def test_where_people_work_by_day_weekday_evenings_come_before_weekends() -> None:
    slots = suggest(APRIL, Conditions(now=NOW, day_work_share_percent=80))
    assert all("weekday_evening" in [r.code for r in s.reasons] for s in slots)
    assert all(local(s.starts_at).time() >= time(17, 0) for s in slots)


def test_a_weekday_evening_is_always_among_the_suggestions() -> None:
    slots = suggest(APRIL, Conditions(now=NOW, day_work_share_percent=0, holidays=HOLIDAYS_2027))
    assert len(slots) == 5
    assert any("weekday_evening" in [r.code for r in s.reasons] for s in slots)
    assert sum("weekend" in [r.code for r in s.reasons] for s in slots) >= 3


def test_without_a_holiday_table_weekends_and_evenings_lead() -> None:
    slots = suggest(APRIL, Conditions(now=NOW, migrant_share_percent=40))
    assert local(slots[0].starts_at).weekday() >= 5
    assert {r.code for r in slots[0].reasons} >= {"weekend", "no_clash"}


def test_on_working_days_the_evening_is_suggested_not_office_hours() -> None:
    weekdays = SlotRequest("160101", date(2027, 3, 1), date(2027, 3, 5), timedelta(hours=2), None, 5)
    slots = suggest(weekdays, Conditions(now=NOW))
    assert len(slots) == 5
    for slot in slots:
        assert local(slot.starts_at).time() >= time(17, 0)
        assert "weekday_evening" in [r.code for r in slot.reasons]


def test_the_busy_season_is_avoided_when_there_is_another_week() -> None:
    harvest = BusySeason("the rice harvest", (3, 1), (3, 14))
    window = SlotRequest("160101", date(2027, 3, 1), date(2027, 3, 21), timedelta(hours=2), None, 3)
    slots = suggest(window, Conditions(now=NOW, busy_seasons=[harvest]))
    assert all(local(s.starts_at).date() > date(2027, 3, 14) for s in slots)
    inside = suggest(
        SlotRequest("160101", date(2027, 3, 6), date(2027, 3, 6), timedelta(hours=2), None, 1),
        Conditions(now=NOW, busy_seasons=[harvest]),
    )
    reason = next(r for r in inside[0].reasons if r.code == "busy_season")
    assert reason.points < 0 and "the rice harvest" in reason.en and "the rice harvest" in reason.km


def test_a_busy_season_may_run_over_the_new_year() -> None:
    season = BusySeason("dry-season work away", (12, 20), (1, 10))
    assert season.covers(date(2027, 12, 31)) and season.covers(date(2028, 1, 3))
    assert not season.covers(date(2027, 6, 1))


def test_facilitators_availability_counts() -> None:
    saturday_morning = [Availability(5, time(8, 0), time(12, 0))]
    evenings = [Availability(d, time(17, 0), time(21, 0)) for d in range(5)]
    window = SlotRequest("160101", date(2027, 3, 6), date(2027, 3, 6), timedelta(hours=2), None, 1)
    [slot] = suggest(window, Conditions(now=NOW, facilitators=[saturday_morning, saturday_morning, evenings]))
    assert local(slot.starts_at).time() == time(8, 0)
    reason = next(r for r in slot.reasons if r.code == "facilitators")
    assert reason.en.startswith("2 of 3 facilitators")
    assert "អ្នកសម្របសម្រួល 2 នាក់" in reason.km


def test_nothing_is_suggested_before_the_agenda_could_be_announced() -> None:
    window = SlotRequest("160101", date(2027, 2, 1), date(2027, 2, 20), timedelta(hours=2), None, 20)
    slots = suggest(window, Conditions(now=NOW, notice_days=7))
    assert slots
    assert min(s.starts_at for s in slots) >= NOW + timedelta(days=7)


def test_a_slot_clashing_with_the_venue_of_another_commune_is_never_suggested() -> None:
    saturday = date(2027, 3, 6)
    hall = "16010101:malik pagoda hall"
    whole_day = CalendarEntry(
        "m-x",
        "160102",
        hall,
        datetime.combine(saturday, time(6, 0), PHNOM_PENH).astimezone(UTC),
        datetime.combine(saturday, time(22, 0), PHNOM_PENH).astimezone(UTC),
    )
    window = SlotRequest("160101", saturday, saturday, timedelta(hours=2), hall, 3)
    assert suggest(window, Conditions(now=NOW, calendar=[whole_day])) == []
    elsewhere = SlotRequest("160101", saturday, saturday, timedelta(hours=2), "16010103:school", 3)
    assert len(suggest(elsewhere, Conditions(now=NOW, calendar=[whole_day]))) == 1


def test_every_reason_is_said_in_khmer_and_english() -> None:
    conditions = Conditions(
        now=NOW,
        migrant_share_percent=30,
        holidays=HOLIDAYS_2027,
        busy_seasons=[BusySeason("ច្រូតស្រូវ", (4, 20), (4, 30))],
        facilitators=[[Availability(5, time(8, 0), time(12, 0))]],
    )
    for slot in suggest(APRIL.__class__(**{**APRIL.__dict__, "limit": 20}), conditions):
        assert slot.score == sum(r.points for r in slot.reasons)
        for reason in slot.reasons:
            assert reason.en and KHMER.search(reason.km), reason


@pytest.mark.parametrize(
    ("request_", "code", "field"),
    [
        (
            SlotRequest("160101", date(2027, 3, 9), date(2027, 3, 1), timedelta(hours=2)),
            "slots.window_invalid",
            "toDate",
        ),
        (
            SlotRequest("160101", date(2027, 3, 1), date(2027, 9, 1), timedelta(hours=2)),
            "slots.window_too_long",
            "toDate",
        ),
        (
            SlotRequest("160101", date(2026, 3, 1), date(2026, 3, 9), timedelta(hours=2)),
            "slots.window_in_the_past",
            "toDate",
        ),
        (
            SlotRequest("160101", date(2027, 3, 1), date(2027, 3, 9), timedelta(minutes=5)),
            "slots.duration_invalid",
            "durationMinutes",
        ),
        (
            SlotRequest("160101", date(2027, 3, 1), date(2027, 3, 9), timedelta(hours=2), None, 0),
            "slots.limit_invalid",
            "first",
        ),
    ],
)
def test_bad_requests_are_refused(request_: SlotRequest, code: str, field: str) -> None:
    with pytest.raises(MeetingError) as caught:
        check_request(request_, local(NOW).date())
    assert caught.value.code == code
    assert caught.value.field == field


# ---------- properties ----------

DAY = st.integers(0, 27).map(lambda d: date(2027, 4, 1) + timedelta(days=d))
ENTRIES = st.lists(
    st.tuples(
        DAY,
        st.integers(6 * 2, 21 * 2),  # start, in half hours
        st.integers(1, 10),  # length, in half hours
        st.sampled_from(["160101", "160102"]),
        st.sampled_from(["16010101:hall", "16010203:office"]),
    ),
    max_size=25,
)


def _entries(raw: list[tuple[date, int, int, str, str]]) -> list[CalendarEntry]:
    entries = []
    for i, (day, start, length, commune, venue) in enumerate(raw):
        begin = datetime.combine(day, time(0, 0), PHNOM_PENH) + timedelta(minutes=30 * start)
        entries.append(
            CalendarEntry(
                f"m-{i}",
                commune,
                venue,
                begin.astimezone(UTC),
                (begin + timedelta(minutes=30 * length)).astimezone(UTC),
            )
        )
    return entries


@settings(max_examples=150, deadline=None, database=None)
@given(
    raw=ENTRIES,
    minutes=st.integers(15, 300),
    share=st.integers(0, 100),
    venue=st.sampled_from([None, "16010101:hall", "16010203:office"]),
)
def test_no_suggestion_ever_clashes(
    raw: list[tuple[date, int, int, str, str]], minutes: int, share: int, venue: str | None
) -> None:
    calendar = _entries(raw)
    request = SlotRequest(
        "160101", date(2027, 4, 1), date(2027, 4, 28), timedelta(minutes=minutes), venue, 20
    )
    slots = suggest(
        request, Conditions(now=NOW, migrant_share_percent=share, holidays=HOLIDAYS_2027, calendar=calendar)
    )
    days = [local(s.starts_at).date() for s in slots]
    assert len(days) == len(set(days)), "at most one suggestion a day"
    assert [s.score for s in slots] == sorted((s.score for s in slots), reverse=True)
    for slot in slots:
        assert slot.ends_at - slot.starts_at == timedelta(minutes=minutes)
        assert request.first_day <= local(slot.starts_at).date() <= request.last_day
        assert time(7, 0) <= local(slot.starts_at).time() and local(slot.ends_at).time() <= time(21, 0)
        clash = find_clash(
            calendar, commune_code="160101", venue_key=venue or "", start=slot.starts_at, end=slot.ends_at
        )
        assert clash is None, (slot, clash)
        for entry in calendar:
            if entry.commune_code == "160101" or entry.venue_key == venue:
                assert not (entry.starts_at < slot.ends_at and slot.starts_at < entry.ends_at)


@settings(max_examples=60, deadline=None, database=None)
@given(share=st.integers(10, 100), work=st.integers(0, 100), raw=ENTRIES)
def test_the_festival_days_never_lead_and_an_evening_is_always_offered(
    share: int, work: int, raw: list[tuple[date, int, int, str, str]]
) -> None:
    calendar = _entries(raw)
    conditions = Conditions(
        now=NOW,
        migrant_share_percent=share,
        day_work_share_percent=work,
        holidays=HOLIDAYS_2027,
        calendar=calendar,
    )
    slots = suggest(APRIL, conditions)
    assert not any(in_new_year(s.starts_at) for s in slots)
    assert any("weekday_evening" in [r.code for r in s.reasons] for s in slots)
