"""Request limits at the gateway's edge: rate limits per caller and a per-request timeout.

Rate limits are token buckets kept in each gateway process (a replica behind a balancer
enforces its share; documented in docs/integrators.md):

* an integrator's API token: 600 requests a minute, bursts of 120;
* a signed-in person: 240 a minute, bursts of 60;
* anyone else, per address: 120 a minute, bursts of 30.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.client_address import client_address
from gateway.i18n import language_of, translate
from gateway.identity.sessions import SESSION_COOKIE

REQUEST_TIMEOUT_SECONDS = 20.0
_MAX_KEYS = 50_000


@dataclass(frozen=True)
class Limit:
    per_minute: int
    burst: int


def limit_of(per_minute: int) -> Limit:
    return Limit(per_minute, max(5, per_minute // 4))


@dataclass(frozen=True)
class Limits:
    token: Limit = Limit(600, 120)
    session: Limit = Limit(240, 60)
    anonymous: Limit = Limit(120, 30)


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str, limit: Limit) -> float:
        """Take one request; return 0 if allowed, else the seconds to wait."""
        now = self._clock()
        rate = limit.per_minute / 60.0
        tokens, stamp = self._buckets.pop(key, (float(limit.burst), now))
        tokens = min(float(limit.burst), tokens + (now - stamp) * rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            wait = 0.0
        else:
            self._buckets[key] = (tokens, now)
            wait = (1.0 - tokens) / rate
        while len(self._buckets) > _MAX_KEYS:
            self._buckets.popitem(last=False)
        return wait


def caller_key(request: Request, limits: Limits) -> tuple[str, Limit]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        digest = hashlib.sha256(header[7:].strip().encode()).hexdigest()[:32]
        return f"token:{digest}", limits.token
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        return f"session:{hashlib.sha256(session.encode()).hexdigest()[:32]}", limits.session
    return f"ip:{client_address(request)}", limits.anonymous


def _graphql_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(
        json.dumps(body, ensure_ascii=False), status, headers=headers, media_type="application/json"
    )


class LimitsMiddleware:
    """Plain ASGI: rate limit and time limit for ``POST /graphql``; everything else passes."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, limits: Limits) -> None:
        self.app = app
        self.limiter = limiter
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/graphql" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        key, limit = caller_key(request, self.limits)
        wait = self.limiter.take(key, limit)
        if wait > 0:
            message = translate(
                language_of(request),
                "Too many requests: at most %(n)s a minute. Try again shortly.",
                n=limit.per_minute,
            )
            response = _graphql_error(429, "rate_limited", message, {"retry-after": str(int(wait) + 1)})
            await response(scope, receive, send)
            return
        started = False

        async def send_started(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            # asyncio.timeout, not wait_for: no extra task per request
            async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
                await self.app(scope, receive, send_started)
        except TimeoutError:
            if started:
                raise  # part of the answer is out: the server closes the connection
            message = translate(
                language_of(request),
                "The request took too long (over %(n)s seconds).",
                n=int(REQUEST_TIMEOUT_SECONDS),
            )
            await _graphql_error(504, "timeout", message)(scope, receive, send)
