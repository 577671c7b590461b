"""A local stand-in for "SMS Gateway for Android" (capcom6/android-sms-gateway), speaking its
documented API: ``POST /message`` with HTTP basic auth and ``{"id", "textMessage": {"text"},
"phoneNumbers", "withDeliveryReport"}``, answered ``202`` with ``{"id", "state", "recipients"}``;
and its webhooks (``{"deviceId", "event", "id", "payload", "webhookId"}``) signed the app's way:
``X-Signature`` = hex HMAC-SHA256 of the raw body followed by ``X-Timestamp``.

Like the app it keeps one message per ``id`` (a repeated id answers with the first message's
state) and refuses numbers that are not E.164 unless told to skip validation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
DEVICE = "ffffffffceb0b1db0000018e937c815b"


@dataclass
class AndroidSmsGateway:
    username: str
    password: str
    signing_key: str
    clock: Callable[[], float] = time.time
    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    fail_with: list[int] = field(default_factory=list)
    """HTTP statuses to answer the next sends with (500 for a phone that is busy...)."""
    webhook_url: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _prefix: str = field(default_factory=lambda: uuid.uuid4().hex[:8])  # unique ids, as a phone's

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[Route("/message", self._send, methods=["POST"])])

    def to(self, number: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if number in m["phoneNumbers"]]

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return hmac.compare_digest(header.encode(), f"Basic {expected}".encode())

    async def _send(self, request: Request) -> JSONResponse:
        self.requests += 1
        if not self._authorised(request):
            return JSONResponse({"message": "Unauthorized"}, 401)
        if self.fail_with:
            return JSONResponse({"message": "scripted failure"}, self.fail_with.pop(0))
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"message": "invalid JSON"}, 400)
        text = (body.get("textMessage") or {}).get("text") if isinstance(body, dict) else None
        numbers = body.get("phoneNumbers") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text or not isinstance(numbers, list) or not numbers:
            return JSONResponse({"message": "textMessage.text and phoneNumbers are required"}, 400)
        skip = request.query_params.get("skipPhoneValidation") == "true"
        if not skip and not all(isinstance(n, str) and E164.match(n) for n in numbers):
            return JSONResponse({"message": f"invalid phone number in {numbers}"}, 400)
        message_id = body.get("id") or f"gen{self._prefix}{next(self._ids):06d}"
        for earlier in self.messages:
            if earlier["id"] == message_id:
                return JSONResponse(_state(earlier), 202)
        message = {"id": message_id, "text": text, "phoneNumbers": numbers, "body": body}
        self.messages.append(message)
        return JSONResponse(_state(message), 202)

    def sign(self, body: bytes, timestamp: str, key: str | None = None) -> str:
        secret = (self.signing_key if key is None else key).encode()
        return hmac.new(secret, body + timestamp.encode(), hashlib.sha256).hexdigest()

    async def webhook(
        self,
        event: str,
        payload: dict[str, Any],
        *,
        event_id: str | None = None,
        key: str | None = None,
        timestamp: int | None = None,
    ) -> httpx.Response:
        body = json.dumps(
            {
                "deviceId": DEVICE,
                "event": event,
                "id": event_id or f"ev{self._prefix}{next(self._ids):08d}",
                "payload": payload,
                "webhookId": "khum-notify",
            },
            ensure_ascii=False,
        ).encode()
        stamp = str(int(self.clock()) if timestamp is None else timestamp)
        headers = {
            "content-type": "application/json",
            "x-signature": self.sign(body, stamp, key),
            "x-timestamp": stamp,
        }
        async with httpx.AsyncClient(timeout=15) as http:
            return await http.post(self.webhook_url, content=body, headers=headers)

    async def received(self, sender: str, text: str, **kwargs: Any) -> httpx.Response:
        payload = {
            "messageId": hashlib.sha1(text.encode()).hexdigest()[:12],  # noqa: S324 - an id, as the app makes
            "message": text,
            "phoneNumber": sender,
            "simNumber": 1,
            "receivedAt": datetime.fromtimestamp(self.clock(), UTC).astimezone().isoformat(),
        }
        return await self.webhook("sms:received", payload, **kwargs)

    async def delivered(self, message_id: str, number: str) -> httpx.Response:
        payload = {
            "messageId": message_id,
            "phoneNumber": number,
            "simNumber": 1,
            "deliveredAt": _now(self.clock),
        }
        return await self.webhook("sms:delivered", payload)

    async def failed(self, message_id: str, number: str, reason: str) -> httpx.Response:
        payload = {
            "messageId": message_id,
            "phoneNumber": number,
            "failedAt": _now(self.clock),
            "reason": reason,
        }
        return await self.webhook("sms:failed", payload)


def _state(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": message["id"],
        "state": "Pending",
        "isHashed": False,
        "isEncrypted": False,
        "recipients": [{"phoneNumber": n, "state": "Pending"} for n in message["phoneNumbers"]],
    }


def _now(clock: Callable[[], float]) -> str:
    return datetime.fromtimestamp(clock(), UTC).isoformat()
