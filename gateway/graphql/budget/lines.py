"""A budget's lines and where their money goes: exchange rates, totals, allocations, the ledger."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from contracts.api import budget as api
from contracts.budget import BudgetLineKind, ExpenditureStage, ProjectStatus
from gateway.graphql.budget.riel import Riel
from gateway.graphql.ids import to_global
from gateway.money import usd_of


@strawberry.type(description="A recorded exchange rate, to show riel amounts in US dollars too.")
class ExchangeRate:
    riel_per_usd: int = strawberry.field(description="Riel for one US dollar.")
    as_of: date = strawberry.field(description="The date of the rate.")

    @classmethod
    def of(cls, rate: api.ExchangeRate | None) -> ExchangeRate | None:
        return cls(riel_per_usd=rate.riel_per_usd, as_of=rate.as_of) if rate else None


@strawberry.type(
    description="A budget line of a commune's fiscal year (January to December), with its balances."
)
class BudgetLine:
    kind: BudgetLineKind = strawberry.field(description="Which line.")
    amount: Riel = strawberry.field(description="The line's amount for the year (Riel: digits as a string).")
    allocated: Riel = strawberry.field(description="Riel allocated to projects (Riel: digits as a string).")
    committed: Riel = strawberry.field(
        description="Riel committed on those allocations (Riel: digits as a string)."
    )
    paid: Riel = strawberry.field(description="Riel paid out (Riel: digits as a string).")
    unallocated: Riel = strawberry.field(description="Riel not yet allocated (Riel: digits as a string).")
    shortfall: Riel = strawberry.field(
        description="Riel of allocations a cut left uncovered, awaiting the council's decisions (Riel)."
    )
    remaining: Riel = strawberry.field(description="Riel not yet paid out: amount minus paid (Riel).")
    exchange_rate: ExchangeRate | None = strawberry.field(description="The recorded rate for a USD display.")

    @strawberry.field(
        description='The amount in US dollars at the recorded rate (display only), e.g. "2195.12".'
    )
    def amount_usd(self) -> str | None:
        rate = self.exchange_rate
        return usd_of(self.amount, rate.riel_per_usd) if rate else None

    @classmethod
    def of(cls, line: api.Line) -> BudgetLine:
        return cls(
            kind=line.kind,
            amount=line.amount,
            allocated=line.allocated,
            committed=line.committed,
            paid=line.paid,
            unallocated=line.unallocated,
            shortfall=line.shortfall,
            remaining=line.remaining,
            exchange_rate=ExchangeRate.of(line.exchange_rate),
        )


@strawberry.type(description="Totals over all lines of a budget (Riel: digits as strings).")
class BudgetTotals:
    amount: Riel = strawberry.field(description="All lines together.")
    allocated: Riel = strawberry.field(description="Allocated to projects.")
    committed: Riel = strawberry.field(description="Committed.")
    paid: Riel = strawberry.field(description="Paid out.")
    unallocated: Riel = strawberry.field(description="Not yet allocated.")
    remaining: Riel = strawberry.field(description="Not yet paid out.")

    @classmethod
    def of(cls, totals: api.Totals) -> BudgetTotals:
        return cls(
            amount=totals.amount,
            allocated=totals.allocated,
            committed=totals.committed,
            paid=totals.paid,
            unallocated=totals.unallocated,
            remaining=totals.remaining,
        )


@strawberry.type(description="Money of a line allocated to a project, as a meeting decision approved.")
class Allocation:
    id: strawberry.ID = strawberry.field(description="Stable id (time-ordered).")
    project_id: strawberry.ID = strawberry.field(description="The project funded.")
    line_kind: BudgetLineKind = strawberry.field(description="The line the money comes from.")
    amount: Riel = strawberry.field(
        description="Riel allocated now, after releases (Riel: digits as a string)."
    )
    released: Riel = strawberry.field(description="Riel given back to the line so far (Riel).")
    committed: Riel = strawberry.field(description="Riel committed on this allocation (Riel).")
    paid: Riel = strawberry.field(description="Riel paid on this allocation (Riel).")
    unspent: Riel = strawberry.field(
        description="Riel allocated and not committed: what can be released (Riel)."
    )
    overrun: bool = strawberry.field(description="Whether an explicit overrun was recorded on it.")
    decision_id: strawberry.ID = strawberry.field(description="The CIP approval decision it carries out.")
    made_at: datetime = strawberry.field(description="When it was made (UTC).")
    project_status: ProjectStatus | None = strawberry.field(
        description="The project's status after this change (set on mutation results)."
    )

    @classmethod
    def of(cls, allocation: api.Allocation) -> Allocation:
        """``project_status`` is set when the answer is a change (AllocationChange)."""
        return cls(
            id=strawberry.ID(allocation.id),
            project_id=to_global("Project", allocation.project_id),
            line_kind=allocation.line,
            amount=allocation.amount,
            released=allocation.released,
            committed=allocation.committed,
            paid=allocation.paid,
            unspent=allocation.unspent,
            overrun=allocation.overrun,
            decision_id=strawberry.ID(allocation.decision_id),
            made_at=allocation.made_at,
            project_status=allocation.project_status
            if isinstance(allocation, api.AllocationChange)
            else None,
        )


@strawberry.type(
    description="An entry of the append-only expenditure ledger. Never edited: corrected by reversal."
)
class LedgerEntry:
    id: strawberry.ID = strawberry.field(description="Stable id (time-ordered).")
    allocation_id: strawberry.ID = strawberry.field(description="The allocation spent from.")
    project_id: strawberry.ID = strawberry.field(description="The project (global or plain id).")
    line_kind: BudgetLineKind = strawberry.field(description="The line.")
    stage: ExpenditureStage = strawberry.field(description="Committed or paid.")
    amount: Riel = strawberry.field(
        description="Riel; negative only on a reversing entry (Riel: digits as a string)."
    )
    payee: str = strawberry.field(description="Who is paid.")
    reference: str = strawberry.field(description="Contract, order or receipt number.")
    spent_on: date = strawberry.field(
        description="The date of the commitment or payment (in the fiscal year)."
    )
    reverses: strawberry.ID | None = strawberry.field(
        description="The entry this one reverses, if a correction."
    )
    reason: str | None = strawberry.field(description="Why a reversal was made.")
    overrun_reason: str | None = strawberry.field(
        description="Set when this entry took spending past the allocation: the explicit overrun record."
    )
    recorded_at: datetime = strawberry.field(description="When it was recorded (UTC).")

    @classmethod
    def of(cls, entry: api.LedgerEntry) -> LedgerEntry:
        return cls(
            id=strawberry.ID(entry.id),
            allocation_id=strawberry.ID(entry.allocation_id),
            project_id=to_global("Project", entry.project_id),
            line_kind=entry.line,
            stage=entry.stage,
            amount=entry.amount,
            payee=entry.payee,
            reference=entry.reference,
            spent_on=entry.spent_on,
            reverses=strawberry.ID(entry.reverses) if entry.reverses else None,
            reason=entry.reason,
            overrun_reason=entry.overrun_reason,
            recorded_at=entry.recorded_at,
        )
