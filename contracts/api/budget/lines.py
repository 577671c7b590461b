"""A budget's lines and their changes: setting a line, revising one, and the balances budget
answers with. Money is whole riel (``int``) everywhere."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from contracts.budget import BudgetLineKind, ExchangeRate

Commune = Annotated[str, Field(pattern=r"^\d{6}$")]
Year = Annotated[int, Field(ge=2000, le=2100)]
# Whole riel as sent: budget reads digits in text too, and refuses fractions with a clear code.
Amount = StrictInt | StrictFloat | Annotated[StrictStr, Field(max_length=40)]
Reason = Annotated[str | None, Field(default=None, max_length=20_000)]


class LineIn(BaseModel):
    """POST /lines: a line's amount for a fiscal year (set once; later changes are revisions)."""

    model_config = ConfigDict(extra="forbid")

    commune_code: Commune
    year: Year
    kind: BudgetLineKind
    amount: Amount
    exchange_rate: ExchangeRate | None = None


class RevisionIn(BaseModel):
    """POST /revisions: cut or raise a line, with the reason the people affected are told."""

    model_config = ConfigDict(extra="forbid")

    commune_code: Commune
    year: Year
    kind: BudgetLineKind
    amount: Amount
    reason: Reason = None


class Line(BaseModel):
    """A line with its balances (POST /lines, and within a budget)."""

    kind: BudgetLineKind
    amount: int
    allocated: int
    committed: int
    paid: int
    unallocated: int = Field(description="Amount not yet allocated (never negative)")
    shortfall: int = Field(description="Allocations a cut left uncovered")
    remaining: int = Field(description="Amount minus paid")
    exchange_rate: ExchangeRate | None = None
    set_at: datetime


class Totals(BaseModel):
    """All lines of a budget together."""

    amount: int
    allocated: int
    committed: int
    paid: int
    unallocated: int
    remaining: int


class Revision(BaseModel):
    """A cut or raise of a line, and the projects it put at risk."""

    id: str
    line: BudgetLineKind
    previous_amount: int
    amount: int
    reason: str
    uncovered: int = Field(description="Allocations the new amount no longer covers")
    at_risk_project_ids: list[str]
    revised_at: datetime


class RevisedLine(Revision):
    """POST /revisions: the revision, and its line after it."""

    line_balance: Line
