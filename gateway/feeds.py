"""What the gateway's event bridge carries (feeds, deliveries) and who receives it (listeners).

A :class:`Listener` is one subscriber. It may pass the stream sequence of the last event it saw
(its cursor): it first gets what matched since then, read straight from the stream up to the
bridge's position at the moment it registered, then the live events the bridge offers above
that position; so each event once, in stream order. Live events wait in a bounded backlog: a
subscriber that lets it fill gets every event it had, then :class:`SubscriberTooSlow`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import BaseModel, ValidationError

from contracts.envelope import Envelope
from contracts.needs import NEED_STATUS_CHANGED
from contracts.notify import NOTIFICATION_QUEUED
from contracts.registry import EVENTS, UnreadableEvent, read_event
from contracts.subjects import STREAM_BY_CONTEXT, all_communes
from services.runtime.bus import Bus

log = logging.getLogger(__name__)

LISTENER_LIMIT = 500
"""Default backlog of live events per subscriber (the gateway's ``live_backlog``)."""
MAX_REPLAY = 10_000

MEETING_EVENTS = "khum.meetings"
"""The feed of every meetings event, whatever its type, keyed by commune."""

BATCH = 256
IDLE_CHECKS = 3


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


def decode(feed: Feed, msg: Msg) -> Delivery | None:
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


def consumer_config(start: int) -> ConsumerConfig:
    return ConsumerConfig(
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
        opt_start_seq=start,
        ack_policy=AckPolicy.NONE,
        inactive_threshold=60.0,
        mem_storage=True,
    )


class Listener:
    """One subscriber: a replay from its cursor (if any), then live events, each once."""

    def __init__(
        self, bus: Bus, feed: Feed, high: int, backlog: int, keys: frozenset[str], after: int | None
    ) -> None:
        self.bus = bus
        self.feed = feed
        self.backlog = backlog
        self.keys = keys
        self.after = after
        self.high = high  # the tail's position when this registered: every event above reaches offer()
        self._live: deque[Delivery] = deque()
        self._ready = asyncio.Event()
        self.overflowed = False
        self._replay: deque[Delivery] = deque()
        self._replay_next = after + 1 if after is not None and after < self.high else None
        self._replayed = 0

    def offer(self, delivery: Delivery) -> None:
        if self.overflowed:
            return
        if len(self._live) >= self.backlog:
            self.overflowed = True
            log.warning("a %s subscriber fell %d events behind: closing it", self.feed.name, self.backlog)
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
                    raise SubscriberTooSlow(self.feed.name)
                self._ready.clear()
                await self._ready.wait()
            delivery = self._live.popleft()
            if self.after is None or delivery.seq > self.after:
                return delivery

    async def _read_replay(self) -> None:
        """The next batch of past events for this subscriber, up to ``high``."""
        assert self._replay_next is not None
        js = self.bus.js
        sub = await js.pull_subscribe(
            self.feed.subject, stream=self.feed.stream, config=consumer_config(self._replay_next)
        )
        try:
            for _ in range(IDLE_CHECKS):
                try:
                    msgs = await sub.fetch(BATCH, timeout=2.0)
                except (NatsTimeoutError, TimeoutError):
                    if (await sub.consumer_info()).num_pending == 0:
                        self._replay_next = None
                        return
                    continue
                for msg in msgs:
                    delivery = decode(self.feed, msg)
                    seq = msg.metadata.sequence.stream
                    if seq > self.high:
                        self._replay_next = None
                        return
                    self._replay_next = seq + 1
                    if (
                        delivery is not None
                        and self.feed.key(delivery.envelope, delivery.payload) in self.keys
                    ):
                        self._replayed += 1
                        if self._replayed > MAX_REPLAY:
                            raise ReplayTooLong(self.feed.name)
                        self._replay.append(delivery)
                if self._replay_next > self.high:
                    self._replay_next = None
                return
            raise ConnectionError("the broker did not answer the replay")
        finally:
            with suppress(Exception):
                await sub.unsubscribe()
