"""Cambodia's public holidays from the maintained ``holidays`` package, merged with admins' local
events. Pure (the package computes the lunar dates; nothing is read from the network).

Why a package and not a table typed in by an admin: Khmer New Year, Pchum Ben and the Water
Festival move every year with the lunar calendar, and a year nobody entered silently lost them
(the suggestions then had no idea migrants come home). The package follows the government's
announcements release by release, in Khmer and English; admins only add what it cannot know: a
local pagoda festival, a provincial event, a day the government added late.

The package names each day; consecutive days with the same name become one holiday, and the
three festivals are recognised by their English names so that scoring can treat them apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from functools import lru_cache

import holidays as holidays_package

from services.meetings.slots import Holiday

COUNTRY = "KH"
# The kinds the package's English names map to; a replacement day ("Khmer New Year's
# Replacement Holiday") is a day off when migrants are still home, not the festival itself.
_KINDS = (
    ("Khmer New Year's Day", "khmer_new_year"),
    ("Pchum Ben", "pchum_ben"),
    ("Water Festival", "water_festival"),
)
_HOME_WORDS = ("Khmer New Year", "Pchum Ben", "Water Festival")


def _kind(name_en: str) -> str:
    for marker, kind in _KINDS:
        if marker in name_en and "Replacement" not in name_en:
            return kind
    return "other"


@lru_cache(maxsize=32)
def _official(year: int) -> tuple[Holiday, ...]:
    english = holidays_package.country_holidays(COUNTRY, years=year, language="en_US")
    khmer = holidays_package.country_holidays(COUNTRY, years=year, language="km")
    days = sorted(english.items())
    result: list[Holiday] = []
    for day, name_en in days:
        name_km = str(khmer.get(day, name_en))
        last = result[-1] if result else None
        if last is not None and last.name_en == name_en and last.end + timedelta(days=1) == day:
            result[-1] = replace(last, end=day)
            continue
        result.append(
            Holiday(
                kind=_kind(name_en),
                start=day,
                end=day,
                name_en=str(name_en),
                name_km=name_km,
                migrants_home=any(word in name_en for word in _HOME_WORDS),
                source="official",
            )
        )
    return tuple(result)


def official_holidays(year: int) -> list[Holiday]:
    """The year's public holidays as the package knows them, by date."""
    return list(_official(year))


def merged(year: int, local: Iterable[Holiday]) -> list[Holiday]:
    """Official holidays and local events, by date; a local copy of an official one is dropped
    (tables typed in before the package was used repeat Khmer New Year)."""
    official = official_holidays(year)
    seen = {(h.kind, h.start, h.end) for h in official}
    extra = [h for h in local if (h.kind, h.start, h.end) not in seen]
    return sorted([*official, *extra], key=lambda h: (h.start, h.source != "official"))


def holidays_between(first: date, last: date, local: Sequence[Holiday] = ()) -> list[Holiday]:
    """Every holiday that touches the window (plus a margin: the days around a festival count)."""
    years = range((first - timedelta(days=7)).year, (last + timedelta(days=7)).year + 1)
    result: list[Holiday] = []
    for year in years:
        result += merged(year, [h for h in local if h.start.year == year])
    return result
