"""Tracking codes: a citizen's key to their need. Short, no 0/O or 1/I, with a check character."""

from __future__ import annotations

import secrets

from services.runtime.errors import DomainError

# Tracking codes: no 0/O or 1/I, so a code read aloud or copied by hand cannot be misread.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}
BODY_LENGTH = 6


def _check_char(body: str) -> str:
    """Luhn mod 32: catches every single-character error and most adjacent swaps."""
    factor = 2
    total = 0
    for ch in reversed(body):
        addend = factor * _INDEX[ch]
        factor = 1 if factor == 2 else 2
        total += addend // len(ALPHABET) + addend % len(ALPHABET)
    return ALPHABET[(len(ALPHABET) - total % len(ALPHABET)) % len(ALPHABET)]


def new_tracking_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    code = body + _check_char(body)
    return f"{code[:4]}-{code[4:]}"


def normalise_tracking_code(raw: str) -> str:
    """Accept what people type (lower case, spaces, no dash, O for 0...) or refuse clearly."""
    cleaned = raw.strip().upper().replace("-", "").replace(" ", "")
    if len(cleaned) != BODY_LENGTH + 1 or any(ch not in _INDEX for ch in cleaned):
        raise InvalidTrackingCode()
    if _check_char(cleaned[:-1]) != cleaned[-1]:
        raise InvalidTrackingCode()
    return f"{cleaned[:4]}-{cleaned[4:]}"


class InvalidTrackingCode(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "need.tracking_code_invalid",
            "This is not a valid tracking code. It looks like ABCD-EFG.",
            "លេខកូដតាមដាននេះមិនត្រឹមត្រូវទេ។ វាមានទម្រង់ដូចជា ABCD-EFG។",
            status=400,
        )
