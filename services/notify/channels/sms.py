"""SMS through an HTTP provider (the API is described in docs/notifications.md).

``POST {base_url}/v1/messages`` with ``Authorization: Bearer <api key>`` and
``{"from", "to", "text", "reference"}``; the provider answers ``202 {"id", "status",
"segments"}`` and later posts a signed delivery receipt to ``/webhooks/sms/receipts``.
``reference`` is the delivery id: a provider that keeps it drops a repeated request, so a send
retried after a timeout does not reach the phone twice. The provider splits a long text into
concatenated parts; notify has already counted them and kept the text within its limit.
"""

from __future__ import annotations

from typing import Any

import httpx

from contracts.notify import DeliveryChannel
from services.notify.channels.base import ChannelAdapter, Outbound, SendError, Sent, retry_after_seconds
from services.notify.domain.sms import sms_length

# Provider error codes that no retry can fix.
PERMANENT_CODES = frozenset({"invalid_number", "number_blocked", "unsubscribed", "text_invalid"})


class SmsAdapter(ChannelAdapter):
    channel = DeliveryChannel.SMS

    def __init__(self, base_url: str, api_key: str, sender: str, *, timeout: float = 15.0) -> None:
        self.sender = sender
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            headers={"authorization": f"Bearer {api_key}"},
        )

    async def send(self, message: Outbound) -> Sent:
        body = {
            "from": self.sender,
            "to": message.address,
            "text": message.text,
            "reference": message.delivery_id,
        }
        try:
            response = await self._http.post("/v1/messages", json=body)
        except httpx.HTTPError as exc:
            raise SendError("sms.unreachable", repr(exc), permanent=False) from None
        data = _json(response)
        status = response.status_code
        if status in (200, 201, 202):
            provider_id = data.get("id")
            if not isinstance(provider_id, str) or not provider_id:
                raise SendError("sms.bad_answer", f"no message id in {response.text[:200]}", permanent=False)
            segments = data.get("segments")
            parts = segments if isinstance(segments, int) else sms_length(message.text).segments
            return Sent(provider_id, parts)
        found = data.get("error")
        error: dict[str, Any] = found if isinstance(found, dict) else {}
        code = str(error.get("code", ""))
        reason = f"provider answered {status} {code}: {str(error.get('message', response.text))[:200]}"
        if status == 429 or status >= 500:
            retry = retry_after_seconds(response.headers.get("retry-after"))
            raise SendError("sms.unavailable", reason, permanent=False, retry_after=retry)
        if status in (401, 403):
            raise SendError("sms.credentials", reason, permanent=True)
        if code in PERMANENT_CODES or status in (400, 404, 422):
            raise SendError(f"sms.{code or 'refused'}", reason, permanent=True, gone=code == "unsubscribed")
        raise SendError("sms.refused", reason, permanent=status < 500)

    async def close(self) -> None:
        await self._http.aclose()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
