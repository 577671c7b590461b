"""The dispatcher: sends queued deliveries through their channel adapters.

A pass takes the queued deliveries that are due, in order of when they are due, and for each:
waits out quiet hours (moves ``next_attempt_at`` to the end of the quiet period), honours the
channel's rate limit, claims it (queued -> sending, a versioned write, so two replicas never
both send it), re-checks consent, sends it outside any transaction, and records the outcome:
sent (with the provider's id), queued again after a backoff, or failed (to dead letters when an
operator should look). A delivery stuck in "sending" longer than the lease (its worker died
mid-send) is queued again: a rare duplicate beats a lost message, and the SMS provider drops a
repeated ``reference``. Channels run side by side; one slow provider holds up only itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from contracts.notify import DeliveryChannel
from services.notify import deliveries
from services.notify.channels import LOCAL_CHANNELS, Outbound, SendError, Sent
from services.notify.digest import DailyDigest
from services.notify.domain.delivery import Status
from services.notify.exchange import Exchange
from services.notify.recipients import deactivate_push, opt_out
from services.runtime.stores import Store, VersionConflictError

log = logging.getLogger(__name__)

BATCH = 200
OFF_CHANNEL_RECHECK = timedelta(minutes=5)
WAIT_FOR_TOKEN_MAX = 1.0


class Wakeup:
    """The dispatcher's doorbell. Whoever commits queued deliveries rings it, so they go now
    rather than at the next poll; the dispatcher owns it and is the only one that waits."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def ring(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    async def wait(self, at_most: float) -> None:
        """Until rung, or ``at_most`` seconds."""
        try:
            async with asyncio.timeout(at_most):
                await self._event.wait()
        except TimeoutError:
            pass


