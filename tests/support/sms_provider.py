"""A local SMS provider speaking the HTTP API notify's SMS adapter is written for
(docs/notifications.md): ``POST /v1/messages`` with a bearer key, answers 202 with a message
id; delivery receipts and incoming messages are posted, HMAC-signed, to notify's webhooks.

Like real providers it drops a repeated ``reference`` (answers with the first message's id)
and can be told to fail the next requests (429, 5xx, 400 invalid_number...).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

E164 = re.compile(r"^\+[1-9]\d{7,14}$")


@dataclass
class Failure:
    status: int
    code: str
    retry_after: int | None = None


@dataclass
class SmsProvider:
    api_key: str
    webhook_secret: str
    clock: Callable[[], float] = time.time
    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    failures: list[Failure] = field(default_factory=list)
    notify_url: str = ""
    receipt_first: bool = False
    """Post the delivery receipt before answering the send: the race real providers make."""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # A real provider's ids are unique for good: two providers in one test session (one shared
    # notify store) must not both say SM00000001, or notify rightly takes the second for a repeat.
    _prefix: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def fail_next(
        self, status: int, code: str = "", *, retry_after: int | None = None, times: int = 1
    ) -> None:
        self.failures.extend(Failure(status, code, retry_after) for _ in range(times))

    def to(self, number: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["to"] == number]

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/messages", self._send, methods=["POST"])])

    async def _send(self, request: Request) -> JSONResponse:
        self.requests += 1
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "unauthorized", "bad API key")
        if self.failures:
            failure = self.failures.pop(0)
            headers = {"retry-after": str(failure.retry_after)} if failure.retry_after is not None else {}
            return _error(failure.status, failure.code or "failure", "scripted failure", headers)
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _error(400, "bad_request", "not JSON")
        to, text = body.get("to", ""), body.get("text", "")
        if not isinstance(to, str) or not E164.match(to):
            return _error(400, "invalid_number", f"{to!r} is not an E.164 number")
        if not isinstance(text, str) or not text:
            return _error(400, "text_invalid", "empty text")
        reference = body.get("reference")
        for earlier in self.messages:
            if reference and earlier["reference"] == reference:
                return JSONResponse({"id": earlier["id"], "status": "accepted"}, 202)
        message = {
            "id": f"SM{self._prefix}{next(self._ids):08d}",
            "from": body.get("from"),
            "to": to,
            "text": text,
            "reference": reference,
        }
        if self.receipt_first:
            answer = await self.receipt(message["id"], "delivered")
            message["early_receipt"] = answer.json()
        self.messages.append(message)
        return JSONResponse({"id": message["id"], "status": "accepted", "segments": _segments(text)}, 202)

    def signature(self, body: bytes, secret: str | None = None, timestamp: int | None = None) -> str:
        stamp = int(self.clock()) if timestamp is None else timestamp
        key = (secret if secret is not None else self.webhook_secret).encode()
        digest = hmac.new(key, f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        return f"t={stamp},v1={digest}"

    async def post(
        self, path: str, payload: dict[str, Any], *, signature: str | None = None
    ) -> httpx.Response:
        body = json.dumps(payload).encode()
        headers = {"content-type": "application/json", "x-khum-signature": signature or self.signature(body)}
        async with httpx.AsyncClient(base_url=self.notify_url, timeout=15) as http:
            return await http.post(path, content=body, headers=headers)

    async def receipt(
        self, message_id: str, status: str = "delivered", error: str | None = None
    ) -> httpx.Response:
        payload: dict[str, Any] = {"id": message_id, "status": status}
        if error:
            payload["error"] = error
        return await self.post("/webhooks/sms/receipts", payload)

    async def incoming(
        self, sender: str, to: str, text: str, message_id: str | None = None
    ) -> httpx.Response:
        payload = {
            "id": message_id or f"MO{self._prefix}{next(self._ids):08d}",
            "from": sender,
            "to": to,
            "text": text,
        }
        return await self.post("/webhooks/sms/inbound", payload)


def _segments(text: str) -> int:
    gsm = all(ord(c) < 128 and c not in "`" for c in text)
    single, part = (160, 153) if gsm else (70, 67)
    return 1 if len(text) <= single else -(-len(text) // part)


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status, headers=headers)
