"""The channels written in the consumer's own transaction: the in-app inbox (with its
NotificationQueued event, which the gateway bridges to GraphQL subscriptions) and the village
loudspeaker scripts. Both record a delivery too, so the council sees them with the rest."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from contracts.envelope import new_event, uuid7
from contracts.notify import NOTIFICATION_QUEUED, Channel, DeliveryChannel, NotificationQueuedV1
from services.notify import deliveries
from services.notify.deliveries import Cause
from services.notify.domain.delivery import Status, dedup_key
from services.notify.domain.rules import Notice
from services.notify.rendering import render, render_all
from services.runtime.outbox import outbox_row
from services.runtime.stores import Transaction

SOURCE = "/khum/notify"


async def write_in_app(
    tx: Transaction,
    cause: Cause,
    notice: Notice,
    audience: str,
    context: Mapping[str, Any],
    now: datetime,
) -> None:
    key = f"{cause.id}:{audience}:{Channel.IN_APP.value}"
    if await tx.find_one("notifications", {"dedup_key": key}) is not None:
        return
    text = render_all(notice.kind, DeliveryChannel.IN_APP.value, context)
    doc: dict[str, Any] = {
        "id": uuid7(),
        "dedup_key": key,
        "audience": audience,
        "channel": Channel.IN_APP.value,
        "kind": notice.kind,
        "text": text,
        "ref": notice.ref,
        "commune_code": notice.commune_code,
        "created_at": now.isoformat(),
        "cause": cause.id,
    }
    await tx.insert("notifications", doc)
    queued = new_event(
        NotificationQueuedV1(
            notification_id=doc["id"],
            audience=audience,
            channel=Channel.IN_APP,
            kind=notice.kind,
            text=text,
            ref=notice.ref,
            commune_code=notice.commune_code,
            queued_at=now,
        ),
        event_type=NOTIFICATION_QUEUED,
        source=SOURCE,
        communecode=notice.commune_code,
        subject=doc["id"],
        correlationid=cause.correlation_id,
        causationid=cause.id,
    )
    await tx.add_outbox(outbox_row(queued))
    record = deliveries.new_delivery(
        cause=cause.id,
        correlation_id=cause.correlation_id,
        kind=notice.kind,
        channel=DeliveryChannel.IN_APP,
        target=audience,
        recipient=audience,
        commune_code=notice.commune_code,
        language="km",
        text=text["km"],
        now=now,
        ref=notice.ref,
        status=Status.DELIVERED,
    )
    record["data"] = {"notification_id": doc["id"]}
    await deliveries.insert(tx, record, now)


async def write_loudspeaker(
    tx: Transaction,
    cause: Cause,
    notice: Notice,
    village: str,
    context: Mapping[str, Any],
    now: datetime,
) -> None:
    """A printable script for the village chief; the delivery is "sent" once it is on their
    list and "delivered" when they mark it announced."""
    if await tx.find_one("deliveries", {"dedup_key": dedup_key(cause.id, village, "loudspeaker")}):
        return
    texts = {
        lang: render(notice.kind, DeliveryChannel.LOUDSPEAKER.value, lang, context).text
        for lang in ("km", "en")
    }
    script_id = uuid7()
    record = deliveries.new_delivery(
        cause=cause.id,
        correlation_id=cause.correlation_id,
        kind=notice.kind,
        channel=DeliveryChannel.LOUDSPEAKER,
        target=village,
        recipient=f"village {village}",
        commune_code=notice.commune_code,
        language="km",
        text=texts["km"],
        now=now,
        ref=notice.ref,
        data={"script_id": script_id},
        status=Status.SENT,
    )
    await deliveries.insert(tx, record, now)
    need = context.get("need") or {}
    village_names = need.get("village") if isinstance(need, Mapping) else None
    excerpt = need.get("excerpt") if isinstance(need, Mapping) else None
    await tx.insert(
        "loudspeaker_scripts",
        {
            "id": script_id,
            "delivery_id": record["id"],
            "kind": notice.kind,
            "ref": notice.ref,
            "commune_code": notice.commune_code,
            "village_code": village,
            "village_name": village_names or {"km": village, "latin": village},
            "text": texts,
            # People's own words quoted in the script (their need, the council's reason): the
            # page shows them as written, digits and all.
            "quoted": [q for q in (excerpt, context.get("reason")) if isinstance(q, str) and q],
            "status": "pending",
            "created_at": now.isoformat(),
            "announced_at": None,
            "announced_by": None,
        },
    )
