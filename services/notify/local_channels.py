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
    *,
    live: bool = True,
) -> None:
    """``live``: also a NotificationQueued event, for the gateway's live subscriptions (whose
    audiences are a role's and a commune's: one person's own notices are read in the inbox)."""
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
    if live:
        await _queued_event(tx, cause, notice, audience, doc, text, now)
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


async def _queued_event(
    tx: Transaction,
    cause: Cause,
    notice: Notice,
    audience: str,
    doc: Mapping[str, Any],
    text: dict[str, str],
    now: datetime,
) -> None:
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


async def write_loudspeaker(
    tx: Transaction,
    cause: Cause,
    notice: Notice,
    village: str,
    context: Mapping[str, Any],
    now: datetime,
    *,
    village_name: Mapping[str, str] | None = None,
) -> None:
    """A printable script for the village chief. Its delivery stays queued ("to announce")
    until the chief marks it read aloud, then is delivered. A newer script about the same need
    in the same village replaces an older one still to announce: the village hears the latest
    news, not a stale "funded" before a "deferred"."""
    if await tx.find_one("deliveries", {"dedup_key": dedup_key(cause.id, village, "loudspeaker")}):
        return
    if notice.ref is not None:
        await _supersede(tx, notice.ref, village, now)
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
        status=Status.QUEUED,
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
            "village_name": village_names or village_name or {"km": village, "latin": village},
            "text": texts,
            # People's own words quoted in the script (their need, the council's reason): the
            # page shows them as written, digits and all.
            "quoted": [
                q
                for q in (excerpt, context.get("reason"), *context.get("quoted", ()))
                if isinstance(q, str) and q
            ],
            "status": "pending",
            "created_at": now.isoformat(),
            "announced_at": None,
            "announced_by": None,
            "superseded_by": None,
        },
    )


async def _supersede(tx: Transaction, ref: str, village: str, now: datetime) -> None:
    while True:
        old = await tx.find_one(
            "loudspeaker_scripts", {"ref": ref, "village_code": village, "status": "pending"}
        )
        if old is None:
            return
        await tx.replace(
            "loudspeaker_scripts",
            {**old, "status": "superseded", "superseded_at": now.isoformat()},
            expected_version=old["version"],
        )
        delivery = await tx.get("deliveries", old["delivery_id"])
        if delivery is not None and delivery["status"] == Status.QUEUED.value:
            await deliveries.move(
                tx,
                delivery,
                Status.FAILED,
                now,
                note="superseded",
                last_error={"code": "loudspeaker.superseded", "reason": "a newer script replaced it"},
                dead_letter=False,
            )
