"""What was sent to whom, and what failed: for a commune's council and administrators.

Addresses are masked; the text is shown, since councils need to know what people were told.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from contracts.api.notify import DeliveryPage, DeliveryPublic
from contracts.notify import DeliveryChannel
from services.notify.domain import DELIVERY_VIEWERS, may_view_deliveries
from services.notify.domain.delivery import Status
from services.notify.domain.sms import encoding_of
from services.notify.exchange import ExchangeDep
from services.runtime.errors import DomainError
from services.runtime.http import CallerDep
from services.runtime.service import RuntimeDep
from services.runtime.stores import In

router = APIRouter(tags=["deliveries"])


def _sms_cost(doc: dict[str, Any], price: int) -> dict[str, Any]:
    if doc["channel"] != DeliveryChannel.SMS.value or not doc.get("segments"):
        return {}
    return {"encoding": encoding_of(doc["text"]).value, "cost_riel": doc["segments"] * price}


def _forbidden() -> DomainError:
    return DomainError(
        "auth.forbidden",
        "Only the commune's council sees what was sent.",
        "មានតែក្រុមប្រឹក្សាឃុំទេ ដែលអាចមើលសារដែលបានផ្ញើ។",
        status=403,
    )


@router.get("/deliveries", response_model=DeliveryPage)
async def list_deliveries(
    caller: CallerDep,
    runtime: RuntimeDep,
    exchange: ExchangeDep,
    commune: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    channel: DeliveryChannel | None = None,
    status: Status | None = None,
    ref: Annotated[str | None, Query(max_length=20)] = None,
    kind: Annotated[str | None, Query(max_length=40, pattern=r"^[a-z_]+$")] = None,
    meeting: Annotated[str | None, Query(max_length=64, pattern=r"^[0-9A-Za-z-]+$")] = None,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> DeliveryPage:
    """Deliveries in the caller's communes, newest first, optionally filtered."""
    if caller.role not in DELIVERY_VIEWERS:
        raise _forbidden()
    where: dict[str, Any] = {}
    if commune is not None:
        if not may_view_deliveries(caller, commune):
            raise _forbidden()
        where["commune_code"] = commune
    elif "*" not in caller.communes:
        communes = tuple(c for c in caller.communes if len(c) == 6)
        if len(communes) != len(caller.communes):
            raise DomainError(
                "deliveries.commune_required",
                "Choose a commune.",
                "សូមជ្រើសរើសឃុំ។",
                status=422,
                field="commune",
            )
        where["commune_code"] = In(communes)
    if channel is not None:
        where["channel"] = channel.value
    if status is not None:
        where["status"] = status.value
    if ref is not None:
        where["ref"] = ref.strip().upper()
    if kind is not None:
        where["kind"] = kind
    if meeting is not None:
        where["ref"] = meeting  # a meeting's messages carry its id as their ref
    docs = await runtime.store.page("deliveries", where, after=after, limit=limit, newest_first=True)
    price = exchange.settings.sms_segment_cost_riel
    items = [DeliveryPublic.model_validate({**doc, **_sms_cost(doc, price)}) for doc in docs]
    return DeliveryPage(items=items, next_after=items[-1].id if len(items) == limit else None)
