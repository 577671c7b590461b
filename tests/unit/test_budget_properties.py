"""Property-based: whatever clerks do, in any order, the budget's invariants hold.

Hypothesis drives random sequences of commands (set and revise lines, create projects,
allocate, release, defer or reject, commit, pay, reverse) against the pure domain and checks
after every step that balances equal the ledger's sums, that allocations never exceed a line
(except the riel a cut left uncovered, all held by at-risk projects), that spending never
exceeds an allocation without an overrun record, and that a refused command changed nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from contracts.budget import (
    ALLOCATION_MADE,
    PROJECT_STATUS_CHANGED,
    BudgetLineKind,
    ExpenditureStage,
    ProjectStatus,
)
from services.budget import domain, ledger, projects
from services.budget.domain import at_risk_projects, money_status
from services.budget.model import Act, Budget, LedgerEntry, Outcome
from services.budget.projects import Approval, NeedRef, ProjectDecision
from services.budget.rules import BudgetError
from services.budget.store import budget_from_doc, budget_to_doc
from services.budget.views import totals_view
from services.runtime.identity import Identity, Role

KINDS = (BudgetLineKind.LOCAL_DEVELOPMENT, BudgetLineKind.CCWC, BudgetLineKind.PARTNER)
NEEDS = tuple(f"n{i}" for i in range(8))
PROJECTS = tuple(f"p{i}" for i in range(5))
ACT = Act(Identity("clerk", Role.CLERK, ("160101",)), datetime(2026, 4, 1, tzinfo=UTC))
amounts = st.integers(min_value=0, max_value=3_000_000_000)
small = st.integers(min_value=1, max_value=1_500_000_000)
# A share of what is left, in percent: mostly fits, sometimes just over (to be refused).
shares = st.integers(min_value=1, max_value=110)


class BudgetMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.budget = Budget("160101", 2026)
        self.entries: list[LedgerEntry] = []
        self.reversed: set[str] = set()
        self.made: dict[str, int] = {}
        self.counter = 0
        self.approval = Approval("d1", "160101", 2026, {})

    @initialize(
        ranks=st.permutations(range(1, len(NEEDS) + 1)),
        lines=st.lists(amounts, min_size=len(KINDS), max_size=len(KINDS)),
        costs=st.lists(small, min_size=4, max_size=4),
    )
    def start(self, ranks: list[int], lines: list[int], costs: list[int]) -> None:
        """An approved CIP, the lines set and four projects: the rules then have something to act on."""
        self.approval = Approval("d1", "160101", 2026, dict(zip(NEEDS, ranks, strict=True)))
        for kind, amount in zip(KINDS, lines, strict=True):
            self.budget = domain.set_line(self.budget, ACT, kind, amount).budget
        refs = {n: NeedRef(n, "160101") for n in NEEDS}
        for pid, need, cost in zip(PROJECTS, NEEDS, costs, strict=False):
            self.budget = projects.create_project(
                self.budget, ACT, pid, pid, [need], cost, refs, self.approval
            ).budget

    def _next(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter:06d}"

    def _try(self, command: object) -> Outcome | None:
        before = budget_to_doc(self.budget)
        try:
            outcome = command()  # type: ignore[operator]
        except BudgetError:
            assert budget_to_doc(self.budget) == before, "a refused command changed the budget"
            return None
        assert isinstance(outcome, Outcome)
        # Every state survives its document form unchanged (what the store keeps).
        assert budget_to_doc(budget_from_doc(budget_to_doc(outcome.budget))) == budget_to_doc(outcome.budget)
        self.budget = outcome.budget
        self.entries.extend(outcome.entries)
        for emitted in outcome.events:
            data = emitted.payload.model_dump()
            if emitted.event_type == ALLOCATION_MADE:
                self.made[data["allocation_id"]] = data["amount"]
            if emitted.event_type == PROJECT_STATUS_CHANGED and data["status"] in ("deferred", "rejected"):
                assert data["reason"], "deferred and rejected always carry a reason"
        return outcome

    def _allocation(self, index: int) -> str | None:
        ids = sorted(self.budget.allocations)
        return ids[index % len(ids)] if ids else None

    @rule(kind=st.sampled_from(KINDS), amount=amounts)
    def set_line(self, kind: BudgetLineKind, amount: int) -> None:
        self._try(lambda: domain.set_line(self.budget, ACT, kind, amount))

    @rule(kind=st.sampled_from(KINDS), amount=amounts, reason=st.sampled_from(["", "Transfer cut", "Raised"]))
    def revise(self, kind: BudgetLineKind, amount: int, reason: str) -> None:
        self._try(lambda: domain.revise_line(self.budget, ACT, self._next("r"), kind, amount, reason))

    @rule(
        pid=st.sampled_from(PROJECTS),
        needs=st.lists(st.sampled_from(NEEDS), min_size=0, max_size=2),
        cost=small,
    )
    def create_project(self, pid: str, needs: list[str], cost: int) -> None:
        if pid in self.budget.projects:
            return
        refs = {n: NeedRef(n, "160101") for n in NEEDS}
        self._try(
            lambda: projects.create_project(self.budget, ACT, pid, pid, needs, cost, refs, self.approval)
        )

    @rule(pid=st.sampled_from(PROJECTS), kind=st.sampled_from(KINDS), share=shares)
    def allocate(self, pid: str, kind: BudgetLineKind, share: int) -> None:
        left = self.budget.available(kind) if kind in self.budget.lines else 1
        amount = max(1, left * share // 100)
        self._try(
            lambda: projects.allocate(self.budget, ACT, self._next("a"), pid, kind, amount, self.approval)
        )

    @rule(index=st.integers(0, 50), share=st.none() | shares)
    def release(self, index: int, share: int | None) -> None:
        allocation = self._allocation(index)
        if allocation is None:
            return
        held = self.budget.allocations[allocation].amount
        amount = None if share is None else max(1, held * share // 100)
        self._try(lambda: projects.release(self.budget, ACT, allocation, amount, "Reduced"))

    @rule(
        pid=st.sampled_from(PROJECTS),
        decision=st.sampled_from(ProjectDecision),
        reason=st.sampled_from(["", "Cut"]),
    )
    def decide(self, pid: str, decision: ProjectDecision, reason: str) -> None:
        self._try(lambda: projects.decide_project(self.budget, ACT, pid, decision, reason))

    @rule(
        index=st.integers(0, 50),
        stage=st.sampled_from(ExpenditureStage),
        share=shares,
        overrun=st.booleans(),
        month=st.integers(1, 12),
    )
    def spend(self, index: int, stage: ExpenditureStage, share: int, overrun: bool, month: int) -> None:
        allocation_id = self._allocation(index)
        if allocation_id is None:
            return
        allocation = self.budget.allocations[allocation_id]
        left = (
            allocation.unspent
            if stage == ExpenditureStage.COMMITTED
            else allocation.committed - allocation.paid
        )
        command = ledger.NewEntry(
            allocation_id=allocation_id,
            stage=stage,
            amount=max(1, left * share // 100),
            payee="Payee",
            reference="REF-1",
            spent_on=date(2026, month, 1),
            overrun_reason="Prices rose" if overrun else None,
        )
        self._try(lambda: ledger.record_expenditure(self.budget, ACT, self._next("e"), command))

    @rule(index=st.integers(0, 200))
    def reverse(self, index: int) -> None:
        if not self.entries:
            return
        original = self.entries[index % len(self.entries)]
        outcome = self._try(
            lambda: ledger.reverse_entry(
                self.budget, ACT, self._next("e"), original, original.id in self.reversed, "Correction"
            )
        )
        if outcome is not None:
            self.reversed.add(original.id)

    @invariant()
    def balances_equal_the_ledgers_sums(self) -> None:
        for allocation in self.budget.allocations.values():
            mine = [e for e in self.entries if e.allocation_id == allocation.id]
            assert allocation.committed == sum(
                e.amount for e in mine if e.stage == ExpenditureStage.COMMITTED
            )
            assert allocation.paid == sum(e.amount for e in mine if e.stage == ExpenditureStage.PAID)
        totals = totals_view(self.budget)
        assert totals["paid"] == sum(e.amount for e in self.entries if e.stage == ExpenditureStage.PAID)
        assert totals["committed"] == sum(
            e.amount for e in self.entries if e.stage == ExpenditureStage.COMMITTED
        )

    @invariant()
    def spending_stays_within_allocations_unless_an_overrun_is_recorded(self) -> None:
        for allocation in self.budget.allocations.values():
            assert 0 <= allocation.paid <= allocation.committed
            overrun_recorded = any(e.overrun_reason for e in self.entries if e.allocation_id == allocation.id)
            assert allocation.committed <= allocation.amount or overrun_recorded
            assert allocation.amount >= 0
            assert allocation.amount + allocation.released == self.made[allocation.id]

    @invariant()
    def allocations_never_exceed_a_line_except_what_a_cut_left_at_risk(self) -> None:
        for kind, line in self.budget.lines.items():
            shortfall = self.budget.allocated(kind) - line.amount
            if shortfall <= 0:
                continue
            assert any(r.line == kind for r in self.budget.revisions), "only a cut can leave a line short"
            held_at_risk = sum(
                a.amount
                for a in self.budget.allocations.values()
                if a.line == kind and self.budget.projects[a.project_id].status == ProjectStatus.AT_RISK
            )
            assert held_at_risk >= shortfall

    @invariant()
    def every_status_follows_the_money_or_a_decision(self) -> None:
        risky = at_risk_projects(self.budget)
        for project in self.budget.projects.values():
            if project.id in risky:
                assert project.status == ProjectStatus.AT_RISK
            else:
                assert project.status == money_status(self.budget, project)
            if project.status in (ProjectStatus.DEFERRED, ProjectStatus.REJECTED):
                assert project.reason
                assert self.budget.project_allocated(project.id) == 0


BudgetMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_budget_invariants_hold_for_any_sequence_of_commands = BudgetMachine.TestCase
