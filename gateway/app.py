"""Composition root of the gateway: settings -> store, bus, service clients -> FastAPI app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

from fastapi import BackgroundTasks, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import HTTPConnection
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from gateway import demo
from gateway.bodylimit import BodyLimit
from gateway.bridge import EventBridge
from gateway.clients import open_clients
from gateway.graphql import build_schema
from gateway.graphql.context import Context, Gateway
from gateway.graphql.http import GraphQLPost, KhumGraphQLRouter, TokenRefused, token_refused
from gateway.i18n import language_of
from gateway.identity.accounts import COLLECTIONS, Accounts
from gateway.identity.admin import COLLECTIONS as ADMIN_COLLECTIONS
from gateway.identity.admin import Admin, Throttle
from gateway.identity.revocation import Revocations
from gateway.identity.sessions import session_of
from gateway.limits import Limits, LimitsMiddleware, RateLimiter, limit_of
from gateway.settings import GatewaySettings
from gateway.setup import DemoAccountsPresent, refuse_demo_in_production
from gateway.web import ROUTERS as PAGE_ROUTERS
from gateway.web.render import STATIC
from services.runtime.bus import Bus, BusTuning
from services.runtime.edge import Edge
from services.runtime.health import router as health_router
from services.runtime.metrics import router as metrics_router
from services.runtime.stores import open_store
from services.runtime.tracing import setup_tracing

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


_STRICT = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
]
_CSP = (b"content-security-policy", CSP.encode())
_HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")


class SecurityHeaders:
    """Plain ASGI: the strict headers on every HTTP answer (unless the route set its own)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Every answer is strict; the development explorer sets its own (as strict) policy.
        wanted = [*_STRICT, _CSP]
        if scope.get("scheme") == "https":
            wanted.append(_HSTS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(pair for pair in wanted if pair[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = open_store(settings.store_url, COLLECTIONS + ADMIN_COLLECTIONS)
        await store.open()
        revocations = Revocations()
        accounts = Accounts(store, settings.session_hours, revocations)
        if settings.demo:
            await demo.seed(accounts)
        try:
            await refuse_demo_in_production(settings, accounts)
        except DemoAccountsPresent:
            await store.close()  # so the refusal is the last word in the log, not a thread's noise
            raise
        bus = Bus(settings.nats_url, name="khum-gateway", tuning=BusTuning.from_settings(settings))
        await bus.connect()
        await bus.ensure_streams(replicas=settings.stream_replicas)
        await revocations.start(bus.nc)
        bus.on_reconnect.append(revocations.clear_caches)
        bridge = EventBridge(bus, backlog=settings.live_backlog)
        await bridge.start()
        clients = open_clients(
            {
                "intake": settings.intake_url,
                "meetings": settings.meetings_url,
                "budget": settings.budget_url,
                "notify": settings.notify_url,
                "oversight": settings.oversight_url,
            },
            settings.identity_secret.get_secret_value(),
            settings.service_timeout_seconds,
        )
        app.state.gateway = Gateway(
            settings,
            accounts,
            clients,
            bridge,
            Admin(store, accounts),
            Throttle(store, settings.login_failures_per_address),
        )
        app.state.store = store
        app.state.bus = bus
        try:
            yield
        finally:
            await revocations.stop()
            await bridge.stop()
            await clients.close()
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
            if request.scope["type"] == "websocket":
                gateway.accounts.revocations.watch(cast(WebSocket, request), [("token", api_token.id)])
            return Context(gateway, None, None, lang, api_token)
        session, token = await session_of(request, gateway.accounts)
        if session is not None and request.scope["type"] == "websocket":
            # Sign-out, deactivation or a change of rights closes this socket (code 4403).
            keys = [("session", session.id), ("account", session.account.id)]
            gateway.accounts.revocations.watch(cast(WebSocket, request), keys)
        return Context(gateway, session, token, lang)

    graphql = KhumGraphQLRouter(
        build_schema(
            production=settings.environment == "production",
            persisted_only=settings.persisted_only,
            plain_fields=settings.plain_fields,
        ),
        context_getter=context_getter,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        graphql_ide="graphiql" if settings.environment == "development" else None,
        allow_queries_via_get=False,
        max_subscriptions_per_connection=SUBSCRIPTIONS_PER_CONNECTION,
    )

    async def graphql_post(request: Request) -> Response:
        """``POST /graphql`` without FastAPI's dependency solving (a seventh of a small request's
        time): the same context getter and the same Strawberry view as the router's own route,
        which still serves the WebSocket (and GraphiQL in development)."""
        request.scope["route"] = graphql_route  # as FastAPI's routes do: the metrics label
        context = await context_getter(request)
        sub_response = Response()
        sub_response.status_code = None  # type: ignore[assignment]  # "not set": 200 unless a resolver sets it
        del sub_response.headers["content-length"]
        context.request = request
        context.response = sub_response
        context.background_tasks = BackgroundTasks()
        graphql.temporal_response = sub_response  # type: ignore[attr-defined]  # what the router's own route sets
        # The router's run turns Strawberry's refusals into GraphQL errors with a code.
        response: Response = await graphql.run(request=request, context=context, root_value=None)
        return response

    graphql_route = Route("/graphql", graphql_post, methods=["POST"])
    app = FastAPI(title="Khum gateway", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.add_exception_handler(TokenRefused, token_refused)
    # Innermost: the usual GraphQL POST goes to the schema without the router and the view;
    # every other request (and anything unusual about this one) reaches them unchanged.
    app.add_middleware(GraphQLPost, router=graphql, context_getter=context_getter, route=graphql_route)
    # Phones on 3G: pages, scripts and long GraphQL answers travel compressed. Below about one
    # TCP segment compressing saves no round trip and costs CPU on every small GraphQL answer.
    app.add_middleware(GZipMiddleware, minimum_size=1400)

    app.add_middleware(SecurityHeaders)

    limits = Limits(
        token=limit_of(settings.rate_token_per_minute),
        session=limit_of(settings.rate_session_per_minute),
        anonymous=limit_of(settings.rate_anonymous_per_minute),
    )
    app.add_middleware(LimitsMiddleware, limiter=RateLimiter(), limits=limits)
    setup_tracing("gateway", settings.trace_export)
    app.add_middleware(Edge, process="gateway")
    # Outermost: a body over the limit is refused before any layer reads it.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.include_router(health_router)
    app.include_router(metrics_router)
    app.router.routes.append(graphql_route)  # matched before the router's own POST route
    app.include_router(graphql, prefix="/graphql")
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
