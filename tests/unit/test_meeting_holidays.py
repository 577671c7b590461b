"""Cambodia's public holidays from the holidays package, with their Khmer names, merged with
admins' local events; and 2027's April suggestions, which must avoid Khmer New Year itself and
offer evenings."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from services.meetings.domain import PHNOM_PENH
from services.meetings.holidays import holidays_between, merged, official_holidays
from services.meetings.slots import Conditions, Holiday, SlotRequest, suggest

NOW = datetime(2027, 2, 1, 3, 0, tzinfo=UTC)


def test_2027_khmer_new_year_pchum_ben_and_water_festival_come_with_khmer_names() -> None:
    by_kind = {h.kind: h for h in official_holidays(2027) if h.kind != "other"}
    new_year = by_kind["khmer_new_year"]
    assert (new_year.start, new_year.end) == (date(2027, 4, 14), date(2027, 4, 16))
    assert "ចូលឆ្នាំ" in new_year.name_km and "Khmer New Year" in new_year.name_en
    assert (by_kind["pchum_ben"].start, by_kind["pchum_ben"].end) == (date(2027, 9, 29), date(2027, 10, 1))
    assert "បិណ្ឌ" in by_kind["pchum_ben"].name_km
    assert "អុំទូក" in by_kind["water_festival"].name_km
    assert all(h.source == "official" and h.migrants_home for h in by_kind.values())
    women = next(h for h in official_holidays(2027) if h.start == date(2027, 3, 8))
    assert women.kind == "other" and not women.migrants_home and "នារី" in women.name_km


def test_local_events_join_the_official_ones_and_a_repeated_festival_is_dropped() -> None:
    pagoda = Holiday("other", date(2027, 4, 20), date(2027, 4, 20), "Pagoda festival", "បុណ្យវត្ត", False)
    copy = Holiday("khmer_new_year", date(2027, 4, 14), date(2027, 4, 16), "Khmer New Year", "ចូលឆ្នាំ")
    table = merged(2027, [pagoda, copy])
    assert sum(h.kind == "khmer_new_year" for h in table) == 1
    assert pagoda in table and [h.start for h in table] == sorted(h.start for h in table)


def test_2027_april_suggestions_avoid_the_new_year_days_and_include_evenings() -> None:
    april = SlotRequest("160101", date(2027, 4, 1), date(2027, 4, 30), timedelta(hours=2), None, 5)
    conditions = Conditions(
        now=NOW,
        migrant_share_percent=30,
        day_work_share_percent=50,
        holidays=holidays_between(april.first_day, april.last_day),
    )
    slots = suggest(april, conditions)
    assert len(slots) == 5
    days = [s.starts_at.astimezone(PHNOM_PENH).date() for s in slots]
    assert not any(date(2027, 4, 14) <= d <= date(2027, 4, 16) for d in days), days
    evenings = [s for s in slots if "weekday_evening" in [r.code for r in s.reasons]]
    assert evenings and all(s.starts_at.astimezone(PHNOM_PENH).time() >= time(17, 0) for s in evenings)
    # the days around the new year lead: people are home and free
    first = slots[0]
    assert date(2027, 4, 12) <= first.starts_at.astimezone(PHNOM_PENH).date() <= date(2027, 4, 18)
    home = next(r for r in first.reasons if r.code == "migrants_home")
    assert "ចូលឆ្នាំ" in home.km and "30%" in home.en
