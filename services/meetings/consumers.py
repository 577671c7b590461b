"""Meetings keeps each commune's needs as agenda candidates, learned from intake's events."""

from __future__ import annotations

from contracts.needs import NEED_SUBMITTED, NeedSubmittedV1
from contracts.registry import read_event
from contracts.subjects import all_communes
from services.runtime.consumer import ConsumerSpec
from services.runtime.service import Runtime

NEEDS_CONSUMER = "meetings-needs"


def consumers(runtime: Runtime) -> list[ConsumerSpec]:
    async def on_need_submitted(raw: bytes) -> None:
        envelope, need = read_event(raw, NeedSubmittedV1)
        async with runtime.unit_of_work() as tx:
            if not await tx.mark_processed(NEEDS_CONSUMER, envelope.id):
                return
            await tx.upsert(
                "agenda_candidates",
                {
                    "id": need.need_id,
                    "commune_code": need.commune_code,
                    "village_code": need.village_code,
                    "tracking_code": need.tracking_code,
                    "description": need.description,
                    "sector": need.sector.value if need.sector else None,
                    "submitted_at": need.submitted_at.isoformat(),
                },
            )

    return [
        ConsumerSpec(
            durable=NEEDS_CONSUMER,
            stream="KHUM_NEEDS",
            filter_subjects=(all_communes(NEED_SUBMITTED),),
            handler=on_need_submitted,
        )
    ]
