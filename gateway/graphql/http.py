"""GraphQL over HTTP at the gateway: every refusal is a GraphQL error with a stable code.

Strawberry answers a request it cannot run (a body that is not JSON, a batch, a GET, an unknown
operation name) with a plain-text 400, and a body that is JSON but not an object (``null``,
``[]`` nested 100,000 deep, a string, invalid UTF-8) with a 500 and a traceback. Integrators'
clients read ``errors[0].extensions.code``; so here every such answer is
``{"data": null, "errors": [{"message", "extensions": {"code"}}]}`` with a 4xx status.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from cross_web import HTTPException
from fastapi import BackgroundTasks, Request, Response
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import MissingQueryError
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET

from gateway.graphql.context import Context
from gateway.graphql.errors import with_codes
from gateway.i18n import REPO_ROOT, language_of, translate

MALFORMED = "request.malformed"

ONE_OPERATION = "Send one operation per request (batching is off)."
USE_POST = "Send GraphQL operations with POST and a JSON body."
NOT_AN_OBJECT = "The body must be a JSON object with query, variables, operationName."
# Strawberry's reasons (English, unstable) to our codes and messages (stable, translated).
_REFUSALS: tuple[tuple[str, str, str], ...] = (
    ("Batching", "graphql.batching_unsupported", ONE_OPERATION),
    ("Too many operations", "graphql.batching_unsupported", ONE_OPERATION),
    ("only supports GET and POST", "request.method", USE_POST),
    ("GET", "graphql.get_unsupported", USE_POST),
    (
        "are not allowed when using",
        "graphql.operation_type",
        "Subscriptions go over the WebSocket; queries and mutations over POST.",
    ),
    ("Unsupported content type", "request.content_type", "Send a JSON body (application/json)."),
    ("No GraphQL query", "graphql.query_missing", "The request has no GraphQL query."),
    ("Unknown operation named", "graphql.operation_name", "The query has no operation of that name."),
    ("Can't get GraphQL operation type", "graphql.operation_name", "Name the operation to run."),
    ("must be a string or null", MALFORMED, NOT_AN_OBJECT),
    ("must be an object or null", MALFORMED, NOT_AN_OBJECT),
    ("Unable to parse", MALFORMED, "The body is not valid JSON in UTF-8."),
    ("Not Found", "not_found", "Not found."),
)


class TokenRefused(Exception):
    """A bearer token that is not (or no longer) valid: revoked, expired or mistyped."""


async def token_refused(conn: Any, exc: Exception) -> Response:
    """A GraphQL error with a code (HTTP 401), not FastAPI's ``{"detail": ...}``; a WebSocket
    is closed with 4401, as the graphql-transport-ws protocol closes the unauthorized."""
    if isinstance(conn, WebSocket):
        # Accepted first, so the client reads the close code (a refused handshake is a bare 403).
        offered = conn.scope.get("subprotocols") or []
        await conn.accept("graphql-transport-ws" if "graphql-transport-ws" in offered else None)
        await conn.close(4401, "Unauthorized")
        return Response(status_code=401)  # not sent: Starlette ignores it for a WebSocket
    lang = language_of(conn)
    message = translate(lang, "This API token is not valid (revoked, expired or mistyped).")
    return Response(
        refusal_body("auth.token_invalid", message),
        401,
        media_type="application/json",
        headers={"www-authenticate": 'Bearer error="invalid_token"'},
    )


def refusal_body(code: str, message: str) -> bytes:
    body = {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}
    return json.dumps(body, ensure_ascii=False).encode()


def _coded(reason: str, status: int) -> tuple[str, str]:
    for fragment, code, message in _REFUSALS:
        if fragment in reason:
            return code, message
    if status == 400:
        return MALFORMED, NOT_AN_OBJECT
    return "request.refused", "The request was refused."


EXPLORER = REPO_ROOT / "pwa" / "templates" / "graphql_explorer.html"
# The explorer's own policy, as strict as the site's: its script and styles are Khum's files.
EXPLORER_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


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

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """Development only (``graphql_ide`` is off elsewhere): Khum's own explorer page, not
        GraphiQL from a CDN (GraphiQL's editors need inline styles, which the CSP refuses)."""
        return HTMLResponse(
            EXPLORER.read_text(encoding="utf-8"),
            headers={"content-security-policy": EXPLORER_CSP, "cache-control": "no-cache"},
        )

    def decode_json(self, data: str | bytes) -> object:
        """Only a JSON object (or a list, which the batching check refuses) is a request.

        orjson: several times faster than the standard library on every request, and it refuses
        invalid UTF-8 and nesting past 1,024 levels as a JSON error, never a crash."""
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise HTTPException(400, "Unable to parse request body as JSON") from exc
        if not isinstance(value, dict | list):
            raise HTTPException(400, "The GraphQL operation's `query` must be a string or null, if provided.")
        return value

    def encode_json(self, data: object) -> bytes:
        try:
            return orjson.dumps(data)
        except TypeError:  # an integer past 64 bits: the standard library writes any size
            return json.dumps(data, separators=(",", ":")).encode()

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            return await super().run(request, context=context, root_value=root_value)
        except HTTPException as exc:
            code, message = _coded(exc.reason, exc.status_code)
            lang = language_of(request)
            return Response(
                refusal_body(code, translate(lang, message)),
                exc.status_code,
                media_type="application/json",
            )

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        errors: Any = response.get("errors")
        if errors:
            response["errors"] = with_codes(errors)
        return response


_POST_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})
ContextGetter = Callable[[Request], Awaitable[Context]]


