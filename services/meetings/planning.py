"""What slot suggestions are scored on, and who may set it. Pure.

* Public holidays come from the ``holidays`` package (services/meetings/holidays.py); admins
  add local events to a year's table (a pagoda festival, a day announced late).
* A commune's scheduling profile: the share of its people who work away, the share who work by
  day every day (so evenings suit them better than weekends), and its busy seasons (e.g. rice
  harvest weeks). Set by the commune's council.
* A facilitator's weekly availability in a commune. Set by the facilitator.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta

from services.meetings.domain import MeetingError, clean_text, require_manager
from services.meetings.labels import HOLIDAY_NAMES
from services.meetings.slots import Availability, BusySeason, Holiday
from services.runtime.identity import Identity, Role

HOLIDAY_KINDS = ("khmer_new_year", "pchum_ben", "water_festival", "other")
ADMIN_ROLES = frozenset({Role.NATIONAL_ADMIN, Role.PROVINCE_ADMIN})
MAX_HOLIDAYS = 30
MAX_HOLIDAY_DAYS = 14
MAX_SEASONS = 12
MAX_WINDOWS = 21
LABEL_MAX = 100
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class HolidayDraft:
    kind: str
    start: date
    end: date
    name_en: str | None = None
    name_km: str | None = None
    migrants_home: bool | None = None


def check_holiday_table(year: int, drafts: Sequence[HolidayDraft], caller: Identity) -> list[Holiday]:
    if caller.role not in ADMIN_ROLES:
        raise MeetingError(
            "holidays.not_allowed",
            "Only admins can change the holiday table.",
            "មានតែអ្នកគ្រប់គ្រងប៉ុណ្ណោះដែលអាចផ្លាស់ប្តូរតារាងថ្ងៃឈប់សម្រាកបាន។",
            status=403,
        )
    if not 2000 <= year <= 2100:
        raise MeetingError("holidays.year_invalid", "Unknown year.", "ឆ្នាំមិនត្រឹមត្រូវ។", field="year")
    if len(drafts) > MAX_HOLIDAYS:
        raise MeetingError(
            "holidays.too_many",
            "At most {limit} holidays a year.",
            "យ៉ាងច្រើន {limit} ថ្ងៃបុណ្យក្នុងមួយឆ្នាំ។",
            field="holidays",
            limit=MAX_HOLIDAYS,
        )
    holidays: list[Holiday] = []
    for index, draft in enumerate(drafts):
        field = f"holidays.{index}"
        if draft.kind not in HOLIDAY_KINDS:
            raise MeetingError(
                "holidays.kind_invalid",
                "Unknown kind of holiday.",
                "មិនស្គាល់ប្រភេទថ្ងៃបុណ្យនេះទេ។",
                field=f"{field}.kind",
            )
        if draft.start.year != year or draft.end < draft.start:
            raise MeetingError(
                "holidays.dates_invalid",
                "A holiday must start in {year} and end on or after its first day.",
                "ថ្ងៃបុណ្យត្រូវចាប់ផ្តើមក្នុងឆ្នាំ {year} ហើយបញ្ចប់នៅថ្ងៃដំបូង ឬក្រោយនោះ។",
                field=f"{field}.start",
                year=year,
            )
        if draft.end - draft.start > timedelta(days=MAX_HOLIDAY_DAYS - 1):
            raise MeetingError(
                "holidays.too_long",
                "A holiday lasts at most {days} days.",
                "ថ្ងៃបុណ្យមួយមានរយៈពេលយ៉ាងច្រើន {days} ថ្ងៃ។",
                field=f"{field}.end",
                days=MAX_HOLIDAY_DAYS,
            )
        known = HOLIDAY_NAMES.get(draft.kind)
        name_en = clean_text(draft.name_en, LABEL_MAX, f"{field}.nameEn", required=known is None)
        name_km = clean_text(draft.name_km, LABEL_MAX, f"{field}.nameKm", required=known is None)
        holidays.append(
            Holiday(
                kind=draft.kind,
                start=draft.start,
                end=draft.end,
                name_en=name_en or (known or {})["en"],
                name_km=name_km or (known or {})["km"],
                migrants_home=draft.kind != "other" if draft.migrants_home is None else draft.migrants_home,
            )
        )
    return sorted(holidays, key=lambda h: h.start)


def _month_day(raw: str, field: str) -> tuple[int, int]:
    match = _MONTH_DAY.match(raw.strip())
    try:
        if match is None:
            raise ValueError(raw)
        month, day = int(match.group(1)), int(match.group(2))
        date(2024, month, day)  # a leap year: 02-29 is a real day
    except ValueError:
        raise MeetingError(
            "profile.season_invalid",
            "Write days of the year as MM-DD, e.g. 11-15.",
            "សូមសរសេរថ្ងៃក្នុងឆ្នាំជាទម្រង់ ខែ-ថ្ងៃ ឧទាហរណ៍ 11-15។",
            field=field,
        ) from None
    return month, day


def check_profile(
    commune_code: str,
    migrant_share_percent: int,
    seasons: Sequence[tuple[str, str, str]],
    caller: Identity,
    day_work_share_percent: int = 0,
) -> tuple[int, list[BusySeason]]:
    require_manager(caller, commune_code)
    if not 0 <= day_work_share_percent <= 100:
        raise MeetingError(
            "profile.percent_invalid",
            "The share of people who work by day is a percentage from 0 to 100.",
            "ចំណែកនៃអ្នកដែលធ្វើការពេលថ្ងៃ គឺជាភាគរយពី ០ ដល់ ១០០។",
            field="dayWorkSharePercent",
        )
    if not 0 <= migrant_share_percent <= 100:
        raise MeetingError(
            "profile.percent_invalid",
            "The share of people who work away is a percentage from 0 to 100.",
            "ចំណែកនៃអ្នកដែលធ្វើការឆ្ងាយពីផ្ទះ គឺជាភាគរយពី ០ ដល់ ១០០។",
            field="migrantSharePercent",
        )
    if len(seasons) > MAX_SEASONS:
        raise MeetingError(
            "profile.too_many_seasons",
            "At most {limit} busy seasons.",
            "យ៉ាងច្រើន {limit} រដូវមមាញឹក។",
            field="busySeasons",
            limit=MAX_SEASONS,
        )
    result: list[BusySeason] = []
    for index, (label, start, end) in enumerate(seasons):
        field = f"busySeasons.{index}"
        name = clean_text(label, LABEL_MAX, f"{field}.label", required=True)
        assert name is not None
        result.append(BusySeason(name, _month_day(start, f"{field}.start"), _month_day(end, f"{field}.end")))
    return migrant_share_percent, result


def _clock(raw: str, field: str) -> time:
    match = _CLOCK.match(raw.strip())
    if match is None:
        raise MeetingError(
            "availability.window_invalid",
            "Write times as HH:MM, e.g. 17:30, and end after the start.",
            "សូមសរសេរម៉ោងជាទម្រង់ ម៉ោង:នាទី ឧទាហរណ៍ 17:30 ហើយបញ្ចប់ក្រោយពេលចាប់ផ្តើម។",
            field=field,
        )
    return time(int(match.group(1)), int(match.group(2)))


def check_availability(
    commune_code: str, windows: Sequence[tuple[int, str, str]], caller: Identity
) -> list[Availability]:
    if caller.role is not Role.FACILITATOR or not caller.covers(commune_code):
        raise MeetingError(
            "availability.not_allowed",
            "Only the commune's facilitators state their availability.",
            "មានតែអ្នកសម្របសម្រួលរបស់ឃុំប៉ុណ្ណោះដែលបញ្ជាក់ពេលទំនេររបស់ខ្លួន។",
            status=403,
        )
    if len(windows) > MAX_WINDOWS:
        raise MeetingError(
            "availability.too_many",
            "At most {limit} times a week.",
            "យ៉ាងច្រើន {limit} ដងក្នុងមួយសប្តាហ៍។",
            field="windows",
            limit=MAX_WINDOWS,
        )
    result: list[Availability] = []
    for index, (weekday, start, end) in enumerate(windows):
        field = f"windows.{index}"
        begin, finish = _clock(start, f"{field}.start"), _clock(end, f"{field}.end")
        if not 0 <= weekday <= 6 or finish <= begin:
            raise MeetingError(
                "availability.window_invalid",
                "Write times as HH:MM, e.g. 17:30, and end after the start.",
                "សូមសរសេរម៉ោងជាទម្រង់ ម៉ោង:នាទី ឧទាហរណ៍ 17:30 ហើយបញ្ចប់ក្រោយពេលចាប់ផ្តើម។",
                field=field,
            )
        result.append(Availability(weekday, begin, finish))
    return result
