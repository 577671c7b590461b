"""Builds a service's FastAPI app: store, bus, streams, outbox relay and consumers in one lifespan.

Each service's ``app.py`` is its composition root and calls :func:`create_service_app`.
Uvicorn turns SIGTERM into a lifespan shutdown, where consumers stop, the relay stops and the
NATS connection drains before the store closes.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request

from services.runtime.bus import Bus, BusTuning
from services.runtime.consumer import Consumer, ConsumerSpec
from services.runtime.edge import Edge
from services.runtime.health import router as health_router
from services.runtime.http import install_error_handlers
from services.runtime.logs import configure_logging
from services.runtime.metrics import router as metrics_router
from services.runtime.outbox import OutboxRelay
from services.runtime.settings import ServiceSettings
from services.runtime.stores import Collection, Store, Transaction, open_store
from services.runtime.tracing import setup_tracing

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What a running service holds: handed to routes and consumers."""

    name: str
    settings: ServiceSettings
    store: Store
    bus: Bus
    relay: OutboxRelay
    consumers: list[Consumer] = field(default_factory=list)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[Transaction]:
        """A store transaction; after it commits, the relay is woken to publish its events."""
        async with self.store.transaction() as tx:
            yield tx
        self.relay.wake()


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

ConsumerFactory = Callable[[Runtime], Sequence[ConsumerSpec]]
StartupHook = Callable[[Runtime], AbstractAsyncContextManager[None]]


def create_service_app(
    *,
    name: str,
    settings: ServiceSettings,
    collections: tuple[Collection, ...],
    routers: Sequence[APIRouter] = (),
    consumers: ConsumerFactory | None = None,
    on_start: Callable[[Runtime], Any] | None = None,
    relay_enabled: bool = True,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = open_store(settings.store_url, collections)
        await store.open()
        bus = Bus(settings.nats_url, name=f"khum-{name}", tuning=BusTuning.from_settings(settings))
        await bus.connect()
        await bus.ensure_streams(replicas=settings.stream_replicas)
        runtime = Runtime(name, settings, store, bus, OutboxRelay(store, bus, process=name))
        # Rows held back while the connection was down go out the moment it is back.
        bus.on_reconnect.append(runtime.relay.wake)
        app.state.runtime = runtime
        app.state.store = store
        app.state.bus = bus
        if on_start is not None:
            await on_start(runtime)
        if relay_enabled:
            runtime.relay.start()
        for spec in consumers(runtime) if consumers else ():
            consumer = Consumer(bus, spec)
            await consumer.start()
            runtime.consumers.append(consumer)
        log.info("%s ready", name)
        try:
            yield
        finally:
            log.info("%s stopping: consumers, relay, NATS drain, store", name)
            for consumer in runtime.consumers:
                await consumer.stop()
            await runtime.relay.stop()
            await bus.close()
            log.info("%s NATS connection drained", name)
            await store.close()
            log.info("%s stopped", name)

    app = FastAPI(title=f"Khum {name}", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    install_error_handlers(app)
    setup_tracing(name, settings.trace_export)
    app.add_middleware(Edge, process=name)
    app.include_router(health_router)
    app.include_router(metrics_router)
    for router in routers:
        app.include_router(router)
    return app


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run one service process (``python -m services.<name>``)."""
    import uvicorn

    process = app.title.removeprefix("Khum ").strip() or "khum"
    configure_logging(process, settings.log_level, settings.log_format)
    # Everything imported so far lives as long as the process: keep it out of every collection,
    # and collect the young generation less often (a GraphQL answer allocates thousands of
    # short-lived objects that reference counting frees anyway; the profile showed the
    # collector at a seventh of the gateway's time under load).
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        # Uvicorn would believe X-Forwarded-For from 127.0.0.1 by default, so anyone on the host
        # could choose their address; the gateway decides itself (gateway/client_address.py).
        proxy_headers=False,
    )
