"""Oversight's one read: a place's figures for a year, its child places side by side."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from contracts.api.oversight import OversightView, RowLevel
from services.oversight.domain import (
    compare,
    effective_unit,
    group_by_child,
    is_child,
    local_year,
    require_overseer,
    visible,
)
from services.runtime.http import CallerDep
from services.runtime.service import RuntimeDep

router = APIRouter(tags=["oversight"])

LEVEL_FIELD = {2: "province_code", 4: "district_code", 6: "commune_code"}


@router.get("/views", response_model=OversightView)
async def view(
    caller: CallerDep,
    runtime: RuntimeDep,
    unit: Annotated[str | None, Query(max_length=6)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    rows: Annotated[RowLevel | None, Query()] = None,
    places: Annotated[list[str], Query(max_length=300)] = [],  # noqa: B006 - FastAPI reads it, never mutated
) -> OversightView:
    """Needs, meetings, budget execution, referrals and community checks of ``unit`` (a province,
    district or commune code; none: the caller's own places) for ``year`` (default: this year in
    Phnom Penh), with a row per child place (``rows``: province, district or commune below
    ``unit``; default one level down). Small counts of sensitive groups read "<5"."""
    require_overseer(caller, unit)
    chosen = effective_unit(caller, unit)
    year = year or local_year(datetime.now(UTC))
    where: dict[str, Any] = {"year": year}
    if chosen is not None:
        where[LEVEL_FIELD[len(chosen)]] = chosen
    tallies = [doc async for doc in runtime.store.iterate("tallies", where)]
    children = group_by_child(tallies, chosen, caller, rows)
    for code in places:
        # Places with nothing heard of yet are shown too (as zeros): silence is a finding.
        if is_child(code, chosen, rows) and visible(caller, code):
            children.setdefault(code, Counter())
    total, lines = compare(children)
    return OversightView.model_validate({"unit": chosen, "year": year, "total": total, "rows": lines})
