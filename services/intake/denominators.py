"""Denominators: a village's population by sex, its IDPoor households and its indigenous share,
so "who is missing" can say how far below its share of the population a group is. Pure.

A council records them (or imports the commune's file, e.g. from the commune database or the
IDPoor lists); the figures are aggregates, never about a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.intake.domain import NeedError

POPULATION_MAX = 1_000_000


@dataclass(frozen=True)
class VillagePopulation:
    village_code: str
    year: int
    women: int
    men: int
    households: int
    idpoor_households: int
    indigenous_percent: int

    @property
    def people(self) -> int:
        return self.women + self.men


def _refuse(code: str, en: str, km: str, field: str, **values: Any) -> NeedError:
    return NeedError(code, en, km, field=field, **values)


def check_population(row: VillagePopulation, field: str, villages: set[str]) -> VillagePopulation:
    """One village's figures, refused at their field ("rows.2.women") in words when wrong."""
    if row.village_code not in villages:
        raise _refuse(
            "population.village_unknown",
            "Village {village} is not a village of this commune.",
            "ភូមិ {village} មិនមែនជាភូមិនៃឃុំនេះទេ។",
            f"{field}.villageCode",
            village=row.village_code,
        )
    if not 2000 <= row.year <= 2100:
        raise _refuse(
            "population.year_invalid",
            "The year must be between 2000 and 2100.",
            "ឆ្នាំត្រូវនៅចន្លោះ ២០០០ និង ២១០០។",
            f"{field}.year",
        )
    for name in ("women", "men", "households", "idpoor_households"):
        value = getattr(row, name)
        if not 0 <= value <= POPULATION_MAX:
            raise _refuse(
                "population.count_invalid",
                "Write a whole number from 0 to 1,000,000.",
                "សូមសរសេរចំនួនគត់ពី ០ ដល់ ១,០០០,០០០។",
                f"{field}.{name}",
            )
    if row.idpoor_households > row.households:
        raise _refuse(
            "population.idpoor_above_households",
            "IDPoor households cannot be more than all households.",
            "គ្រួសារក្រីក្រមិនអាចលើសពីចំនួនគ្រួសារសរុបបានទេ។",
            f"{field}.idpoorHouseholds",
        )
    if not 0 <= row.indigenous_percent <= 100:
        raise _refuse(
            "population.percent_invalid",
            "The indigenous share is a percentage from 0 to 100.",
            "ភាគរយជនជាតិដើមភាគតិចត្រូវនៅចន្លោះ ០ និង ១០០។",
            f"{field}.indigenousPercent",
        )
    return row


def shares(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Each group's part of the commune's population as numerator and denominator, for the
    groups a denominator exists for: women of people, IDPoor households of households,
    indigenous people of people (from each village's share)."""
    people = sum(r["women"] + r["men"] for r in rows)
    households = sum(r["households"] for r in rows)
    indigenous = sum(round((r["women"] + r["men"]) * r["indigenous_percent"] / 100) for r in rows)
    return {
        "women": {"part": sum(r["women"] for r in rows), "of": people},
        "idpoor": {"part": sum(r["idpoor_households"] for r in rows), "of": households},
        "indigenous": {"part": indigenous, "of": people},
    }
