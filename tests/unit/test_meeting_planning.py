"""What slot suggestions are scored on, and who may set it: holiday tables (admins), a
commune's migrant share and busy seasons (its council), facilitators' availability (themselves)."""

from __future__ import annotations

from datetime import date, time

import pytest

from services.meetings.domain import MeetingError
from services.meetings.planning import HolidayDraft, check_availability, check_holiday_table, check_profile
from services.runtime.identity import Identity, Role

ADMIN = Identity("admin", Role.NATIONAL_ADMIN, ("*",))
COUNCIL = Identity("council-1", Role.COUNCIL_MEMBER, ("160101",))
FACILITATOR = Identity("facilitator-1", Role.FACILITATOR, ("160101",))


def refused(code: str, call: object, *args: object) -> MeetingError:
    with pytest.raises(MeetingError) as caught:
        call(*args)  # type: ignore[operator]
    assert caught.value.code == code, caught.value.messages
    return caught.value


def test_an_admin_sets_a_years_holidays_with_names_filled_in() -> None:
    table = check_holiday_table(
        2027,
        [
            HolidayDraft("water_festival", date(2027, 11, 12), date(2027, 11, 14)),
            HolidayDraft("khmer_new_year", date(2027, 4, 14), date(2027, 4, 16)),
            HolidayDraft("other", date(2027, 11, 9), date(2027, 11, 9), "Independence Day", "ទិវាឯករាជ្យ"),
        ],
        ADMIN,
    )
    assert [h.kind for h in table] == ["khmer_new_year", "other", "water_festival"]
    assert table[0].name_km == "បុណ្យចូលឆ្នាំខ្មែរ" and table[0].migrants_home
    assert not table[1].migrants_home


@pytest.mark.parametrize("caller", [COUNCIL, FACILITATOR])
def test_only_admins_change_the_holiday_table(caller: Identity) -> None:
    error = refused("holidays.not_allowed", check_holiday_table, 2027, [], caller)
    assert error.status == 403


@pytest.mark.parametrize(
    ("draft", "code"),
    [
        (HolidayDraft("khmer_new_year", date(2026, 4, 14), date(2026, 4, 16)), "holidays.dates_invalid"),
        (HolidayDraft("khmer_new_year", date(2027, 4, 16), date(2027, 4, 14)), "holidays.dates_invalid"),
        (HolidayDraft("khmer_new_year", date(2027, 4, 1), date(2027, 4, 30)), "holidays.too_long"),
        (HolidayDraft("harvest", date(2027, 4, 1), date(2027, 4, 2)), "holidays.kind_invalid"),
        (HolidayDraft("other", date(2027, 4, 1), date(2027, 4, 1)), "meeting.text_required"),
    ],
)
def test_bad_holidays_are_refused(draft: HolidayDraft, code: str) -> None:
    refused(code, check_holiday_table, 2027, [draft], ADMIN)


def test_the_council_describes_its_commune() -> None:
    share, seasons = check_profile(
        "160101", 35, [("ច្រូតស្រូវ", "11-15", "12-20"), ("Planting", "06-01", "06-30")], COUNCIL
    )
    assert share == 35
    assert seasons[0].start == (11, 15) and seasons[0].end == (12, 20)


@pytest.mark.parametrize(
    ("share", "seasons", "code"),
    [
        (101, [], "profile.percent_invalid"),
        (-1, [], "profile.percent_invalid"),
        (20, [("Harvest", "13-01", "12-20")], "profile.season_invalid"),
        (20, [("Harvest", "02-30", "03-01")], "profile.season_invalid"),
        (20, [("Harvest", "Nov", "Dec")], "profile.season_invalid"),
        (20, [(" ", "11-01", "12-01")], "meeting.text_required"),
    ],
)
def test_bad_profiles_are_refused(share: int, seasons: list[tuple[str, str, str]], code: str) -> None:
    refused(code, check_profile, "160101", share, seasons, COUNCIL)


def test_a_facilitator_cannot_describe_the_commune() -> None:
    assert refused("meeting.not_allowed", check_profile, "160101", 10, [], FACILITATOR).status == 403


def test_a_facilitator_states_when_they_can_come() -> None:
    windows = check_availability("160101", [(5, "08:00", "12:00"), (2, "17:30", "20:00")], FACILITATOR)
    assert windows[1].start == time(17, 30)


@pytest.mark.parametrize(
    ("windows", "code"),
    [
        ([(5, "8am", "12:00")], "availability.window_invalid"),
        ([(5, "12:00", "08:00")], "availability.window_invalid"),
        ([(7, "08:00", "12:00")], "availability.window_invalid"),
        ([(5, "24:00", "25:00")], "availability.window_invalid"),
    ],
)
def test_bad_availability_is_refused(windows: list[tuple[int, str, str]], code: str) -> None:
    refused(code, check_availability, "160101", windows, FACILITATOR)


def test_only_the_communes_facilitators_state_availability() -> None:
    outsider = Identity("f-2", Role.FACILITATOR, ("210103",))
    for caller in (COUNCIL, outsider):
        refused("availability.not_allowed", check_availability, "160101", [], caller)
