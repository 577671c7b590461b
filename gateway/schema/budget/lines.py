"""A budget's lines and where their money goes: exchange rates, totals, allocations, the ledger."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry

from contracts.budget import BudgetLineKind, ExpenditureStage, ProjectStatus
from gateway.money import usd_of
from gateway.schema.budget.riel import Riel
from gateway.schema.ids import to_global


@strawberry.type(description="A recorded exchange rate, to show riel amounts in US dollars too.")
class ExchangeRate:
    riel_per_usd: int = strawberry.field(description="Riel for one US dollar.")
    as_of: date = strawberry.field(description="The date of the rate.")

    @classmethod
    def of(cls, data: dict[str, Any] | None) -> ExchangeRate | None:
        return (
            cls(riel_per_usd=data["riel_per_usd"], as_of=date.fromisoformat(data["as_of"])) if data else None
        )


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
        return usd_of(self.amount, {"riel_per_usd": rate.riel_per_usd}) if rate else None

    @classmethod
    def of(cls, data: dict[str, Any]) -> BudgetLine:
        return cls(
            kind=BudgetLineKind(data["kind"]),
            amount=data["amount"],
            allocated=data["allocated"],
            committed=data["committed"],
            paid=data["paid"],
            unallocated=data["unallocated"],
            shortfall=data["shortfall"],
            remaining=data["remaining"],
            exchange_rate=ExchangeRate.of(data.get("exchange_rate")),
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
    def of(cls, data: dict[str, Any]) -> BudgetTotals:
        return cls(
            **{k: data[k] for k in ("amount", "allocated", "committed", "paid", "unallocated", "remaining")}
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
    def of(cls, data: dict[str, Any]) -> Allocation:
        status = data.get("project_status")
        return cls(
            id=strawberry.ID(data["id"]),
            project_id=to_global("Project", data["project_id"]),
            line_kind=BudgetLineKind(data["line"]),
            amount=data["amount"],
            released=data["released"],
            committed=data["committed"],
            paid=data["paid"],
            unspent=data["unspent"],
            overrun=data["overrun"],
            decision_id=strawberry.ID(data["decision_id"]),
            made_at=datetime.fromisoformat(data["made_at"]),
            project_status=ProjectStatus(status) if status else None,
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
    def of(cls, data: dict[str, Any]) -> LedgerEntry:
        return cls(
            id=strawberry.ID(data["id"]),
            allocation_id=strawberry.ID(data["allocation_id"]),
            project_id=to_global("Project", data["project_id"]),
            line_kind=BudgetLineKind(data["line"]),
            stage=ExpenditureStage(data["stage"]),
            amount=data["amount"],
            payee=data["payee"],
            reference=data["reference"],
            spent_on=date.fromisoformat(data["spent_on"]),
            reverses=strawberry.ID(data["reverses"]) if data.get("reverses") else None,
            reason=data.get("reason"),
            overrun_reason=data.get("overrun_reason"),
            recorded_at=datetime.fromisoformat(data["recorded_at"]),
        )
