"""The gazetteer's public facts: where it comes from, on what terms, and what was imported."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from contracts.api.intake import GazetteerPublic, PlaceCounts, PlacePublic
from services.intake.gazetteer import summary
from services.runtime.errors import DomainError
from services.runtime.http import CallerDep
from services.runtime.service import RuntimeDep

router = APIRouter(tags=["gazetteer"])


@router.get("/gazetteer", response_model=GazetteerPublic)
async def gazetteer(_: CallerDep, runtime: RuntimeDep) -> GazetteerPublic:
    """Public data: anyone signed in or not (the about page) may read it."""
    facts = await summary(runtime.store)
    if facts is None:
        raise DomainError(
            "gazetteer.not_imported",
            "The gazetteer has not been imported yet.",
            "បញ្ជីឈ្មោះភូមិមិនទាន់បាននាំចូលនៅឡើយទេ។",
            status=503,
        )
    return GazetteerPublic(
        **{**facts, "counts": PlaceCounts(**facts["counts"]), "retired": PlaceCounts(**facts["retired"])}
    )


_LEVEL_OF = {2: "provinces", 4: "districts", 6: "communes"}
_CHILDREN = {0: ("provinces", None), 2: ("districts", "province_code"), 4: ("communes", "district_code")}


@router.get("/places", response_model=list[PlacePublic])
async def places(
    _: CallerDep,
    runtime: RuntimeDep,
    parent: Annotated[str | None, Query(max_length=4, pattern=r"^([0-9]{2}|[0-9]{4})?$")] = None,
    codes: Annotated[list[str], Query(max_length=200)] = [],  # noqa: B006 - FastAPI reads it, never mutated
    depth: Annotated[int, Query(ge=1, le=2)] = 1,
) -> list[PlacePublic]:
    """Names of provinces, districts and communes (public gazetteer data), so oversight's
    figures can say where: the places ``depth`` levels below ``parent`` (none: the provinces;
    a province with depth 2: its communes), and ``codes``."""
    found: dict[str, dict[str, Any]] = {}
    if parent is not None or not codes:
        parents: list[str] = [parent or ""]
        below: dict[str, dict[str, Any]] = {}
        for _level in range(depth):
            below = {}
            for above in parents:
                if len(above) >= 6:
                    continue
                collection, field = _CHILDREN[len(above)]
                where = {field: above, "retired_at": None} if field else {"retired_at": None}
                async for doc in runtime.store.iterate(collection, where):
                    below[doc["id"]] = doc
            parents = list(below)
        found.update(below)
    for code in dict.fromkeys(codes):
        level = _LEVEL_OF.get(len(code)) if code.isascii() and code.isdigit() else None
        named = await runtime.store.get(level, code) if level else None
        if named is not None:
            found[code] = named
    return [
        PlacePublic(code=code, name_km=doc["name"]["km"], name_latin=doc["name"]["latin"])
        for code, doc in sorted(found.items())
    ]
