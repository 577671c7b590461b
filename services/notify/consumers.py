"""Notify's event handlers. Each records the event in its inbox in the same transaction as
its effect, so a redelivered event queues nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from contracts.envelope import new_event, uuid7
from contracts.needs import NEED_SUBMITTED, NeedSubmittedV1
from contracts.notify import NOTIFICATION_QUEUED, Channel, NotificationQueuedV1
from contracts.registry import read_event
from contracts.subjects import all_communes
from services.notify.domain import need_submitted_messages
from services.runtime.consumer import ConsumerSpec
from services.runtime.outbox import outbox_row
from services.runtime.service import Runtime

SOURCE = "/khum/notify"
NEEDS_CONSUMER = "notify-needs"


def consumers(runtime: Runtime) -> list[ConsumerSpec]:
    async def on_need_submitted(raw: bytes) -> None:
        envelope, need = read_event(raw, NeedSubmittedV1)
        async with runtime.unit_of_work() as tx:
            if not await tx.mark_processed(NEEDS_CONSUMER, envelope.id):
                return
            now = datetime.now(UTC)
            for message in need_submitted_messages(need):
                doc: dict[str, Any] = {
                    "id": uuid7(),
                    "dedup_key": f"{envelope.id}:{message.audience}:{Channel.IN_APP.value}",
                    "audience": message.audience,
                    "channel": Channel.IN_APP.value,
                    "kind": message.kind,
                    "text": message.text,
                    "ref": message.ref,
                    "commune_code": need.commune_code,
                    "created_at": now.isoformat(),
                    "cause": envelope.id,
                }
                await tx.insert("notifications", doc)
                queued = new_event(
                    NotificationQueuedV1(
                        notification_id=doc["id"],
                        audience=message.audience,
                        channel=Channel.IN_APP,
                        kind=message.kind,
                        text=message.text,
                        ref=message.ref,
                        commune_code=need.commune_code,
                        queued_at=now,
                    ),
                    event_type=NOTIFICATION_QUEUED,
                    source=SOURCE,
                    communecode=need.commune_code,
                    subject=doc["id"],
                    correlationid=envelope.correlationid,
                    causationid=envelope.id,
                )
                await tx.add_outbox(outbox_row(queued))

    return [
        ConsumerSpec(
            durable=NEEDS_CONSUMER,
            stream="KHUM_NEEDS",
            filter_subjects=(all_communes(NEED_SUBMITTED),),
            handler=on_need_submitted,
        )
    ]
