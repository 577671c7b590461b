"""What callers send to change a budget."""

from __future__ import annotations

from datetime import date

import strawberry

from contracts.budget import BudgetLineKind, ExpenditureStage, ProjectDecision
from gateway.graphql.budget.riel import Riel
from gateway.graphql.ids import KEY_FORMAT


@strawberry.input(description="A recorded exchange rate.")
class ExchangeRateInput:
    riel_per_usd: int = strawberry.field(description="Riel for one US dollar (1 to 1,000,000).")
    as_of: date = strawberry.field(description="The date of the rate.")


@strawberry.input(description="Set a line's amount for a fiscal year (once; later changes are revisions).")
class SetBudgetLineInput:
    commune_code: str = strawberry.field(description="The commune (6 digits).")
    year: int = strawberry.field(description="The fiscal year (2000 to 2100).")
    kind: BudgetLineKind = strawberry.field(description="Which line.")
    amount: Riel = strawberry.field(description="Whole riel, zero or more (Riel: digits as a string).")
    exchange_rate: ExchangeRateInput | None = strawberry.field(
        default=None, description="A rate to show the line in USD too (riel stays the truth)."
    )


@strawberry.input(description="Cut or raise a line. The reason is required: the people affected are told it.")
class ReviseBudgetLineInput:
    commune_code: str = strawberry.field(description="The commune (6 digits).")
    year: int = strawberry.field(description="The fiscal year.")
    kind: BudgetLineKind = strawberry.field(description="Which line.")
    amount: Riel = strawberry.field(description="The new amount in whole riel (Riel: digits as a string).")
    reason: str | None = strawberry.field(
        default=None, description="Required (refused with budget.reason_required when missing or blank)."
    )


@strawberry.input(description="A CIP project answering one or more of the commune's needs.")
class CreateProjectInput:
    commune_code: str = strawberry.field(description="The commune (6 digits).")
    year: int = strawberry.field(description="The fiscal year.")
    title: str = strawberry.field(description="What is to be built or done (1 to 200 characters).")
    need_ids: list[strawberry.ID] = strawberry.field(
        description="The needs it answers (at least one): global ids from the needs API, or plain ids."
    )
    estimated_cost: Riel = strawberry.field(
        description="Estimated cost in whole riel (Riel: digits as a string)."
    )
    expected_month: str | None = strawberry.field(
        default=None,
        description="When the council expects it delivered: YYYY-MM (Khmer digits too), not before the "
        "year. budget.expected_month_invalid or budget.expected_month_before_year otherwise.",
    )


@strawberry.input(
    description="Allocate riel of a line to a project, citing the CIP approval that decided it."
)
class AllocateInput:
    project_id: strawberry.ID = strawberry.field(description="The project (global or plain id).")
    line_kind: BudgetLineKind = strawberry.field(description="The line the money comes from.")
    amount: Riel = strawberry.field(description="Whole riel, more than zero (Riel: digits as a string).")
    decision_id: strawberry.ID = strawberry.field(description="The CIP approval decision (DecisionRecorded).")


@strawberry.input(
    description="Give unspent riel of an allocation back to its line: how a project is reduced."
)
class ReleaseAllocationInput:
    allocation_id: strawberry.ID = strawberry.field(description="The allocation.")
    reason: str | None = strawberry.field(default=None, description="Required: why.")
    amount: Riel | None = strawberry.field(
        default=None, description="Riel to release; all unspent riel if absent."
    )


@strawberry.input(description="Defer or reject a project; its allocations go back to their lines.")
class DecideProjectInput:
    project_id: strawberry.ID = strawberry.field(description="The project (global or plain id).")
    decision: ProjectDecision = strawberry.field(description="Defer (maybe another year) or reject.")
    reason: str | None = strawberry.field(
        default=None, description="Required: the people who raised its needs are told it."
    )


@strawberry.input(
    description="Append to the ledger: either a new entry (allocationId, stage, amount, payee, reference, "
    "spentOn) or a reversal of a posted entry (reverses, reason). Posted entries are never edited."
)
class RecordExpenditureInput:
    idempotency_key: str = strawberry.field(
        description="Made by the client once per entry: a retry returns the same entry; the same key with "
        "different content is refused with budget.entry_immutable. " + KEY_FORMAT
    )
    allocation_id: strawberry.ID | None = strawberry.field(
        default=None, description="The allocation spent from."
    )
    stage: ExpenditureStage | None = strawberry.field(default=None, description="Committed or paid.")
    amount: Riel | None = strawberry.field(default=None, description="Whole riel, more than zero (Riel).")
    payee: str | None = strawberry.field(default=None, description="Who is paid.")
    reference: str | None = strawberry.field(default=None, description="Contract, order or receipt number.")
    spent_on: date | None = strawberry.field(default=None, description="The date, within the fiscal year.")
    overrun_reason: str | None = strawberry.field(
        default=None,
        description="To commit past the allocation: the reason, recorded as an explicit overrun.",
    )
    reverses: strawberry.ID | None = strawberry.field(
        default=None, description="The posted entry to reverse."
    )
    reason: str | None = strawberry.field(
        default=None, description="Why the entry is reversed (required then)."
    )


@strawberry.input(description="When the council expects a project delivered.")
class SetProjectExpectedMonthInput:
    project_id: strawberry.ID = strawberry.field(description="The project (global or plain id).")
    expected_month: str | None = strawberry.field(
        description="YYYY-MM (Khmer digits too, e.g. ២០២៧-០៦), not before the project's year; null or "
        "empty clears it. budget.expected_month_invalid or budget.expected_month_before_year otherwise."
    )
