"""Composition root of the gateway: settings -> store, bus, service clients -> FastAPI app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import HTTPConnection
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from gateway import demo
from gateway.accounts import COLLECTIONS, Accounts
from gateway.admin import COLLECTIONS as ADMIN_COLLECTIONS
from gateway.admin import Admin, Throttle
from gateway.bodylimit import BodyLimit
from gateway.bridge import EventBridge
from gateway.clients import ServiceClient
from gateway.graphql_http import KhumGraphQLRouter, TokenRefused, token_refused
from gateway.i18n import language_of
from gateway.limits import Limits, RateLimiter, limit_of, limits_middleware
from gateway.pages import ROUTERS as PAGE_ROUTERS
from gateway.pages.render import STATIC
from gateway.schema import build_schema
from gateway.schema.context import Context, Gateway
from gateway.sessions import session_of
from gateway.settings import GatewaySettings
from gateway.setup import DemoAccountsPresent, refuse_demo_in_production
from services.runtime.bus import Bus
from services.runtime.health import router as health_router
from services.runtime.logs import correlation_middleware
from services.runtime.metrics import http_metrics
from services.runtime.metrics import router as metrics_router
from services.runtime.stores import open_store
from services.runtime.tracing import http_tracing, setup_tracing

log = logging.getLogger(__name__)

SUBSCRIPTIONS_PER_CONNECTION = 10

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = open_store(settings.store_url, COLLECTIONS + ADMIN_COLLECTIONS)
        await store.open()
        accounts = Accounts(store, settings.session_hours)
        if settings.demo:
            await demo.seed(accounts)
        try:
            await refuse_demo_in_production(settings, accounts)
        except DemoAccountsPresent:
            await store.close()  # so the refusal is the last word in the log, not a thread's noise
            raise
        bus = Bus(settings.nats_url, name="khum-gateway")
        await bus.connect()
        await bus.ensure_streams(replicas=settings.stream_replicas)
        bridge = EventBridge(bus, backlog=settings.live_backlog)
        await bridge.start()
        secret = settings.identity_secret.get_secret_value()
        services = {
            name: ServiceClient(name, url, secret, settings.service_timeout_seconds)
            for name, url in (
                ("intake", settings.intake_url),
                ("meetings", settings.meetings_url),
                ("budget", settings.budget_url),
                ("notify", settings.notify_url),
            )
        }
        app.state.gateway = Gateway(
            settings,
            accounts,
            services,
            bridge,
            Admin(store, accounts),
            Throttle(store, settings.login_failures_per_address),
        )
        app.state.store = store
        app.state.bus = bus
        try:
            yield
        finally:
            await bridge.stop()
            for client in services.values():
                await client.close()
            await bus.close()
            await store.close()

    async def context_getter(request: HTTPConnection) -> Context:
        gateway: Gateway = request.app.state.gateway
        lang = language_of(request)
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            api_token = await gateway.admin.token(header[7:].strip())
            if api_token is None:
                raise TokenRefused
            return Context(gateway, None, None, lang, api_token)
        session, token = await session_of(request, gateway.accounts)
        return Context(gateway, session, token, lang)

    graphql = KhumGraphQLRouter(
        build_schema(production=settings.environment == "production", persisted_only=settings.persisted_only),
        context_getter=context_getter,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        graphql_ide="graphiql" if settings.environment == "development" else None,
        allow_queries_via_get=False,
        max_subscriptions_per_connection=SUBSCRIPTIONS_PER_CONNECTION,
    )

    app = FastAPI(title="Khum gateway", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.add_exception_handler(TokenRefused, token_refused)
    # Phones on 3G: pages, scripts and GraphQL answers travel compressed.
    app.add_middleware(GZipMiddleware, minimum_size=500)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        headers = response.headers
        # GraphiQL (development only) loads its page scripts inline; every other response is strict.
        if not (request.url.path == "/graphql" and request.method == "GET"):
            headers.setdefault("content-security-policy", CSP)
        headers.setdefault("x-content-type-options", "nosniff")
        headers.setdefault("referrer-policy", "strict-origin-when-cross-origin")
        headers.setdefault("x-frame-options", "DENY")
        if request.url.scheme == "https":
            headers.setdefault("strict-transport-security", "max-age=63072000; includeSubDomains")
        return response

    limits = Limits(
        token=limit_of(settings.rate_token_per_minute),
        session=limit_of(settings.rate_session_per_minute),
        anonymous=limit_of(settings.rate_anonymous_per_minute),
    )
    app.middleware("http")(limits_middleware(RateLimiter(), limits))
    setup_tracing("gateway", settings.trace_export)
    app.middleware("http")(http_tracing("gateway"))
    app.middleware("http")(http_metrics("gateway"))
    app.middleware("http")(correlation_middleware())
    # Outermost: a body over the limit is refused before any layer reads it.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.include_router(health_router)
    app.include_router(metrics_router)
    app.include_router(graphql, prefix="/graphql")
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
