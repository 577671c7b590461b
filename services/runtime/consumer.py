"""Durable pull consumers: explicit ack, bounded redelivery with backoff, dead letters.

A consumer names the event types it handles, with their version, in its filter subjects
(``khum.<context>.<Event>.v<N>.<commune or *>``); a filter that names no type (``khum.needs.>``)
is refused when the spec is built. The runtime subscribes to *every* version of those events
and lets through to the handler only an envelope whose type (and subject) is one the consumer
named: anything else (not JSON, no type, an unknown version such as ``…v99``) goes straight to
``KHUM_DLQ`` with its reason. So no consumer can skip an event it does not know: it cannot even
see one without the runtime dead-lettering it.

A handler gets the raw message bytes. It raises :class:`UnreadableEvent` for a message that
can never succeed (bad envelope, bad payload): that message goes to ``KHUM_DLQ`` with the
reason. Any other exception is retried with backoff; after ``max_deliver`` attempts the message
goes to ``KHUM_DLQ`` too. Either way the consumer goes on. Handlers must be idempotent: they
record the event id in their store's inbox in the same transaction as their effect (see
:meth:`Transaction.mark_processed`).

The ack wait is short (``ack_wait``, 5 s) so that messages a crashed process held come back
within seconds, not half a minute. A batch being worked through is kept alive with progress
acknowledgements (``+WPI``) every third of the ack wait, so a slow handler or a long batch is
not redelivered while the process is alive and working.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
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
ACK_WAIT_SECONDS = 5.0

_TYPED_FILTER = re.compile(r"^(khum\.[a-z]+\.[A-Za-z0-9]+)\.(v[0-9]+)\.([0-9]+|\*)$")


@dataclass(frozen=True)
class ConsumerSpec:
    durable: str
    stream: str
    filter_subjects: tuple[str, ...]
    handler: Handler
    max_deliver: int = 6
    backoff: tuple[float, ...] = field(default=DEFAULT_BACKOFF)
    ack_wait: float = ACK_WAIT_SECONDS

    def __post_init__(self) -> None:
        for subject in self.filter_subjects:
            if not _TYPED_FILTER.match(subject):
                raise ValueError(
                    f"{self.durable}: filter {subject!r} names no event type and version "
                    "(khum.<context>.<Event>.v<N>.<commune or *>); a consumer lists what it handles"
                )

    @property
    def accepts(self) -> frozenset[str]:
        """Event types (with version) the handler gets; every other one is dead-lettered."""
        matches = (_TYPED_FILTER.match(subject) for subject in self.filter_subjects)
        return frozenset(f"{m.group(1)}.{m.group(2)}" for m in matches if m is not None)

    @property
    def subscribed(self) -> list[str]:
        """The broker-side filters: every version of each named event, so an unknown version
        reaches this consumer and is dead-lettered instead of sitting unseen in the stream."""
        wide: list[str] = []
        for subject in self.filter_subjects:
            match = _TYPED_FILTER.match(subject)
            assert match is not None
            widened = f"{match.group(1)}.*.{match.group(3)}"
            if widened not in wide:
                wide.append(widened)
        return wide


def unaccepted(spec: ConsumerSpec, subject: str, raw: bytes) -> str | None:
    """Why this message is not one ``spec`` handles, or None when it is."""
    try:
        data = json.loads(raw)
    except ValueError as exc:
        return f"invalid envelope: not JSON ({exc})"
    kind = data.get("type") if isinstance(data, dict) else None
    if not isinstance(kind, str):
        return "invalid envelope: no event type"
    if kind not in spec.accepts:
        return f"unknown event type or version {kind!r} for {spec.durable}"
    if not subject.startswith(kind + "."):
        return f"event type {kind!r} does not match its subject {subject!r}"
    return None


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
            ack_wait=self.spec.ack_wait,
            filter_subjects=self.spec.subscribed,
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
            pending = list(msgs)
            keep_alive = asyncio.create_task(self._keep_alive(pending))
            try:
                while pending:
                    try:
                        await self._process(pending[0])
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        # Acking or dead-lettering failed (the broker is away): the message is
                        # redelivered after the ack wait; the loop must outlive the outage.
                        log.exception("%s could not settle %s", self.spec.durable, pending[0].subject)
                    pending.pop(0)
            finally:
                keep_alive.cancel()

    async def _keep_alive(self, pending: list[Msg]) -> None:
        """Progress acknowledgements for the fetched messages not yet handled, so the short ack
        wait redelivers only what a dead process held, never what a live one is working on."""
        while True:
            await asyncio.sleep(self.spec.ack_wait / 3)
            for msg in list(pending):
                try:
                    await msg.in_progress()
                except Exception:  # the connection may be reconnecting; redelivery covers it
                    log.debug("progress ack failed on %s", self.spec.durable, exc_info=True)

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
        refused = unaccepted(self.spec, msg.subject, msg.data)
        if refused is not None:
            await self._dead_letter(msg, refused)
            EVENTS_CONSUMED.labels(self.spec.durable, "dead_lettered").inc()
            return
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
