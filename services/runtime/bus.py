"""The NATS JetStream connection a service publishes and consumes through."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, PubAck, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from contracts.subjects import STREAMS
from services.runtime.failover import ServerChooser, node_of
from services.runtime.settings import ServiceSettings
from services.runtime.stores.port import OutboxRow

log = logging.getLogger(__name__)

# The broker drops a re-published event id seen within this window; consumer inboxes cover
# anything older, so the window only has to outlast a relay restart.
DUPLICATE_WINDOW_SECONDS = 120.0
PUBLISH_ACK_TIMEOUT_SECONDS = 3.0
"""How long the relay waits for one event's ack before it retries that event (and only it)."""


@dataclass(frozen=True)
class BusTuning:
    """How fast a dead or partitioned node is noticed (``KHUM_<SERVICE>_NATS_*`` settings).

    A silent node (no TCP reset) is caught by the pings: one every ``ping_interval`` seconds,
    and the connection is declared stale when more than ``max_outstanding_pings`` are
    unanswered (4-6 s with 2 and 2). A node that answers pings but is cut off from its peers
    (no JetStream quorum behind it) is caught by the probe: ``$JS.API.INFO`` every
    ``probe_interval`` seconds, and after ``probe_failures`` consecutive timeouts or errors the
    bus leaves that node for another one of the cluster.
    """

    ping_interval: int = 2
    max_outstanding_pings: int = 2
    probe_interval: float = 2.0
    probe_timeout: float = 1.5
    probe_failures: int = 2

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> BusTuning:
        return cls(
            ping_interval=settings.nats_ping_interval,
            max_outstanding_pings=settings.nats_max_outstanding_pings,
            probe_interval=settings.nats_probe_interval,
            probe_timeout=settings.nats_probe_timeout,
            probe_failures=settings.nats_probe_failures,
        )


class Bus:
    def __init__(self, url: str, name: str, tuning: BusTuning | None = None) -> None:
        self.url = url
        self.name = name
        self.tuning = tuning or BusTuning()
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        # Called after a reconnect: whatever relied on core NATS messages may have missed some.
        self.on_reconnect: list[Callable[[], None]] = []
        self.chooser = ServerChooser(avoid_seconds=15.0, retry_wait=0.5)
        self._node: tuple[str, int] | None = None
        self._probe_task: asyncio.Task[None] | None = None
        self.probe_failures = 0
        self.probe_error: str | None = None
        self.publish_stalls = 0
        self.forced_reconnects = 0
        self._last_forced = 0.0

    async def _reconnected(self) -> None:
        self._remember_node()
        self.probe_failures = 0
        self.probe_error = None
        self.publish_stalls = 0
        for callback in self.on_reconnect:
            callback()

    async def _disconnected(self) -> None:
        # The node just left is tried last for a while: if it went silent or lost its peers,
        # reconnecting straight to it would only fail again.
        self.chooser.avoid(self._node)

    def _remember_node(self) -> None:
        url = self._nc.connected_url if self._nc is not None else None
        self._node = node_of(url) if url is not None else None

    @property
    def node(self) -> tuple[str, int] | None:
        """The (host, port) of the node the bus is connected to now, if any."""
        return self._node if self.is_connected else None

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
            ping_interval=self.tuning.ping_interval,
            max_outstanding_pings=self.tuning.max_outstanding_pings,
            reconnected_cb=self._reconnected,
            disconnected_cb=self._disconnected,
            reconnect_to_server_handler=self.chooser,
        )
        self._remember_node()
        self._js = self._nc.jetstream()
        self._probe_task = asyncio.create_task(self._probe_loop(), name=f"{self.name}-jetstream-probe")

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

    @property
    def is_healthy(self) -> bool:
        """Connected, JetStream answered the last probe, and the last publishes were acknowledged
        (what ``/readyz`` reports)."""
        return self.is_connected and self.probe_failures == 0 and self.publish_stalls == 0

    async def publish_outcome(self, acked: int, unacked: int) -> None:
        """The relay's report of a pass: acks that never came, with none that did, count as a stall.

        A node that leads the JetStream meta group keeps answering ``$JS.API.INFO`` for a while
        after it is cut off (until it steps down for lack of quorum, ~20 s), yet stores nothing:
        publishes that get no ack are the first sign. After ``probe_failures`` such passes in a
        row the bus leaves the node, as it does after failed probes.
        """
        if unacked and not acked:
            self.publish_stalls += 1
            self.probe_error = f"no publish ack for {unacked} events"
            await self._leave_if_cut_off()
        elif acked:
            self.publish_stalls = 0

    async def probe(self) -> None:
        """One ``$JS.API.INFO`` request: raises when JetStream does not answer, or answers an error.

        Every service user may send it (infra/nats/cluster/users.conf). In a cluster the meta
        leader answers; a node cut off from its peers has none and stays silent or says
        "JetStream system temporarily unavailable".
        """
        reply = await self.nc.request("$JS.API.INFO", b"", timeout=self.tuning.probe_timeout)
        body = json.loads(reply.data or b"{}")
        if isinstance(body, dict) and body.get("error"):
            raise RuntimeError(f"JetStream: {body['error'].get('description', body['error'])}")

    async def _probe_loop(self) -> None:
        while True:
            await asyncio.sleep(self.tuning.probe_interval)
            if not self.is_connected:
                continue
            try:
                await self.probe()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.probe_failures += 1
                self.probe_error = f"{type(exc).__name__}: {str(exc)[:200]}"
                log.warning("JetStream probe failed (%d in a row): %s", self.probe_failures, self.probe_error)
                await self._leave_if_cut_off()
            else:
                if self.probe_failures:
                    log.info("JetStream probe answers again after %d failures", self.probe_failures)
                self.probe_failures = 0
                self.probe_error = None

    async def _leave_if_cut_off(self) -> None:
        """After ``probe_failures`` misses (probes or publish passes) while TCP stays up, move to
        another node.

        At most once per ``probe_failures`` probe periods, so a cluster with no quorum anywhere
        (two nodes down) is not hammered with reconnects.
        """
        now = time.monotonic()
        gap = self.tuning.probe_failures * self.tuning.probe_interval
        failures = max(self.probe_failures, self.publish_stalls)
        if failures < self.tuning.probe_failures or now - self._last_forced < gap:
            return
        if self._nc is None or len(self._nc.servers) < 2:
            return
        self._last_forced = now
        self.forced_reconnects += 1
        log.warning("NATS node %s has no JetStream behind it: reconnecting to another node", self._node)
        self.chooser.avoid(self._node)
        self.publish_stalls = 0
        await self._nc.force_reconnect()

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

    async def publish_row(self, row: OutboxRow) -> asyncio.Future[PubAck]:
        """Send one outbox row with ``Nats-Msg-Id`` = event id; the future resolves on its ack.

        The broker drops a second copy with the same id within the duplicate window, so a row
        whose ack was lost can be sent again safely.
        """
        headers = {**row.headers, "Nats-Msg-Id": row.event_id}
        return await self.js.publish_async(row.subject, row.payload, headers=headers)

    async def close(self) -> None:
        """Drain: finish in-flight work, flush, then close the connection."""
        if self._probe_task is not None:
            self._probe_task.cancel()
            await asyncio.gather(self._probe_task, return_exceptions=True)
            self._probe_task = None
        if self._nc is not None and not self._nc.is_closed:
            try:
                await self._nc.drain()
            except Exception:  # the server may already be gone; closing is all that is left
                log.exception("drain failed, closing")
                await self._nc.close()
        self._nc = None
        self._js = None
