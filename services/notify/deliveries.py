"""Delivery documents, their moves through the state machine, and the events each move makes.

Every move is a versioned replace in a transaction together with its events (outbox), so a
delivery's state and what the rest of Khum hears about it never disagree. A permanent failure
that operators should see is also copied to ``KHUM_DLQ``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from contracts.envelope import new_event, uuid7
from contracts.notify import (
    NOTIFICATION_DELIVERED,
    NOTIFICATION_FAILED,
    DeliveryChannel,
    NotificationDeliveredV1,
    NotificationFailedV1,
)
from contracts.subjects import dead_letter_subject
from services.notify.domain.delivery import Status, check_transition, dedup_key
from services.runtime.outbox import outbox_row
from services.runtime.stores import OutboxRow, Transaction

SOURCE = "/khum/notify"
DLQ_CONSUMER = "notify-deliveries"
HISTORY_KEPT = 20


@dataclass(frozen=True)
class Cause:
    """What a delivery answers: an event (its id and correlation) or an inbound message."""

    id: str
    correlation_id: str | None = None


def new_delivery(
    *,
    cause: str,
    correlation_id: str | None,
    kind: str,
    channel: DeliveryChannel,
    target: str,
    recipient: str,
    commune_code: str,
    language: str,
    text: str,
    now: datetime,
    ref: str | None = None,
    subject: str | None = None,
    data: dict[str, str] | None = None,
    status: Status = Status.QUEUED,
    quiet_exempt: bool = False,
    ignore_opt_out: bool = False,
    segments: int | None = None,
    error: tuple[str, str] | None = None,
    not_before: datetime | None = None,
) -> dict[str, Any]:
    """A delivery document. ``cause`` is the id of the event (or inbound message) it answers;
    ``target`` is what the dispatcher looks up at send time (a contact id, a push subscription
    id); ``recipient`` is the masked address shown to councils."""
    stamp = now.isoformat()
    return {
        "id": uuid7(),
        "dedup_key": dedup_key(cause, target, channel.value),
        "cause": cause,
        "correlation_id": correlation_id,
        "kind": kind,
        "channel": channel.value,
        "target": target,
        "recipient": recipient,
        "commune_code": commune_code,
        "ref": ref,
        "language": language,
        "subject": subject,
        "text": text,
        "data": data or {},
        "segments": segments,
        "status": status.value,
        "attempts": 0,
        # Compared as text by the dispatcher: always in UTC, like every other stamp.
        "next_attempt_at": max(now, not_before).astimezone(UTC).isoformat() if not_before else stamp,
        "quiet_exempt": quiet_exempt,
        "ignore_opt_out": ignore_opt_out,
        "provider_id": None,
        "last_error": {"code": error[0], "reason": error[1]} if error else None,
        "dead_lettered": False,
        "created_at": stamp,
        "updated_at": stamp,
        "history": [{"status": status.value, "at": stamp, "note": error[0] if error else None}],
    }


def _with_history(doc: dict[str, Any], status: str, at: str, note: str | None) -> list[dict[str, Any]]:
    history = [*doc.get("history", []), {"status": status, "at": at, "note": note}]
    return history[-HISTORY_KEPT:]


async def move(
    tx: Transaction,
    doc: dict[str, Any],
    wanted: Status,
    now: datetime,
    *,
    note: str | None = None,
    dead_letter: bool = False,
    **fields: Any,
) -> dict[str, Any]:
    """Move a delivery to ``wanted`` (checked), record it, and add the events it makes."""
    check_transition(doc["status"], wanted)
    stamp = now.isoformat()
    updated = {
        **doc,
        **fields,
        "status": wanted.value,
        "updated_at": stamp,
        "history": _with_history(doc, wanted.value, stamp, note),
    }
    if wanted is Status.SENT:
        updated["sent_at"] = stamp
    elif wanted is Status.DELIVERED:
        updated["delivered_at"] = stamp
    elif wanted is Status.FAILED:
        updated["failed_at"] = stamp
        updated["dead_lettered"] = dead_letter
    stored = await tx.replace("deliveries", updated, expected_version=doc["version"])
    for row in events_for(stored, now):
        await tx.add_outbox(row)
    return stored


async def insert(tx: Transaction, doc: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Insert a new delivery; one created already sent or failed publishes its event at once."""
    stored = await tx.insert("deliveries", doc)
    if doc["status"] in (Status.SENT.value, Status.FAILED.value):
        for row in events_for(stored, now):
            await tx.add_outbox(row)
    return stored


