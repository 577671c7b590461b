"""Money for display: riel is the truth (whole ``int``); dollars are shown beside it only."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any


def usd_of(amount: int, rate: dict[str, Any] | None) -> str | None:
    """The USD equivalent of an amount at a recorded rate, for display only (riel stays the truth)."""
    if not rate:
        return None
    usd = Decimal(amount) / Decimal(int(rate["riel_per_usd"]))
    return str(usd.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
