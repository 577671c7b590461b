"""Oversight figures for the pages and the GraphQL API alike: the oversight service's view of a
place, with the places' names (intake's public gazetteer) and a CSV of the comparison.

Neutral ground (like ``clients/``): ``gateway/web/oversight.py`` and
``gateway/graphql/oversight`` both use it and never each other.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from contracts.api.intake import PlacePublic
from contracts.api.oversight import OversightFigures, OversightView
from gateway.clients import Caller
from gateway.wiring import Gateway
from services.runtime.identity import ALL_COMMUNES, Identity

LEVELS = {0: "national", 2: "province", 4: "district", 6: "commune"}
"""``places`` is the level of a view of several places of one caller (an NGO partner's communes)."""


def level_of(code: str | None) -> str:
    return LEVELS.get(len(code or ""), "commune")


@dataclass(frozen=True, slots=True)
class NamedRow:
    """One place of a comparison, named in the caller's language."""

    code: str
    name: str
    level: str
    figures: OversightFigures


@dataclass(frozen=True, slots=True)
class NamedView:
    """The oversight service's view of a place with every place named: what pages and GraphQL show."""

    unit: str | None
    name: str | None
    level: str
    """national, province, district or commune; places: a caller's several places side by side."""
    year: int
    total: OversightFigures
    rows: list[NamedRow]
    rows_level: str | None


ROW_WIDTHS = {"province": 2, "district": 4, "commune": 6}


def _silent_places_query(identity: Identity, unit: str | None, rows: str | None) -> dict[str, Any] | None:
    """How to ask intake for every child place, so that places nothing was heard from show as
    zeros: only for a caller who oversees the whole place (a partner of two communes is never
    shown the rest of the district), and not nationally below the provinces (thousands)."""
    if unit is None:
        whole = ALL_COMMUNES in identity.communes
        return {} if whole and rows in (None, "province") else None
    if len(unit) >= 6 or not identity.oversees_unit(unit):
        return None
    width = ROW_WIDTHS.get(rows or "", len(unit) + 2)
    if width <= len(unit):
        width = len(unit) + 2
    return {"parent": unit, "depth": (width - len(unit)) // 2}


async def load_view(
    gateway: Gateway,
    identity: Identity,
    lang: str,
    unit: str | None,
    year: int | None,
    rows: str | None = None,
) -> NamedView:
    """The figures of ``unit`` (or the caller's own places) with every row named. ``rows``:
    province, district or commune rows below the place (default one level down)."""
    if unit is None:
        scopes = tuple(dict.fromkeys((*identity.communes, *identity.oversees)))
        unit = scopes[0] if len(scopes) == 1 and scopes[0] != ALL_COMMUNES else None
    intake, caller = gateway.clients.intake, Caller(identity, lang)
    places: list[PlacePublic] = []
    query = _silent_places_query(identity, unit, rows)
    if query is not None:
        places = await intake.places(caller, **query)
    view = await gateway.clients.oversight.view(
        caller, unit=unit, year=year, rows=rows, places=[p.code for p in places]
    )
    known = {p.code: p for p in places}
    wanted = [r.code for r in view.rows if r.code not in known]
    if view.unit:
        wanted.append(view.unit)
    if wanted:
        known.update({p.code: p for p in await intake.places(caller, codes=wanted)})

    def name_of(code: str) -> str | None:
        place = known.get(code)
        if place is None:
            return None
        return place.name_km if lang == "km" else place.name_latin

    return named_view(view, name_of, identity)


def named_view(view: OversightView, name_of: Callable[[str], str | None], identity: Identity) -> NamedView:
    """The service's view with each place's name (``name_of`` a code, None when unknown: the
    code stands in) and the level of the places compared."""
    rows = [NamedRow(r.code, name_of(r.code) or r.code, level_of(r.code), r) for r in view.rows]
    # No place named: the whole country, or a caller's several places (an NGO's communes).
    whole = view.unit is not None or ALL_COMMUNES in identity.communes
    return NamedView(
        unit=view.unit,
        name=name_of(view.unit) if view.unit else None,
        level=level_of(view.unit) if whole else "places",
        year=view.year,
        total=view.total,
        rows=rows,
        rows_level=rows[0].level if rows else None,
    )


CHECK_FIGURES = ("checks", "participants", "built", "works", "used", "answers", "satisfied", "rating")


def _fields(model: BaseModel) -> Iterator[tuple[str, Any]]:
    """A model's fields in the order the contract declares them: the CSV's column order."""
    return ((name, getattr(model, name)) for name in type(model).model_fields)


def _flat(row: OversightFigures) -> dict[str, Any]:
    needs, meetings, budget, checks = row.needs, row.meetings, row.budget, row.community_check
    flat: dict[str, Any] = {"needs": needs.total}
    flat.update({f"status_{k.value}": v for k, v in needs.by_status.items()})
    flat.update({f"sector_{k}": v for k, v in needs.by_sector.items()})
    flat.update({f"group_{k}": v for k, v in needs.by_group.items()})
    flat["group_unknown"] = needs.group_unknown
    flat.update({f"meetings_{k}": v for k, v in _fields(meetings) if k != "attendance"})
    flat.update({f"attendance_{k}": v for k, v in meetings.attendance.items()})
    flat.update({f"riel_{k}": v for k, v in _fields(budget) if k != "execution_percent"})
    flat["execution_percent"] = "" if budget.execution_percent is None else budget.execution_percent
    flat["referrals_received"] = row.referrals_received
    flat["citizens_verified"] = checks.verified
    flat.update({f"check_{k}": "" if v is None else v for k, v in _fields(checks) if k in CHECK_FIGURES})
    flat.update({f"check_participants_{k}": v for k, v in checks.participants_by_group.items()})
    return flat


def csv_of(view: NamedView) -> str:
    """The comparison as CSV: one line per place and a total line. Column names are stable
    English keys (for spreadsheets and scripts); names are as the page's language writes them;
    hidden small counts stay "<5". A byte-order mark lets spreadsheet programs read Khmer."""
    lines = [{"code": r.code, "name": r.name, **_flat(r.figures)} for r in view.rows]
    lines.append({"code": view.unit or "", "name": "TOTAL", **_flat(view.total)})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(lines[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(lines)
    return "\ufeff" + out.getvalue()
