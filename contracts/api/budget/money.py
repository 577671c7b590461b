"""Where a line's money goes: allocations to projects, their releases, and the append-only
expenditure ledger. Money is whole riel (``int``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from contracts.api.budget.lines import Amount, Reason
from contracts.budget import BudgetLineKind, ExpenditureStage, ProjectStatus

Id = Annotated[str, Field(min_length=1, max_length=64)]


class AllocationIn(BaseModel):
    """POST /allocations: riel of a line for a project, citing the CIP approval that decided it."""

    model_config = ConfigDict(extra="forbid")

    project_id: Id
    line: BudgetLineKind
    amount: Amount
    decision_id: Annotated[str, Field(max_length=64)] = ""


class ReleaseIn(BaseModel):
    """POST /allocations/{id}/release: unspent riel back to the line (all of it without amount)."""

    model_config = ConfigDict(extra="forbid")

    amount: Amount | None = None
    reason: Reason = None


class ExpenditureIn(BaseModel):
    """POST /expenditures: a new entry (allocation, stage, amount, payee, reference, date), or a
    reversal (``reverses`` and ``reason`` only). The idempotency key makes a retry safe."""

    model_config = ConfigDict(extra="forbid")

    idempotency_key: str = Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_\-:.]+$")
    allocation_id: Annotated[str | None, Field(max_length=64)] = None
    stage: ExpenditureStage | None = None
    amount: Amount | None = None
    payee: Annotated[str | None, Field(max_length=20_000)] = None
    reference: Annotated[str | None, Field(max_length=20_000)] = None
    spent_on: date | None = None
    overrun_reason: Reason = None
    reverses: Annotated[str | None, Field(max_length=64)] = None
    reason: Reason = None


class Allocation(BaseModel):
    """Money of a line allocated to a project, as a meeting decision approved."""

    id: str
    project_id: str
    line: BudgetLineKind
    amount: int = Field(description="Allocated now, after releases")
    released: int
    decision_id: str
    committed: int
    paid: int
    unspent: int = Field(description="Allocated and not committed: what can be released")
    overrun: bool
    made_by: str
    made_at: datetime


class AllocationChange(Allocation):
    """POST /allocations and /allocations/{id}/release: the allocation, and its project's status."""

    project_status: ProjectStatus


class LedgerEntry(BaseModel):
    """An entry of the expenditure ledger (POST /expenditures; a project's ``ledger``)."""

    id: str
    allocation_id: str
    project_id: str
    line: BudgetLineKind
    stage: ExpenditureStage
    amount: int = Field(description="Negative only on a reversing entry")
    payee: str
    reference: str
    spent_on: date
    reverses: str | None = None
    reason: str | None = None
    overrun_reason: str | None = None
    recorded_by: str
    recorded_at: datetime
