"""Web Push (RFC 8030) with VAPID: one encrypted POST to the subscription's endpoint.

201 (or any 2xx) means the push service took the message. 404 and 410 mean the subscription is
gone (the person uninstalled, or revoked permission): the dispatcher removes it. 413 is a
payload too large, 400/401/403 a request or VAPID problem: permanent. 429 and 5xx are retried.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import httpx

from contracts.notify import DeliveryChannel
from services.notify.channels.base import ChannelAdapter, Outbound, SendError, Sent, retry_after_seconds
from services.notify.channels.webpush_crypto import (
    MAX_PLAINTEXT,
    PushKeyError,
    VapidKey,
    encrypt,
    load_auth_secret,
    load_subscription_key,
    public_bytes,
)
from services.notify.domain.quiet import Clock
from services.notify.rendering import PUSH_TITLE


def check_endpoint(endpoint: str, allow_insecure: bool) -> str:
    """Push endpoints come from browsers, that is from users: only https URLs (plain http only
    when the setting allows it, for a local test push service), no credentials, no fragments."""
    parts = urlsplit(endpoint)
    schemes = ("https", "http") if allow_insecure else ("https",)
    if parts.scheme not in schemes or not parts.hostname or parts.username or parts.password:
        raise ValueError("not an acceptable push endpoint")
    if parts.fragment or len(endpoint) > 2000:
        raise ValueError("not an acceptable push endpoint")
    return endpoint


def payload(message: Outbound) -> bytes:
    """The JSON the service worker shows; the body is cut to fit one 4 KB push record."""
    body = message.text
    while True:
        data = {
            "title": message.subject or PUSH_TITLE.get(message.language, PUSH_TITLE["km"]),
            "body": body,
            "lang": message.language,
            **dict(message.data),
        }
        raw = json.dumps(data, ensure_ascii=False).encode()
        if len(raw) <= MAX_PLAINTEXT:
            return raw
        body = body[: max(0, len(body) - (len(raw) - MAX_PLAINTEXT) // 2 - 1)] + "…"


class WebPushAdapter(ChannelAdapter):
    channel = DeliveryChannel.PUSH

    def __init__(
        self,
        vapid: VapidKey,
        subject: str,
        clock: Clock,
        *,
        ttl_seconds: int = 86_400,
        timeout: float = 15.0,
    ) -> None:
        self.vapid = vapid
        self.subject = subject
        self.clock = clock
        self.ttl_seconds = ttl_seconds
        self._http = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def send(self, message: Outbound) -> Sent:
        try:
            ua_public = public_bytes(load_subscription_key(message.keys.get("p256dh", "")))
            auth = load_auth_secret(message.keys.get("auth", ""))
        except PushKeyError as exc:
            raise SendError("push.key_invalid", str(exc), permanent=True, gone=True) from None
        body = encrypt(payload(message), ua_public, auth)
        headers = {
            "authorization": self.vapid.authorization(message.address, self.subject, self.clock.now()),
            "content-encoding": "aes128gcm",
            "content-type": "application/octet-stream",
            "ttl": str(self.ttl_seconds),
            "urgency": "normal",
        }
        try:
            response = await self._http.post(message.address, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise SendError("push.unreachable", repr(exc), permanent=False) from None
        status = response.status_code
        if 200 <= status < 300:
            return Sent(response.headers.get("location"))
        reason = f"push service answered {status}: {response.text[:200]}"
        if status in (404, 410):
            raise SendError("push.subscription_gone", reason, permanent=True, gone=True)
        if status == 429 or status >= 500:
            retry = retry_after_seconds(response.headers.get("retry-after"))
            raise SendError("push.unavailable", reason, permanent=False, retry_after=retry)
        if status == 413:
            raise SendError("push.too_large", reason, permanent=True)
        raise SendError("push.refused", reason, permanent=True)

    async def close(self) -> None:
        await self._http.aclose()
