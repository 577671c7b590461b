"""The transactional outbox relay: publishes committed events in order, marks them sent on ack.

A crash between commit and publish loses nothing (the rows are still unsent at restart); a
crash between publish and mark makes a duplicate that the broker's dedup window (same
``Nats-Msg-Id``) or the consumer's inbox absorbs.

A pass sends a batch without waiting (``publish_async``) and marks each row sent as soon as
its own ack arrives; a row whose ack has not come within ``ack_timeout`` (3 s) stays unsent and
is sent again by the next pass, alone with the other unacknowledged ones. So an outage costs
the rows caught in it a few seconds, not the whole batch ten, and a row the broker stored
before the ack was lost is marked as soon as the resend's ack (a duplicate, dropped by the
broker) comes back, well inside the two-minute duplicate window.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta

from nats.js.api import PubAck

from contracts.envelope import Envelope
from services.runtime.bus import PUBLISH_ACK_TIMEOUT_SECONDS, Bus
from services.runtime.logs import correlation_id
from services.runtime.metrics import EVENTS_PUBLISHED
from services.runtime.stores.port import OutboxRow, Store
from services.runtime.tracing import current_traceparent

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 600.0


async def stop_task(task: asyncio.Task[None] | None, grace: float = 5.0) -> None:
    """Cancel a loop task and wait for it, cancelling again if a cancel was swallowed."""
    if task is None:
        return
    for _ in range(3):
        task.cancel()
        done, _pending = await asyncio.wait({task}, timeout=grace)
        if done:
            break
    if task.done() and not task.cancelled() and task.exception() is not None:
        log.error("loop ended with an error: %r", task.exception())


def outbox_row(envelope: Envelope) -> OutboxRow:
    if envelope.correlationid is None and correlation_id.get():
        envelope = envelope.model_copy(update={"correlationid": correlation_id.get()})
    if envelope.traceparent is None:
        traceparent = current_traceparent()
        if traceparent:
            envelope = envelope.model_copy(update={"traceparent": traceparent})
    headers = {"Khum-Type": envelope.type}
    if envelope.correlationid:
        headers["Khum-Correlation-Id"] = envelope.correlationid
    if envelope.traceparent:
        headers["traceparent"] = envelope.traceparent
    return OutboxRow(envelope.id, envelope.nats_subject, envelope.to_bytes(), headers)


class OutboxRelay:
    def __init__(
        self,
        store: Store,
        bus: Bus,
        *,
        batch: int = 256,
        idle_poll_seconds: float = 1.0,
        process: str = "khum",
        keep_sent: timedelta = timedelta(hours=1),
        ack_timeout: float = PUBLISH_ACK_TIMEOUT_SECONDS,
    ) -> None:
        self.ack_timeout = ack_timeout
        self.unacked = 0
        self.process = process
        self.store = store
        self.bus = bus
        self.batch = batch
        self.idle_poll_seconds = idle_poll_seconds
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.published = 0
        self.keep_sent = keep_sent
        self._pruned_at = 0.0

    def wake(self) -> None:
        """Called after a commit that added outbox rows, so they go out without waiting a poll."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        # The flag as well as the cancel: on Python 3.11, wait_for can swallow a cancel that
        # lands just as its wait ends, and the loop would go round again forever.
        self._stopping = True
        self._wake.set()
        await stop_task(self._task)
        self._task = None

    async def flush_once(self) -> int:
        """Publish one batch of pending rows; returns how many the broker acknowledged.

        Each row is marked sent as its own ack arrives (acks that arrive together are marked in
        one write); the rest stay pending for the next pass.
        """
        rows = await self.store.pending_outbox(self.batch)
        if not rows or not self.bus.is_connected:
            return 0
        waiting: dict[asyncio.Future[PubAck], str] = {}
        try:
            for row in rows:
                waiting[await self.bus.publish_row(row)] = row.event_id
            deadline = time.monotonic() + self.ack_timeout
            stored = 0
            while waiting:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                done, _ = await asyncio.wait(waiting, timeout=left, return_when=asyncio.FIRST_COMPLETED)
                acked: list[str] = []
                for future in done:
                    event_id = waiting.pop(future)
                    if future.cancelled():
                        log.warning("publish of %s was cancelled", event_id)
                    elif future.exception() is not None:
                        log.warning("publish of %s failed: %r", event_id, future.exception())
                    else:
                        acked.append(event_id)
                if acked:
                    await self.store.mark_sent(acked)
                    stored += len(acked)
                    self.published += len(acked)
                    EVENTS_PUBLISHED.labels(self.process).inc(len(acked))
        finally:
            for future in waiting:
                future.cancel()
        self.unacked = len(waiting)
        await self.bus.publish_outcome(acked=stored, unacked=len(waiting))
        if waiting:
            log.warning(
                "no ack within %.0f s for %d of %d events; they go again",
                self.ack_timeout,
                len(waiting),
                len(rows),
            )
        return stored

    async def prune_if_due(self) -> None:
        """Sent rows are kept a while for operators to look at, then dropped (every 10 min)."""
        now = time.monotonic()
        if now - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = now
        gone = await self.store.prune_outbox(sent_before=datetime.now(UTC) - self.keep_sent)
        if gone:
            log.info("pruned %d sent outbox rows", gone)

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self.prune_if_due()
                sent = await self.flush_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay pass failed; retrying")
                sent = 0
            # A full batch, or rows whose ack did not come (the pass already waited for them):
            # go again at once.
            if sent >= self.batch or self.unacked:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), self.idle_poll_seconds)
            except TimeoutError:
                pass
