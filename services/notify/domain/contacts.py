"""Contact points: how an address is written once, how it is shown masked, and its id.

A contact point's id is ``<channel>:<address>`` with the address normalised (phones in E.164),
so the same person writing from the same phone is always the same contact, whether they first
appeared in a NeedSubmitted or by texting the commune.
"""

from __future__ import annotations

import re

from services.runtime.errors import DomainError

CAMBODIA = "+855"
_PHONE_NOISE = re.compile(r"[\s\-.()/]")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_TELEGRAM_CHAT = re.compile(r"^-?\d{1,20}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class InvalidAddressError(DomainError):
    def __init__(self, channel: str, field: str = "address") -> None:
        super().__init__(
            f"contact.{channel}_invalid",
            "This is not a valid {what}.",
            "នេះមិនមែនជា{what_km}ត្រឹមត្រូវទេ។",
            status=422,
            field=field,
            what={"sms": "phone number", "telegram": "Telegram chat id", "email": "e-mail address"}.get(
                channel, "address"
            ),
            what_km={"sms": "លេខទូរស័ព្ទ", "telegram": "លេខ Telegram", "email": "អ៊ីមែល"}.get(channel, "អាសយដ្ឋាន"),
        )


def normalise_phone(raw: str) -> str:
    """Cambodian numbers as people write them (012 345 678, +855 12 345 678, 85512345678) and
    international numbers with + (migrants working in Thailand), in E.164."""
    digits = _PHONE_NOISE.sub("", raw.strip())
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("+"):
        number = digits
    elif digits.startswith("855") and len(digits) in (11, 12):
        number = "+" + digits
    elif digits.startswith("0") and len(digits) in (9, 10):
        number = CAMBODIA + digits[1:]
    else:
        raise InvalidAddressError("sms")
    if not _E164.match(number):
        raise InvalidAddressError("sms")
    if number.startswith(CAMBODIA) and len(number) not in (12, 13):
        raise InvalidAddressError("sms")
    return number


def normalise_address(channel: str, raw: str) -> str:
    value = raw.strip()
    if channel == "sms":
        return normalise_phone(value)
    if channel == "telegram":
        if not _TELEGRAM_CHAT.match(value):
            raise InvalidAddressError("telegram")
        return str(int(value))
    if channel == "email":
        if len(value) > 200 or not _EMAIL.match(value):
            raise InvalidAddressError("email")
        local, _, domain = value.rpartition("@")
        return f"{local}@{domain.lower()}"
    raise InvalidAddressError(channel)


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
    if channel == "push":
        return "push •••" + address[-6:]
    return address


def reply_language(known: str | None) -> str:
    """A contact's chosen language, else Khmer: as with the PWA, a phone's Latin-only typing is
    not taken as a wish for English (many phones have no Khmer keyboard); ``LANG EN`` is."""
    return known if known in ("km", "en") else "km"
