"""Intake's read endpoints: lists with filters, one need, the public tracking view, aggregates."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Response

from contracts.api.intake import CommunePublic, NeedPage, NeedStats, NeedView, TrackedNeed, VillagePublic
from contracts.needs import NeedStatus, Sector
from contracts.privacy import suppress
from services.intake.inclusion import Group
from services.intake.store import load_need, need_by_code
from services.intake.tracking import normalise_tracking_code
from services.intake.views import need_view, people_counts, people_unknown, public_view
from services.runtime.errors import DomainError
from services.runtime.http import CallerDep
from services.runtime.identity import ALL_COMMUNES, Identity
from services.runtime.service import RuntimeDep
from services.runtime.stores import Contains, In

router = APIRouter(tags=["needs"])

STATS_LIMIT = 20_000  # needs read for one commune's aggregates; a commune has hundreds a year


def _forbidden() -> DomainError:
    return DomainError("auth.forbidden", "Outside your communes.", "នៅក្រៅឃុំរបស់អ្នក។", status=403)


def _scope(caller: Identity, commune: str | None) -> dict[str, Any]:
    if commune is not None:
        if not caller.covers(commune):
            raise _forbidden()
        return {"commune_code": commune}
    if ALL_COMMUNES in caller.communes:
        return {}
    communes = tuple(c for c in caller.communes if len(c) == 6)
    if not communes:
        raise DomainError(
            "need.commune_required",
            "Choose a commune.",
            "សូមជ្រើសរើសឃុំ។",
            field="commune",
        )
    return {"commune_code": In(communes)}


@router.get("/needs", response_model=NeedPage)
async def list_needs(
    caller: CallerDep,
    runtime: RuntimeDep,
    commune: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    village: Annotated[str | None, Query(pattern=r"^\d{8}$")] = None,
    sector: Sector | None = None,
    status: NeedStatus | None = None,
    group: Group | None = None,
    text: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    mine: bool = False,
    after: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> Response:
    """Needs in the caller's communes, newest first, with filters; each as the caller may see it."""
    if caller.is_public:
        raise _forbidden()
    where = _scope(caller, commune)
    if village is not None:
        if not caller.covers(village[:6]):
            raise _forbidden()
        where["village_code"] = village
    if sector is not None:
        where["sector"] = sector.value
    if status is not None:
        where["status"] = status.value
    if group is not None:
        where[f"g_{group.value}"] = True
    if text is not None:
        where["description"] = Contains(text)
    if mine:
        where["collected_by"] = caller.user_id
    docs = await runtime.store.page("needs", where, after=after, limit=limit, newest_first=True)
    total = await runtime.store.count("needs", where)
    page = {
        "items": [need_view(d, caller) for d in docs],
        "next_after": docs[-1]["id"] if len(docs) == limit else None,
        "total": total,
    }
    # The gateway's hottest read: written straight out by orjson, in NeedPage's shape (the
    # views are checked against the model in tests/unit/test_typed_clients_intake.py), instead
    # of FastAPI validating 100 needs again into models (0.9 ms of intake's CPU per page).
    return Response(orjson.dumps(page), media_type="application/json")


