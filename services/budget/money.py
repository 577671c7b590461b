"""Whole riel: how an amount is read from what people and integrators send. Pure.

Amounts arrive as JSON integers, or as text typed by a clerk ("1,500,000", "1 500 000៛",
Khmer digits "១៥០០០០០"). Anything that is not a whole, non-negative number of riel is refused
with a stable code, so a fraction is never rounded away silently.
"""

from __future__ import annotations

import re

from services.budget.rules import BudgetError

# A billion US dollars is about four trillion riel; a thousand times that is still a typo.
MAX_RIEL = 10**15

_KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
_GROUPING = re.compile(r"[\s,_'៛]")
_WHOLE = re.compile(r"^[+-]?\d+$")
_FRACTION = re.compile(r"^[+-]?\d*[.]\d+$")


class AmountError(BudgetError):
    """An amount that is not whole riel within range."""


def parse_riel(raw: object, *, field: str = "amount", allow_zero: bool = False) -> int:
    """Read an amount of riel, or refuse it with a code: invalid, not whole, negative, zero, too large."""
    value = _read(raw, field)
    if value < 0:
        raise AmountError(
            "budget.amount_negative",
            "The amount cannot be negative.",
            "ចំនួនទឹកប្រាក់មិនអាចជាលេខអវិជ្ជមានបានទេ។",
            field=field,
        )
    if value == 0 and not allow_zero:
        raise AmountError(
            "budget.amount_zero",
            "The amount must be more than zero riel.",
            "ចំនួនទឹកប្រាក់ត្រូវតែច្រើនជាងសូន្យរៀល។",
            field=field,
        )
    if value > MAX_RIEL:
        raise AmountError(
            "budget.amount_too_large",
            "The amount is too large: at most {limit} riel.",
            "ចំនួនទឹកប្រាក់ធំពេក៖ យ៉ាងច្រើនបំផុត {limit} រៀល។",
            field=field,
            limit=f"{MAX_RIEL:,}",
        )
    return value


def _read(raw: object, field: str) -> int:
    if isinstance(raw, bool):
        raise _invalid(field)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        raise _not_whole(field)
    if not isinstance(raw, str):
        raise _invalid(field)
    text = _GROUPING.sub("", raw.translate(_KHMER_DIGITS))
    if _WHOLE.match(text):
        return int(text)
    if _FRACTION.match(text):
        raise _not_whole(field)
    raise _invalid(field)


def _invalid(field: str) -> AmountError:
    return AmountError(
        "budget.amount_invalid",
        "Write the amount in riel as digits, for example 1500000.",
        "សូមសរសេរចំនួនទឹកប្រាក់ជារៀលជាលេខ ឧទាហរណ៍ 1500000។",
        field=field,
    )


def _not_whole(field: str) -> AmountError:
    return AmountError(
        "budget.amount_not_whole",
        "Amounts are whole riel, without decimals.",
        "ចំនួនទឹកប្រាក់ត្រូវជារៀលគត់ គ្មានខ្ទង់ទសភាគទេ។",
        field=field,
    )
