"""SMS through Twilio's Programmable Messaging API, an international aggregator that reaches
Cambodian networks.

``POST {api}/2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded ``To``, ``From`` (a
number or sender id; a Messaging Service id ``MG…`` goes as ``MessagingServiceSid``), ``Body``
and ``StatusCallback``, with HTTP basic auth (account sid, auth token). It answers ``201`` with
the message resource (``sid``, ``status``, ``num_segments`` as a string); errors carry
``{"code", "message", "status"}``. Twilio has no idempotency key: a send retried after a timeout
may arrive twice, the price of never losing one. Delivery states and incoming SMS come back as
form posts signed with ``X-Twilio-Signature``, see ``webhooks_providers.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from contracts.notify import DeliveryChannel
from services.notify.channels.base import ChannelAdapter, Outbound, SendError, Sent, retry_after_seconds
from services.notify.domain.sms import sms_length

# Twilio error codes no retry can fix: invalid "To", not a mobile, region not enabled,
# unsubscribed (the person sent STOP to Twilio), unreachable "To".
PERMANENT = frozenset({21211, 21214, 21217, 21408, 21610, 21612, 21614})
UNSUBSCRIBED = 21610


class TwilioSmsAdapter(ChannelAdapter):
    channel = DeliveryChannel.SMS

    def __init__(
        self,
        api_base: str,
        account_sid: str,
        auth_token: str,
        sender: str,
        *,
        status_callback: Callable[[], str] = lambda: "",
        timeout: float = 15.0,
    ) -> None:
        self.sender = sender
        self.status_callback = status_callback
        """Read at each send: the public URL may be known only once the service is served."""
        self.path = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._http = httpx.AsyncClient(
            base_url=api_base.rstrip("/"), timeout=timeout, auth=(account_sid, auth_token)
        )

    async def send(self, message: Outbound) -> Sent:
        form = {"To": message.address, "Body": message.text}
        form["MessagingServiceSid" if self.sender.startswith("MG") else "From"] = self.sender
        callback = self.status_callback()
        if callback:
            form["StatusCallback"] = callback
        try:
            response = await self._http.post(self.path, data=form)
        except httpx.HTTPError as exc:
            raise SendError("sms.unreachable", repr(exc), permanent=False) from None
        status = response.status_code
        data = _json(response)
        if status in (200, 201):
            sid = data.get("sid")
            if not isinstance(sid, str) or not sid:
                raise SendError("sms.bad_answer", f"no message sid in {response.text[:200]}", permanent=False)
            return Sent(sid, _segments(data.get("num_segments"), message.text))
        code = data.get("code") if isinstance(data.get("code"), int) else None
        reason = f"Twilio answered {status} {code or ''}: {str(data.get('message') or response.text)[:200]}"
        if status == 401:
            raise SendError("sms.credentials", reason, permanent=True)
        if status == 429 or status >= 500:
            retry = retry_after_seconds(response.headers.get("retry-after"))
            raise SendError("sms.unavailable", reason, permanent=False, retry_after=retry)
        if code in PERMANENT:
            name = "unsubscribed" if code == UNSUBSCRIBED else "invalid_number"
            raise SendError(f"sms.{name}", reason, permanent=True, gone=code == UNSUBSCRIBED)
        raise SendError("sms.refused", reason, permanent=status < 500)

    async def close(self) -> None:
        await self._http.aclose()


def _segments(value: Any, text: str) -> int:
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return sms_length(text).segments


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
