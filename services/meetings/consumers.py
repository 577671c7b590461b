"""Meetings keeps each commune's needs as agenda candidates, learned from intake's events.

Two durable consumers, each with its own inbox: ``meetings-needs`` (NeedSubmitted: the need
itself) and ``meetings-need-status`` (NeedStatusChanged: where it is in its lifecycle). They
may run in either order, so each keeps what the other wrote.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contracts.envelope import Envelope
from contracts.needs import NEED_STATUS_CHANGED, NEED_SUBMITTED, NeedStatusChangedV1, NeedSubmittedV1
from contracts.subjects import all_communes
from services.meetings.changes import unit_of_work
from services.runtime.application import inbox_handler
from services.runtime.consumer import ConsumerSpec
from services.runtime.service import Runtime
from services.runtime.stores import Transaction

NEEDS_CONSUMER = "meetings-needs"
NEED_STATUS_CONSUMER = "meetings-need-status"


def consumers(runtime: Runtime) -> list[ConsumerSpec]:
    uow = unit_of_work(runtime)

    @inbox_handler(uow, NEEDS_CONSUMER, NeedSubmittedV1)
    async def on_need_submitted(tx: Transaction, envelope: Envelope, need: NeedSubmittedV1) -> None:
        known = await tx.get("agenda_candidates", need.need_id)
        doc: dict[str, Any] = {
            "id": need.need_id,
            "commune_code": need.commune_code,
            "village_code": need.village_code,
            "tracking_code": need.tracking_code,
            "description": need.description,
            "sector": need.sector.value if need.sector else None,
            "submitted_at": need.submitted_at.isoformat(),
            "status": (known or {}).get("status") or "submitted",
            "status_changed_at": (known or {}).get("status_changed_at"),
        }
        if need.village_name is not None:
            doc["village_name"] = {"km": need.village_name.km, "latin": need.village_name.latin}
        await tx.upsert("agenda_candidates", doc)

    @inbox_handler(uow, NEED_STATUS_CONSUMER, NeedStatusChangedV1)
    async def on_need_status_changed(
        tx: Transaction, envelope: Envelope, change: NeedStatusChangedV1
    ) -> None:
        known = await tx.get("agenda_candidates", change.need_id)
        seen_at = (known or {}).get("status_changed_at")
        if seen_at is not None and datetime.fromisoformat(seen_at) > change.changed_at:
            return  # a later change already arrived
        doc = {
            "id": change.need_id,
            "commune_code": change.commune_code,
            "village_code": change.village_code,
            "tracking_code": change.tracking_code,
            **(known or {}),
            "status": change.status.value,
            "status_changed_at": change.changed_at.isoformat(),
        }
        doc.pop("version", None)
        await tx.upsert("agenda_candidates", doc)

    return [
        ConsumerSpec(
            durable=NEEDS_CONSUMER,
            stream="KHUM_NEEDS",
            filter_subjects=(all_communes(NEED_SUBMITTED),),
            handler=on_need_submitted,
        ),
        ConsumerSpec(
            durable=NEED_STATUS_CONSUMER,
            stream="KHUM_NEEDS",
            filter_subjects=(all_communes(NEED_STATUS_CHANGED),),
            handler=on_need_status_changed,
        ),
    ]
