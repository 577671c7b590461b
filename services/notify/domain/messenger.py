"""Messenger Platform webhooks: the signature Facebook puts on every POST. Pure.

``X-Hub-Signature-256: sha256=<hex>`` is the HMAC-SHA256 of the raw body with the app secret.
Unlike our SMS provider's signature it carries no timestamp, so a replayed POST passes the check:
the message id (``mid``) is what makes a replay harmless (inbound messages are stored once).
"""

from __future__ import annotations

import hashlib
import hmac

HUB_SIGNATURE_HEADER = "x-hub-signature-256"


def hub_signature(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify_hub_signature(app_secret: str, header: str | None, body: bytes) -> bool:
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(hub_signature(app_secret, body).encode(), header.strip().encode())
