"""A limit on request bodies, counted as they arrive (plain ASGI).

Why here and not in a route: a route that calls ``await request.body()`` has already read the
whole body into memory; a 30 MB anonymous POST would cost 30 MB before anything could refuse
it. This middleware refuses at once when ``Content-Length`` is over the limit, and otherwise
counts the chunks as the application pulls them, answering 413 the moment the count passes
the limit (the rest is never read).

The answer is GraphQL-shaped (``errors[0].extensions.code == "request.too_large"``) because
the gateway's largest bodies go to /graphql; pages get the same JSON, which a form never meets
in normal use.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.i18n import translate

TOO_LARGE = "request.too_large"


class BodyTooLarge(Exception):
    pass


def _language(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"accept-language":
            return "en" if value.decode("latin-1").strip().lower().startswith("en") else "km"
    return "km"


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413 and code ``request.too_large``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except* BodyTooLarge:
            # except*: the layers made with @app.middleware read the body in a task group and
            # hand the signal up wrapped in an ExceptionGroup.
            if not started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        lang = _language(scope)
        message = translate(lang, "The request is too large (at most %(n)s bytes).", n=self.max_bytes)
        body = json.dumps(
            {"data": None, "errors": [{"message": message, "extensions": {"code": TOO_LARGE}}]},
            ensure_ascii=False,
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
