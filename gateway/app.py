"""Composition root of the gateway: settings -> store, bus, service clients -> FastAPI app."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, cast

import orjson
from cross_web import HTTPException as ViewHTTPException
from fastapi import BackgroundTasks, FastAPI, HTTPException, Request, Response
from fastapi.responses import PlainTextResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import HTTPConnection
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from gateway import demo
from gateway.accounts import COLLECTIONS, Accounts
from gateway.admin import COLLECTIONS as ADMIN_COLLECTIONS
from gateway.admin import Admin, Throttle
from gateway.bridge import EventBridge
from gateway.clients import ServiceClient
from gateway.i18n import language_of, translate
from gateway.limits import Limits, LimitsMiddleware, RateLimiter, limit_of
from gateway.pages import ROUTERS as PAGE_ROUTERS
from gateway.pages.render import STATIC
from gateway.revocation import Revocations
from gateway.schema import build_schema
from gateway.schema.context import Context, Gateway
from gateway.schema.errors import with_codes
from gateway.sessions import session_of
from gateway.settings import GatewaySettings
from services.runtime.bus import Bus
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
        wanted = list(_STRICT)
        # GraphiQL (development only) loads its page scripts inline; every other response is strict.
        if not (scope["path"] == "/graphql" and scope["method"] == "GET"):
            wanted.append(_CSP)
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


class ClosableWebSocketAdapter(ASGIWebSocketAdapter):
    """Sends nothing once the server has closed the socket (a revocation closes it from outside
    the subscription: the operation is cancelled when the close completes, and until then its
    messages are dropped here rather than raising in the operation's task)."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        if self.ws.application_state == WebSocketState.DISCONNECTED:
            return
        encoded = self.view.encode_json(message)
        # graphql-transport-ws speaks text frames (a browser would get a Blob from bytes).
        text = encoded.decode() if isinstance(encoded, bytes) else encoded
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class KhumGraphQLRouter(GraphQLRouter[Context, None]):
    websocket_adapter_class = ClosableWebSocketAdapter

    # orjson: several times faster than the standard library on every request and answer, and
    # it refuses invalid UTF-8 and absurd nesting as a JSON error (a 400) rather than crashing.
    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    def encode_json(self, data: object) -> bytes:
        try:
            return orjson.dumps(data)
        except TypeError:  # an integer past 64 bits: the standard library writes any size
            return json.dumps(data, separators=(",", ":")).encode()

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        errors: Any = response.get("errors")
        if errors:
            response["errors"] = with_codes(errors)
        return response


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
        bus = Bus(settings.nats_url, name="khum-gateway")
        await bus.connect()
        await bus.ensure_streams(replicas=settings.stream_replicas)
        await revocations.start(bus.nc)
        bus.on_reconnect.append(revocations.clear_caches)
        bridge = EventBridge(bus)
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
            settings, accounts, services, bridge, Admin(store, accounts), Throttle(store)
        )
        app.state.store = store
        app.state.bus = bus
        try:
            yield
        finally:
            await revocations.stop()
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
                raise HTTPException(
                    401, translate(lang, "This API token is not valid (revoked or mistyped).")
                )
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
        build_schema(production=settings.environment == "production", persisted_only=settings.persisted_only),
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
        try:
            return await graphql.run(request=request, context=context, root_value=None)
        except ViewHTTPException as exc:
            return PlainTextResponse(exc.reason, status_code=exc.status_code)

    graphql_route = Route("/graphql", graphql_post, methods=["POST"])
    app = FastAPI(title="Khum gateway", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
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
    app.include_router(health_router)
    app.include_router(metrics_router)
    app.router.routes.append(graphql_route)  # matched before the router's own POST route
    app.include_router(graphql, prefix="/graphql")
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