def _replay(body: bytes) -> Receive:
    """A receive that hands the already-read body to the layers behind (then waits, as a
    client that has sent everything does)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


class GraphQLPost:
    """``POST /graphql`` with a JSON object body, straight to the schema (plain ASGI).

    The usual request of the PWA and of integrators skips FastAPI's router, its exception and
    exit-stack layers, and Strawberry's HTTP view (which parses the content type with the
    ``email`` package and checks results against runtime protocols): a third of a small
    request's time. Everything unusual (another content type, a body that is not a JSON
    object, a batch, a query that is not a string, an operation the view refuses) goes on to
    the view with the body replayed, so its refusals and codes are the same as before. The
    view's HTTP streaming transports are off (subscriptions go over the WebSocket), so an
    ``Accept`` asking for a stream changes nothing; a subscription sent here is refused with
    ``graphql.operation_type``. The answer is built as the view builds it (``process_result`` with
    codes, the resolvers' status and cookies)."""

    def __init__(
        self, app: ASGIApp, router: KhumGraphQLRouter, context_getter: ContextGetter, route: object
    ) -> None:
        self.app = app
        self.router = router
        self.context_getter = context_getter
        self.route = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/graphql" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        json_body = False
        for name, value in scope["headers"]:
            if name == b"content-type":
                json_body = value.startswith(b"application/json")
                break
        if not json_body:
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        scope["route"] = self.route  # as FastAPI's routes do: the metrics label
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            data = None
        if not isinstance(data, dict) or not self._plain(data):
            await self.app(scope, _replay(body), send)
            return
        request = Request(scope, _replay(body))
        try:
            context = await self.context_getter(request)
        except TokenRefused as exc:
            await (await token_refused(request, exc))(scope, receive, send)
            return
        sub_response = Response()
        sub_response.status_code = None  # type: ignore[assignment]  # "not set": 200 unless a resolver sets it
        del sub_response.headers["content-length"]
        context.request = request
        context.response = sub_response
        context.background_tasks = BackgroundTasks()
        try:
            result = await self.router.schema.execute(
                data["query"],
                variable_values=data.get("variables"),
                context_value=context,
                root_value=None,
                operation_name=data.get("operationName"),
                allowed_operation_types=_POST_OPERATIONS,
                operation_extensions=data.get("extensions"),
            )
        except InvalidOperationTypeError:
            # A subscription: the view would run it as a query (its POST allows subscriptions
            # for streaming transports, which are off here) and answer an internal error.
            code, reason = _coded("are not allowed when using", 400)
            refused = Response(
                refusal_body(code, translate(context.lang, reason)), 400, media_type="application/json"
            )
            await refused(scope, receive, send)
            return
        except (CannotGetOperationTypeError, MissingQueryError):
            # Refused before anything ran: the view answers these with its codes.
            await self.app(scope, _replay(body), send)
            return
        answer = self.router.encode_json(await self.router.process_result(request, result))
        headers = [
            (b"content-length", str(len(answer)).encode()),
            (b"content-type", b"application/json"),
            *sub_response.headers.raw,
        ]
        status = sub_response.status_code or 200
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": answer})

    @staticmethod
    def _plain(data: dict[str, Any]) -> bool:
        """What the view would accept as one operation, with the query given as text."""
        return (
            isinstance(data.get("query"), str)
            and isinstance(data.get("variables"), dict | None)
            and isinstance(data.get("extensions"), dict | None)
            and isinstance(data.get("operationName"), str | None)
        )
