"""Composition root of notify: settings -> channels, store, bus -> consumers, dispatcher, routes."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.notify import (
    api,
    api_deliveries,
    api_loudspeaker,
    api_push,
    facebook,
    public,
    voice,
    webhooks,
    webhooks_providers,
)
from services.notify.channels import build_adapters
from services.notify.consumers import consumer_factory
from services.notify.dispatcher import Dispatcher
from services.notify.domain.quiet import Clock, SystemClock
from services.notify.exchange import Exchange
from services.notify.inbound import InboundHandler
from services.notify.planner import Planner
from services.notify.settings import NotifySettings
from services.notify.store import COLLECTIONS
from services.notify.wiring import Collaborators
from services.runtime.service import Runtime, create_service_app

__all__ = ["COLLECTIONS", "NotifySettings", "create_app"]


def create_app(
    settings: NotifySettings | None = None, *, clock: Clock | None = None, rng: random.Random | None = None
) -> FastAPI:
    settings = settings or NotifySettings()
    clock = clock or SystemClock()
    exchange = Exchange(settings, clock, build_adapters(settings, clock), rng or random.Random())  # noqa: S311 - retry jitter, not secrets

    async def wire(runtime: Runtime) -> None:
        # Each collaborator once, when the store is open; consumers and routes share them.
        planner = Planner(exchange, runtime.store)
        app.state.notify = Collaborators(
            exchange=exchange,
            planner=planner,
            inbound=InboundHandler(exchange, planner),
            dispatcher=Dispatcher(exchange, runtime.store, on_commit=runtime.relay.wake),
        )

    def collaborators() -> Collaborators:
        wired: Collaborators = app.state.notify
        return wired

    app = create_service_app(
        name="notify",
        settings=settings,
        collections=(*COLLECTIONS, voice.VOICE_NOTES),
        routers=[
            api.router,
            api_push.router,
            api_deliveries.router,
            api_loudspeaker.router,
            webhooks.router,
            webhooks_providers.router,
            facebook.router,
            voice.router,
            public.router,
        ],
        consumers=consumer_factory(exchange, collaborators),
        on_start=wire,
    )
    app.state.exchange = exchange
    service_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The dispatcher starts once the store, bus, relay and consumers are up, and stops first.
        async with service_lifespan(app):
            await exchange.start()
            dispatcher = collaborators().dispatcher
            dispatcher.start()
            try:
                yield
            finally:
                await dispatcher.stop()
                await exchange.close()

    app.router.lifespan_context = lifespan
    return app
