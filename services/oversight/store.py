"""Oversight's store: the needs, meetings and other items it has heard of, and the tallies.

One tally per commune and year (``tallies``), indexed by province and district, so a
comparison reads one document per commune, never the needs themselves.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from services.oversight.domain import Tally, apply, places_of
from services.runtime.application import BusyError, UnitOfWork
from services.runtime.service import Runtime
from services.runtime.stores import Collection, Transaction

COLLECTIONS = (
    Collection("needs"),
    Collection("meetings"),
    # Budget lines, allocations, community checks and citizens' answers: what each adds now.
    Collection("items"),
    Collection("tallies", indexes=("year", "province_code", "district_code", "commune_code")),
)


def unit_of_work(runtime: Runtime) -> UnitOfWork:
    return UnitOfWork(runtime, lambda: BusyError("oversight"))


def tally_id(commune_code: str, year: int) -> str:
    return f"{commune_code}:{year}"


async def shift(
    tx: Transaction, before: tuple[str, int, Tally] | None, after: tuple[str, int, Tally] | None
) -> None:
    """Move a document's contribution: ``before`` (commune, year, counts) leaves its tally and
    ``after`` joins its own (the same tally, or another commune's or year's)."""
    for place, sign in ((before, -1), (after, 1)):
        if place is None:
            continue
        commune, year, counts = place
        if not counts:
            continue
        key = tally_id(commune, year)
        doc = await tx.get("tallies", key)
        current = doc["counts"] if doc else {}
        removed, added = (counts, Counter()) if sign < 0 else (Counter(), counts)
        fresh: dict[str, Any] = {
            "id": key,
            "year": year,
            **places_of(commune),
            "counts": apply(current, removed, added),
        }
        if doc is None:
            await tx.insert("tallies", fresh)
        else:
            await tx.replace("tallies", fresh, expected_version=doc["version"])