class Dispatcher:
    def __init__(self, exchange: Exchange, store: Store, on_commit: Callable[[], None] | None = None) -> None:
        self.exchange = exchange
        self.store = store
        self.on_commit = on_commit or (lambda: None)
        self.wakeup = Wakeup()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.sent = 0
        self.digest = DailyDigest(store)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notify-dispatcher")

    async def stop(self) -> None:
        # Python 3.11's wait_for can swallow a cancel that lands as its wait ends; the flag makes
        # the loop end anyway.
        self._stopping = True
        self.wakeup.ring()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        interval = self.exchange.settings.dispatch_interval_seconds
        while not self._stopping:
            self.wakeup.clear()
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatch pass failed; retrying")
            await self.wakeup.wait(interval)

    async def due(self, now: datetime) -> list[dict[str, Any]]:
        """Queued deliveries whose time has come, soonest first (and stale "sending" ones)."""
        stamp = now.isoformat()
        found: list[dict[str, Any]] = []
        async for doc in self.store.iterate("deliveries", {"status": Status.QUEUED.value}):
            if doc["channel"] not in LOCAL_CHANNELS and doc["next_attempt_at"] <= stamp:
                found.append(doc)
        lease = timedelta(seconds=self.exchange.settings.sending_lease_seconds)
        async for doc in self.store.iterate("deliveries", {"status": Status.SENDING.value}):
            if doc.get("claimed_at", stamp) <= (now - lease).isoformat():
                await self._requeue_stale(doc, now)
        found.sort(key=lambda d: (d["next_attempt_at"], d["id"]))
        return found[:BATCH]

    async def run_once(self) -> int:
        """One pass over what is due; returns how many deliveries were sent."""
        now = self.exchange.clock.now()
        if await self.digest.run_once(now):
            self.on_commit()  # the digests' NotificationQueued events
        by_channel: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for doc in await self.due(now):
            by_channel[doc["channel"]].append(doc)
        results = await asyncio.gather(*(self._channel(ch, docs) for ch, docs in by_channel.items()))
        return sum(results)

    async def _channel(self, channel: str, docs: list[dict[str, Any]]) -> int:
        adapter = self.exchange.adapters.get(DeliveryChannel(channel))
        sent = 0
        for doc in docs:
            now = self.exchange.clock.now()
            if adapter is None:
                # The channel was switched off after these were queued: keep them, look again later.
                await self._postpone(doc, now + OFF_CHANNEL_RECHECK, "channel off")
                continue
            quiet_until = self._quiet_until(doc, now)
            if quiet_until is not None:
                await self._postpone(doc, quiet_until, "quiet hours")
                continue
            wait = self.exchange.rate_limits.try_take(channel, time.monotonic())
            if wait > WAIT_FOR_TOKEN_MAX:
                break  # the rest of this channel waits for the next pass
            if wait > 0:
                await asyncio.sleep(wait)
                if self.exchange.rate_limits.try_take(channel, time.monotonic()) > 0:
                    break
            claimed = await self._claim(doc, now)
            if claimed is None:
                continue
            message = await self._outbound(claimed)
            if message is None:
                continue
            try:
                result = await adapter.send(message)
            except SendError as error:
                await self._failed(claimed, error)
                continue
            except Exception as exc:  # an adapter bug must not stop the others
                log.exception("adapter %s raised on %s", channel, claimed["id"])
                await self._failed(claimed, SendError(f"{channel}.error", repr(exc), permanent=False))
                continue
            await self._sent(claimed, result)
            sent += 1
        self.sent += sent
        return sent

    def _quiet_until(self, doc: dict[str, Any], now: datetime) -> datetime | None:
        quiet = self.exchange.quiet
        if quiet is None or doc.get("quiet_exempt") or doc["channel"] not in self.exchange.quiet_channels:
            return None
        return quiet.until(now)

    async def _postpone(self, doc: dict[str, Any], until: datetime, note: str) -> None:
        try:
            async with self.store.transaction() as tx:
                current = await tx.get("deliveries", doc["id"])
                if current is None or current["status"] != Status.QUEUED.value:
                    return
                await tx.replace(
                    "deliveries",
                    {**current, "next_attempt_at": until.isoformat(), "deferred": note},
                    expected_version=current["version"],
                )
        except VersionConflictError:
            pass

    async def _claim(self, doc: dict[str, Any], now: datetime) -> dict[str, Any] | None:
        try:
            async with self.store.transaction() as tx:
                current = await tx.get("deliveries", doc["id"])
                if current is None or current["status"] != Status.QUEUED.value:
                    return None
                return await deliveries.move(
                    tx,
                    current,
                    Status.SENDING,
                    now,
                    attempts=current["attempts"] + 1,
                    claimed_at=now.isoformat(),
                )
        except VersionConflictError:
            return None  # another replica claimed it first

    async def _outbound(self, doc: dict[str, Any]) -> Outbound | None:
        """The message with its full address, read at send time; a contact who opted out since
        the delivery was queued gets nothing."""
        channel = DeliveryChannel(doc["channel"])
        keys: dict[str, str] = {}
        if channel is DeliveryChannel.PUSH:
            endpoint = await self.store.get("push_endpoints", doc["target"])
            if endpoint is None or not endpoint.get("active"):
                await self._failed(doc, SendError("push.unsubscribed", "push was turned off", permanent=True))
                return None
            address, keys = endpoint["endpoint"], dict(endpoint["keys"])
        else:
            contact = await self.store.get("contacts", doc["target"])
            if contact is None:
                await self._failed(doc, SendError("recipient.unknown", "no such contact", permanent=True))
                return None
            if contact.get("opted_out") and not doc.get("ignore_opt_out"):
                await self._failed(doc, SendError("recipient.opted_out", "opted out", permanent=True))
                return None
            address = contact["address"]
        return Outbound(
            delivery_id=doc["id"],
            channel=channel,
            address=address,
            text=doc["text"],
            language=doc.get("language") or "km",
            subject=doc.get("subject"),
            keys=keys,
            data=dict(doc.get("data") or {}),
        )

    async def _sent(self, doc: dict[str, Any], result: Sent) -> None:
        now = self.exchange.clock.now()
        async with self.store.transaction() as tx:
            current = await tx.get("deliveries", doc["id"])
            if current is None or current["status"] != Status.SENDING.value:
                return
            stored = await deliveries.move(
                tx,
                current,
                Status.SENT,
                now,
                provider_id=result.provider_id,
                parts=result.parts,
                last_error=None,
            )
            if result.provider_id:
                await deliveries.apply_early_receipt(tx, stored, result.provider_id, now)
        self.on_commit()

    async def _failed(self, doc: dict[str, Any], error: SendError) -> None:
        now = self.exchange.clock.now()
        async with self.store.transaction() as tx:
            current = await tx.get("deliveries", doc["id"])
            if current is None or current["status"] != Status.SENDING.value:
                return
            last_error = {"code": error.code, "reason": error.reason}
            if error.gone:
                await self._forget_address(tx, current, now)
            if not error.permanent and not self.exchange.retry.exhausted(current["attempts"]):
                delay = self.exchange.retry.delay(current["attempts"], self.exchange.rng, error.retry_after)
                await deliveries.move(
                    tx,
                    current,
                    Status.QUEUED,
                    now,
                    note=error.code,
                    last_error=last_error,
                    next_attempt_at=(now + timedelta(seconds=delay)).isoformat(),
                )
                return
            if not error.permanent:
                last_error = {"code": "retries_exhausted", "reason": f"{error.code}: {error.reason}"[:1000]}
            expected = error.code in ("recipient.opted_out", "push.unsubscribed", "push.subscription_gone")
            await deliveries.move(
                tx,
                current,
                Status.FAILED,
                now,
                note=last_error["code"],
                last_error=last_error,
                dead_letter=not expected,
            )
        self.on_commit()

    async def _forget_address(self, tx: Any, doc: dict[str, Any], now: datetime) -> None:
        """A push subscription answered 404/410, or a person blocked the Telegram bot."""
        if doc["channel"] == DeliveryChannel.PUSH.value:
            endpoint = await tx.get("push_endpoints", doc["target"])
            if endpoint is not None:
                await deactivate_push(tx, endpoint["endpoint"], now, reason="gone")
        else:
            contact = await tx.get("contacts", doc["target"])
            if contact is not None:
                await opt_out(tx, contact, now)

    async def _requeue_stale(self, doc: dict[str, Any], now: datetime) -> None:
        try:
            async with self.store.transaction() as tx:
                current = await tx.get("deliveries", doc["id"])
                if current is None or current["status"] != Status.SENDING.value:
                    return
                await deliveries.move(tx, current, Status.QUEUED, now, note="lease expired")
        except VersionConflictError:
            pass
