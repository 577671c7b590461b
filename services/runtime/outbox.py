"""The transactional outbox relay: publishes committed events in order, marks them sent on ack.

A crash between commit and publish loses nothing (the rows are still unsent at restart); a
crash between publish and mark makes a duplicate that the broker's dedup window (same
``Nats-Msg-Id``) or the consumer's inbox absorbs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta

from contracts.envelope import Envelope
from services.runtime.bus import Bus
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
    ) -> None:
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
        """Publish one batch of pending rows; returns how many the broker acknowledged."""
        rows = await self.store.pending_outbox(self.batch)
        if not rows or not self.bus.is_connected:
            return 0
        stored = await self.bus.publish_rows(rows)
        await self.store.mark_sent(stored)
        self.published += len(stored)
        EVENTS_PUBLISHED.labels(self.process).inc(len(stored))
        return len(stored)

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
            if sent >= self.batch:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), self.idle_poll_seconds)
            except TimeoutError:
                pass
