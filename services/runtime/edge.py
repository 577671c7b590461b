"""One plain ASGI layer in front of every Khum HTTP app: correlation id, metrics, trace span.

Why not ``@app.middleware("http")``: Starlette's BaseHTTPMiddleware runs each layer's inner
app in its own task group with memory streams for the body, per request; under load that was
most of the gateway's time (docs/operations.md, "The front door"). This layer passes the ASGI
messages through untouched and only looks at the response start, so it costs a few
attribute reads and one context variable per request.
"""

from __future__ import annotations

import time
from typing import Any

from opentelemetry.trace import SpanKind
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.runtime.logs import CORRELATION_HEADER, correlation_id, new_correlation_id
from services.runtime.metrics import HTTP_REQUESTS, HTTP_SECONDS
from services.runtime.tracing import span_from, tracing_on

_CORRELATION = CORRELATION_HEADER.encode()
_UNTRACED = frozenset({"/healthz", "/readyz", "/metrics"})


def header(scope: Scope, name: bytes) -> str | None:
    """One request header (lower-case ``name``) straight from the ASGI scope."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _correlation_of(sent: str | None) -> str:
    """The caller's id when it looks like one (8-64 letters, digits, dashes), else a new one."""
    if sent and 8 <= len(sent) <= 64 and sent.replace("-", "").isalnum():
        return sent
    return new_correlation_id()


def route_label(scope: Scope) -> str:
    # Templated route paths keep the label set small; a router mounted at a prefix (GraphQL)
    # reports an empty path, so it is named by the URL it was mounted at.
    route = scope.get("route")
    path: str | None = getattr(route, "path", None)
    if path:
        return path
    return str(scope["path"]) if route is not None else "unmatched"


class Edge:
    """Correlation id (context + response header), request metrics and a server span."""

    def __init__(self, app: ASGIApp, process: str) -> None:
        self.app = app
        self.process = process
        # The labelled metrics by (method, route, status): prometheus_client looks a child up
        # under a lock on every ``labels`` call.
        self._metrics: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = _correlation_of(header(scope, _CORRELATION))
        cid_header = (_CORRELATION, cid.encode())
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers: list[Any] = [h for h in message.get("headers", ()) if h[0] != _CORRELATION]
                headers.append(cid_header)
                message["headers"] = headers
            await send(message)

        token = correlation_id.set(cid)
        started = time.perf_counter()
        try:
            path = scope["path"]
            traceparent = header(scope, b"traceparent")
            if path in _UNTRACED or (traceparent is None and not tracing_on()):
                await self.app(scope, receive, send_with_id)
            else:
                with span_from(
                    traceparent,
                    f"{scope['method']} {path}",
                    SpanKind.SERVER,
                    process=self.process,
                ):
                    await self.app(scope, receive, send_with_id)
        finally:
            correlation_id.reset(token)
            key = (scope["method"], route_label(scope), str(status))
            metrics = self._metrics.get(key)
            if metrics is None:
                metrics = (
                    HTTP_REQUESTS.labels(self.process, *key),
                    HTTP_SECONDS.labels(self.process, key[1]),
                )
                self._metrics[key] = metrics
            metrics[0].inc()
            metrics[1].observe(time.perf_counter() - started)
