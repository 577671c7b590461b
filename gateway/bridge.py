"""Bridges NATS events to GraphQL subscriptions, filtered by who may see them.

One *tail* per feed (notifications, need status changes, meetings events; see
:mod:`gateway.feeds`): a pull consumer with no acks that the bridge itself positions. It starts
after the stream's last message when the gateway starts (never at the beginning: a new screen
gets new events, not history), keeps the stream sequence of the last message it handled, and
after any failure (nats-server killed, paused or restarted, the consumer gone) makes a new
consumer starting just after that sequence. A message at or below the position is never handed
out twice, whatever the broker replays.

Subscribers are :class:`~gateway.feeds.Listener` objects keyed by the audience of a
notification, or the commune of anything else; they resume from a cursor. One that cannot keep
up is closed by the resolver with ``CLOSE_TOO_SLOW`` and subscribes again from its cursor. The
position lives in memory only: after a gateway restart nobody is listening, and each client's
cursor is the position that matters (see docs/integrators.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, suppress
from typing import Any

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import NotFoundError

from gateway.feeds import (
    BATCH,
    FEEDS,
    IDLE_CHECKS,
    LISTENER_LIMIT,
    MEETING_EVENTS,
    Delivery,
    Feed,
    Listener,
    ReplayTooLong,
    SubscriberTooSlow,
    consumer_config,
    decode,
)
from services.runtime.bus import Bus

log = logging.getLogger(__name__)

CLOSE_TOO_SLOW = 4420
"""WebSocket close code for a subscriber that fell its backlog behind: resubscribe with the
cursor of the last event received (nothing is lost)."""

__all__ = [
    "CLOSE_TOO_SLOW",
    "MEETING_EVENTS",
    "Delivery",
    "EventBridge",
    "ReplayTooLong",
    "SubscriberTooSlow",
]


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
            self.feed.subject, stream=self.feed.stream, config=consumer_config(self.position + 1)
        )

    async def _follow(self, sub: Any) -> None:
        idle = 0
        while True:
            try:
                msgs = await sub.fetch(BATCH, timeout=1.0)
            except (NatsTimeoutError, TimeoutError):
                idle += 1
                if idle >= IDLE_CHECKS:
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
        delivery = decode(self.feed, msg)
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
        listener = Listener(tail.bus, tail.feed, tail.position, tail.backlog, wanted, after)
        for key in wanted:
            tail.listeners[key].add(listener)
        try:
            yield listener
        finally:
            for key in wanted:
                tail.listeners[key].discard(listener)
                if not tail.listeners[key]:
                    del tail.listeners[key]
