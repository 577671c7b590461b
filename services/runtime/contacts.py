"""How a contact point's address is written once, whichever service meets it.

Phones in E.164 (Cambodian numbers as people write them, and international ones with +),
Telegram chat ids as plain integers, e-mail addresses with the domain in lower case. Notify keys
its contacts by the normalised address, and erasure digests it, so every service must agree.
"""

from __future__ import annotations

import re

from services.runtime.errors import DomainError

CAMBODIA = "+855"
_PHONE_NOISE = re.compile(r"[\s\-.()/]")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_TELEGRAM_CHAT = re.compile(r"^-?\d{1,20}$")
_FACEBOOK = re.compile(r"^\d{1,30}:\d{1,30}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class InvalidAddressError(DomainError):
    def __init__(self, channel: str, field: str = "address") -> None:
        super().__init__(
            f"contact.{channel}_invalid",
            "This is not a valid {what}.",
            "នេះមិនមែនជា{what_km}ត្រឹមត្រូវទេ។",
            status=422,
            field=field,
            what={
                "sms": "phone number",
                "telegram": "Telegram chat id",
                "email": "e-mail address",
                "facebook": "Messenger id",
            }.get(channel, "address"),
            what_km={
                "sms": "លេខទូរស័ព្ទ",
                "telegram": "លេខ Telegram",
                "email": "អ៊ីមែល",
                "facebook": "លេខ Messenger",
            }.get(channel, "អាសយដ្ឋាន"),
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
    if channel == "facebook":
        # A PSID is scoped to one Page: the Page's id travels with it to answer from the same Page.
        if not _FACEBOOK.match(value):
            raise InvalidAddressError("facebook")
        return value
    raise InvalidAddressError(channel)
