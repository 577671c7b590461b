"""Tracking codes reserved for a facilitator's phone, so a citizen leaves with their final
code even when the need is recorded with no signal.

While online the phone reserves a small block of codes; a need submitted later with one of
them (``tracking_code``) gets exactly that code, once, and only from the account that
reserved it. Codes are drawn from the same space as every other tracking code, and a code
drawn for an ordinary submission skips reserved ones, so the two never collide.

A reservation is never taken back: a phone may hold its codes for weeks without signal, and
a code already given to a citizen must stay theirs. Blocks are small (ReserveIn: 20 at most) and calls
are bounded by the gateway's rate limits; unused codes cost one row each out of about a
billion possible codes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter

from contracts.api.intake import ReservedCodes, ReserveIn
from services.intake.domain import NeedError
from services.intake.tracking import InvalidTrackingCode, new_tracking_code, normalise_tracking_code
from services.runtime.application import BusyError, UnitOfWork
from services.runtime.http import CallerDep
from services.runtime.identity import Identity
from services.runtime.service import RuntimeDep
from services.runtime.stores import Collection, Transaction

RESERVED = Collection("reserved_codes", indexes=("user_id",))

router = APIRouter(tags=["needs"])


class CodeNotReservedError(NeedError):
    def __init__(self) -> None:
        super().__init__(
            "need.tracking_code_not_reserved",
            "This tracking code was not reserved for your account. Record the need again.",
            "លេខកូដតាមដាននេះមិនបានបម្រុងទុកសម្រាប់គណនីរបស់អ្នកទេ។ សូមកត់ត្រាតម្រូវការម្តងទៀត។",
            status=422,
            field="trackingCode",
        )


@router.post("/tracking-codes/reserve", response_model=ReservedCodes)
async def reserve_codes(body: ReserveIn, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    """Reserve ``count`` fresh codes for the caller, all in one transaction.

    A code already given to a need is skipped; one drawn twice at the same moment (another
    phone reserving, or a need drawing it) makes the whole block draw again.
    """
    now = datetime.now(UTC).isoformat()

    async def change(tx: Transaction) -> list[str]:
        codes: list[str] = []
        while len(codes) < body.count:
            code = new_tracking_code()
            if code in codes or await tx.find_one("needs", {"tracking_code": code}):
                continue
            await tx.insert(RESERVED.name, {"id": code, "user_id": caller.user_id, "reserved_at": now})
            codes.append(code)
        return codes

    codes = await UnitOfWork(runtime, lambda: BusyError("need")).run(
        change, again=lambda exc: exc.collection == RESERVED.name
    )
    return {"codes": codes}


async def claim(tx: Transaction, raw: str, caller: Identity) -> str:
    """The reserved code, given up by its reservation in the need's own transaction."""
    try:
        code = normalise_tracking_code(raw)
    except InvalidTrackingCode:
        raise CodeNotReservedError() from None
    reservation = await tx.get(RESERVED.name, code)
    if reservation is None or reservation["user_id"] != caller.user_id:
        raise CodeNotReservedError()
    await tx.delete(RESERVED.name, code)
    return code


async def is_reserved(tx: Transaction, code: str) -> bool:
    return await tx.get(RESERVED.name, code) is not None
