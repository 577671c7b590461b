"""The NATS JetStream connection a service publishes and consumes through."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from contracts.subjects import STREAMS
from services.runtime.stores.port import OutboxRow

log = logging.getLogger(__name__)

# The broker drops a re-published event id seen within this window; consumer inboxes cover
# anything older, so the window only has to outlast a relay restart.
DUPLICATE_WINDOW_SECONDS = 120.0
PUBLISH_ACK_TIMEOUT_SECONDS = 10.0


class Bus:
    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.name = name
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        # Called after a reconnect: whatever relied on core NATS messages may have missed some.
        self.on_reconnect: list[Callable[[], None]] = []

    async def _reconnected(self) -> None:
        for callback in self.on_reconnect:
            callback()

    async def connect(self) -> None:
        # A cluster is given as comma-separated URLs; the client fails over between them.
        servers = [u.strip() for u in self.url.split(",") if u.strip()]
        self._nc = await nats.connect(
            servers=servers,
            name=self.name,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            connect_timeout=5,
            allow_reconnect=True,
            drain_timeout=5,
            reconnected_cb=self._reconnected,
        )
        self._js = self._nc.jetstream()

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise RuntimeError("bus is not connected")
        return self._js

    @property
    def nc(self) -> Client:
        if self._nc is None:
            raise RuntimeError("bus is not connected")
        return self._nc

    @property
    def is_connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    async def ensure_streams(self, replicas: int = 1) -> None:
        """Create Khum's streams, or bring an existing one to the wanted config. Idempotent."""
        for spec in STREAMS:
            config = StreamConfig(
                name=spec.name,
                description=spec.description,
                subjects=list(spec.subjects),
                retention=RetentionPolicy.LIMITS,
                storage=StorageType.FILE,
                discard=DiscardPolicy.OLD,
                num_replicas=replicas,
                duplicate_window=DUPLICATE_WINDOW_SECONDS,
            )
            try:
                await self.js.add_stream(config)
            except BadRequestError:
                # Exists with another config (e.g. an older description): update it in place.
                await self.js.update_stream(config)

    async def publish_rows(self, rows: Sequence[OutboxRow]) -> list[str]:
        """Publish outbox rows with ``Nats-Msg-Id`` = event id; return the ids the broker stored.

        All rows go out before any ack is awaited (``publish_async``), then the acks are gathered.
        """
        futures = []
        for row in rows:
            headers = {**row.headers, "Nats-Msg-Id": row.event_id}
            futures.append(await self.js.publish_async(row.subject, row.payload, headers=headers))
        try:
            results = await asyncio.wait_for(
                asyncio.gather(*futures, return_exceptions=True), PUBLISH_ACK_TIMEOUT_SECONDS
            )
        except TimeoutError:
            for future in futures:
                future.cancel()
            log.warning("publish acks timed out for %d events", len(rows))
            return []
        stored: list[str] = []
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("publish of %s failed: %s", row.event_id, result)
            else:
                stored.append(row.event_id)
        return stored

    async def close(self) -> None:
        """Drain: finish in-flight work, flush, then close the connection."""
        if self._nc is not None and not self._nc.is_closed:
            try:
                await self._nc.drain()
            except Exception:  # the server may already be gone; closing is all that is left
                log.exception("drain failed, closing")
                await self._nc.close()
        self._nc = None
        self._js = None
