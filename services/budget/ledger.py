"""The expenditure ledger: append-only, in whole riel. Pure.

An entry is committed (money promised) or paid (money out). Posted entries are never edited:
a mistake is corrected by a reversing entry that negates the original, so the history of
what was recorded, and when, stays readable. Each allocation keeps running totals of its
entries; they must always equal the ledger's sums (a property-based test checks this).

Rules: committed money never exceeds the allocation unless the entry is an explicit overrun
record with a reason; paid money never exceeds committed money.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date

from contracts.budget import EXPENDITURE_RECORDED, ExpenditureRecordedV1, ExpenditureStage
from services.budget.model import Act, Budget, Emitted, LedgerEntry, Outcome
from services.budget.money import parse_riel
from services.budget.projects import require_allocation
from services.budget.rules import (
    PAYEE_MAX,
    REASON_MAX,
    REFERENCE_MAX,
    BudgetError,
    optional_text,
    reason_text,
    require_manager,
    required_text,
    within_year,
)


@dataclass(frozen=True)
class NewEntry:
    """Command: record money committed or paid on an allocation."""

    allocation_id: str
    stage: ExpenditureStage
    amount: object
    payee: str | None
    reference: str | None
    spent_on: date | None
    overrun_reason: str | None = None


def record_expenditure(budget: Budget, act: Act, entry_id: str, command: NewEntry) -> Outcome:
    require_manager(act.who, budget.commune_code)
    allocation = require_allocation(budget, command.allocation_id)
    value = parse_riel(command.amount)
    payee = required_text(command.payee, "payee", PAYEE_MAX)
    reference = required_text(command.reference, "reference", REFERENCE_MAX)
    if command.spent_on is None:
        raise BudgetError("budget.date_required", "Please give the date.", "សូមផ្តល់កាលបរិច្ឆេទ។", field="spentOn")
    spent_on = within_year(command.spent_on, budget.year, "spentOn")
    overrun = optional_text(command.overrun_reason, "overrunReason", REASON_MAX)
    if command.stage == ExpenditureStage.COMMITTED:
        over = allocation.committed + value - allocation.amount
        if over > 0 and overrun is None:
            raise BudgetError(
                "budget.overspend",
                "This is {over} riel more than is left of the allocation ({left} riel). "
                "To go on, record it as an overrun and give the reason.",
                "នេះលើសពីថវិកាដែលនៅសល់នៃការបែងចែក {over} រៀល ({left} រៀល)។ "
                "ដើម្បីបន្ត សូមកត់ត្រាវាជាការចំណាយលើស ហើយផ្តល់មូលហេតុ។",
                status=409,
                field="amount",
                over=f"{over:,}",
                left=f"{allocation.unspent:,}",
            )
        if over <= 0:
            overrun = None  # not an overrun: nothing to record as one
    elif allocation.paid + value > allocation.committed:
        raise BudgetError(
            "budget.payment_exceeds_commitment",
            "Only {left} riel is committed and not yet paid on this allocation. Record the commitment first.",
            "មានតែ {left} រៀលប៉ុណ្ណោះ ដែលបានសន្យា ហើយមិនទាន់បង់លើការបែងចែកនេះ។ សូមកត់ត្រាការសន្យាជាមុនសិន។",
            status=409,
            field="amount",
            left=f"{allocation.committed - allocation.paid:,}",
        )
    entry = LedgerEntry(
        id=entry_id,
        commune_code=budget.commune_code,
        year=budget.year,
        allocation_id=allocation.id,
        project_id=allocation.project_id,
        line=allocation.line,
        stage=command.stage,
        amount=value,
        payee=payee,
        reference=reference,
        spent_on=spent_on,
        reverses=None,
        reason=None,
        overrun_reason=overrun,
        recorded_by=act.who.user_id,
        recorded_at=act.now,
    )
    return _post(budget, entry)


def reverse_entry(
    budget: Budget,
    act: Act,
    entry_id: str,
    original: LedgerEntry | None,
    already_reversed: bool,
    reason: str | None,
) -> Outcome:
    """Correct a posted entry by appending its negation; the original stays as it was."""
    require_manager(act.who, budget.commune_code)
    if original is None or original.commune_code != budget.commune_code or original.year != budget.year:
        raise BudgetError(
            "budget.entry_unknown",
            "No such ledger entry in this budget.",
            "រកមិនឃើញធាតុបញ្ជីនេះក្នុងថវិកានេះទេ។",
            status=404,
            field="reverses",
        )
    if original.reverses is not None:
        raise BudgetError(
            "budget.entry_is_reversal",
            "This entry is itself a reversal. Record a new entry instead.",
            "ធាតុនេះគឺជាការបញ្ច្រាសរួចហើយ។ សូមកត់ត្រាធាតុថ្មីជំនួសវិញ។",
            status=409,
            field="reverses",
        )
    if already_reversed:
        raise BudgetError(
            "budget.entry_already_reversed",
            "This entry was already reversed.",
            "ធាតុនេះត្រូវបានបញ្ច្រាសរួចហើយ។",
            status=409,
            field="reverses",
        )
    why = reason_text(reason)
    allocation = require_allocation(budget, original.allocation_id)
    if (
        original.stage == ExpenditureStage.COMMITTED
        and allocation.committed - original.amount < allocation.paid
    ):
        raise BudgetError(
            "budget.reversal_below_paid",
            "Part of this commitment is already paid. Reverse the payment first.",
            "ផ្នែកខ្លះនៃការសន្យានេះត្រូវបានបង់រួចហើយ។ សូមបញ្ច្រាសការបង់ប្រាក់ជាមុនសិន។",
            status=409,
            field="reverses",
        )
    entry = LedgerEntry(
        id=entry_id,
        commune_code=budget.commune_code,
        year=budget.year,
        allocation_id=original.allocation_id,
        project_id=original.project_id,
        line=original.line,
        stage=original.stage,
        amount=-original.amount,
        payee=original.payee,
        reference=original.reference,
        spent_on=original.spent_on,
        reverses=original.id,
        reason=why,
        overrun_reason=None,
        recorded_by=act.who.user_id,
        recorded_at=act.now,
    )
    return _post(budget, entry)


def entry_immutable() -> BudgetError:
    """A posted entry cannot be changed: what an attempt to edit one (or to reuse its key) gets."""
    return BudgetError(
        "budget.entry_immutable",
        "A posted ledger entry cannot be changed. To correct it, record a reversing entry.",
        "ធាតុបញ្ជីដែលបានកត់ត្រារួច មិនអាចកែប្រែបានទេ។ ដើម្បីកែតម្រូវ សូមកត់ត្រាធាតុបញ្ច្រាស។",
        status=409,
    )


def _post(budget: Budget, entry: LedgerEntry) -> Outcome:
    after = copy.deepcopy(budget)
    allocation = after.allocations[entry.allocation_id]
    if entry.stage == ExpenditureStage.COMMITTED:
        allocation.committed += entry.amount
    else:
        allocation.paid += entry.amount
    if entry.overrun_reason is not None:
        allocation.overrun = True
    event = ExpenditureRecordedV1(
        entry_id=entry.id,
        allocation_id=entry.allocation_id,
        project_id=entry.project_id,
        commune_code=entry.commune_code,
        year=entry.year,
        line=entry.line,
        stage=entry.stage,
        amount=entry.amount,
        payee=entry.payee,
        reference=entry.reference,
        spent_on=entry.spent_on,
        reverses=entry.reverses,
        reason=entry.reason,
        overrun_reason=entry.overrun_reason,
        recorded_by=entry.recorded_by,
        recorded_at=entry.recorded_at,
    )
    return Outcome(
        after, result=entry, entries=[entry], events=[Emitted(EXPENDITURE_RECORDED, event, entry.id)]
    )