def events_for(doc: dict[str, Any], now: datetime) -> list[OutboxRow]:
    """The events a delivery's current state makes (in-app deliveries make none: the inbox has
    its own NotificationQueued)."""
    status = doc["status"]
    if doc["channel"] == DeliveryChannel.IN_APP.value:
        return []
    if status in (Status.SENT.value, Status.DELIVERED.value):
        payload: NotificationDeliveredV1 | NotificationFailedV1 = NotificationDeliveredV1(
            delivery_id=doc["id"],
            channel=DeliveryChannel(doc["channel"]),
            kind=doc["kind"],
            status="sent" if status == Status.SENT.value else "delivered",
            recipient=doc["recipient"][:100],
            commune_code=doc["commune_code"],
            ref=doc.get("ref"),
            attempts=doc["attempts"],
            cause=doc["cause"],
            at=now,
        )
        event_type = NOTIFICATION_DELIVERED
    elif status == Status.FAILED.value:
        error = doc.get("last_error") or {"code": "failed", "reason": "failed"}
        payload = NotificationFailedV1(
            delivery_id=doc["id"],
            channel=DeliveryChannel(doc["channel"]),
            kind=doc["kind"],
            recipient=doc["recipient"][:100],
            commune_code=doc["commune_code"],
            ref=doc.get("ref"),
            error_code=error["code"],
            reason=error["reason"][:1000],
            attempts=doc["attempts"],
            dead_lettered=bool(doc.get("dead_lettered")),
            cause=doc["cause"],
            at=now,
        )
        event_type = NOTIFICATION_FAILED
    else:
        return []
    envelope = new_event(
        payload,
        event_type=event_type,
        source=SOURCE,
        communecode=doc["commune_code"],
        subject=doc["id"],
        correlationid=doc.get("correlation_id"),
        causationid=doc["cause"],
    )
    rows = [outbox_row(envelope)]
    if status == Status.FAILED.value and doc.get("dead_lettered"):
        error = doc.get("last_error") or {}
        rows.append(
            OutboxRow(
                f"dlq-{envelope.id}",
                dead_letter_subject(DLQ_CONSUMER, envelope.nats_subject),
                envelope.to_bytes(),
                {
                    "Khum-Type": envelope.type,
                    "Khum-Dlq-Reason": str(error.get("reason", ""))[:1000].replace("\n", " "),
                    "Khum-Dlq-Consumer": DLQ_CONSUMER,
                    "Khum-Dlq-Subject": envelope.nats_subject,
                },
            )
        )
    return rows


async def apply_receipt(
    tx: Transaction, doc: dict[str, Any], status: str, error: str | None, now: datetime
) -> dict[str, Any] | None:
    """A provider's delivery receipt: delivered, or failed for good (the phone never got it)."""
    if doc["status"] != Status.SENT.value:
        return None  # already final, or a receipt for a send we still think is in flight
    if status == "delivered":
        return await move(tx, doc, Status.DELIVERED, now, note="receipt")
    last_error = {"code": f"sms.{status}", "reason": error or f"the network reported {status}"}
    return await move(tx, doc, Status.FAILED, now, note="receipt", last_error=last_error, dead_letter=True)


async def apply_early_receipt(tx: Transaction, doc: dict[str, Any], provider_id: str, now: datetime) -> None:
    """A receipt that beat our own record of the send waits in ``pending_receipts``: applied
    now that the send is recorded, once."""
    early = await tx.get("pending_receipts", provider_id)
    if early is not None and not early.get("applied"):
        await apply_receipt(tx, doc, early["status"], early.get("error"), now)
        await tx.replace("pending_receipts", {**early, "applied": True}, expected_version=early["version"])
