"""Money for display: riel is the truth (whole ``int``); dollars are shown beside it only."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def usd_of(amount: int, riel_per_usd: int | None) -> str | None:
    """The USD equivalent of an amount at a recorded rate, for display only (riel stays the truth)."""
    if not riel_per_usd:
        return None
    usd = Decimal(amount) / Decimal(riel_per_usd)
    return str(usd.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
