"""A local Messenger Platform: the Send API (``POST /<version>/me/messages?access_token=``) with
the Graph API's answers and errors, and :meth:`MessengerPlatform.user_writes`, which POSTs a
Page webhook event to notify the way Facebook does, signed with ``X-Hub-Signature-256``."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TEXT_LIMIT = 2000
MESSAGING_TYPES = frozenset({"RESPONSE", "UPDATE", "MESSAGE_TAG"})


@dataclass
class MessengerPlatform:
    app_secret: str
    page_tokens: dict[str, str]
    """Page id -> that Page's access token."""
    webhook_url: str = ""
    sent: list[dict[str, Any]] = field(default_factory=list)
    unavailable: set[str] = field(default_factory=set)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    """Attachment files people sent (voice messages), served at ``/media/<id>`` with their type."""
    base_url: str = ""
    _mids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/{version}/me/messages", self._send, methods=["POST"]),
                Route("/media/{media_id}", self._media, methods=["GET"]),
            ]
        )

    async def _media(self, request: Request) -> Response:
        found = self.media.get(request.path_params["media_id"])
        if found is None:
            return Response("Not found", status_code=404)
        return Response(found[0], media_type=found[1])

    def voice_event(
        self, page: str, psid: str, audio: bytes, content_type: str = "audio/mp4"
    ) -> dict[str, Any]:
        """A voice message as Messenger sends it: an ``audio`` attachment whose payload has a URL."""
        media_id = f"a{len(self.media) + 1}"
        self.media[media_id] = (audio, content_type)
        update = self.event(page, psid, "")
        message = update["entry"][0]["messaging"][0]["message"]
        del message["text"]
        message["attachments"] = [{"type": "audio", "payload": {"url": f"{self.base_url}/media/{media_id}"}}]
        return update

    def to(self, page: str, psid: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["page"] == page and m["recipient"]["id"] == psid]

    async def _send(self, request: Request) -> JSONResponse:
        pages = {token: page for page, token in self.page_tokens.items()}
        page = pages.get(request.query_params.get("access_token", ""))
        if page is None:
            return _error(400, 190, "Invalid OAuth access token.", "OAuthException")
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _error(400, 100, "Invalid JSON", "OAuthException")
        recipient = body.get("recipient") if isinstance(body, dict) else None
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(recipient, dict) or not str(recipient.get("id", "")).isdigit():
            return _error(400, 100, "(#100) The parameter recipient is required", "OAuthException")
        if body.get("messaging_type") not in MESSAGING_TYPES:
            return _error(
                400, 100, "(#100) Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}"
            )
        text = message.get("text") if isinstance(message, dict) else None
        if not isinstance(text, str) or not text or len(text) > TEXT_LIMIT:
            return _error(400, 100, "(#100) Length of param message[text] must be 1-2000 characters")
        if recipient["id"] in self.unavailable:
            return _error(400, 551, "This person isn't available right now.")
        mid = f"m_{next(self._mids)}"
        self.sent.append({"page": page, **body, "message_id": mid})
        return JSONResponse({"recipient_id": recipient["id"], "message_id": mid})

    def event(self, page: str, psid: str, text: str, mid: str | None = None) -> dict[str, Any]:
        now = int(time.time() * 1000)
        return {
            "object": "page",
            "entry": [
                {
                    "id": page,
                    "time": now,
                    "messaging": [
                        {
                            "sender": {"id": psid},
                            "recipient": {"id": page},
                            "timestamp": now,
                            "message": {"mid": mid or f"mid.in.{next(self._mids)}", "text": text},
                        }
                    ],
                }
            ],
        }

    def signature(self, body: bytes, secret: str | None = None) -> str:
        key = (self.app_secret if secret is None else secret).encode()
        return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()

    async def deliver(self, update: dict[str, Any], secret: str | None = None) -> httpx.Response:
        body = json.dumps(update, ensure_ascii=False).encode()
        headers = {"content-type": "application/json", "x-hub-signature-256": self.signature(body, secret)}
        async with httpx.AsyncClient(timeout=15) as http:
            return await http.post(self.webhook_url, content=body, headers=headers)

    async def user_writes(self, page: str, psid: str, text: str) -> httpx.Response:
        return await self.deliver(self.event(page, psid, text))


def _error(status: int, code: int, message: str, kind: str = "OAuthException") -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "Khum-local"}}, status
    )
