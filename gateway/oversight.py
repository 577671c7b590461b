"""Oversight figures for the pages and the GraphQL API alike: the oversight service's view of a
place, with the places' names (intake's public gazetteer) and a CSV of the comparison.

Neutral ground (like ``clients.py``): ``gateway/pages/oversight.py`` and
``gateway/schema/oversight`` both use it and never each other.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from gateway.wiring import Gateway
from services.runtime.identity import ALL_COMMUNES, Identity

LEVELS = {0: "national", 2: "province", 4: "district", 6: "commune"}
"""``places`` is the level of a view of several places of one caller (an NGO partner's communes)."""


def level_of(code: str | None) -> str:
    return LEVELS.get(len(code or ""), "commune")


def _children_listed(identity: Identity, unit: str | None) -> bool:
    """Silent child places are listed (as zeros) only to a caller who oversees the whole place:
    a partner of two communes must not be shown the rest of the district."""
    if unit is None:
        return ALL_COMMUNES in identity.communes
    return len(unit) < 6 and identity.oversees_unit(unit)


async def load_view(
    gateway: Gateway, identity: Identity, lang: str, unit: str | None, year: int | None
) -> dict[str, Any]:
    """The figures of ``unit`` (or the caller's own places) with every row named."""
    if unit is None:
        scopes = tuple(dict.fromkeys((*identity.communes, *identity.oversees)))
        unit = scopes[0] if len(scopes) == 1 and scopes[0] != ALL_COMMUNES else None
    intake = gateway.services["intake"]
    places: list[dict[str, Any]] = []
    if _children_listed(identity, unit):
        _, places = await intake.request(
            "GET", "/places", identity, lang=lang, params={"parent": unit or ""} if unit else {}
        )
    params: dict[str, Any] = {"places": [p["code"] for p in places]}
    if unit is not None:
        params["unit"] = unit
    if year is not None:
        params["year"] = year
    view: dict[str, Any]
    _, view = await gateway.services["oversight"].request("GET", "/views", identity, lang=lang, params=params)
    known = {p["code"]: p for p in places}
    wanted = [r["code"] for r in view["rows"] if r["code"] not in known]
    if view["unit"]:
        wanted.append(view["unit"])
    if wanted:
        _, named = await intake.request("GET", "/places", identity, lang=lang, params={"codes": wanted})
        known.update({p["code"]: p for p in named})
    key = "name_km" if lang == "km" else "name_latin"
    for row in view["rows"]:
        row["name"] = known.get(row["code"], {}).get(key) or row["code"]
        row["level"] = level_of(row["code"])
    unit_code = view["unit"]
    view["name"] = known.get(unit_code, {}).get(key) if unit_code else None
    # No place named: the whole country, or a caller's several places (an NGO's communes).
    view["level"] = level_of(unit_code) if unit_code or ALL_COMMUNES in identity.communes else "places"
    return view


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
    flat["citizens_verified"] = row["community_check"]["verified"]
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
