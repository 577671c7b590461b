"""Webhook signatures: Khum's own (HMAC-SHA256 over ``<timestamp>.<raw body>`` with a shared
secret), and the schemes of the SMS providers notify also speaks (at the end).

The provider sends ``X-Khum-Signature: t=<unix seconds>,v1=<hex digest>``. The timestamp is
signed too and must be recent (five minutes by default), so a captured request cannot be
replayed later; digests are compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

SIGNATURE_HEADER = "x-khum-signature"
DEFAULT_TOLERANCE_SECONDS = 300


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    secret: str,
    header: str | None,
    body: bytes,
    now: datetime,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    if not header or not secret:
        return False
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts.get("t", [""])[0])
    except ValueError:
        return False
    if abs(now.timestamp() - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret, body, timestamp).partition("v1=")[2]
    # Several v1 values may come while a provider rotates its secret: any match will do.
    return any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", []))


def same_secret(sent: str | None, expected: str) -> bool:
    """For Telegram's X-Telegram-Bot-Api-Secret-Token: a plain shared secret, compared safely."""
    return bool(sent) and bool(expected) and hmac.compare_digest(str(sent).encode(), expected.encode())


def unsubscribe_token(secret: str, contact: str) -> str:
    """A link token that names a contact and proves we made it: ``<contact b64>.<mac>``."""
    name = base64.urlsafe_b64encode(contact.encode()).decode().rstrip("=")
    mac = hmac.new(_unsubscribe_key(secret), name.encode(), hashlib.sha256).digest()[:16]
    return f"{name}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def read_unsubscribe_token(secret: str, token: str) -> str | None:
    """The contact a token names, or None when it was not made with this secret."""
    name, _, mac = token.partition(".")
    if not name or not mac or len(token) > 400:
        return None
    expected = hmac.new(_unsubscribe_key(secret), name.encode(), hashlib.sha256).digest()[:16]
    try:
        sent = base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
        contact = base64.urlsafe_b64decode(name + "=" * (-len(name) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return contact if hmac.compare_digest(sent, expected) else None


def _unsubscribe_key(secret: str) -> bytes:
    # Its own key, derived, so an unsubscribe link can never stand in for anything else.
    return hmac.new(secret.encode(), b"khum-notify-unsubscribe", hashlib.sha256).digest()


def android_signature(key: str, body: bytes, timestamp: str) -> str:
    """SMS Gateway for Android signs a webhook with HMAC-SHA256 over the raw body followed by the
    ``X-Timestamp`` value, hex-encoded in ``X-Signature``."""
    return hmac.new(key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()


def verify_android(
    key: str,
    signature: str | None,
    timestamp: str | None,
    body: bytes,
    now: datetime,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    if not key or not signature or not timestamp:
        return False
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    if abs(now.timestamp() - stamp) > tolerance_seconds:
        return False  # a captured request replayed later
    return hmac.compare_digest(android_signature(key, body, timestamp), signature.strip().lower())


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """Twilio's ``X-Twilio-Signature``: HMAC-SHA1 with the auth token over the full URL Twilio
    called, followed by each POST parameter's name and value, sorted by name; base64."""
    text = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), text.encode(), hashlib.sha1).digest()).decode()


def verify_twilio(auth_token: str, signature: str | None, url: str, params: Mapping[str, str]) -> bool:
    if not auth_token or not signature:
        return False
    return hmac.compare_digest(twilio_signature(auth_token, url, params), signature.strip())
