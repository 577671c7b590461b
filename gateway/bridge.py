"""Bridges NATS events to GraphQL subscriptions, filtered by who may see them.

One ordered, ephemeral JetStream consumer per event type, starting at new messages: it sees
each stored event once (the broker has already absorbed relay duplicates), and fans it out to
in-process listeners keyed by audience.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from contracts.notify import NOTIFICATION_QUEUED, NotificationQueuedV1
from contracts.registry import UnreadableEvent, read_event
from contracts.subjects import all_communes
from services.runtime.bus import Bus

log = logging.getLogger(__name__)

LISTENER_QUEUE = 100


class EventBridge:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self._listeners: dict[str, set[asyncio.Queue[NotificationQueuedV1]]] = defaultdict(set)
        self._sub: Any = None

    async def start(self) -> None:
        self._sub = await self.bus.js.subscribe(
            all_communes(NOTIFICATION_QUEUED),
            stream="KHUM_NOTIFY",
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.NEW,
            cb=self._on_notification,
        )

    async def stop(self) -> None:
        if self._sub is not None:
            try:
                await self._sub.unsubscribe()
            except Exception:  # the connection may be closing already
                log.debug("unsubscribe failed", exc_info=True)
            self._sub = None

    async def _on_notification(self, msg: Msg) -> None:
        try:
            _, notification = read_event(msg.data, NotificationQueuedV1)
        except UnreadableEvent as exc:
            log.warning("bridge skipped an unreadable notification: %s", exc)
            return
        for queue in list(self._listeners.get(notification.audience, ())):
            if queue.full():
                log.warning("a slow subscriber missed a notification")
                continue
            queue.put_nowait(notification)

    @asynccontextmanager
    async def listen(self, audiences: Iterable[str]) -> AsyncIterator[asyncio.Queue[NotificationQueuedV1]]:
        queue: asyncio.Queue[NotificationQueuedV1] = asyncio.Queue(LISTENER_QUEUE)
        keys = tuple(audiences)
        for key in keys:
            self._listeners[key].add(queue)
        try:
            yield queue
        finally:
            for key in keys:
                self._listeners[key].discard(queue)
                if not self._listeners[key]:
                    del self._listeners[key]
