"""Facebook Messenger's Send API: answers to people who wrote to a commune's Facebook Page.

``POST {graph}/{version}/me/messages?access_token=<the Page's token>`` with ``recipient.id`` (the
person's Page-scoped id), ``messaging_type`` RESPONSE and ``message.text``; the answer is
``{"recipient_id", "message_id"}`` or ``{"error": {"message", "type", "code", "error_subcode"}}``.
A contact's address is ``<page id>:<PSID>`` because a PSID means nothing to another Page: the
answer must leave from the Page that was written to, with that Page's token.

Messenger lets a Page answer freely within 24 hours of the person's last message; later ones
(a need's outcome weeks on) are refused by the platform and end as a failed delivery with its
reason, so the council sees that this person is better told another way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from contracts.notify import DeliveryChannel
from services.notify.channels.base import ChannelAdapter, Outbound, SendError, Sent
from services.notify.domain.sms import split_text

MESSENGER_LIMIT = 2000
# Graph API codes worth trying again: unknown/temporary (1, 2), throttling (4, 17, 32, 613).
_TRANSIENT = frozenset({1, 2, 4, 17, 32, 613})
_GONE = frozenset({551})  # "This person isn't available right now"
_CREDENTIALS = frozenset({190})


class FacebookAdapter(ChannelAdapter):
    channel = DeliveryChannel.FACEBOOK

    def __init__(
        self, graph_base: str, version: str, page_tokens: Mapping[str, str], *, timeout: float = 15.0
    ) -> None:
        self._tokens = dict(page_tokens)
        self._http = httpx.AsyncClient(base_url=f"{graph_base.rstrip('/')}/{version}", timeout=timeout)

    async def _post(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._http.post("/me/messages", params={"access_token": token}, json=body)
        except httpx.HTTPError as exc:
            raise SendError("facebook.unreachable", repr(exc), permanent=False) from None
        try:
            data = response.json()
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}
        if response.status_code == 200 and "error" not in data:
            return data
        raw_error = data.get("error")
        error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
        code = int(error.get("code") or 0)
        reason = f"Messenger {response.status_code}/{code}: {str(error.get('message', response.text))[:300]}"
        if code in _TRANSIENT or response.status_code >= 500 or response.status_code == 429:
            raise SendError("facebook.unavailable", reason, permanent=False)
        if code in _GONE:
            raise SendError("facebook.unavailable_person", reason, permanent=True, gone=True)
        if code in _CREDENTIALS:
            raise SendError("facebook.credentials", reason, permanent=True)
        raise SendError("facebook.refused", reason, permanent=True)

    async def send(self, message: Outbound) -> Sent:
        page, _, psid = message.address.partition(":")
        token = self._tokens.get(page)
        if not token or not psid:
            raise SendError("facebook.no_page", f"no access token for Page {page}", permanent=True)
        ids: list[str] = []
        parts = split_text(message.text, MESSENGER_LIMIT)
        for part in parts:
            body = {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": part}}
            answer = await self._post(token, body)
            if isinstance(answer.get("message_id"), str):
                ids.append(answer["message_id"])
        return Sent(",".join(ids) or None, len(parts))

    async def close(self) -> None:
        await self._http.aclose()
