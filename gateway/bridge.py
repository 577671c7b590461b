"""Bridges NATS events to GraphQL subscriptions, filtered by who may see them.

One *tail* per feed (notifications, need status changes, meetings events): a pull consumer
with no acks that the bridge itself positions. It starts after the stream's last message when
the gateway starts (never at the beginning: a new screen gets new events, not history), keeps
the stream sequence of the last message it handled, and after any failure (nats-server killed,
paused or restarted, the consumer gone) makes a new consumer starting just after that sequence.
A message at or below the position is never handed out twice, whatever the broker replays.

A subscriber is a :class:`Listener` keyed by the audience of a notification, or the commune of
anything else. It may pass the stream sequence of the last event it saw (its cursor): it first
gets what matched since then, read from the stream up to the tail's position at the moment it
registered, then live events above that position; so each event once, in stream order.

A subscriber that cannot keep up (its backlog of live events waiting, ``live_backlog``) is not dropped
silently: it gets every event it had, then :class:`SubscriberTooSlow`, and the resolver closes
the WebSocket with ``CLOSE_TOO_SLOW``; the client subscribes again from its cursor. The
position lives in memory only: after a gateway restart nobody is listening, and each client's
cursor is the position that matters (see docs/integrators.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import BaseModel, ValidationError

from contracts.envelope import Envelope
from contracts.needs import NEED_STATUS_CHANGED
from contracts.notify import NOTIFICATION_QUEUED
from contracts.registry import EVENTS, UnreadableEvent, read_event
from contracts.subjects import STREAM_BY_CONTEXT, all_communes
from services.runtime.bus import Bus

log = logging.getLogger(__name__)

LISTENER_LIMIT = 500
MAX_REPLAY = 10_000
CLOSE_TOO_SLOW = 4420
"""WebSocket close code for a subscriber that fell its backlog (``LISTENER_LIMIT`` by default)
behind: resubscribe with the cursor of the last event received (nothing is lost)."""

MEETING_EVENTS = "khum.meetings"
"""The feed of every meetings event, whatever its type, keyed by commune."""

_BATCH = 256
_IDLE_CHECKS = 3


class SubscriberTooSlow(Exception):
    """The listener fell too far behind; it has had every event before this."""


class ReplayTooLong(Exception):
    """More than ``MAX_REPLAY`` events since the cursor: reload the list instead."""


@dataclass(frozen=True)
class Feed:
    """What the bridge carries for one kind of subscription, and the key listeners choose by."""

    name: str
    stream: str
    subject: str
    model: type[BaseModel] | None
    key: Callable[[Envelope, Any], str]


def by_commune(envelope: Envelope, _: Any) -> str:
    return envelope.communecode


def _typed(event_type: str, key: Callable[[Envelope, Any], str]) -> Feed:
    return Feed(
        event_type,
        STREAM_BY_CONTEXT[event_type.split(".")[1]],
        all_communes(event_type),
        EVENTS[event_type].model,
        key,
    )


FEEDS: list[Feed] = [
    _typed(NOTIFICATION_QUEUED, lambda _, n: str(n.audience)),
    _typed(NEED_STATUS_CHANGED, by_commune),
    Feed(MEETING_EVENTS, "KHUM_MEETINGS", "khum.meetings.>", None, by_commune),
]


@dataclass(frozen=True)
class Delivery:
    envelope: Envelope
    payload: BaseModel | None
    seq: int
    """Stream sequence: the subscriber's cursor once it has this event."""


def _decode(feed: Feed, msg: Msg) -> Delivery | None:
    seq = msg.metadata.sequence.stream
    try:
        if feed.model is None:
            return Delivery(Envelope.model_validate_json(msg.data), None, seq)
        envelope, payload = read_event(msg.data, feed.model)
    except (UnreadableEvent, ValidationError) as exc:
        # The consumers dead-letter it; a screen has nothing to show.
        log.warning("bridge passed over an unreadable event on %s: %s", msg.subject, exc)
        return None
    return Delivery(envelope, payload, seq)


def _config(start: int) -> ConsumerConfig:
    return ConsumerConfig(
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
        opt_start_seq=start,
        ack_policy=AckPolicy.NONE,
        inactive_threshold=60.0,
        mem_storage=True,
    )


