"""Oversight figures for the pages and the GraphQL API alike: the oversight service's view of a
place, with the places' names (intake's public gazetteer) and a CSV of the comparison.

Neutral ground (like ``clients.py``): ``gateway/pages/oversight.py`` and
``gateway/schema/oversight`` both use it and never each other.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from contracts.api.intake import PlacePublic
from gateway.clients import Caller
from gateway.wiring import Gateway
from services.runtime.identity import ALL_COMMUNES, Identity

LEVELS = {0: "national", 2: "province", 4: "district", 6: "commune"}
"""``places`` is the level of a view of several places of one caller (an NGO partner's communes)."""


def level_of(code: str | None) -> str:
    return LEVELS.get(len(code or ""), "commune")


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
) -> dict[str, Any]:
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
    params: dict[str, Any] = {"places": [p.code for p in places]}
    for name, value in (("unit", unit), ("year", year), ("rows", rows)):
        if value is not None:
            params[name] = value
    view: dict[str, Any]
    _, view = await gateway.services["oversight"].request("GET", "/views", identity, lang=lang, params=params)
    known = {p.code: p for p in places}
    wanted = [r["code"] for r in view["rows"] if r["code"] not in known]
    if view["unit"]:
        wanted.append(view["unit"])
    if wanted:
        known.update({p.code: p for p in await intake.places(caller, codes=wanted)})
    names = {code: p.name_km if lang == "km" else p.name_latin for code, p in known.items()}
    for row in view["rows"]:
        row["name"] = names.get(row["code"]) or row["code"]
        row["level"] = level_of(row["code"])
    unit_code = view["unit"]
    view["name"] = names.get(unit_code) if unit_code else None
    # No place named: the whole country, or a caller's several places (an NGO's communes).
    view["level"] = level_of(unit_code) if unit_code or ALL_COMMUNES in identity.communes else "places"
    view["rows_level"] = level_of(view["rows"][0]["code"]) if view["rows"] else None
    return view


CHECK_FIGURES = ("checks", "participants", "built", "works", "used", "answers", "satisfied", "rating")


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    needs, meetings, budget = row["needs"], row["meetings"], row["budget"]
    flat: dict[str, Any] = {"needs": needs["total"]}
    flat.update({f"status_{k}": v for k, v in needs["by_status"].items()})
    flat.update({f"sector_{k}": v for k, v in needs["by_sector"].items()})
    flat.update({f"group_{k}": v for k, v in needs["by_group"].items()})
    flat["group_unknown"] = needs["group_unknown"]
    flat.update({f"meetings_{k}": v for k, v in meetings.items() if k != "attendance"})
    flat.update({f"attendance_{k}": v for k, v in meetings["attendance"].items()})
    flat.update({f"riel_{k}": v for k, v in budget.items() if k != "execution_percent"})
    flat["execution_percent"] = "" if budget["execution_percent"] is None else budget["execution_percent"]
    flat["referrals_received"] = row["referrals_received"]
    checks = row["community_check"]
    flat["citizens_verified"] = checks["verified"]
    flat.update({f"check_{k}": "" if v is None else v for k, v in checks.items() if k in CHECK_FIGURES})
    flat.update({f"check_participants_{k}": v for k, v in checks["participants_by_group"].items()})
    return flat


def csv_of(view: dict[str, Any]) -> str:
    """The comparison as CSV: one line per place and a total line. Column names are stable
    English keys (for spreadsheets and scripts); names are as the page's language writes them;
    hidden small counts stay "<5". A byte-order mark lets spreadsheet programs read Khmer."""
    lines = [{"code": r["code"], "name": r["name"], **_flat(r)} for r in view["rows"]]
    lines.append({"code": view["unit"] or "", "name": "TOTAL", **_flat(view["total"])})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(lines[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(lines)
    return "\ufeff" + out.getvalue()
