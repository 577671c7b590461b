"""Budget rules on plain data: lines, revisions, projects, allocations, decisions. No I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from contracts.budget import (
    ALLOCATION_MADE,
    ALLOCATION_RELEASED,
    BUDGET_LINE_SET,
    BUDGET_REVISED,
    PROJECT_STATUS_CHANGED,
    BudgetLineKind,
    ProjectStatus,
    ProjectStatusChangedV1,
)
from services.budget import domain, projects
from services.budget.model import Act, Budget, Outcome, Rate
from services.budget.projects import Approval, NeedRef, ProjectDecision
from services.budget.rules import BudgetError
from services.budget.store import budget_to_doc
from services.runtime.errors import DomainError
from services.runtime.identity import Identity, Role

LOCAL = BudgetLineKind.LOCAL_DEVELOPMENT
CCWC = BudgetLineKind.CCWC
CLERK = Act(Identity("clerk-1", Role.CLERK, ("160101",)), datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
NEEDS = {n: NeedRef(n, "160101") for n in ("n1", "n2", "n3", "n4")}
APPROVAL = Approval("d1", "160101", 2026, {"n1": 1, "n2": 2, "n3": 3})
CUT_REASON = "National transfer cut, COVID-19"


def _code(exc: pytest.ExceptionInfo[DomainError]) -> str:
    return exc.value.code


def _line(amount: object = 9_000_000, kind: BudgetLineKind = LOCAL, budget: Budget | None = None) -> Budget:
    return domain.set_line(budget or Budget("160101", 2026), CLERK, kind, amount).budget


def _project(budget: Budget, pid: str, needs: list[str], cost: int = 3_000_000) -> Budget:
    return projects.create_project(budget, CLERK, pid, f"Project {pid}", needs, cost, NEEDS, APPROVAL).budget


def _allocate(budget: Budget, aid: str, pid: str, amount: object, kind: BudgetLineKind = LOCAL) -> Outcome:
    return projects.allocate(budget, CLERK, aid, pid, kind, amount, APPROVAL)


def _three_funded_projects() -> Budget:
    """Local development of 9,000,000 riel shared by three projects ranked 1, 2 and 3."""
    budget = _line()
    for pid, need in (("p1", "n1"), ("p2", "n2"), ("p3", "n3")):
        budget = _project(budget, pid, [need])
        budget = _allocate(budget, f"a-{pid}", pid, 3_000_000).budget
    return budget


def _statuses(outcome: Outcome) -> dict[str, ProjectStatusChangedV1]:
    return {
        e.payload.project_id: e.payload
        for e in outcome.events
        if e.event_type == PROJECT_STATUS_CHANGED and isinstance(e.payload, ProjectStatusChangedV1)
    }


# ---------- lines ----------


def test_setting_a_line_records_it_in_whole_riel_with_an_event() -> None:
    outcome = domain.set_line(Budget("160101", 2026), CLERK, LOCAL, "125,000,000៛")
    assert outcome.budget.lines[LOCAL].amount == 125_000_000
    [event] = outcome.events
    assert event.event_type == BUDGET_LINE_SET
    assert event.payload.model_dump()["amount"] == 125_000_000


def test_amounts_beyond_32_bits_are_kept_exactly() -> None:
    budget = _line(5_000_000_000)
    assert budget.lines[LOCAL].amount == 5_000_000_000


def test_khmer_digits_are_read_as_riel() -> None:
    assert _line("១ ៥០០ ០០០").lines[LOCAL].amount == 1_500_000


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (-1, "budget.amount_negative"),
        ("-500", "budget.amount_negative"),
        ("1500.5", "budget.amount_not_whole"),
        (1500.5, "budget.amount_not_whole"),
        (1500.0, "budget.amount_not_whole"),
        ("fifteen", "budget.amount_invalid"),
        (True, "budget.amount_invalid"),
        (10**16, "budget.amount_too_large"),
    ],
)
def test_bad_amounts_are_refused_with_a_stable_code(amount: object, code: str) -> None:
    budget = Budget("160101", 2026)
    with pytest.raises(DomainError) as exc:
        domain.set_line(budget, CLERK, LOCAL, amount)
    assert _code(exc) == code
    assert budget.lines == {}


def test_amount_errors_speak_khmer_and_english() -> None:
    with pytest.raises(DomainError) as exc:
        domain.set_line(Budget("160101", 2026), CLERK, LOCAL, "12.5")
    assert exc.value.message("en") == "Amounts are whole riel, without decimals."
    assert exc.value.message("km") == "ចំនួនទឹកប្រាក់ត្រូវជារៀលគត់ គ្មានខ្ទង់ទសភាគទេ។"
    assert exc.value.field == "amount"


def test_a_line_may_be_zero() -> None:
    assert _line(0, BudgetLineKind.PARTNER).lines[BudgetLineKind.PARTNER].amount == 0


def test_setting_the_same_amount_again_changes_nothing() -> None:
    budget = _line()
    outcome = domain.set_line(budget, CLERK, LOCAL, 9_000_000)
    assert not outcome.changed
    assert outcome.events == []


def test_a_new_exchange_rate_is_recorded_with_its_date() -> None:
    budget = _line()
    rate = Rate(4_100, date(2026, 1, 15))
    outcome = domain.set_line(budget, CLERK, LOCAL, 9_000_000, rate)
    assert outcome.budget.lines[LOCAL].rate == rate
    assert outcome.events[0].payload.model_dump()["exchange_rate"] == {
        "riel_per_usd": 4100,
        "as_of": date(2026, 1, 15),
    }


def test_a_set_line_is_changed_only_by_a_revision() -> None:
    with pytest.raises(BudgetError) as exc:
        domain.set_line(_line(), CLERK, LOCAL, 1_000)
    assert _code(exc) == "budget.line_already_set"
    assert exc.value.status == 409


def test_only_the_council_of_the_commune_changes_its_budget() -> None:
    facilitator = Act(Identity("f1", Role.FACILITATOR, ("160101",)), CLERK.now)
    with pytest.raises(BudgetError) as exc:
        domain.set_line(Budget("160101", 2026), facilitator, LOCAL, 1_000)
    assert (_code(exc), exc.value.status) == ("budget.not_allowed", 403)
    other = Act(Identity("c2", Role.COUNCIL_MEMBER, ("210103",)), CLERK.now)
    with pytest.raises(DomainError) as exc:
        domain.set_line(Budget("160101", 2026), other, LOCAL, 1_000)
    assert (_code(exc), exc.value.status) == ("auth.forbidden", 403)


# ---------- revisions ----------


def test_a_revision_needs_a_reason() -> None:
    budget = _line()
    for reason in (None, "", "   "):
        with pytest.raises(BudgetError) as exc:
            domain.revise_line(budget, CLERK, "r1", LOCAL, 3_000_000, reason)
        assert _code(exc) == "budget.reason_required"
        assert exc.value.field == "reason"
    assert budget.lines[LOCAL].amount == 9_000_000
    assert budget.revisions == []


def test_revising_an_unknown_line_is_refused() -> None:
    with pytest.raises(BudgetError) as exc:
        domain.revise_line(_line(), CLERK, "r1", CCWC, 1_000, "more for CCWC")
    assert _code(exc) == "budget.line_unknown"
    assert exc.value.field == "lineKind"


def test_a_revision_to_the_same_amount_is_refused() -> None:
    with pytest.raises(BudgetError) as exc:
        domain.revise_line(_line(), CLERK, "r1", LOCAL, 9_000_000, "no change")
    assert _code(exc) == "budget.revision_no_change"


def test_cutting_two_thirds_puts_the_two_lowest_ranked_projects_at_risk() -> None:
    budget = _three_funded_projects()
    outcome = domain.revise_line(budget, CLERK, "r1", LOCAL, 3_000_000, CUT_REASON)
    after = outcome.budget
    assert after.projects["p1"].status == ProjectStatus.FUNDED
    assert after.projects["p2"].status == ProjectStatus.AT_RISK
    assert after.projects["p3"].status == ProjectStatus.AT_RISK
    revised = next(e.payload for e in outcome.events if e.event_type == BUDGET_REVISED)
    assert revised.model_dump()["uncovered"] == 6_000_000
    assert revised.model_dump()["at_risk_project_ids"] == ["p2", "p3"]
    changes = _statuses(outcome)
    assert set(changes) == {"p2", "p3"}
    assert changes["p3"].reason == CUT_REASON
    assert changes["p3"].need_ids == ["n3"]
    assert changes["p3"].previous == ProjectStatus.FUNDED


def test_no_allocation_is_made_while_a_cut_leaves_the_line_short() -> None:
    budget = domain.revise_line(_three_funded_projects(), CLERK, "r1", LOCAL, 3_000_000, CUT_REASON).budget
    budget = _project(budget, "p4", ["n4"])
    with pytest.raises(BudgetError) as exc:
        projects.allocate(budget, CLERK, "a4", "p4", LOCAL, 1, Approval("d2", "160101", 2026, {"n4": 4}))
    assert _code(exc) == "budget.insufficient_funds"
    assert exc.value.message("en") == "Only 0 riel of this line is not yet allocated."


def test_deferring_an_at_risk_project_releases_its_money_and_tells_why() -> None:
    budget = domain.revise_line(_three_funded_projects(), CLERK, "r1", LOCAL, 3_000_000, CUT_REASON).budget
    outcome = projects.decide_project(budget, CLERK, "p3", ProjectDecision.DEFER, CUT_REASON)
    after = outcome.budget
    assert after.projects["p3"].status == ProjectStatus.DEFERRED
    assert after.projects["p3"].reason == CUT_REASON
    assert after.allocations["a-p3"].amount == 0
    assert after.allocations["a-p3"].released == 3_000_000
    assert [e.event_type for e in outcome.events] == [ALLOCATION_RELEASED, PROJECT_STATUS_CHANGED]
    change = _statuses(outcome)["p3"]
    assert (change.status, change.reason, change.need_ids) == (ProjectStatus.DEFERRED, CUT_REASON, ["n3"])
    # p2 still holds riel the line no longer has: it stays at risk.
    assert after.projects["p2"].status == ProjectStatus.AT_RISK


def test_when_the_cut_is_decided_the_line_is_whole_again() -> None:
    budget = domain.revise_line(_three_funded_projects(), CLERK, "r1", LOCAL, 3_000_000, CUT_REASON).budget
    budget = projects.decide_project(budget, CLERK, "p3", ProjectDecision.DEFER, CUT_REASON).budget
    budget = projects.decide_project(budget, CLERK, "p2", ProjectDecision.DEFER, CUT_REASON).budget
    assert budget.shortfall(LOCAL) == 0
    assert budget.allocated(LOCAL) == 3_000_000 == budget.lines[LOCAL].amount
    assert budget.projects["p1"].status == ProjectStatus.FUNDED


def test_reducing_an_at_risk_project_leaves_it_partly_funded_with_the_reason() -> None:
    budget = domain.revise_line(_three_funded_projects(), CLERK, "r1", LOCAL, 7_000_000, CUT_REASON).budget
    assert budget.projects["p3"].status == ProjectStatus.AT_RISK
    assert budget.projects["p2"].status == ProjectStatus.FUNDED
    outcome = projects.release(budget, CLERK, "a-p3", 2_000_000, "Smaller well, one pump")
    assert outcome.budget.allocations["a-p3"].amount == 1_000_000
    change = _statuses(outcome)["p3"]
    assert (change.status, change.reason) == (ProjectStatus.PARTLY_FUNDED, "Smaller well, one pump")


def test_raising_the_line_again_takes_projects_out_of_risk() -> None:
    budget = domain.revise_line(_three_funded_projects(), CLERK, "r1", LOCAL, 3_000_000, CUT_REASON).budget
    outcome = domain.revise_line(budget, CLERK, "r2", LOCAL, 9_000_000, "Transfer restored")
    changes = _statuses(outcome)
    assert {p: c.status for p, c in changes.items()} == {
        "p2": ProjectStatus.FUNDED,
        "p3": ProjectStatus.FUNDED,
    }
    assert changes["p2"].reason == "Transfer restored"


def test_unranked_projects_fall_out_before_ranked_ones() -> None:
    budget = _line(6_000_000)
    budget = _project(budget, "p4", ["n4"])  # n4 is not in the approval: no rank
    budget = _project(budget, "p3", ["n3"])
    approval = Approval("d2", "160101", 2026, {"n3": 3, "n4": 9})
    budget = projects.allocate(budget, CLERK, "a4", "p4", LOCAL, 3_000_000, approval).budget
    budget = projects.allocate(budget, CLERK, "a3", "p3", LOCAL, 3_000_000, APPROVAL).budget
    budget.projects["p4"].rank = None
    outcome = domain.revise_line(budget, CLERK, "r1", LOCAL, 3_000_000, CUT_REASON)
    assert outcome.budget.projects["p4"].status == ProjectStatus.AT_RISK
    assert outcome.budget.projects["p3"].status == ProjectStatus.FUNDED


# ---------- projects and allocations ----------


def test_a_project_takes_its_rank_from_the_cip_approval() -> None:
    budget = _project(_line(), "p", ["n3", "n2"])
    assert budget.projects["p"].rank == 2
    assert budget.projects["p"].status == ProjectStatus.PLANNED


def test_creating_a_project_publishes_it_as_planned_with_its_needs() -> None:
    outcome = projects.create_project(_line(), CLERK, "p", "Well", ["n1"], 1_000, NEEDS, None)
    [event] = outcome.events
    assert event.payload.model_dump()["need_ids"] == ["n1"]
    assert event.payload.model_dump()["status"] == ProjectStatus.PLANNED
    assert outcome.budget.projects["p"].rank is None


@pytest.mark.parametrize(
    ("title", "needs", "cost", "code", "field"),
    [
        ("", ["n1"], 1_000, "budget.field_required", "title"),
        ("Well", [], 1_000, "budget.project_needs_required", "needIds"),
        ("Well", ["nope"], 1_000, "budget.need_unknown", "needIds"),
        ("Well", ["n1"], 0, "budget.amount_zero", "estimatedCost"),
        ("x" * 201, ["n1"], 1_000, "budget.text_too_long", "title"),
    ],
)
def test_bad_projects_are_refused(title: str, needs: list[str], cost: int, code: str, field: str) -> None:
    with pytest.raises(BudgetError) as exc:
        projects.create_project(_line(), CLERK, "p", title, needs, cost, NEEDS, APPROVAL)
    assert (_code(exc), exc.value.field) == (code, field)


def test_a_need_of_another_commune_cannot_join_a_project() -> None:
    needs = {"far": NeedRef("far", "210103")}
    with pytest.raises(BudgetError) as exc:
        projects.create_project(_line(), CLERK, "p", "Road", ["far"], 1_000, needs, None)
    assert _code(exc) == "budget.need_unknown"


def test_a_need_belongs_to_one_live_project_at_a_time() -> None:
    budget = _project(_line(), "p1", ["n1"])
    with pytest.raises(BudgetError) as exc:
        _project(budget, "p2", ["n1"])
    assert _code(exc) == "budget.need_in_other_project"
    deferred = projects.decide_project(budget, CLERK, "p1", ProjectDecision.DEFER, "Next year").budget
    assert "p2" in _project(deferred, "p2", ["n1"]).projects


def test_allocating_funds_a_project_and_publishes_it() -> None:
    budget = _project(_line(), "p1", ["n1"], cost=3_000_000)
    outcome = _allocate(budget, "a1", "p1", 1_000_000)
    assert [e.event_type for e in outcome.events] == [ALLOCATION_MADE, PROJECT_STATUS_CHANGED]
    assert outcome.budget.projects["p1"].status == ProjectStatus.PARTLY_FUNDED
    outcome = _allocate(outcome.budget, "a2", "p1", 2_000_000)
    assert outcome.budget.projects["p1"].status == ProjectStatus.FUNDED
    assert _statuses(outcome)["p1"].previous == ProjectStatus.PARTLY_FUNDED


def test_allocating_more_than_the_line_has_left_is_refused_and_says_how_much_is_left() -> None:
    budget = _project(_project(_line(5_000_000), "p1", ["n1"]), "p2", ["n2"])
    budget = _allocate(budget, "a1", "p1", 3_000_000).budget
    with pytest.raises(BudgetError) as exc:
        _allocate(budget, "a2", "p2", 2_000_001)
    assert _code(exc) == "budget.insufficient_funds"
    assert exc.value.message("en") == "Only 2,000,000 riel of this line is not yet allocated."
    assert "a2" not in budget.allocations
    assert _allocate(budget, "a2", "p2", 2_000_000).budget.available(LOCAL) == 0


def test_allocating_from_an_unset_line_is_refused() -> None:
    budget = _project(_line(), "p1", ["n1"])
    with pytest.raises(BudgetError) as exc:
        _allocate(budget, "a1", "p1", 1, kind=CCWC)
    assert _code(exc) == "budget.line_unknown"


def test_an_allocation_must_cite_an_approval_of_its_needs() -> None:
    budget = _project(_line(), "p4", ["n4"])
    cases = [
        (None, "budget.decision_unknown"),
        (Approval("d9", "160101", 2025, {"n4": 1}), "budget.decision_unknown"),
        (Approval("d9", "210103", 2026, {"n4": 1}), "budget.decision_unknown"),
        (APPROVAL, "budget.decision_not_for_project"),
    ]
    for approval, code in cases:
        with pytest.raises(BudgetError) as exc:
            projects.allocate(budget, CLERK, "a1", "p4", LOCAL, 1_000, approval)
        assert (_code(exc), exc.value.field) == (code, "decisionId")


def test_a_rejected_project_gets_no_money() -> None:
    budget = projects.decide_project(
        _project(_line(), "p1", ["n1"]), CLERK, "p1", ProjectDecision.REJECT, "Not ours"
    )
    with pytest.raises(BudgetError) as exc:
        _allocate(budget.budget, "a1", "p1", 1_000)
    assert _code(exc) == "budget.project_closed"


def test_a_deferred_project_can_be_funded_again() -> None:
    budget = projects.decide_project(
        _project(_line(), "p1", ["n1"]), CLERK, "p1", ProjectDecision.DEFER, "Later"
    ).budget
    outcome = _allocate(budget, "a1", "p1", 3_000_000)
    assert outcome.budget.projects["p1"].status == ProjectStatus.FUNDED


def test_a_decision_needs_a_reason() -> None:
    budget = _project(_line(), "p1", ["n1"])
    with pytest.raises(BudgetError) as exc:
        projects.decide_project(budget, CLERK, "p1", ProjectDecision.DEFER, " ")
    assert _code(exc) == "budget.reason_required"
    assert budget.projects["p1"].status == ProjectStatus.PLANNED


def test_releasing_more_than_is_unspent_is_refused() -> None:
    budget = _allocate(_project(_line(), "p1", ["n1"]), "a1", "p1", 1_000).budget
    with pytest.raises(BudgetError) as exc:
        projects.release(budget, CLERK, "a1", 1_001, "too much")
    assert _code(exc) == "budget.release_exceeds_unspent"
    with pytest.raises(BudgetError) as exc:
        projects.release(budget, CLERK, "nope", 1, "unknown")
    assert _code(exc) == "budget.allocation_unknown"


def test_a_refused_command_leaves_the_budget_exactly_as_it_was() -> None:
    budget = _three_funded_projects()
    before = budget_to_doc(budget)
    for attempt in (
        lambda: domain.revise_line(budget, CLERK, "r", LOCAL, 1, ""),
        lambda: _allocate(budget, "x", "p1", 1),
        lambda: projects.release(budget, CLERK, "a-p1", -5, "why"),
        lambda: projects.decide_project(budget, CLERK, "p1", ProjectDecision.DEFER, None),
    ):
        with pytest.raises(BudgetError):
            attempt()
        assert budget_to_doc(budget) == before


def test_a_newer_approval_re_ranks_projects() -> None:
    budget = _three_funded_projects()
    newer = Approval("d2", "160101", 2026, {"n1": 3, "n2": 1, "n3": 2})
    outcome = projects.apply_approval(budget, CLERK, newer)
    assert {p.id: p.rank for p in outcome.budget.projects.values()} == {"p1": 3, "p2": 1, "p3": 2}
    cut = domain.revise_line(outcome.budget, CLERK, "r1", LOCAL, 3_000_000, CUT_REASON).budget
    assert cut.projects["p2"].status == ProjectStatus.FUNDED
    assert cut.projects["p1"].status == ProjectStatus.AT_RISK
