"""A local Telegram Bot API: ``/bot<token>/<method>`` with ``{"ok": ...}`` answers as
https://core.telegram.org/bots/api describes. ``setWebhook`` records the URL and secret token;
:meth:`TelegramBotApi.user_writes` then delivers an update there the way Telegram does, with the
``X-Telegram-Bot-Api-Secret-Token`` header. Voice notes: :meth:`TelegramBotApi.voice_update` keeps
the audio under a ``file_id``; ``getFile`` answers its ``file_path`` and
``/file/bot<token>/<file_path>`` serves the bytes, as the Bot API does."""

from __future__ import annotations

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

TEXT_LIMIT = 4096


@dataclass
class TelegramBotApi:
    token: str
    sent: list[dict[str, Any]] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    flood_wait: list[int] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    """file_id -> the file's bytes (voice notes people sent)."""
    file_downloads: int = 0
    files_fail: bool = False
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(100))
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(5000))

    @property
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/bot{token}/{method}", self._call, methods=["POST", "GET"]),
                Route("/file/bot{token}/{path:path}", self._file, methods=["GET"]),
            ]
        )

    async def _file(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return _fail(401, "Unauthorized")
        file_id = request.path_params["path"].removeprefix("voice/").removesuffix(".oga")
        if self.files_fail or file_id not in self.files:
            return _fail(404, "Not Found")
        self.file_downloads += 1
        return Response(self.files[file_id], media_type="application/octet-stream")

    def to(self, chat_id: int | str) -> list[dict[str, Any]]:
        return [m for m in self.sent if str(m["chat"]["id"]) == str(chat_id)]

    async def _call(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return _fail(401, "Unauthorized")
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return _fail(400, "Bad Request: invalid JSON")
        method = request.path_params["method"]
        if method == "getMe":
            return _ok({"id": 1, "is_bot": True, "first_name": "Khum", "username": "khum_test_bot"})
        if method == "setWebhook":
            self.webhook = {"url": body.get("url"), "secret_token": body.get("secret_token")}
            return _ok(True)
        if method == "sendMessage":
            return self._send(body)
        if method == "getFile":
            file_id = str(body.get("file_id", ""))
            if file_id not in self.files:
                return _fail(400, "Bad Request: invalid file_id")
            data = self.files[file_id]
            return _ok({"file_id": file_id, "file_size": len(data), "file_path": f"voice/{file_id}.oga"})
        return _fail(404, "Not Found: method not found")

    def _send(self, body: dict[str, Any]) -> JSONResponse:
        if self.flood_wait:
            return _fail(429, "Too Many Requests: retry later", {"retry_after": self.flood_wait.pop(0)})
        try:
            chat_id = int(body["chat_id"])
        except (KeyError, TypeError, ValueError):
            return _fail(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            return _fail(403, "Forbidden: bot was blocked by the user")
        text = body.get("text")
        if not isinstance(text, str) or not text:
            return _fail(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > TEXT_LIMIT:
            return _fail(400, "Bad Request: message is too long")
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "text": text,
        }
        self.sent.append(message)
        return _ok(message)

    def update(self, chat_id: int, text: str | None, message_id: int | None = None) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": message_id or next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Citizen"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Citizen", "language_code": "km"},
        }
        if text is not None:
            message["text"] = text
        return {"update_id": next(self._update_ids), "message": message}

    def voice_update(
        self, chat_id: int, audio: bytes, duration: int = 7, mime_type: str = "audio/ogg"
    ) -> dict[str, Any]:
        """An update carrying a voice note, as Telegram sends it (the audio stays on Telegram)."""
        file_id = f"AwACAgUAAx{len(self.files):06d}"
        self.files[file_id] = audio
        update = self.update(chat_id, None)
        update["message"]["voice"] = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "duration": duration,
            "mime_type": mime_type,
            "file_size": len(audio),
        }
        return update

    async def deliver(self, update: dict[str, Any], secret: str | None = None) -> httpx.Response:
        """POST an update to the registered webhook, as Telegram does."""
        token = self.webhook.get("secret_token") if secret is None else secret
        headers = {"x-telegram-bot-api-secret-token": token} if token else {}
        async with httpx.AsyncClient(timeout=15) as http:
            return await http.post(str(self.webhook["url"]), json=update, headers=headers)

    async def user_writes(self, chat_id: int, text: str) -> httpx.Response:
        return await self.deliver(self.update(chat_id, text))


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _fail(code: int, description: str, parameters: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, code)
