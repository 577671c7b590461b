"""Telegram Bot API: ``sendMessage`` out, a webhook in (``setWebhook`` with a secret token).

Answers are ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description",
"parameters": {"retry_after"}}``. 403 means the person blocked the bot: they opted out, and the
contact is marked so. A text over 4,096 characters is sent as several messages, split at line
or word breaks (a documented split, never a cut).
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from contracts.notify import DeliveryChannel
from services.notify.channels.base import ChannelAdapter, Outbound, SendError, Sent
from services.notify.domain.sms import split_text

log = logging.getLogger(__name__)

TELEGRAM_LIMIT = 4096


class TelegramAdapter(ChannelAdapter):
    channel = DeliveryChannel.TELEGRAM

    def __init__(
        self,
        api_base: str,
        token: str,
        *,
        webhook_url: str = "",
        webhook_secret: str = "",
        timeout: float = 15.0,
    ) -> None:
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self._http = httpx.AsyncClient(base_url=f"{api_base.rstrip('/')}/bot{token}", timeout=timeout)

    async def call(self, method: str, body: dict[str, Any]) -> Any:
        try:
            response = await self._http.post(f"/{method}", json=body)
        except httpx.HTTPError as exc:
            raise SendError("telegram.unreachable", repr(exc), permanent=False) from None
        try:
            data = response.json()
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if response.status_code == 200 and data.get("ok") is True:
            return data.get("result")
        code = int(data.get("error_code") or response.status_code)
        reason = f"Telegram {code}: {str(data.get('description', response.text))[:300]}"
        parameters = data.get("parameters") if isinstance(data.get("parameters"), dict) else {}
        if code == 429 or code >= 500:
            retry = parameters.get("retry_after") if parameters else None
            raise SendError(
                "telegram.unavailable",
                reason,
                permanent=False,
                retry_after=float(retry) if isinstance(retry, int | float) else None,
            )
        if code == 403:
            raise SendError("telegram.blocked", reason, permanent=True, gone=True)
        if code == 401:
            raise SendError("telegram.credentials", reason, permanent=True)
        raise SendError("telegram.refused", reason, permanent=True)

    async def send(self, message: Outbound) -> Sent:
        ids: list[str] = []
        parts = split_text(message.text, TELEGRAM_LIMIT)
        for part in parts:
            result = await self.call("sendMessage", {"chat_id": message.address, "text": part})
            if isinstance(result, dict) and "message_id" in result:
                ids.append(str(result["message_id"]))
        return Sent(f"{message.address}:{','.join(ids)}" if ids else None, len(parts))

    async def start(self) -> None:
        """Point the bot's webhook at notify, with its secret token, when a URL is configured."""
        if not self.webhook_url:
            return
        body = {
            "url": self.webhook_url,
            "secret_token": self.webhook_secret,
            "allowed_updates": ["message"],
        }
        try:
            await self.call("setWebhook", body)
            log.info("Telegram webhook set to %s", self.webhook_url)
        except SendError as exc:
            log.error("could not set the Telegram webhook: %s", exc)

    async def close(self) -> None:
        await self._http.aclose()
