"""Contact points: how an address is shown masked, and its id.

A contact point's id is ``<channel>:<address>`` with the address normalised (phones in E.164,
see :mod:`services.runtime.contacts`), so the same person writing from the same phone is always
the same contact, whether they first appeared in a NeedSubmitted or by texting the commune.
"""

from __future__ import annotations

from services.runtime.contacts import CAMBODIA, InvalidAddressError, normalise_address, normalise_phone

__all__ = [
    "CAMBODIA",
    "InvalidAddressError",
    "contact_id",
    "mask",
    "normalise_address",
    "normalise_phone",
    "reply_language",
]


def contact_id(channel: str, address: str) -> str:
    return f"{channel}:{address}"


def mask(channel: str, address: str) -> str:
    """What councils and events may show: enough to recognise, not enough to reuse."""
    if channel == "sms":
        return f"{address[:-6]}•••{address[-3:]}" if len(address) > 8 else "•••"
    if channel == "telegram":
        return f"Telegram •••{address[-3:]}"
    if channel == "email":
        local, _, domain = address.partition("@")
        return f"{local[:1]}•••@{domain}"
    if channel == "facebook":
        return f"Messenger •••{address[-3:]}"
    if channel == "push":
        return "push •••" + address[-6:]
    return address


def reply_language(known: str | None) -> str:
    """A contact's chosen language, else Khmer: as with the PWA, a phone's Latin-only typing is
    not taken as a wish for English (many phones have no Khmer keyboard); ``LANG EN`` is."""
    return known if known in ("km", "en") else "km"
