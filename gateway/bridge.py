"""Bridges NATS events to GraphQL subscriptions, filtered by who may see them.

One ordered, ephemeral JetStream consumer per bridged event type, starting at new messages:
it sees each stored event once (the broker has already absorbed relay duplicates) and fans it
out to in-process listeners. Listeners choose by a key the event yields: the audience of a
notification, or the commune of anything else; resolvers decide which keys a caller may use.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from pydantic import BaseModel, ValidationError

from contracts.envelope import Envelope
from contracts.needs import NEED_STATUS_CHANGED
from contracts.notify import NOTIFICATION_QUEUED
from contracts.registry import EVENTS, UnreadableEvent, read_event
from contracts.subjects import STREAM_BY_CONTEXT, all_communes
from services.runtime.bus import Bus

log = logging.getLogger(__name__)

LISTENER_QUEUE = 100


@dataclass(frozen=True)
class Bridged:
    """One event type the bridge carries, and the key listeners select it by."""

    event_type: str
    key: Callable[[Envelope, Any], str]


def by_commune(envelope: Envelope, _: Any) -> str:
    return envelope.communecode


BRIDGED: list[Bridged] = [
    Bridged(NOTIFICATION_QUEUED, lambda _, n: str(n.audience)),
    Bridged(NEED_STATUS_CHANGED, by_commune),
]


@dataclass(frozen=True)
class Delivery:
    envelope: Envelope
    payload: BaseModel


class EventBridge:
    def __init__(self, bus: Bus, bridged: Iterable[Bridged] = ()) -> None:
        self.bus = bus
        self.bridged = list(bridged) or list(BRIDGED)
        self._listeners: dict[tuple[str, str], set[asyncio.Queue[Delivery]]] = defaultdict(set)
        self._meeting_listeners: dict[str, set[asyncio.Queue[Envelope]]] = defaultdict(set)
        self._subs: list[Any] = []

    async def start(self) -> None:
        for item in self.bridged:
            context = item.event_type.split(".")[1]
            self._subs.append(
                await self.bus.js.subscribe(
                    all_communes(item.event_type),
                    stream=STREAM_BY_CONTEXT[context],
                    ordered_consumer=True,
                    deliver_policy=DeliverPolicy.NEW,
                    cb=self._handler(item),
                )
            )
        # Every meetings event, whatever its type: meetingChanged reports them all by commune.
        self._subs.append(
            await self.bus.js.subscribe(
                "khum.meetings.>",
                stream="KHUM_MEETINGS",
                ordered_consumer=True,
                deliver_policy=DeliverPolicy.NEW,
                cb=self._on_meeting_event,
            )
        )

    async def _on_meeting_event(self, msg: Msg) -> None:
        try:
            envelope = Envelope.model_validate_json(msg.data)
        except ValidationError:
            log.warning("bridge skipped an unreadable meetings event on %s", msg.subject)
            return
        for queue in list(self._meeting_listeners.get(envelope.communecode, ())):
            if queue.full():
                log.warning("a slow meetingChanged subscriber missed an event")
                continue
            queue.put_nowait(envelope)

    @asynccontextmanager
    async def listen_meetings(self, commune_code: str) -> AsyncIterator[asyncio.Queue[Envelope]]:
        """One commune's meetings events, of every type, until the block ends."""
        queue: asyncio.Queue[Envelope] = asyncio.Queue(LISTENER_QUEUE)
        self._meeting_listeners[commune_code].add(queue)
        try:
            yield queue
        finally:
            self._meeting_listeners[commune_code].discard(queue)
            if not self._meeting_listeners[commune_code]:
                del self._meeting_listeners[commune_code]

    async def stop(self) -> None:
        for sub in self._subs:
            try:
                await sub.unsubscribe()
            except Exception:  # the connection may be closing already
                log.debug("unsubscribe failed", exc_info=True)
        self._subs.clear()

    def _handler(self, item: Bridged) -> Callable[[Msg], Any]:
        model = EVENTS[item.event_type].model

        async def on_message(msg: Msg) -> None:
            try:
                envelope, payload = read_event(msg.data, model)
            except UnreadableEvent as exc:
                log.warning("bridge skipped an unreadable %s: %s", item.event_type, exc)
                return
            delivery = Delivery(envelope, payload)
            for queue in list(self._listeners.get((item.event_type, item.key(envelope, payload)), ())):
                if queue.full():
                    log.warning("a slow subscriber missed a %s", item.event_type)
                    continue
                queue.put_nowait(delivery)

        return on_message

    @asynccontextmanager
    async def listen(self, event_type: str, keys: Iterable[str]) -> AsyncIterator[asyncio.Queue[Delivery]]:
        """Deliveries of ``event_type`` whose key is one of ``keys``, until the block ends."""
        if not any(item.event_type == event_type for item in self.bridged):
            raise ValueError(f"{event_type} is not bridged")
        queue: asyncio.Queue[Delivery] = asyncio.Queue(LISTENER_QUEUE)
        wanted = [(event_type, key) for key in keys]
        for slot in wanted:
            self._listeners[slot].add(queue)
        try:
            yield queue
        finally:
            for slot in wanted:
                self._listeners[slot].discard(queue)
                if not self._listeners[slot]:
                    del self._listeners[slot]
