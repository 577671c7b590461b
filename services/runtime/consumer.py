"""Durable pull consumers: explicit ack, bounded redelivery with backoff, dead letters.

A handler gets the raw message bytes. It raises :class:`UnreadableEvent` for a message that
can never succeed (bad envelope, bad payload, unknown version): that message goes straight to
``KHUM_DLQ`` with the reason. Any other exception is retried with backoff; after
``max_deliver`` attempts the message goes to ``KHUM_DLQ`` too. Either way the consumer goes on.
Handlers must be idempotent: they record the event id in their store's inbox in the same
transaction as their effect (see :meth:`Transaction.mark_processed`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry.trace import SpanKind

from contracts.registry import UnreadableEvent
from contracts.subjects import dead_letter_subject
from services.runtime.bus import Bus
from services.runtime.logs import correlation_id
from services.runtime.metrics import EVENTS_CONSUMED
from services.runtime.outbox import stop_task
from services.runtime.tracing import span_from

log = logging.getLogger(__name__)

Handler = Callable[[bytes], Awaitable[None]]

DEFAULT_BACKOFF: tuple[float, ...] = (0.5, 2.0, 5.0, 15.0, 30.0)


@dataclass(frozen=True)
class ConsumerSpec:
    durable: str
    stream: str
    filter_subjects: tuple[str, ...]
    handler: Handler
    max_deliver: int = 6
    backoff: tuple[float, ...] = field(default=DEFAULT_BACKOFF)


class Consumer:
    def __init__(self, bus: Bus, spec: ConsumerSpec, *, batch: int = 64) -> None:
        if len(spec.backoff) >= spec.max_deliver:
            raise ValueError("backoff needs fewer steps than max_deliver")
        self.bus = bus
        self.spec = spec
        self.batch = batch
        self._task: asyncio.Task[None] | None = None
        self._sub: Any = None
        self._stopping = False
        self.handled = 0
        self.dead_lettered = 0

    async def start(self) -> None:
        config = ConsumerConfig(
            durable_name=self.spec.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=self.spec.max_deliver,
            ack_wait=30,
            filter_subjects=list(self.spec.filter_subjects),
            max_ack_pending=1000,
        )
        await self.bus.js.add_consumer(self.spec.stream, config)
        self._sub = await self.bus.js.pull_subscribe_bind(durable=self.spec.durable, stream=self.spec.stream)
        self._task = asyncio.create_task(self._run(self._sub), name=f"consumer-{self.spec.durable}")

    async def stop(self) -> None:
        self._stopping = True
        await stop_task(self._task)
        self._task = None
        if self._sub is not None:
            # A pull request still open on the server would otherwise leave a late status
            # message in the subscription's queue, and the connection's drain would wait on it.
            try:
                await self._sub.unsubscribe()
            except Exception:
                log.debug("unsubscribe of %s failed", self.spec.durable, exc_info=True)
            self._sub = None

    async def _run(self, sub: object) -> None:
        while not self._stopping:
            try:
                msgs: Sequence[Msg] = await sub.fetch(self.batch, timeout=1.0)  # type: ignore[attr-defined]
            except (NatsTimeoutError, TimeoutError):
                continue
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("fetch failed on %s; retrying", self.spec.durable)
                await asyncio.sleep(1.0)
                continue
            for msg in msgs:
                await self._process(msg)

    async def _process(self, msg: Msg) -> None:
        headers = msg.headers or {}
        token = correlation_id.set(headers.get("Khum-Correlation-Id"))
        try:
            with span_from(
                headers.get("traceparent"),
                f"consume {self.spec.durable}",
                SpanKind.CONSUMER,
                subject=msg.subject,
            ):
                await self._handle(msg)
        finally:
            correlation_id.reset(token)

    async def _handle(self, msg: Msg) -> None:
        try:
            await self.spec.handler(msg.data)
        except UnreadableEvent as exc:
            await self._dead_letter(msg, str(exc))
            EVENTS_CONSUMED.labels(self.spec.durable, "dead_lettered").inc()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            attempt = msg.metadata.num_delivered
            if attempt >= self.spec.max_deliver:
                await self._dead_letter(msg, f"gave up after {attempt} attempts: {exc!r}")
                EVENTS_CONSUMED.labels(self.spec.durable, "dead_lettered").inc()
                return
            delay = self.spec.backoff[min(attempt, len(self.spec.backoff)) - 1]
            log.warning("%s failed attempt %d, retry in %.1fs: %r", self.spec.durable, attempt, delay, exc)
            await msg.nak(delay=delay)
            EVENTS_CONSUMED.labels(self.spec.durable, "retried").inc()
            return
        await msg.ack()
        log.info("%s handled %s", self.spec.durable, msg.subject)
        self.handled += 1
        EVENTS_CONSUMED.labels(self.spec.durable, "handled").inc()

    async def _dead_letter(self, msg: Msg, reason: str) -> None:
        meta = msg.metadata
        headers = {
            "Nats-Msg-Id": f"{self.spec.durable}:{meta.stream}:{meta.sequence.stream}",
            "Khum-Dlq-Reason": reason.replace("\n", " ")[:1000],
            "Khum-Dlq-Consumer": self.spec.durable,
            "Khum-Dlq-Subject": msg.subject,
            "Khum-Dlq-Stream-Seq": str(meta.sequence.stream),
        }
        await self.bus.js.publish(
            dead_letter_subject(self.spec.durable, msg.subject), msg.data, headers=headers
        )
        # Only after the dead letter is stored: the original must never vanish unrecorded.
        await msg.term()
        self.dead_lettered += 1
        log.error("dead-lettered %s from %s: %s", msg.subject, self.spec.durable, reason)
