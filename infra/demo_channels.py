"""The demo's channels: a pretend SMS provider, Telegram Bot API and mail server on 127.0.0.1,
so that ``make run`` shows each message notify sends reaching a citizen, without a SIM, a bot
or a mail account. Started by ``infra/run.py`` in the embedded demo only; nothing leaves this
computer. Never part of a real deployment.

One process (``python -m infra.demo_channels``) serves:

- Khum's own SMS provider API (``POST /v1/messages``, bearer key; docs/notifications.md);
- the Telegram Bot API's ``sendMessage`` (``/bot<token>/<method>``; ``getMe``, ``setWebhook``);
- SMTP on its own port (plain, no TLS, no auth): just enough for notify's e-mail adapter;
- ``GET /messages``: everything received, newest first, for the gateway's ``/demo/messages``.

What it receives is appended to a JSON-lines file in the data folder, so the page still shows
it after a restart. Settings (environment): ``KHUM_DEMO_CHANNELS_PORT``, ``..._SMTP_PORT``,
``..._FILE``, ``..._SMS_KEY``, ``..._BOT_TOKEN``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

MAX_LISTED = 500
MAX_MAIL = 1_000_000


@dataclass
class DemoChannels:
    file: Path
    sms_key: str
    bot_token: str
    received: list[dict[str, Any]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        if self.file.exists():
            for line in self.file.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    self.received.append(json.loads(line))
        self._ids = itertools.count(len(self.received) + 1)

    def keep(self, channel: str, to: str, text: str, subject: str | None = None) -> dict[str, Any]:
        record = {
            "id": f"demo-{next(self._ids):06d}",
            "channel": channel,
            "to": to,
            "text": text,
            "subject": subject,
            "at": datetime.now(UTC).isoformat(),
        }
        self.received.append(record)
        self.file.parent.mkdir(parents=True, exist_ok=True)
        with self.file.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return record

    @property
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/healthz", self._health),
                Route("/messages", self._list),
                Route("/v1/messages", self._sms, methods=["POST"]),
                Route("/bot{token}/{method}", self._telegram, methods=["GET", "POST"]),
            ]
        )

    async def _health(self, _: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def _list(self, _: Request) -> JSONResponse:
        return JSONResponse({"items": list(reversed(self.received[-MAX_LISTED:]))})

    async def _sms(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {self.sms_key}":
            return JSONResponse({"error": {"code": "unauthorized", "message": "bad API key"}}, 401)
        body = await _json(request)
        to, text = body.get("to"), body.get("text")
        if not isinstance(to, str) or not isinstance(text, str) or not to or not text:
            return JSONResponse(
                {"error": {"code": "text_invalid", "message": "to and text are required"}}, 400
            )
        reference = body.get("reference")
        for earlier in self.received:
            if reference and earlier.get("reference") == reference:
                return JSONResponse({"id": earlier["id"], "status": "accepted"}, 202)
        record = self.keep("sms", to, text)
        record["reference"] = reference
        return JSONResponse({"id": record["id"], "status": "accepted"}, 202)

    async def _telegram(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.bot_token:
            return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        method = request.path_params["method"]
        if method == "getMe":
            return JSONResponse(
                {"ok": True, "result": {"id": 1, "is_bot": True, "username": "khum_demo_bot"}}
            )
        if method in ("setWebhook", "deleteWebhook"):
            return JSONResponse({"ok": True, "result": True})
        if method != "sendMessage":
            return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        body = await _json(request)
        chat, text = body.get("chat_id"), body.get("text")
        if chat is None or not isinstance(text, str) or not text:
            return JSONResponse(
                {"ok": False, "error_code": 400, "description": "Bad Request: text is empty"}, 400
            )
        record = self.keep("telegram", str(chat), text)
        result = {"message_id": int(record["id"].split("-")[1]), "chat": {"id": chat}, "text": text}
        return JSONResponse({"ok": True, "result": result})

    async def smtp_session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Plain SMTP (RFC 5321) as notify's adapter speaks it: EHLO, MAIL, RCPT, DATA, QUIT."""

        async def say(line: str) -> None:
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        recipients: list[str] = []
        await say("220 khum-demo ESMTP demo mail, nothing leaves this computer")
        try:
            while line := await reader.readline():
                command = line.decode(errors="replace").strip()
                verb = command[:4].upper()
                if verb in ("EHLO", "HELO"):
                    await say(
                        "250-khum-demo\r\n250-8BITMIME\r\n250 SMTPUTF8" if verb == "EHLO" else "250 khum-demo"
                    )
                elif verb == "MAIL":
                    recipients = []
                    await say("250 OK")
                elif verb == "RCPT":
                    recipients.append(command.partition(":")[2].strip().strip("<>").split(">")[0])
                    await say("250 OK")
                elif verb == "DATA":
                    await say("354 End data with <CR><LF>.<CR><LF>")
                    data = await reader.readuntil(b"\r\n.\r\n")
                    if len(data) > MAX_MAIL:
                        await say("552 Message too large")
                        continue
                    self._mail(data[:-5].replace(b"\r\n..", b"\r\n."), recipients)
                    await say("250 OK: kept for the demo page")
                elif verb == "QUIT":
                    await say("221 Bye")
                    break
                elif verb in ("RSET", "NOOP"):
                    await say("250 OK")
                else:
                    await say("502 Command not implemented")
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def _mail(self, raw: bytes, recipients: list[str]) -> None:
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        part = parsed.get_body(preferencelist=("plain",))
        text = part.get_content() if part is not None else ""
        for to in recipients:
            self.keep("email", to, str(text).strip(), subject=str(parsed.get("Subject", "")))


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


async def serve(channels: DemoChannels, port: int, smtp_port: int) -> None:
    smtp = await asyncio.start_server(channels.smtp_session, "127.0.0.1", smtp_port)
    server = uvicorn.Server(
        uvicorn.Config(channels.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    try:
        await server.serve()  # until SIGTERM or SIGINT, which uvicorn handles
    finally:
        smtp.close()
        await smtp.wait_closed()


def main() -> None:
    env = os.environ
    channels = DemoChannels(
        file=Path(env.get("KHUM_DEMO_CHANNELS_FILE", "var/demo-messages.jsonl")),
        sms_key=env.get("KHUM_DEMO_CHANNELS_SMS_KEY", "demo-sms-key"),
        bot_token=env.get("KHUM_DEMO_CHANNELS_BOT_TOKEN", "1:demo"),
    )
    port = int(env.get("KHUM_DEMO_CHANNELS_PORT", "8025"))
    smtp_port = int(env.get("KHUM_DEMO_CHANNELS_SMTP_PORT", "8026"))
    asyncio.run(serve(channels, port, smtp_port))


if __name__ == "__main__":
    main()
