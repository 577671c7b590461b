"""Budget rules: lines and revisions, and how a project's status follows its money. Pure.

Every command takes a budget and returns an :class:`Outcome` with a changed copy; a refusal
raises a :class:`BudgetError` and leaves the budget as it was. Invariants kept here and in
:mod:`services.budget.projects`:

* an allocation never takes a line past its amount (only a cut can leave a line short, and
  then the projects holding the uncovered riel are at risk until the council decides);
* a project's status follows its money: planned, partly funded, funded, at risk; deferred
  and rejected are decisions, always with a reason;
* every status change is published with the project's needs and the reason, so intake can
  tell each need's people what happened and why.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from contracts.budget import (
    BUDGET_LINE_SET,
    BUDGET_REVISED,
    PROJECT_STATUS_CHANGED,
    BudgetLineKind,
    BudgetLineSetV1,
    BudgetRevisedV1,
    ExchangeRate,
    ProjectStage,
    ProjectStatus,
    ProjectStatusChangedV1,
)
from services.budget.model import (
    DECIDED,
    Act,
    Allocation,
    Budget,
    Emitted,
    Line,
    Outcome,
    Project,
    Rate,
    Revision,
)
from services.budget.money import parse_riel
from services.budget.rules import BudgetError, reason_text, require_manager

# ---------- lines and revisions ----------


def set_line(
    budget: Budget, act: Act, kind: BudgetLineKind, amount: object, rate: Rate | None = None
) -> Outcome:
    """Set a line's amount for the year (once; later changes are revisions with a reason)."""
    require_manager(act.who, budget.commune_code)
    value = parse_riel(amount, allow_zero=True)
    existing = budget.lines.get(kind)
    if existing is not None:
        if existing.amount != value:
            raise BudgetError(
                "budget.line_already_set",
                "This line is already set to {amount} riel. To change it, revise it and give a reason.",
                "ខ្ទង់ថវិកានេះត្រូវបានកំណត់រួចហើយ {amount} រៀល។ ដើម្បីផ្លាស់ប្តូរ សូមកែសម្រួលវា ហើយផ្តល់មូលហេតុ។",
                status=409,
                field="amount",
                amount=f"{existing.amount:,}",
            )
        if rate is None or rate == existing.rate:
            return Outcome(budget, result=kind, changed=False)
    after = copy.deepcopy(budget)
    after.lines[kind] = Line(kind, value, rate, act.who.user_id, act.now)
    event = BudgetLineSetV1(
        commune_code=budget.commune_code,
        year=budget.year,
        line=kind,
        amount=value,
        exchange_rate=ExchangeRate(riel_per_usd=rate.riel_per_usd, as_of=rate.as_of) if rate else None,
        set_by=act.who.user_id,
        set_at=act.now,
    )
    return Outcome(after, result=kind, events=[Emitted(BUDGET_LINE_SET, event, after.id)])


def revise_line(
    budget: Budget, act: Act, revision_id: str, kind: BudgetLineKind, amount: object, reason: str | None
) -> Outcome:
    """Cut or raise a line with a reason. A cut below what is allocated puts the lowest-ranked
    projects holding the uncovered riel at risk, and the council must decide on each."""
    require_manager(act.who, budget.commune_code)
    line = require_line(budget, kind)
    value = parse_riel(amount, allow_zero=True)
    why = reason_text(reason)
    if value == line.amount:
        raise BudgetError(
            "budget.revision_no_change",
            "The line is already {amount} riel: nothing to revise.",
            "ខ្ទង់ថវិកានេះមាន {amount} រៀលរួចហើយ៖ គ្មានអ្វីត្រូវកែសម្រួលទេ។",
            field="amount",
            amount=f"{value:,}",
        )
    after = copy.deepcopy(budget)
    after.lines[kind].amount = value
    at_risk = tuple(sorted({a.project_id for a in uncovered_allocations(after, kind)}))
    revision = Revision(
        revision_id, kind, line.amount, value, why, after.shortfall(kind), at_risk, act.who.user_id, act.now
    )
    after.revisions.append(revision)
    outcome = Outcome(after, result=revision)
    outcome.events.append(
        Emitted(
            BUDGET_REVISED,
            BudgetRevisedV1(
                revision_id=revision_id,
                commune_code=after.commune_code,
                year=after.year,
                line=kind,
                previous_amount=line.amount,
                amount=value,
                reason=why,
                uncovered=revision.uncovered,
                at_risk_project_ids=list(at_risk),
                revised_by=act.who.user_id,
                revised_at=act.now,
            ),
            after.id,
        )
    )
    settle(outcome, act, default_reason=why)
    return outcome