class Listener:
    """One subscriber: a replay from its cursor (if any), then live events, each once."""

    def __init__(self, tail: Tail, keys: frozenset[str], after: int | None) -> None:
        self.tail = tail
        self.keys = keys
        self.after = after
        self.high = tail.position  # every event above this reaches offer()
        self._live: deque[Delivery] = deque()
        self._ready = asyncio.Event()
        self.overflowed = False
        self._replay: deque[Delivery] = deque()
        self._replay_next = after + 1 if after is not None and after < self.high else None
        self._replayed = 0

    def offer(self, delivery: Delivery) -> None:
        if self.overflowed:
            return
        if len(self._live) >= LISTENER_LIMIT:
            self.overflowed = True
            log.warning(
                "a %s subscriber fell %d events behind: closing it", self.tail.feed.name, LISTENER_LIMIT
            )
        else:
            self._live.append(delivery)
        self._ready.set()

    async def next(self) -> Delivery:
        while not self._replay and self._replay_next is not None:
            await self._read_replay()
        if self._replay:
            return self._replay.popleft()
        while True:
            while not self._live:
                if self.overflowed:
                    raise SubscriberTooSlow(self.tail.feed.name)
                self._ready.clear()
                await self._ready.wait()
            delivery = self._live.popleft()
            if self.after is None or delivery.seq > self.after:
                return delivery

    async def _read_replay(self) -> None:
        """The next batch of past events for this subscriber, up to ``high``."""
        assert self._replay_next is not None
        js = self.tail.bus.js
        sub = await js.pull_subscribe(
            self.tail.feed.subject, stream=self.tail.feed.stream, config=_config(self._replay_next)
        )
        try:
            for _ in range(_IDLE_CHECKS):
                try:
                    msgs = await sub.fetch(_BATCH, timeout=2.0)
                except (NatsTimeoutError, TimeoutError):
                    if (await sub.consumer_info()).num_pending == 0:
                        self._replay_next = None
                        return
                    continue
                for msg in msgs:
                    delivery = _decode(self.tail.feed, msg)
                    seq = msg.metadata.sequence.stream
                    if seq > self.high:
                        self._replay_next = None
                        return
                    self._replay_next = seq + 1
                    if (
                        delivery is not None
                        and self.tail.feed.key(delivery.envelope, delivery.payload) in self.keys
                    ):
                        self._replayed += 1
                        if self._replayed > MAX_REPLAY:
                            raise ReplayTooLong(self.tail.feed.name)
                        self._replay.append(delivery)
                if self._replay_next > self.high:
                    self._replay_next = None
                return
            raise ConnectionError("the broker did not answer the replay")
        finally:
            with suppress(Exception):
                await sub.unsubscribe()


class Tail:
    """Follows one feed's stream from a position the bridge keeps, and fans events out."""

    def __init__(self, bus: Bus, feed: Feed, backlog: int = LISTENER_LIMIT) -> None:
        self.bus = bus
        self.feed = feed
        self.backlog = backlog
        self.position = 0
        self.listeners: dict[str, set[Listener]] = defaultdict(set)
        self.restarts = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.position = (await self.bus.js.stream_info(self.feed.stream)).state.last_seq
        self._task = asyncio.create_task(self._run(), name=f"bridge-{self.feed.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            sub: Any = None
            try:
                sub = await self._subscribe()
                await self._follow(sub)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.restarts += 1
                log.warning(
                    "bridge %s lost its consumer (%r); resuming after %d", self.feed.name, exc, self.position
                )
                await asyncio.sleep(0.5)
            finally:
                if sub is not None:
                    with suppress(Exception):
                        await sub.unsubscribe()

    async def _subscribe(self) -> Any:
        last = (await self.bus.js.stream_info(self.feed.stream)).state.last_seq
        if last < self.position:
            # The stream was restored from an older copy: its new events reuse sequences.
            log.warning(
                "bridge %s: stream %s is behind the bridge (%d < %d)",
                self.feed.name,
                self.feed.stream,
                last,
                self.position,
            )
            self.position = last
        return await self.bus.js.pull_subscribe(
            self.feed.subject, stream=self.feed.stream, config=_config(self.position + 1)
        )

    async def _follow(self, sub: Any) -> None:
        idle = 0
        while True:
            try:
                msgs = await sub.fetch(_BATCH, timeout=1.0)
            except (NatsTimeoutError, TimeoutError):
                idle += 1
                if idle >= _IDLE_CHECKS:
                    idle = 0
                    # A consumer lost with a restarted server would otherwise idle here forever.
                    try:
                        await sub.consumer_info()
                    except NotFoundError as exc:
                        raise ConnectionError("bridge consumer gone") from exc
                continue
            idle = 0
            for msg in msgs:
                self._dispatch(msg)
                # Let subscribers send between events: a batch is a burst, not a backlog.
                await asyncio.sleep(0)

    def _dispatch(self, msg: Msg) -> None:
        seq = msg.metadata.sequence.stream
        if seq <= self.position:
            return
        self.position = seq
        delivery = _decode(self.feed, msg)
        if delivery is None:
            return
        for listener in list(self.listeners.get(self.feed.key(delivery.envelope, delivery.payload), ())):
            listener.offer(delivery)


class EventBridge:
    def __init__(self, bus: Bus, feeds: Iterable[Feed] = (), backlog: int = LISTENER_LIMIT) -> None:
        self.bus = bus
        self.tails = {feed.name: Tail(bus, feed, backlog) for feed in (list(feeds) or FEEDS)}

    async def start(self) -> None:
        for tail in self.tails.values():
            await tail.start()

    async def stop(self) -> None:
        for tail in self.tails.values():
            await tail.stop()

    @asynccontextmanager
    async def listen(
        self, feed: str, keys: Iterable[str], after: int | None = None
    ) -> AsyncIterator[Listener]:
        """Deliveries of ``feed`` whose key is one of ``keys``, after stream sequence ``after``
        (or from now), until the block ends."""
        tail = self.tails.get(feed)
        if tail is None:
            raise ValueError(f"{feed} is not bridged")
        wanted = frozenset(keys)
        # No await between reading the position and registering: nothing falls in between.
        listener = Listener(tail, wanted, after)
        for key in wanted:
            tail.listeners[key].add(listener)
        try:
            yield listener
        finally:
            for key in wanted:
                tail.listeners[key].discard(listener)
                if not tail.listeners[key]:
                    del tail.listeners[key]
