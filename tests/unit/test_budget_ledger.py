"""The expenditure ledger: append-only entries, reversals, overruns, payments. No I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from contracts.budget import EXPENDITURE_RECORDED, BudgetLineKind, ExpenditureStage
from services.budget import domain, ledger, projects
from services.budget.ledger import NewEntry
from services.budget.model import Act, Budget, LedgerEntry
from services.budget.projects import Approval, NeedRef, ProjectDecision
from services.budget.rules import BudgetError
from services.runtime.identity import Identity, Role

LOCAL = BudgetLineKind.LOCAL_DEVELOPMENT
COMMITTED = ExpenditureStage.COMMITTED
PAID = ExpenditureStage.PAID
CLERK = Act(Identity("clerk-1", Role.CLERK, ("160101",)), datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
APPROVAL = Approval("d1", "160101", 2026, {"n1": 1})


def _funded(amount: int = 4_000_000) -> Budget:
    budget = domain.set_line(Budget("160101", 2026), CLERK, LOCAL, 10_000_000).budget
    budget = projects.create_project(
        budget, CLERK, "p1", "Well", ["n1"], amount, {"n1": NeedRef("n1", "160101")}, APPROVAL
    ).budget
    return projects.allocate(budget, CLERK, "a1", "p1", LOCAL, amount, APPROVAL).budget


def _entry(stage: ExpenditureStage, value: object, **overrides: object) -> NewEntry:
    fields: dict[str, object] = {
        "allocation_id": "a1",
        "stage": stage,
        "amount": value,
        "payee": "ក្រុមហ៊ុនសំណង់ សុខា",
        "reference": "CT-2026-014",
        "spent_on": date(2026, 5, 20),
    }
    fields.update(overrides)
    return NewEntry(**fields)  # type: ignore[arg-type]


def _post(budget: Budget, eid: str, command: NewEntry) -> tuple[Budget, LedgerEntry]:
    outcome = ledger.record_expenditure(budget, CLERK, eid, command)
    return outcome.budget, outcome.result


def test_committing_and_paying_updates_the_running_totals_and_publishes_each_entry() -> None:
    budget, committed = _post(_funded(), "e1", _entry(COMMITTED, 3_000_000))
    outcome = ledger.record_expenditure(budget, CLERK, "e2", _entry(PAID, "1,000,000"))
    allocation = outcome.budget.allocations["a1"]
    assert (allocation.committed, allocation.paid) == (3_000_000, 1_000_000)
    [event] = outcome.events
    assert event.event_type == EXPENDITURE_RECORDED
    assert event.payload.model_dump()["payee"] == "ក្រុមហ៊ុនសំណង់ សុខា"
    assert committed.amount == 3_000_000 and committed.reverses is None


def test_committing_past_the_allocation_needs_an_explicit_overrun_record() -> None:
    budget = _funded()
    with pytest.raises(BudgetError) as exc:
        _post(budget, "e1", _entry(COMMITTED, 4_000_001))
    assert exc.value.code == "budget.overspend"
    assert "1 riel more" in exc.value.message("en")
    assert budget.allocations["a1"].committed == 0
    after, entry = _post(budget, "e1", _entry(COMMITTED, 4_000_001, overrun_reason="Cement price rose"))
    assert entry.overrun_reason == "Cement price rose"
    assert after.allocations["a1"].overrun
    assert after.allocations["a1"].committed == 4_000_001


def test_an_overrun_reason_within_the_allocation_is_not_kept_as_an_overrun() -> None:
    after, entry = _post(_funded(), "e1", _entry(COMMITTED, 10, overrun_reason="just in case"))
    assert entry.overrun_reason is None
    assert not after.allocations["a1"].overrun


def test_paying_more_than_was_committed_is_refused() -> None:
    budget, _ = _post(_funded(), "e1", _entry(COMMITTED, 1_000))
    with pytest.raises(BudgetError) as exc:
        _post(budget, "e2", _entry(PAID, 1_001))
    assert exc.value.code == "budget.payment_exceeds_commitment"


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"amount": -5}, "budget.amount_negative", "amount"),
        ({"amount": "99.99"}, "budget.amount_not_whole", "amount"),
        ({"amount": 0}, "budget.amount_zero", "amount"),
        ({"payee": " "}, "budget.field_required", "payee"),
        ({"reference": ""}, "budget.field_required", "reference"),
        ({"spent_on": None}, "budget.date_required", "spentOn"),
        ({"spent_on": date(2025, 12, 31)}, "budget.date_outside_year", "spentOn"),
        ({"spent_on": date(2027, 1, 1)}, "budget.date_outside_year", "spentOn"),
        ({"allocation_id": "nope"}, "budget.allocation_unknown", "allocationId"),
    ],
)
def test_bad_entries_are_refused(overrides: dict[str, object], code: str, field: str) -> None:
    budget = _funded()
    with pytest.raises(BudgetError) as exc:
        _post(budget, "e1", _entry(COMMITTED, 1_000, **overrides))
    assert (exc.value.code, exc.value.field) == (code, field)
    assert budget.allocations["a1"].committed == 0


def test_the_fiscal_year_runs_january_to_december() -> None:
    for day in (date(2026, 1, 1), date(2026, 12, 31)):
        _post(_funded(), "e1", _entry(COMMITTED, 1, spent_on=day))


def test_a_correction_is_a_reversing_entry_and_the_original_stays() -> None:
    budget, original = _post(_funded(), "e1", _entry(COMMITTED, 2_500_000))
    outcome = ledger.reverse_entry(budget, CLERK, "e2", original, False, "Wrong amount typed")
    reversal = outcome.result
    assert reversal.amount == -2_500_000
    assert reversal.reverses == "e1"
    assert reversal.reason == "Wrong amount typed"
    assert (reversal.payee, reversal.spent_on) == (original.payee, original.spent_on)
    assert outcome.budget.allocations["a1"].committed == 0
    assert original.amount == 2_500_000


def test_a_reversal_needs_a_reason_and_can_happen_once() -> None:
    budget, original = _post(_funded(), "e1", _entry(COMMITTED, 1_000))
    with pytest.raises(BudgetError) as exc:
        ledger.reverse_entry(budget, CLERK, "e2", original, False, "")
    assert exc.value.code == "budget.reason_required"
    with pytest.raises(BudgetError) as exc:
        ledger.reverse_entry(budget, CLERK, "e2", original, True, "again")
    assert exc.value.code == "budget.entry_already_reversed"


def test_a_reversal_is_not_itself_reversed() -> None:
    budget, original = _post(_funded(), "e1", _entry(COMMITTED, 1_000))
    outcome = ledger.reverse_entry(budget, CLERK, "e2", original, False, "typo")
    with pytest.raises(BudgetError) as exc:
        ledger.reverse_entry(outcome.budget, CLERK, "e3", outcome.result, False, "undo the undo")
    assert exc.value.code == "budget.entry_is_reversal"


def test_an_entry_of_another_budget_cannot_be_reversed_here() -> None:
    budget, original = _post(_funded(), "e1", _entry(COMMITTED, 1_000))
    elsewhere = Budget("160101", 2027)
    with pytest.raises(BudgetError) as exc:
        ledger.reverse_entry(elsewhere, CLERK, "e2", original, False, "wrong year")
    assert exc.value.code == "budget.entry_unknown"
    with pytest.raises(BudgetError) as exc:
        ledger.reverse_entry(budget, CLERK, "e2", None, False, "missing")
    assert exc.value.code == "budget.entry_unknown"


def test_a_paid_commitment_is_reversed_only_after_its_payment() -> None:
    budget, commitment = _post(_funded(), "e1", _entry(COMMITTED, 1_000))
    budget, payment = _post(budget, "e2", _entry(PAID, 600))
    with pytest.raises(BudgetError) as exc:
        ledger.reverse_entry(budget, CLERK, "e3", commitment, False, "cancelled contract")
    assert exc.value.code == "budget.reversal_below_paid"
    budget = ledger.reverse_entry(budget, CLERK, "e3", payment, False, "refunded").budget
    budget = ledger.reverse_entry(budget, CLERK, "e4", commitment, False, "cancelled contract").budget
    assert (budget.allocations["a1"].committed, budget.allocations["a1"].paid) == (0, 0)


def test_spent_money_cannot_be_released_or_deferred() -> None:
    budget, _ = _post(_funded(), "e1", _entry(COMMITTED, 3_000_000))
    with pytest.raises(BudgetError) as exc:
        projects.release(budget, CLERK, "a1", 1_000_001, "cut")
    assert exc.value.code == "budget.release_exceeds_unspent"
    assert projects.release(budget, CLERK, "a1", None, "cut").budget.allocations["a1"].amount == 3_000_000
    with pytest.raises(BudgetError) as exc:
        projects.decide_project(budget, CLERK, "p1", ProjectDecision.DEFER, "cut")
    assert exc.value.code == "budget.project_has_spending"


def test_editing_a_posted_entry_is_refused_in_both_languages() -> None:
    error = ledger.entry_immutable()
    assert error.code == "budget.entry_immutable"
    assert error.status == 409
    assert "reversing entry" in error.message("en")
    assert "ធាតុបញ្ច្រាស" in error.message("km")
