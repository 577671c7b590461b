"""Loudspeaker scripts: listed per village for whoever covers it (the village chief, the
commune's facilitators and council), printable, and marked "announced" once read out: only by
the one who reads it, the village chief (scoped to that village) or the commune chief, and the
script keeps who and when. Until then its delivery is "to announce", never "sent"."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from contracts.api.notify import AnnouncedIn, ScriptPage, ScriptPublic, ScriptStatus
from services.notify import deliveries
from services.notify.domain.delivery import Status
from services.notify.exchange import ExchangeDep
from services.runtime.errors import DomainError
from services.runtime.http import CallerDep
from services.runtime.identity import Identity, Role
from services.runtime.service import RuntimeDep
from services.runtime.stores import In

router = APIRouter(prefix="/loudspeaker", tags=["loudspeaker"])

# Anonymous visitors and integrators have no village to read out to.
NOT_READERS = frozenset({"public", "integrator"})


def _not_found() -> DomainError:
    return DomainError("loudspeaker.not_found", "No such script.", "រកមិនឃើញអត្ថបទនេះទេ។", status=404)


def _check_reader(caller: Identity) -> None:
    if caller.role.value in NOT_READERS:
        raise DomainError(
            "auth.forbidden", "You may not do this here.", "អ្នកមិនមានសិទ្ធិធ្វើការនេះទេ។", status=403
        )


def _check_chief(caller: Identity, village: str) -> None:
    """The village chief (an account scoped to the village itself) or the commune chief."""
    if village in caller.communes or (caller.role is Role.COMMUNE_CHIEF and caller.covers(village)):
        return
    raise DomainError(
        "loudspeaker.chief_only",
        "Only the village chief or the commune chief marks a script as read aloud.",
        "មានតែមេភូមិ ឬមេឃុំទេ ដែលអាចកត់ថាបានអានអត្ថបទនេះតាមឧបករណ៍បំពងសំឡេងរួចហើយ។",
        status=403,
    )


def _scope(caller: Identity, commune: str | None, village: str | None) -> dict[str, Any]:
    if village is not None:
        if not caller.covers(village):
            raise _not_found()
        return {"village_code": village}
    if commune is not None:
        if not caller.covers(commune):
            raise _not_found()
        return {"commune_code": commune}
    communes = tuple(s for s in caller.communes if len(s) == 6)
    villages = tuple(s for s in caller.communes if len(s) == 8)
    if len(communes) + len(villages) != len(caller.communes) or (communes and villages):
        raise DomainError(
            "loudspeaker.scope_required",
            "Choose a commune or a village.",
            "សូមជ្រើសរើសឃុំ ឬភូមិ។",
            status=422,
            field="commune",
        )
    return {"village_code": In(villages)} if villages else {"commune_code": In(communes)}


@router.get("", response_model=ScriptPage)
async def list_scripts(
    caller: CallerDep,
    runtime: RuntimeDep,
    commune: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    village: Annotated[str | None, Query(pattern=r"^\d{8}$")] = None,
    status: ScriptStatus | None = None,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ScriptPage:
    """Scripts for the caller's villages, newest first."""
    _check_reader(caller)
    where = _scope(caller, commune, village)
    if status is not None:
        where["status"] = status
    docs = await runtime.store.page("loudspeaker_scripts", where, after=after, limit=limit, newest_first=True)
    items = [ScriptPublic.model_validate(d) for d in docs]
    return ScriptPage(items=items, next_after=items[-1].id if len(items) == limit else None)


@router.get("/{script_id}", response_model=ScriptPublic)
async def get_script(script_id: str, caller: CallerDep, runtime: RuntimeDep) -> ScriptPublic:
    _check_reader(caller)
    doc = await runtime.store.get("loudspeaker_scripts", script_id)
    if doc is None or not caller.covers(doc["village_code"]):
        raise _not_found()
    return ScriptPublic.model_validate(doc)


@router.post("/{script_id}/announced", response_model=ScriptPublic)
async def mark_announced(
    script_id: str,
    caller: CallerDep,
    runtime: RuntimeDep,
    exchange: ExchangeDep,
    body: Annotated[AnnouncedIn | None, Body()] = None,
) -> ScriptPublic:
    """The script was read out: its delivery becomes "delivered". Repeating changes nothing; a
    script replaced by a newer one is not announced (409)."""
    _check_reader(caller)
    now = exchange.clock.now()
    async with runtime.unit_of_work() as tx:
        doc = await tx.get("loudspeaker_scripts", script_id)
        if doc is None or not caller.covers(doc["village_code"]):
            raise _not_found()
        _check_chief(caller, doc["village_code"])
        if doc["status"] == "announced":
            return ScriptPublic.model_validate(doc)
        if doc["status"] == "superseded":
            raise DomainError(
                "loudspeaker.superseded",
                "A newer script replaced this one: read that one instead.",
                "អត្ថបទថ្មីជាងបានជំនួសអត្ថបទនេះហើយ៖ សូមអានអត្ថបទថ្មីនោះ។",
                status=409,
            )
        stored = await tx.replace(
            "loudspeaker_scripts",
            {
                **doc,
                "status": "announced",
                "announced_at": now.isoformat(),
                "announced_by": caller.user_id,
                "announced_by_name": (body.name if body else None) or None,
            },
            expected_version=doc["version"],
        )
        delivery = await tx.get("deliveries", doc["delivery_id"])
        note = f"announced by {caller.user_id}"
        if delivery is not None and delivery["status"] == Status.QUEUED.value:
            # Reading it out is the sending: the whole way at once, each step in its history.
            delivery = await deliveries.move(tx, delivery, Status.SENDING, now, note=note)
            delivery = await deliveries.move(tx, delivery, Status.SENT, now, note=note)
        if delivery is not None and delivery["status"] == Status.SENT.value:
            await deliveries.move(tx, delivery, Status.DELIVERED, now, note=note)
    return ScriptPublic.model_validate(stored)
