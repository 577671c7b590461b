"""Intake's HTTP API, called only by the gateway with a signed identity token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import new_event, uuid7
from contracts.needs import NEED_SUBMITTED, NeedSubmittedV1, PlaceName, Sector
from services.intake.domain import (
    SubmitNeed,
    new_tracking_code,
    normalise_tracking_code,
    validate_submission,
)
from services.intake.store import get_village
from services.runtime.errors import DomainError
from services.runtime.identity import CallerDep
from services.runtime.outbox import outbox_row
from services.runtime.service import RuntimeDep
from services.runtime.stores import DuplicateKeyError, In

router = APIRouter(tags=["needs"])

SOURCE = "/khum/intake"
_TRACKING_CODE_ATTEMPTS = 8


class NeedCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    village_code: str = Field(max_length=16)
    # The domain gives the friendly error for over-long text; this bound only stops abuse.
    description: str = Field(max_length=20_000)
    sector: Sector | None = None
    idempotency_key: str = Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_\-:.]+$")


class NeedPublic(BaseModel):
    id: str
    tracking_code: str
    commune_code: str
    village_code: str
    description: str
    sector: Sector | None
    status: str
    collected_by: str
    submitted_at: datetime


class VillagePublic(BaseModel):
    code: str
    commune_code: str
    name_km: str
    name_latin: str
    commune_name_km: str
    commune_name_latin: str


class NeedPage(BaseModel):
    items: list[NeedPublic]
    next_after: str | None


class NotFoundError(DomainError):
    def __init__(self) -> None:
        super().__init__("need.not_found", "No such need.", "រកមិនឃើញតម្រូវការនេះទេ។", status=404)


def _public(doc: dict[str, Any]) -> NeedPublic:
    return NeedPublic.model_validate(doc)


@router.post("/needs", status_code=201, response_model=NeedPublic)
async def submit_need(
    body: NeedCreate,
    caller: CallerDep,
    runtime: RuntimeDep,
    response: Response,
    correlation_id: Annotated[str | None, Header(alias="x-correlation-id")] = None,
) -> NeedPublic:
    """Record a need; the need and its NeedSubmitted event commit together.

    A repeat with the same idempotency key (per caller) returns the original need, 200.
    """
    key = f"{caller.user_id}:{body.idempotency_key}"
    command = SubmitNeed(body.village_code, body.description, body.sector, body.idempotency_key)
    for _ in range(_TRACKING_CODE_ATTEMPTS):
        existing = await runtime.store.find_one("needs", {"idempotency_key": key})
        if existing:
            response.status_code = 200
            return _public(existing)
        try:
            async with runtime.unit_of_work() as tx:
                village = await get_village(tx, command.village_code)
                description = validate_submission(command, village, caller)
                assert village is not None
                now = datetime.now(UTC)
                doc = {
                    "id": uuid7(),
                    "tracking_code": new_tracking_code(),
                    "commune_code": village.commune_code,
                    "village_code": village.code,
                    "description": description,
                    "sector": command.sector.value if command.sector else None,
                    "status": "submitted",
                    "collected_by": caller.user_id,
                    "idempotency_key": key,
                    "submitted_at": now.isoformat(),
                }
                event = new_event(
                    NeedSubmittedV1(
                        need_id=doc["id"],
                        tracking_code=doc["tracking_code"],
                        commune_code=village.commune_code,
                        village_code=village.code,
                        village_name=PlaceName(km=village.name_km, latin=village.name_latin),
                        description=description,
                        sector=command.sector,
                        collected_by=caller.user_id,
                        submitted_at=now,
                    ),
                    event_type=NEED_SUBMITTED,
                    source=SOURCE,
                    communecode=village.commune_code,
                    subject=doc["id"],
                    correlationid=correlation_id or doc["id"],
                )
                stored = await tx.insert("needs", doc)
                await tx.add_outbox(outbox_row(event))
            return _public(stored)
        except DuplicateKeyError as exc:
            if exc.field not in ("tracking_code", "idempotency_key"):
                raise
            # Either a code clash (draw another) or a concurrent repeat (return it): loop.
    raise RuntimeError("could not draw a free tracking code")


@router.get("/needs", response_model=NeedPage)
async def list_needs(
    caller: CallerDep,
    runtime: RuntimeDep,
    commune: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> NeedPage:
    """Needs in the caller's communes, newest first."""
    if commune is not None:
        if not caller.covers(commune):
            raise DomainError("auth.forbidden", "Outside your communes.", "នៅក្រៅឃុំរបស់អ្នក។", status=403)
        where: dict[str, Any] = {"commune_code": commune}
    elif "*" in caller.communes:
        where = {}
    else:
        where = {"commune_code": In(tuple(c for c in caller.communes if len(c) == 6))}
    docs = await runtime.store.page("needs", where, after=after, limit=limit, newest_first=True)
    items = [_public(d) for d in docs]
    return NeedPage(items=items, next_after=items[-1].id if len(items) == limit else None)


@router.get("/needs/by-code/{code}", response_model=NeedPublic)
async def need_by_code(code: str, caller: CallerDep, runtime: RuntimeDep) -> NeedPublic:
    doc = await runtime.store.find_one("needs", {"tracking_code": normalise_tracking_code(code)})
    if doc is None or not caller.covers(doc["commune_code"]):
        raise NotFoundError()
    return _public(doc)


@router.get("/needs/{need_id}", response_model=NeedPublic)
async def get_need(need_id: str, caller: CallerDep, runtime: RuntimeDep) -> NeedPublic:
    doc = await runtime.store.get("needs", need_id)
    if doc is None or not caller.covers(doc["commune_code"]):
        raise NotFoundError()
    return _public(doc)


class CommunePublic(BaseModel):
    code: str
    name_km: str
    name_latin: str


@router.get("/communes", response_model=list[CommunePublic])
async def list_communes(caller: CallerDep, runtime: RuntimeDep) -> list[CommunePublic]:
    """The caller's communes by name (6-digit scopes only)."""
    result = []
    for scope in caller.communes:
        doc = await runtime.store.get("communes", scope) if len(scope) == 6 else None
        if doc is not None:
            result.append(
                CommunePublic(code=scope, name_km=doc["name"]["km"], name_latin=doc["name"]["latin"])
            )
    return result


@router.get("/villages", response_model=list[VillagePublic])
async def list_villages(caller: CallerDep, runtime: RuntimeDep) -> list[VillagePublic]:
    """The villages a caller may record needs in (their communes)."""
    result: list[VillagePublic] = []
    for scope in caller.communes:
        if len(scope) != 6:
            continue  # province and national scopes would list thousands; not for a form
        commune = await runtime.store.get("communes", scope)
        if commune is None:
            continue
        async for doc in runtime.store.iterate("villages", {"commune_code": scope}):
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
