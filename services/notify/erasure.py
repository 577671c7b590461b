"""Notify honours PersonErased: no copy of the person's contact points or messages stays here.

:class:`NotifyEraser` supplies notify's steps; the runtime runs them in order
(services/runtime/erasure_protocol.py). The event names the person only by keyed digests, so
notify digests what it holds (each contact id is ``<channel>:<normalised address>``) and
compares. In one transaction it deletes the
person's contacts, subscriptions, messages to the commune and early delivery receipts, takes
their contact ids off its copy of the needs, and anonymises their deliveries: a delivery keeps
what an anonymous count needs (channel, kind, status, commune, need, times) and loses the
target, address, text and provider id. One still waiting to be sent fails as
``recipient.erased``. Failed deliveries to an address that was not valid, on the person's needs,
lose the hash of that address too: nobody can tell whose it was, and a hash of a phone-like
string is easily reversed.

Then the events. Notify's own outbox and the KHUM_NOTIFY stream held the person's messages
(InboundMessageReceived: sender and text) and their deliveries' events (a masked address, which
still shows part of the number, and a provider's error that may quote it). An event that is
not yet published cannot be withdrawn through the storage port, so the runtime waits for the
relay to publish it (a few seconds, then it raises and the consumer retries with backoff) and only
then scrubs. The cost: a consumer may read such an event in the seconds between publish and
scrub. Once every such row is published, the sent rows are pruned from the outbox and the
streams are scrubbed: messages from the person are deleted, delivery events are replaced by a
copy whose recipient is ``(erased)``, and dead letters about either are deleted (their
headers may quote the reason, so no copy is kept).

The stream work talks to NATS outside any transaction, so the handling is idempotent as a whole
rather than in one transaction: each step finds nothing left to do the second time. The
``erasures`` record says "scrubbing" with the store's part, and "done", together with the
consumer's inbox mark, only after the streams are clean; a crash before that means a
redelivery, which finishes the job. Last, the store is asked to forget what was deleted
(SQLite's write-ahead log still holds the old pages).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from contracts.needs import PersonErasedV1
from contracts.notify import INBOUND_MESSAGE_RECEIVED, NOTIFICATION_DELIVERED, NOTIFICATION_FAILED
from contracts.subjects import all_communes
from services.notify import deliveries
from services.notify.domain.delivery import FINAL, Status
from services.notify.domain.quiet import Clock
from services.runtime.erasure import DROP, KEEP, Digests, Scrubbed, Verdict
from services.runtime.erasure_protocol import PersonEraser, StreamScrub
from services.runtime.service import Runtime
from services.runtime.stores import In, Transaction

log = logging.getLogger(__name__)

ERASED = "(erased)"
ERASED_ERROR = "recipient.erased"
NOTIFY_SUBJECTS = tuple(
    all_communes(t) for t in (INBOUND_MESSAGE_RECEIVED, NOTIFICATION_DELIVERED, NOTIFICATION_FAILED)
)
DEAD_LETTER_SUBJECTS = ("khum.dlq.*.khum.notify.>",)


@dataclass
class Erased:
    contacts: int = 0
    subscriptions: int = 0
    inbound_messages: int = 0
    pending_receipts: int = 0
    deliveries: int = 0
    needs: int = 0


def erased_target(erasure_id: str) -> str:
    """What an anonymised delivery keeps as its target: it finds them again on a retry."""
    return f"erased:{erasure_id}"


def anonymised(delivery: dict[str, Any], erasure_id: str, now: datetime) -> dict[str, Any]:
    """The delivery with nothing that says who, or what they were told."""
    error = delivery.get("last_error")
    return {
        **delivery,
        "target": erased_target(erasure_id),
        "recipient": ERASED,
        "text": "",
        "subject": None,
        "data": {},
        "provider_id": None,
        "dedup_key": None,
        "last_error": {"code": error["code"], "reason": ERASED} if error else None,
        "erased_at": now.isoformat(),
    }


def verdict(
    subject: str, data: bytes, *, contacts: set[str], delivery_ids: set[str], digests: Digests
) -> Verdict:
    """What becomes of one stored event (stream message or outbox row); tolerant of anything
    that is not an event: what cannot be read is kept."""
    try:
        envelope = json.loads(data)
        kind, payload = envelope["type"], envelope["data"]
    except (ValueError, KeyError, TypeError):
        return KEEP
    if not isinstance(payload, dict):
        return KEEP
    if kind == INBOUND_MESSAGE_RECEIVED:
        sender = payload.get("sender")
        if isinstance(sender, dict) and digests.point(sender) in contacts:
            return DROP
        return KEEP
    if (
        kind not in (NOTIFICATION_DELIVERED, NOTIFICATION_FAILED)
        or payload.get("delivery_id") not in delivery_ids
    ):
        return KEEP
    if subject.startswith("khum.dlq."):
        return DROP
    cleaned = {**payload, "recipient": ERASED}
    if kind == NOTIFICATION_FAILED:
        cleaned["reason"] = ERASED
    if cleaned == payload:
        return KEEP
    return json.dumps({**envelope, "data": cleaned}, ensure_ascii=False, separators=(",", ":")).encode()


def _id_digest(contact_id: str, digests: Digests) -> str | None:
    channel, _, address = contact_id.partition(":")
    return digests.contact(channel, address)


@dataclass
class Holdings:
    """What notify holds of the person: their contact ids, the needs that list them, and their
    deliveries (with failed ones to an invalid address on their needs)."""

    contact_ids: set[str] = field(default_factory=set)
    need_ids: list[str] = field(default_factory=list)
    delivery_ids: list[str] = field(default_factory=list)


class NotifyEraser(PersonEraser[Holdings]):
    """Notify's part, on its needs consumer (in stream order, after every event that came before
    it, so no earlier NeedSubmitted brings the person back)."""

    def __init__(self, runtime: Runtime, clock: Clock, durable: str) -> None:
        self.store = runtime.store
        self.clock = clock
        self.consumer = durable
        self.digests = Digests(runtime.settings.identity_secret.get_secret_value())

    async def find(self, erased: PersonErasedV1) -> Holdings:
        """Reads go through the store (committed state); each write re-reads in the transaction."""
        store, found = self.store, Holdings()
        contacts = set(erased.contact_digests)
        if contacts:
            async for doc in store.iterate("contacts", {}):
                if _id_digest(doc["id"], self.digests) in contacts:
                    found.contact_ids.add(doc["id"])
            # Every need, not only those the event names: a merge copies contacts to the survivor.
            async for need in store.iterate("needs", {}):
                named = {c for c in need.get("contacts", []) if _id_digest(c, self.digests) in contacts}
                if named:
                    found.contact_ids |= named
                    found.need_ids.append(need["id"])
        wanted = In(tuple(sorted(found.contact_ids)))
        theirs = [d async for d in store.iterate("deliveries", {"target": wanted})]
        theirs += await self._invalid_addresses_on(erased.need_ids)
        found.delivery_ids = [d["id"] for d in theirs]
        return found

    async def erase_stored(self, tx: Transaction, erased: PersonErasedV1, found: Holdings) -> None:
        """Everything in the store, and the ``erasures`` record says "scrubbing"."""
        now, counts, ids = self.clock.now(), Erased(), found.contact_ids
        for cid in ids:
            counts.contacts += await tx.delete("contacts", cid)
        wanted = In(tuple(sorted(ids)))
        counts.subscriptions = await self._delete_all(tx, "subscriptions", {"contact_id": wanted})
        counts.inbound_messages = await self._delete_all(tx, "inbound_messages", {"contact_id": wanted})
        counts.inbound_messages += await self._delete_all(tx, "voice_notes", {"contact_id": wanted})
        counts.needs = await self._forget_in_needs(tx, ids, found.need_ids, now)
        await self._delete_all(tx, "meeting_people", {"contact_id": wanted})
        for delivery_id in found.delivery_ids:
            current = await tx.get("deliveries", delivery_id)
            if current is None or current["target"] == erased_target(erased.erasure_id):
                continue
            if current.get("provider_id"):
                counts.pending_receipts += await tx.delete("pending_receipts", current["provider_id"])
            await self._anonymise(tx, current, erased.erasure_id, now)
            counts.deliveries += 1
        await self._record(tx, erased.erasure_id, "scrubbing", now, counts=counts)

    async def remove_files(self, erased: PersonErasedV1, found: Holdings) -> None:
        """Notify keeps no files: voice notes are in the store, and went with its messages."""

    async def streams(self, erased: PersonErasedV1, found: Holdings) -> Sequence[StreamScrub]:
        """The person's messages and their deliveries' events, in KHUM_NOTIFY and dead letters."""
        contacts = set(erased.contact_digests)
        delivery_ids = {
            d["id"]
            async for d in self.store.iterate("deliveries", {"target": erased_target(erased.erasure_id)})
        }
        if not contacts and not delivery_ids:
            return ()

        def decide(subject: str, data: bytes) -> Verdict:
            return verdict(subject, data, contacts=contacts, delivery_ids=delivery_ids, digests=self.digests)

        return (
            StreamScrub("KHUM_NOTIFY", NOTIFY_SUBJECTS, decide),
            StreamScrub("KHUM_DLQ", DEAD_LETTER_SUBJECTS, decide),
        )

    async def finish(
        self, tx: Transaction, erased: PersonErasedV1, found: Holdings, scrubbed: Mapping[str, Scrubbed]
    ) -> None:
        record = await self._record(tx, erased.erasure_id, "done", self.clock.now(), streams=scrubbed)
        log.info("erasure %s: erased in notify's store %s", erased.erasure_id, record.get("erased"))

    async def _delete_all(self, tx: Transaction, collection: str, where: dict[str, Any]) -> int:
        found = [doc["id"] async for doc in self.store.iterate(collection, where)]
        return sum([await tx.delete(collection, doc_id) for doc_id in found])

    async def _forget_in_needs(
        self, tx: Transaction, contact_ids: set[str], need_ids: Iterable[str], now: datetime
    ) -> int:
        """Notify's copies of these needs stop listing the person as someone to tell."""
        changed = 0
        for need_id in need_ids:
            current = await tx.get("needs", need_id)
            if current is None:
                continue
            kept = [c for c in current.get("contacts", []) if c not in contact_ids]
            stamp = now.isoformat()
            await tx.replace(
                "needs",
                {**current, "contacts": kept, "updated_at": stamp},
                expected_version=current["version"],
            )
            changed += 1
        return changed

    async def _invalid_addresses_on(self, need_ids: Iterable[str]) -> list[dict[str, Any]]:
        """Failed deliveries to an invalid address (target ``<channel>:invalid:<hash>``) on the
        person's needs: the hash may be the person's mistyped number."""
        found: list[dict[str, Any]] = []
        for need_id in need_ids:
            need = await self.store.get("needs", need_id)
            if need is None:
                continue
            async for doc in self.store.iterate("deliveries", {"ref": need["tracking_code"]}):
                if doc["target"].partition(":")[2].startswith("invalid:"):
                    found.append(doc)
        return found

    async def _anonymise(self, tx: Transaction, doc: dict[str, Any], erasure_id: str, now: datetime) -> None:
        clean = anonymised(doc, erasure_id, now)
        if Status(doc["status"]) in FINAL | {Status.SENT}:
            await tx.replace("deliveries", clean, expected_version=doc["version"])
            return
        # Queued or being sent: it must never go out now. Failing it tells the rest of Khum so,
        # with an event that names nobody.
        await deliveries.move(
            tx,
            clean,
            Status.FAILED,
            now,
            note=ERASED_ERROR,
            last_error={"code": ERASED_ERROR, "reason": ERASED},
            dead_letter=False,
        )

    async def _record(
        self,
        tx: Transaction,
        erasure_id: str,
        status: str,
        now: datetime,
        *,
        counts: Erased | None = None,
        streams: Mapping[str, Scrubbed] | None = None,
    ) -> dict[str, Any]:
        existing = await tx.get("erasures", erasure_id)
        doc: dict[str, Any] = existing or {"id": erasure_id, "started_at": now.isoformat(), "erased": {}}
        if counts is not None:
            before = doc.get("erased") or {}
            doc["erased"] = {key: before.get(key, 0) + value for key, value in asdict(counts).items()}
        if streams is not None:
            doc["streams"] = {name: asdict(s) for name, s in streams.items()}
        doc = {**doc, "status": status, "updated_at": now.isoformat()}
        if status == "done":
            doc["done_at"] = now.isoformat()
        if existing is None:
            return await tx.insert("erasures", doc)
        return await tx.replace("erasures", doc, expected_version=existing["version"])
