"""A local stand-in for Twilio's Programmable Messaging API, as its documentation describes it:
``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP basic auth (account sid,
auth token) and form fields ``To``, ``From`` or ``MessagingServiceSid``, ``Body``,
``StatusCallback``; ``201`` with the message resource (``sid``, ``status``, ``num_segments`` as
a string...); errors as ``{"code", "message", "status"}`` (21211 for a number that
is not valid). Its webhooks (the status callback, an incoming SMS) are form posts signed with
``X-Twilio-Signature``: base64 HMAC-SHA1, keyed with the auth token, of the URL followed by
each field's name and value sorted by name.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def twilio_signature(token: str, url: str, fields: dict[str, str]) -> str:
    text = url + "".join(k + fields[k] for k in sorted(fields))
    return base64.b64encode(hmac.new(token.encode(), text.encode(), hashlib.sha1).digest()).decode()


@dataclass
class TwilioApi:
    account_sid: str
    auth_token: str
    messages: list[dict[str, str]] = field(default_factory=list)
    fail_with: list[tuple[int, int]] = field(default_factory=list)
    """(HTTP status, Twilio error code) for the next sends."""
    _n: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def app(self) -> Starlette:
        return Starlette(
            routes=[Route("/2010-04-01/Accounts/{sid}/Messages.json", self._create, methods=["POST"])]
        )

    def to(self, number: str) -> list[dict[str, str]]:
        return [m for m in self.messages if m["To"] == number]

    def _authorised(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return hmac.compare_digest(
            request.headers.get("authorization", "").encode(), f"Basic {expected}".encode()
        )

    async def _create(self, request: Request) -> JSONResponse:
        if request.path_params["sid"] != self.account_sid or not self._authorised(request):
            return _error(401, 20003, "Authenticate")
        if self.fail_with:
            status, code = self.fail_with.pop(0)
            return _error(status, code, "scripted failure")
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return _error(400, 20001, "form-encoded parameters expected")
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        to, body = form.get("To", ""), form.get("Body", "")
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return _error(400, 21603, "A 'From' phone number is required.")
        if not E164.match(to):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not body:
            return _error(400, 21602, "Message body is required.")
        sid = "SM" + uuid.uuid4().hex
        self.messages.append({**form, "sid": sid})
        return JSONResponse(
            {
                "sid": sid,
                "account_sid": self.account_sid,
                "to": to,
                "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "body": body,
                "status": "queued",
                "num_segments": str(_segments(body)),
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "error_code": None,
                "error_message": None,
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            },
            201,
        )

    async def post(self, url: str, fields: dict[str, str], *, token: str | None = None) -> httpx.Response:
        signature = twilio_signature(self.auth_token if token is None else token, url, fields)
        async with httpx.AsyncClient(timeout=15) as http:
            return await http.post(url, data=fields, headers={"x-twilio-signature": signature})

    async def status(
        self, message: dict[str, str], status: str, error_code: str | None = None
    ) -> httpx.Response:
        fields = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "From": message.get("From", ""),
            "MessageSid": message["sid"],
            "MessageStatus": status,
            "SmsSid": message["sid"],
            "SmsStatus": status,
            "To": message["To"],
        }
        if error_code:
            fields["ErrorCode"] = error_code
        return await self.post(message["StatusCallback"], fields)

    async def incoming(self, url: str, sender: str, to: str, text: str, **kwargs: Any) -> httpx.Response:
        sid = kwargs.pop("sid", None) or "SM" + uuid.uuid4().hex
        fields = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "Body": text,
            "From": sender,
            "MessageSid": sid,
            "NumMedia": "0",
            "NumSegments": str(_segments(text)),
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "SmsStatus": "received",
            "To": to,
        }
        return await self.post(url, fields, **kwargs)


def _segments(text: str) -> int:
    gsm = all(c in GSM7 for c in text)
    single, part = (160, 153) if gsm else (70, 67)
    return 1 if len(text) <= single else -(-len(text) // part)


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "status": status}, status)
