"""SMS through "SMS Gateway for Android" (the open-source capcom6/android-sms-gateway app): an
Android phone with a local SIM, which NGOs and communes run where no bulk-SMS contract exists.

The app's local server (or its cloud or private server, same API) takes ``POST /message`` with
HTTP basic auth and ``{"id", "textMessage": {"text"}, "phoneNumbers": [...],
"withDeliveryReport": true}``, and answers ``202`` with the message's state
(``{"id", "state": "Pending", "recipients": [{"phoneNumber", "state"}]}``). ``id`` is ours (the
delivery id): the app keeps one message per id, so a send retried after a timeout does not
reach the phone twice. Delivery reports and incoming SMS come back as signed webhooks
(``sms:delivered``, ``sms:failed``, ``sms:received``), see ``webhooks_providers.py``. The phone
splits a long text itself; notify has already counted the parts.
"""

from __future__ import annotations

from typing import Any

import httpx

from contracts.notify import DeliveryChannel
from services.notify.channels.base import ChannelAdapter, Outbound, SendError, Sent, retry_after_seconds
from services.notify.domain.sms import sms_length


class AndroidSmsAdapter(ChannelAdapter):
    channel = DeliveryChannel.SMS

    def __init__(
        self, base_url: str, username: str, password: str, *, path: str = "/message", timeout: float = 15.0
    ) -> None:
        self.path = path
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), timeout=timeout, auth=(username, password)
        )

    async def send(self, message: Outbound) -> Sent:
        body = {
            "id": message.delivery_id,
            "textMessage": {"text": message.text},
            "phoneNumbers": [message.address],
            "withDeliveryReport": True,
        }
        try:
            response = await self._http.post(self.path, json=body)
        except httpx.HTTPError as exc:
            raise SendError("sms.unreachable", repr(exc), permanent=False) from None
        status = response.status_code
        data = _json(response)
        if status in (200, 201, 202):
            provider_id = data.get("id")
            if not isinstance(provider_id, str) or not provider_id:
                raise SendError("sms.bad_answer", f"no message id in {response.text[:200]}", permanent=False)
            failed = [
                r for r in data.get("recipients") or [] if isinstance(r, dict) and r.get("state") == "Failed"
            ]
            if failed:
                reason = str(failed[0].get("error") or "the phone could not send it")
                raise SendError("sms.refused", reason, permanent=True)
            return Sent(provider_id, sms_length(message.text).segments)
        reason = f"the gateway phone answered {status}: {str(data.get('message') or response.text)[:200]}"
        if status in (401, 403):
            raise SendError("sms.credentials", reason, permanent=True)
        if status == 429 or status >= 500:
            retry = retry_after_seconds(response.headers.get("retry-after"))
            raise SendError("sms.unavailable", reason, permanent=False, retry_after=retry)
        if status in (400, 422):
            raise SendError("sms.invalid_number", reason, permanent=True)
        raise SendError("sms.refused", reason, permanent=True)

    async def close(self) -> None:
        await self._http.aclose()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
