"""CIP projects and their money: projects linked to needs, allocations approved by a meeting
decision, releases (how a project is reduced) and the council's decisions to defer or reject.
Pure, like :mod:`services.budget.domain`, whose status rules every command here ends with.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass

from contracts.budget import (
    ALLOCATION_MADE,
    ALLOCATION_RELEASED,
    AllocationMadeV1,
    AllocationReleasedV1,
    BudgetLineKind,
    ProjectDecision,
    ProjectStatus,
)
from services.budget.domain import require_line, settle, status_event
from services.budget.model import DECIDED, Act, Allocation, Budget, Emitted, Outcome, Project
from services.budget.money import parse_riel
from services.budget.months import expected_month
from services.budget.rules import TITLE_MAX, BudgetError, reason_text, require_manager, required_text

MAX_NEEDS_PER_PROJECT = 50


@dataclass(frozen=True)
class NeedRef:
    """What budget knows of a need (learned from intake's NeedSubmitted)."""

    id: str
    commune_code: str


@dataclass(frozen=True)
class Approval:
    """A CIP approval decision (from meetings' DecisionRecorded): the approved needs with ranks."""

    id: str
    commune_code: str
    year: int
    ranks: Mapping[str, int]


# ---------- projects ----------


def create_project(
    budget: Budget,
    act: Act,
    project_id: str,
    title: str | None,
    need_ids: list[str],
    estimated_cost: object,
    needs: Mapping[str, NeedRef],
    approval: Approval | None,
    expected: object = None,
) -> Outcome:
    """A CIP project answering one or more of the commune's needs; ranked by the CIP approval."""
    require_manager(act.who, budget.commune_code)
    name = required_text(title, "title", TITLE_MAX)
    wanted = list(dict.fromkeys(n.strip() for n in need_ids if n.strip()))
    if not wanted:
        raise BudgetError(
            "budget.project_needs_required",
            "Link the project to at least one need.",
            "សូមភ្ជាប់គម្រោងទៅនឹងតម្រូវការយ៉ាងហោចណាស់មួយ។",
            field="needIds",
        )
    if len(wanted) > MAX_NEEDS_PER_PROJECT:
        raise BudgetError(
            "budget.project_too_many_needs",
            "A project answers at most {limit} needs.",
            "គម្រោងមួយឆ្លើយតបតម្រូវការបានយ៉ាងច្រើន {limit}។",
            field="needIds",
            limit=MAX_NEEDS_PER_PROJECT,
        )
    for need_id in wanted:
        ref = needs.get(need_id)
        if ref is None or ref.commune_code != budget.commune_code:
            raise BudgetError(
                "budget.need_unknown",
                "Need {need} is not a need of this commune (or has not reached the budget yet).",
                "តម្រូវការ {need} មិនមែនជាតម្រូវការរបស់ឃុំនេះទេ (ឬមិនទាន់មកដល់ថវិកានៅឡើយ)។",
                field="needIds",
                need=need_id,
            )
        holder = next(
            (p for p in budget.projects.values() if need_id in p.need_ids and p.status not in DECIDED), None
        )
        if holder is not None:
            raise BudgetError(
                "budget.need_in_other_project",
                "Need {need} already belongs to the project “{project}”.",
                "តម្រូវការ {need} ជាកម្មសិទ្ធិរបស់គម្រោង “{project}” រួចហើយ។",
                status=409,
                field="needIds",
                need=need_id,
                project=holder.title,
            )
    cost = parse_riel(estimated_cost, field="estimatedCost")
    month = expected_month(expected, budget.year)
    after = copy.deepcopy(budget)
    project = Project(
        project_id,
        name,
        tuple(wanted),
        cost,
        rank_of(wanted, approval),
        ProjectStatus.PLANNED,
        None,
        act.who.user_id,
        act.now,
        expected_month=month,
    )
    after.projects[project_id] = project
    outcome = Outcome(after, result=project_id, refs=[(project_id, "project")])
    outcome.events.append(status_event(after, project, None, act, None))
    return outcome


def rank_of(need_ids: list[str] | tuple[str, ...], approval: Approval | None) -> int | None:
    """A project ranks as its best-ranked need in the CIP approval (1 is the highest priority)."""
    if approval is None:
        return None
    ranks = [approval.ranks[n] for n in need_ids if n in approval.ranks]
    return min(ranks) if ranks else None


def require_project(budget: Budget, project_id: str) -> Project:
    project = budget.projects.get(project_id)
    if project is None:
        raise BudgetError(
            "budget.project_unknown", "No such project.", "រកមិនឃើញគម្រោងនេះទេ។", status=404, field="projectId"
        )
    return project


def apply_approval(budget: Budget, act: Act, approval: Approval) -> Outcome:
    """A (new) CIP approval re-ranks the projects whose needs it lists."""
    after = copy.deepcopy(budget)
    changed = False
    for project in after.projects.values():
        rank = rank_of(project.need_ids, approval)
        if rank is not None and rank != project.rank:
            project.rank = rank
            changed = True
    outcome = Outcome(after, changed=changed)
    if changed:
        settle(outcome, act, default_reason=None)
    return outcome


# ---------- allocations ----------


def allocate(
    budget: Budget,
    act: Act,
    allocation_id: str,
    project_id: str,
    kind: BudgetLineKind,
    amount: object,
    approval: Approval | None,
) -> Outcome:
    """Allocate riel of a line to a project, as the CIP approval decision ``approval`` decided."""
    require_manager(act.who, budget.commune_code)
    project = require_project(budget, project_id)
    if project.status == ProjectStatus.REJECTED:
        raise BudgetError(
            "budget.project_closed",
            "This project was rejected: no money can be allocated to it.",
            "គម្រោងនេះត្រូវបានបដិសេធ៖ មិនអាចបែងចែកថវិកាឱ្យវាបានទេ។",
            status=409,
            field="projectId",
        )
    require_line(budget, kind)
    value = parse_riel(amount)
    if approval is None or approval.commune_code != budget.commune_code or approval.year != budget.year:
        raise BudgetError(
            "budget.decision_unknown",
            "Name the CIP approval decision of this commune and year that approved this allocation.",
            "សូមបញ្ជាក់សេចក្តីសម្រេចអនុម័តផែនការវិនិយោគឃុំ នៃឃុំ និងឆ្នាំនេះ ដែលបានអនុម័តការបែងចែកនេះ។",
            field="decisionId",
        )
    if rank_of(project.need_ids, approval) is None:
        raise BudgetError(
            "budget.decision_not_for_project",
            "That decision did not approve any of this project's needs.",
            "សេចក្តីសម្រេចនោះមិនបានអនុម័តតម្រូវការណាមួយរបស់គម្រោងនេះទេ។",
            field="decisionId",
        )
    available = budget.available(kind)
    if value > available:
        raise BudgetError(
            "budget.insufficient_funds",
            "Only {available} riel of this line is not yet allocated.",
            "ខ្ទង់ថវិកានេះនៅសល់តែ {available} រៀលប៉ុណ្ណោះ ដែលមិនទាន់បែងចែក។",
            status=409,
            field="amount",
            available=f"{max(available, 0):,}",
        )
    after = copy.deepcopy(budget)
    after.projects[project_id].rank = rank_of(project.need_ids, approval)
    after.allocations[allocation_id] = Allocation(
        allocation_id, project_id, kind, value, 0, approval.id, 0, 0, False, act.who.user_id, act.now
    )
    outcome = Outcome(after, result=allocation_id, refs=[(allocation_id, "allocation")])
    outcome.events.append(
        Emitted(
            ALLOCATION_MADE,
            AllocationMadeV1(
                allocation_id=allocation_id,
                project_id=project_id,
                commune_code=after.commune_code,
                year=after.year,
                line=kind,
                amount=value,
                decision_id=approval.id,
                made_by=act.who.user_id,
                made_at=act.now,
            ),
            allocation_id,
        )
    )
    settle(outcome, act, default_reason=None)
    return outcome


def require_allocation(budget: Budget, allocation_id: str) -> Allocation:
    allocation = budget.allocations.get(allocation_id)
    if allocation is None:
        raise BudgetError(
            "budget.allocation_unknown",
            "No such allocation.",
            "រកមិនឃើញការបែងចែកនេះទេ។",
            status=404,
            field="allocationId",
        )
    return allocation


def release(
    budget: Budget, act: Act, allocation_id: str, amount: object | None, reason: str | None
) -> Outcome:
    """Give unspent riel of an allocation back to its line (all of it when no amount is given).

    This is how the council *reduces* an at-risk project after a cut."""
    require_manager(act.who, budget.commune_code)
    allocation = require_allocation(budget, allocation_id)
    why = reason_text(reason)
    value = allocation.unspent if amount is None or amount == "" else parse_riel(amount)
    if value == 0 or value > allocation.unspent:
        raise BudgetError(
            "budget.release_exceeds_unspent",
            "At most {unspent} riel of this allocation is unspent and can be released.",
            "អាចដកវិញបានយ៉ាងច្រើន {unspent} រៀល ដែលមិនទាន់ចំណាយពីការបែងចែកនេះ។",
            status=409,
            field="amount",
            unspent=f"{allocation.unspent:,}",
        )
    after = copy.deepcopy(budget)
    outcome = Outcome(after, result=allocation_id)
    _release(outcome, act, after.allocations[allocation_id], value, why)
    settle(outcome, act, default_reason=None, reasons={allocation.project_id: why})
    return outcome


def decide_project(
    budget: Budget, act: Act, project_id: str, decision: ProjectDecision, reason: str | None
) -> Outcome:
    """Defer or reject a project with a reason; its allocations go back to their lines."""
    require_manager(act.who, budget.commune_code)
    project = require_project(budget, project_id)
    why = reason_text(reason)
    status = ProjectStatus.DEFERRED if decision == ProjectDecision.DEFER else ProjectStatus.REJECTED
    if project.status == status:
        raise BudgetError(
            "budget.project_already_decided",
            "The council already decided this about the project.",
            "ក្រុមប្រឹក្សាបានសម្រេចរឿងនេះលើគម្រោងនេះរួចហើយ។",
            status=409,
            field="decision",
        )
    if project.stage is not None:
        raise BudgetError(
            "budget.project_in_implementation",
            "Works on this project have begun: it can no longer be deferred or rejected.",
            "ការងារលើគម្រោងនេះបានចាប់ផ្តើមរួចហើយ៖ មិនអាចពន្យារពេល ឬបដិសេធវាបានទៀតទេ។",
            status=409,
            field="decision",
        )
    if budget.project_committed(project_id) > 0:
        raise BudgetError(
            "budget.project_has_spending",
            "Money was already committed to this project. Reverse those ledger entries first.",
            "ថវិកាត្រូវបានសន្យាចំណាយលើគម្រោងនេះរួចហើយ។ សូមធ្វើការបញ្ច្រាសធាតុបញ្ជីទាំងនោះជាមុនសិន។",
            status=409,
            field="projectId",
        )
    after = copy.deepcopy(budget)
    outcome = Outcome(after, result=project_id)
    for allocation in after.allocations_of(project_id):
        if allocation.amount > 0:
            _release(outcome, act, allocation, allocation.amount, why)
    changed = after.projects[project_id]
    previous = changed.status
    changed.status, changed.reason = status, why
    outcome.events.append(status_event(after, changed, previous, act, why))
    settle(outcome, act, default_reason=None)
    return outcome


def _release(outcome: Outcome, act: Act, allocation: Allocation, value: int, why: str) -> None:
    allocation.amount -= value
    allocation.released += value
    budget = outcome.budget
    outcome.events.append(
        Emitted(
            ALLOCATION_RELEASED,
            AllocationReleasedV1(
                allocation_id=allocation.id,
                project_id=allocation.project_id,
                commune_code=budget.commune_code,
                year=budget.year,
                line=allocation.line,
                amount=value,
                remaining=allocation.amount,
                reason=why,
                released_by=act.who.user_id,
                released_at=act.now,
            ),
            allocation.id,
        )
    )