@router.get("/needs/{need_id}", response_model=NeedView)
async def get_need(need_id: str, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    if caller.is_public:
        raise _forbidden()
    return need_view(await load_need(runtime.store, need_id, caller), caller)


@router.get("/public/need", response_model=TrackedNeed)
async def track_need(
    code: Annotated[str, Query(max_length=40)], caller: CallerDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """The citizen's view by tracking code: no personal data. A merged need points to its survivor."""
    doc = await need_by_code(runtime.store, normalise_tracking_code(code))
    survivor = None
    if doc.get("merged_into"):
        found = await runtime.store.get("needs", doc["merged_into"])
        survivor = public_view(found) if found else None
    return {"need": public_view(doc), "survivor": survivor}


@router.get("/stats", response_model=NeedStats)
async def need_stats(
    caller: CallerDep,
    runtime: RuntimeDep,
    commune: Annotated[str, Query(pattern=r"^\d{6}$")],
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> dict[str, Any]:
    """Needs and people (raised + supporting) by village, sector, status and group, with the
    people whose belonging to each group is unknown counted apart (never as "not in it").

    Group counts under 5 show as "<5" unless the caller is on this commune's council.
    """
    privileged = caller.is_council_of(commune)
    if not caller.is_public and not caller.covers(commune):
        raise _forbidden()
    where: dict[str, Any] = {"commune_code": commune}
    if year is not None:
        where["year"] = year
    cells: dict[str, dict[str, dict[str, Any]]] = {"village": {}, "sector": {}, "status": {}}
    totals = _cell()
    async for doc in runtime.store.iterate("needs", where):
        if doc["status"] == NeedStatus.MERGED.value:
            continue  # its people were moved to the surviving need
        people, groups = people_counts(doc)
        unknown = people_unknown(doc)
        for cell in (
            totals,
            cells["village"].setdefault(doc["village_code"], _cell()),
            cells["sector"].setdefault(doc["sector"] or "unspecified", _cell()),
            cells["status"].setdefault(doc["status"], _cell()),
        ):
            cell["needs"] += 1
            cell["people"] += people
            for name, n in groups.items():
                cell["groups"][name] += n
            for name, n in unknown.items():
                cell["unknown"][name] += n

    def shown(cell: dict[str, Any]) -> dict[str, Any]:
        return {
            **cell,
            "groups": {g: suppress(n, council=privileged) for g, n in cell["groups"].items()},
            "unknown": {g: suppress(n, council=privileged) for g, n in cell["unknown"].items()},
        }

    return {
        "commune_code": commune,
        "year": year,
        "privileged": privileged,
        "total": shown(totals),
        **{
            f"by_{axis}": {key: shown(c) for key, c in sorted(group.items())} for axis, group in cells.items()
        },
    }


def _cell() -> dict[str, Any]:
    """Needs, people, people by group, and people of whom each group is unknown."""
    return {
        "needs": 0,
        "people": 0,
        "groups": {g.value: 0 for g in Group},
        "unknown": {g.value: 0 for g in Group},
    }


@router.get("/communes", response_model=list[CommunePublic])
async def list_communes(caller: CallerDep, runtime: RuntimeDep) -> list[CommunePublic]:
    """The caller's communes by name (6-digit scopes only)."""
    result = []
    for scope in caller.communes:
        doc = await runtime.store.get("communes", scope) if len(scope) == 6 else None
        if doc is not None:
            name = doc["name"]
            result.append(CommunePublic(code=scope, name_km=name["km"], name_latin=name["latin"]))
    return result


@router.get("/villages/by-code", response_model=list[VillagePublic])
async def villages_by_code(
    caller: CallerDep, runtime: RuntimeDep, codes: Annotated[list[str], Query(max_length=200)]
) -> list[VillagePublic]:
    """Many villages at once (the gateway's DataLoader): names are public gazetteer data."""
    result: list[VillagePublic] = []
    communes: dict[str, dict[str, Any] | None] = {}
    for code in dict.fromkeys(codes):
        doc = await runtime.store.get("villages", code) if code.isdigit() and len(code) == 8 else None
        if doc is None:
            continue
        commune_code = doc["commune_code"]
        if commune_code not in communes:
            communes[commune_code] = await runtime.store.get("communes", commune_code)
        commune = communes[commune_code] or {"name": {"km": "", "latin": ""}}
        result.append(
            VillagePublic(
                code=doc["id"],
                commune_code=commune_code,
                name_km=doc["name"]["km"],
                name_latin=doc["name"]["latin"],
                commune_name_km=commune["name"]["km"],
                commune_name_latin=commune["name"]["latin"],
            )
        )
    return result


@router.get("/villages", response_model=list[VillagePublic])
async def list_villages(caller: CallerDep, runtime: RuntimeDep) -> list[VillagePublic]:
    """The villages a caller may record needs in (their communes; retired villages are not offered)."""
    result: list[VillagePublic] = []
    for scope in caller.communes:
        if len(scope) != 6:
            continue  # province and national scopes would list thousands; not for a form
        commune = await runtime.store.get("communes", scope)
        if commune is None:
            continue
        async for doc in runtime.store.iterate("villages", {"commune_code": scope, "retired_at": None}):
            result.append(
                VillagePublic(
                    code=doc["id"],
                    commune_code=scope,
                    name_km=doc["name"]["km"],
                    name_latin=doc["name"]["latin"],
                    commune_name_km=commune["name"]["km"],
                    commune_name_latin=commune["name"]["latin"],
                )
            )
    return result
