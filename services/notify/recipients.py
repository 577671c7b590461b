"""Recipients: citizens' contact points (with consent, language, opt-out and subscriptions) and
staff's push subscriptions. Every function works inside the caller's transaction."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from services.notify.domain.contacts import contact_id, mask
from services.runtime.stores import Transaction


async def ensure_contact(
    tx: Transaction,
    channel: str,
    address: str,
    now: datetime,
    *,
    language: str | None = None,
    commune_code: str | None = None,
    consent_source: str | None = None,
) -> dict[str, Any]:
    """The contact point, created on first sight. ``consent_source`` (the event that carried it)
    is recorded as consent; a later language given with consent updates the stored one, but an
    opt-out is never undone here: only the person can, by sending START."""
    cid = contact_id(channel, address)
    doc = await tx.get("contacts", cid)
    stamp = now.isoformat()
    if doc is None:
        fresh: dict[str, Any] = {
            "id": cid,
            "channel": channel,
            "address": address,
            "masked": mask(channel, address),
            "language": language,
            "commune_code": commune_code,
            "consents": [consent_source] if consent_source else [],
            "opted_out": False,
            "opted_out_at": None,
            "created_at": stamp,
            "updated_at": stamp,
        }
        return await tx.insert("contacts", fresh)
    changes: dict[str, Any] = {}
    if consent_source and consent_source not in doc.get("consents", []):
        changes["consents"] = [*doc.get("consents", []), consent_source][-20:]
        if language and language != doc.get("language"):
            changes["language"] = language
    elif language and not doc.get("language"):
        changes["language"] = language
    if commune_code and commune_code != doc.get("commune_code"):
        changes["commune_code"] = commune_code
    if not changes:
        return doc
    return await tx.replace(
        "contacts", {**doc, **changes, "updated_at": stamp}, expected_version=doc["version"]
    )


async def update_contact(
    tx: Transaction, doc: dict[str, Any], now: datetime, **changes: Any
) -> dict[str, Any]:
    fresh = await tx.get("contacts", doc["id"])
    base = fresh if fresh is not None else doc
    return await tx.replace(
        "contacts", {**base, **changes, "updated_at": now.isoformat()}, expected_version=base["version"]
    )


async def opt_out(tx: Transaction, doc: dict[str, Any], now: datetime) -> dict[str, Any]:
    if doc.get("opted_out"):
        return doc
    return await update_contact(tx, doc, now, opted_out=True, opted_out_at=now.isoformat())


async def opt_in(tx: Transaction, doc: dict[str, Any], now: datetime) -> dict[str, Any]:
    if not doc.get("opted_out"):
        return doc
    return await update_contact(tx, doc, now, opted_out=False, opted_out_at=None)


async def subscribe(tx: Transaction, contact: dict[str, Any], commune_code: str, now: datetime) -> None:
    sid = f"{contact['id']}|{commune_code}"
    existing = await tx.get("subscriptions", sid)
    if existing is None:
        await tx.insert(
            "subscriptions",
            {
                "id": sid,
                "contact_id": contact["id"],
                "commune_code": commune_code,
                "active": True,
                "created_at": now.isoformat(),
            },
        )
    elif not existing.get("active"):
        await tx.replace("subscriptions", {**existing, "active": True}, expected_version=existing["version"])


def endpoint_hash(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()[:32]


def push_subscription_id(endpoint: str, audience: str) -> str:
    return hashlib.sha256(f"{endpoint}\n{audience}".encode()).hexdigest()[:32]


async def save_push_subscription(
    tx: Transaction,
    *,
    endpoint: str,
    p256dh: str,
    auth: str,
    user_id: str,
    audiences: tuple[str, ...],
    language: str,
    now: datetime,
) -> dict[str, Any]:
    """A phone's push endpoint (keys, owner, language) plus one small document per audience it
    listens to, so the planner finds a commune council's phones with one indexed filter.
    Registering again refreshes keys, language and audiences."""
    ehash = endpoint_hash(endpoint)
    stamp = now.isoformat()
    existing = await tx.get("push_endpoints", ehash)
    previous = set(existing["audiences"]) if existing and existing.get("active") else set()
    doc: dict[str, Any] = {
        "id": ehash,
        "endpoint": endpoint,
        "keys": {"p256dh": p256dh, "auth": auth},
        "user_id": user_id,
        "language": language,
        "audiences": list(audiences),
        "active": True,
        "removed_at": None,
        "removed_because": None,
        "updated_at": stamp,
    }
    if existing is None:
        saved = await tx.insert("push_endpoints", {**doc, "created_at": stamp})
    else:
        saved = await tx.replace("push_endpoints", {**existing, **doc}, expected_version=existing["version"])
    for audience in set(audiences) | previous:
        await _set_audience(tx, endpoint, ehash, audience, active=audience in audiences, stamp=stamp)
    return saved


async def deactivate_push(tx: Transaction, endpoint: str, now: datetime, reason: str = "removed") -> bool:
    """A phone stops receiving push: its owner turned it off, or the push service said it is
    gone (404/410). Nothing is deleted; the endpoint is marked inactive with the reason."""
    ehash = endpoint_hash(endpoint)
    existing = await tx.get("push_endpoints", ehash)
    if existing is None or not existing.get("active"):
        return False
    stamp = now.isoformat()
    await tx.replace(
        "push_endpoints",
        {**existing, "active": False, "removed_at": stamp, "removed_because": reason, "updated_at": stamp},
        expected_version=existing["version"],
    )
    for audience in existing["audiences"]:
        await _set_audience(tx, endpoint, ehash, audience, active=False, stamp=stamp)
    return True


async def _set_audience(
    tx: Transaction, endpoint: str, ehash: str, audience: str, *, active: bool, stamp: str
) -> None:
    sid = push_subscription_id(endpoint, audience)
    doc = await tx.get("push_subscriptions", sid)
    if doc is None:
        if active:
            await tx.insert(
                "push_subscriptions",
                {
                    "id": sid,
                    "endpoint_hash": ehash,
                    "audience": audience,
                    "active": True,
                    "updated_at": stamp,
                },
            )
    elif bool(doc.get("active")) != active:
        await tx.replace(
            "push_subscriptions",
            {**doc, "active": active, "updated_at": stamp},
            expected_version=doc["version"],
        )
