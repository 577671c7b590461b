"""Budget numbers for people: riel and dollars, local times, and the server-rendered SVG bars."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from gateway.money import usd_of

PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")
BAR_WIDTH = 300  # SVG user units; the bar scales to the width of its card


# ---------- formatting ----------


def riel(amount: int) -> str:
    """Whole riel with thousands separators and the riel sign, e.g. 1,250,000៛."""
    return f"{amount:,}៛"


def usd_text(amount: int, rate: dict[str, Any] | None) -> str | None:
    """The USD equivalent for display, with thousands separators, e.g. 2,195,121.95."""
    usd = usd_of(amount, rate)
    return f"{Decimal(usd):,.2f}" if usd is not None else None


def local_time(iso: str) -> str:
    """A UTC time as people in Cambodia read it."""
    return datetime.fromisoformat(iso).astimezone(PHNOM_PENH).strftime("%Y-%m-%d %H:%M")


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


def line_model(line: dict[str, Any], scale: int) -> dict[str, Any]:
    spent = line.get("spent", line.get("paid", 0))
    rate = line.get("exchange_rate")
    return {
        **line,
        "texts": {k: riel(v) for k, v in line.items() if isinstance(v, int) and not isinstance(v, bool)},
        "spent_text": riel(spent),
        "usd": usd_text(line["amount"], rate),
        "rate": rate,
        "bar": bar(line["amount"], line["allocated"], spent, scale),
    }


def scale_of(lines: list[dict[str, Any]]) -> int:
    return max((max(line["amount"], line["allocated"]) for line in lines), default=0)