def require_line(budget: Budget, kind: BudgetLineKind) -> Line:
    line = budget.lines.get(kind)
    if line is None:
        raise BudgetError(
            "budget.line_unknown",
            "The {line} line is not set for {year}. Set it first.",
            "ខ្ទង់ថវិកា {line} មិនទាន់កំណត់សម្រាប់ឆ្នាំ {year} ទេ។ សូមកំណត់វាជាមុនសិន។",
            status=404,
            field="lineKind",
            line=kind.value,
            year=budget.year,
        )
    return line


# ---------- statuses ----------


def uncovered_allocations(budget: Budget, kind: BudgetLineKind) -> list[Allocation]:
    """Allocations a line's amount no longer covers: the line pays its projects in rank order
    (1 first, unranked last, older allocations before newer), and whatever is left over falls out."""
    line = budget.lines.get(kind)
    if line is None:
        return []

    def order(allocation: Allocation) -> tuple[bool, int, str]:
        rank = budget.projects[allocation.project_id].rank
        return (rank is None, rank or 0, allocation.id)

    covered = 0
    uncovered = []
    for allocation in sorted(
        (a for a in budget.allocations.values() if a.line == kind and a.amount), key=order
    ):
        covered += allocation.amount
        if covered > line.amount:
            uncovered.append(allocation)
    return uncovered


def at_risk_projects(budget: Budget) -> dict[str, BudgetLineKind]:
    """Projects holding uncovered riel, with the line that left them short."""
    result: dict[str, BudgetLineKind] = {}
    for kind in budget.lines:
        for allocation in uncovered_allocations(budget, kind):
            result.setdefault(allocation.project_id, kind)
    return result


# Once works start, the stage, not the money, says where a project stands (procurement does not
# change it: the money still does). Without this, the next allocation or release on the line
# would settle a project being built back to "funded", and its needs could never be completed.
STAGE_STATUS = {
    ProjectStage.WORKS_STARTED: ProjectStatus.IN_IMPLEMENTATION,
    ProjectStage.COMPLETED: ProjectStatus.COMPLETED,
    ProjectStage.HANDED_OVER: ProjectStatus.COMPLETED,
}


def money_status(budget: Budget, project: Project) -> ProjectStatus:
    """The status a project's money gives it (or its works, once started), before any at-risk
    or council decision."""
    if project.stage in STAGE_STATUS:
        return STAGE_STATUS[project.stage]
    allocated = budget.project_allocated(project.id)
    if allocated == 0:
        return project.status if project.status in DECIDED else ProjectStatus.PLANNED
    return ProjectStatus.FUNDED if allocated >= project.estimated_cost else ProjectStatus.PARTLY_FUNDED


def settle(
    outcome: Outcome, act: Act, *, default_reason: str | None, reasons: Mapping[str, str] | None = None
) -> None:
    """Bring every project's status in line with its money, publishing each change with its reason."""
    budget = outcome.budget
    risky = at_risk_projects(budget)
    for project in budget.projects.values():
        wanted = money_status(budget, project)
        reason = (reasons or {}).get(project.id, default_reason)
        if project.id in risky:
            wanted = ProjectStatus.AT_RISK
            revision = budget.latest_revision(risky[project.id])
            reason = revision.reason if revision else reason
        if wanted == project.status:
            continue
        previous = project.status
        project.status = wanted
        project.reason = reason if wanted in DECIDED or wanted == ProjectStatus.AT_RISK else None
        outcome.events.append(status_event(budget, project, previous, act, reason))


def status_event(
    budget: Budget, project: Project, previous: ProjectStatus | None, act: Act, reason: str | None
) -> Emitted:
    return Emitted(
        PROJECT_STATUS_CHANGED,
        ProjectStatusChangedV1(
            project_id=project.id,
            commune_code=budget.commune_code,
            year=budget.year,
            need_ids=list(project.need_ids),
            previous=previous,
            status=project.status,
            reason=reason,
            changed_by=act.who.user_id,
            changed_at=act.now,
            title=project.title or None,
            expected_month=project.expected_month,
        ),
        project.id,
    )
