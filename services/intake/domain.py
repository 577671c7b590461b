"""Needs: the rules for recording one, and tracking codes. Pure: no I/O, no framework."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from contracts.needs import DESCRIPTION_MAX, Sector
from services.runtime.errors import DomainError
from services.runtime.identity import Identity, Role

# Tracking codes: no 0/O or 1/I, so a code read aloud or copied by hand cannot be misread.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}
BODY_LENGTH = 6

RECORDING_ROLES = frozenset({Role.FACILITATOR, Role.COUNCIL_MEMBER, Role.CLERK, Role.CCWC_FOCAL_POINT})


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


class NeedError(DomainError):
    """Refusals while recording a need; ``field`` points the UI at the input concerned."""


@dataclass(frozen=True)
class Village:
    code: str
    commune_code: str
    name_km: str
    name_latin: str


@dataclass(frozen=True)
class SubmitNeed:
    """Command: record a citizen's need."""

    village_code: str
    description: str
    sector: Sector | None
    idempotency_key: str


@dataclass(frozen=True)
class Need:
    id: str
    tracking_code: str
    commune_code: str
    village_code: str
    description: str
    sector: Sector | None
    status: str
    collected_by: str
    idempotency_key: str
    submitted_at: datetime


def validate_submission(command: SubmitNeed, village: Village | None, caller: Identity) -> str:
    """Check a submission against the rules; return the cleaned description."""
    if caller.role not in RECORDING_ROLES:
        raise NeedError(
            "need.not_allowed",
            "Your role cannot record needs.",
            "តួនាទីរបស់អ្នកមិនអាចកត់ត្រាតម្រូវការបានទេ។",
            status=403,
        )
    description = command.description.strip()
    if not description:
        raise NeedError(
            "need.description_empty",
            "Please describe the need.",
            "សូមរៀបរាប់អំពីតម្រូវការ។",
            field="description",
        )
    if len(description) > DESCRIPTION_MAX:
        raise NeedError(
            "need.description_too_long",
            "The description is too long: {length} characters, at most {limit}.",
            "ការរៀបរាប់វែងពេក៖ {length} តួអក្សរ យ៉ាងច្រើនបំផុត {limit}។",
            field="description",
            length=len(description),
            limit=DESCRIPTION_MAX,
        )
    if village is None:
        raise NeedError(
            "need.village_unknown",
            "Village {village} is not in the gazetteer.",
            "ភូមិ {village} មិនមាននៅក្នុងបញ្ជីឈ្មោះភូមិទេ។",
            field="villageCode",
            village=command.village_code,
        )
    if not caller.covers(village.commune_code):
        raise NeedError(
            "need.village_out_of_scope",
            "Village {village} is outside your communes.",
            "ភូមិ {village} នៅក្រៅឃុំរបស់អ្នក។",
            field="villageCode",
            status=403,
            village=command.village_code,
        )
    return description
