"""Webhook signatures: HMAC-SHA256 over ``<timestamp>.<raw body>`` with a shared secret.

The provider sends ``X-Khum-Signature: t=<unix seconds>,v1=<hex digest>``. The timestamp is
signed too and must be recent (five minutes by default), so a captured request cannot be
replayed later; digests are compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
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
