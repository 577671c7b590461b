"""Budget numbers for people: riel and dollars, local times, and the server-rendered SVG bars."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from contracts.api import budget as api
from contracts.local_time import PHNOM_PENH
from gateway.money import usd_of

BAR_WIDTH = 300  # SVG user units; the bar scales to the width of its card


# ---------- formatting ----------


def riel(amount: int) -> str:
    """Whole riel with thousands separators and the riel sign, e.g. 1,250,000៛."""
    return f"{amount:,}៛"


def usd_text(amount: int, rate: api.ExchangeRate | None) -> str | None:
    """The USD equivalent for display, with thousands separators, e.g. 2,195,121.95."""
    usd = usd_of(amount, rate.riel_per_usd if rate else None)
    return f"{Decimal(usd):,.2f}" if usd is not None else None


def local_time(moment: datetime) -> str:
    """A UTC time as people in Cambodia read it."""
    return moment.astimezone(PHNOM_PENH).strftime("%Y-%m-%d %H:%M")


def this_year() -> int:
    return datetime.now(PHNOM_PENH).year


def bar(amount: int, allocated: int, spent: int, scale: int) -> dict[str, Any]:
    """Widths of a line's bars on a shared scale: the amount, what is allocated, what is spent."""
    top = max(scale, 1)

    def width(value: int) -> int:
        return round(BAR_WIDTH * max(0, min(value, top)) / top)

    return {
        "amount": width(amount),
        "allocated": width(allocated),
        "spent": width(spent),
        "over": allocated > amount,
        "marker": width(amount),
    }


def shown(answer: BaseModel, **extra: Any) -> dict[str, Any]:
    """An answer's fields with what a page adds to show it (texts, bars): templates read both
    with the same ``x.y`` syntax."""
    return {**dict(answer), **extra}


def line_model(line: api.Line | api.PublicLine, scale: int) -> dict[str, Any]:
    """A council's line (spent is what is paid) or a public one."""
    spent = line.spent if isinstance(line, api.PublicLine) else line.paid
    amounts = {k: v for k, v in dict(line).items() if isinstance(v, int) and not isinstance(v, bool)}
    return shown(
        line,
        texts={k: riel(v) for k, v in amounts.items()},
        spent_text=riel(spent),
        usd=usd_text(line.amount, line.exchange_rate),
        rate=line.exchange_rate,
        bar=bar(line.amount, line.allocated, spent, scale),
    )


def scale_of(lines: list[api.Line] | list[api.PublicLine]) -> int:
    return max((max(line.amount, line.allocated) for line in lines), default=0)
