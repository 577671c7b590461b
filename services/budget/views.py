"""What the budget API answers: the council's view, a project, the ledger, and the public view.

Pure functions of the domain objects (and of the needs budget learned from intake). Amounts
are JSON integers of riel. The public view carries no names of people and no ledger payees:
lines and their totals, the CCWC line on its own, each need with its status and reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.budget import BudgetLineKind, ProjectStatus
from contracts.privacy import public_description
from services.budget.model import Allocation, Budget, LedgerEntry, Line, Project
from services.budget.verification import implementation_view

LINE_ORDER = tuple(BudgetLineKind)

FUNDED_GROUP = frozenset(
    {
        ProjectStatus.FUNDED,
        ProjectStatus.PARTLY_FUNDED,
        ProjectStatus.AT_RISK,
        ProjectStatus.IN_IMPLEMENTATION,
        ProjectStatus.COMPLETED,
    }
)


def _lines(budget: Budget) -> list[Line]:
    return [budget.lines[k] for k in LINE_ORDER if k in budget.lines]


def line_view(budget: Budget, line: Line) -> dict[str, Any]:
    allocated = budget.allocated(line.kind)
    paid = budget.paid(line.kind)
    return {
        "kind": line.kind.value,
        "amount": line.amount,
        "allocated": allocated,
        "committed": budget.committed(line.kind),
        "paid": paid,
        "unallocated": max(0, line.amount - allocated),
        "shortfall": budget.shortfall(line.kind),
        "remaining": line.amount - paid,
        "exchange_rate": {"riel_per_usd": line.rate.riel_per_usd, "as_of": line.rate.as_of.isoformat()}
        if line.rate
        else None,
        "set_at": line.set_at.isoformat(),
    }


def totals_view(budget: Budget) -> dict[str, int]:
    lines = _lines(budget)
    amount = sum(line.amount for line in lines)
    allocated = sum(budget.allocated(line.kind) for line in lines)
    paid = sum(budget.paid(line.kind) for line in lines)
    return {
        "amount": amount,
        "allocated": allocated,
        "committed": sum(budget.committed(line.kind) for line in lines),
        "paid": paid,
        "unallocated": sum(max(0, line.amount - budget.allocated(line.kind)) for line in lines),
        "remaining": amount - paid,
    }


def allocation_view(allocation: Allocation) -> dict[str, Any]:
    return {
        "id": allocation.id,
        "project_id": allocation.project_id,
        "line": allocation.line.value,
        "amount": allocation.amount,
        "released": allocation.released,
        "decision_id": allocation.decision_id,
        "committed": allocation.committed,
        "paid": allocation.paid,
        "unspent": allocation.unspent,
        "overrun": allocation.overrun,
        "made_by": allocation.made_by,
        "made_at": allocation.made_at.isoformat(),
    }


def need_view(need_id: str, needs: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    doc = needs.get(need_id, {})
    return {
        "id": need_id,
        "tracking_code": doc.get("tracking_code"),
        "description": doc.get("description"),
        "village_code": doc.get("village_code"),
        "village_name": doc.get("village_name"),
        "sector": doc.get("sector"),
    }


def project_view(
    budget: Budget, project: Project, needs: Mapping[str, dict[str, Any]], *, council: bool = False
) -> dict[str, Any]:
    """``council``: the caller is of the commune's council and sees small group counts."""
    return {
        "id": project.id,
        "commune_code": budget.commune_code,
        "year": budget.year,
        "title": project.title,
        "need_ids": list(project.need_ids),
        "needs": [need_view(n, needs) for n in project.need_ids],
        "estimated_cost": project.estimated_cost,
        "rank": project.rank,
        "status": project.status.value,
        "reason": project.reason,
        "allocated": budget.project_allocated(project.id),
        "committed": budget.project_committed(project.id),
        "paid": budget.project_paid(project.id),
        "allocations": [allocation_view(a) for a in budget.allocations_of(project.id)],
        "created_at": project.created_at.isoformat(),
        "expected_month": project.expected_month,
        **implementation_view(project, needs, council=council),
    }


def entry_view(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "allocation_id": entry.allocation_id,
        "project_id": entry.project_id,
        "line": entry.line.value,
        "stage": entry.stage.value,
        "amount": entry.amount,
        "payee": entry.payee,
        "reference": entry.reference,
        "spent_on": entry.spent_on.isoformat(),
        "reverses": entry.reverses,
        "reason": entry.reason,
        "overrun_reason": entry.overrun_reason,
        "recorded_by": entry.recorded_by,
        "recorded_at": entry.recorded_at.isoformat(),
    }


def revision_view(budget: Budget, index: int) -> dict[str, Any]:
    revision = budget.revisions[index]
    return {
        "id": revision.id,
        "line": revision.line.value,
        "previous_amount": revision.previous_amount,
        "amount": revision.amount,
        "reason": revision.reason,
        "uncovered": revision.uncovered,
        "at_risk_project_ids": list(revision.at_risk),
        "revised_at": revision.revised_at.isoformat(),
    }


def budget_view(
    budget: Budget,
    version: int,
    needs: Mapping[str, dict[str, Any]],
    approvals: list[dict[str, Any]],
    *,
    council: bool = False,
) -> dict[str, Any]:
    """The council's view of a commune's year: lines with balances, projects, approvals."""
    in_project = {n: p.id for p in budget.projects.values() if p.status not in _CLOSED for n in p.need_ids}
    latest = approvals[0] if approvals else None
    approved = sorted((latest or {}).get("needs", []), key=lambda n: (int(n["rank"]), n["need_id"]))
    return {
        "commune_code": budget.commune_code,
        "year": budget.year,
        "version": version,
        "lines": [line_view(budget, line) for line in _lines(budget)],
        "totals": totals_view(budget),
        "projects": [
            project_view(budget, p, needs, council=council)
            for p in sorted(budget.projects.values(), key=lambda p: (p.rank is None, p.rank or 0, p.id))
        ],
        "revisions": [revision_view(budget, i) for i in range(len(budget.revisions))],
        "approvals": [
            {
                "id": a["id"],
                "meeting_id": a.get("meeting_id"),
                "decided_at": a["decided_at"],
                "need_count": len(a["needs"]),
            }
            for a in approvals
        ],
        "approved_needs": [
            {
                **need_view(n["need_id"], needs),
                "rank": int(n["rank"]),
                "project_id": in_project.get(n["need_id"]),
            }
            for n in approved
        ],
    }


_CLOSED = frozenset({ProjectStatus.DEFERRED, ProjectStatus.REJECTED})


def transparency_view(budget: Budget, needs: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """The public view: what the commune has, where it goes, and what happened to each need."""
    lines = [_public_line(budget, line) for line in _lines(budget)]
    groups: dict[str, list[dict[str, Any]]] = {"funded": [], "planned": [], "deferred": [], "rejected": []}
    for project in sorted(budget.projects.values(), key=lambda p: (p.rank is None, p.rank or 0, p.id)):
        if project.status in FUNDED_GROUP:
            group = "funded"
        elif project.status == ProjectStatus.PLANNED:
            group = "planned"
        else:
            group = project.status.value
        for need_id in project.need_ids:
            doc = needs.get(need_id, {})
            groups[group].append(
                {
                    # No tracking code: with it anyone could act for the citizen (feedback), and
                    # a sensitive kind of need shows its category only (contracts/privacy.py).
                    "tracking_code": None,
                    "description": public_description(doc.get("need_type"), doc.get("description")),
                    "sector": doc.get("sector"),
                    "village_code": doc.get("village_code"),
                    "village_name": doc.get("village_name"),
                    "status": project.status.value,
                    "reason": project.reason if project.status in _CLOSED or group == "funded" else None,
                    "project_title": project.title,
                    "rank": project.rank,
                    "allocated": budget.project_allocated(project.id),
                    "spent": budget.project_paid(project.id),
                    "stage": project.stage.value if project.stage else None,
                    "expected_month": project.expected_month,
                }
            )
    return {
        "commune_code": budget.commune_code,
        "year": budget.year,
        "published": bool(lines),
        "lines": lines,
        "ccwc": next((line for line in lines if line["kind"] == BudgetLineKind.CCWC.value), None),
        "totals": _public_totals(budget),
        "funded_needs": groups["funded"],
        "planned_needs": groups["planned"],
        "deferred_needs": groups["deferred"],
        "rejected_needs": groups["rejected"],
        "implementation": [
            {"project_id": p.id, "project_title": p.title, **implementation_view(p, needs, council=False)}
            for p in sorted(budget.projects.values(), key=lambda p: (p.rank is None, p.rank or 0, p.id))
            if p.stages
        ],
        "revisions": [
            {
                "line": r.line.value,
                "previous_amount": r.previous_amount,
                "amount": r.amount,
                "reason": r.reason,
                "revised_at": r.revised_at.isoformat(),
            }
            for r in budget.revisions
        ],
    }


def _public_line(budget: Budget, line: Line) -> dict[str, Any]:
    full = line_view(budget, line)
    return {
        "kind": full["kind"],
        "amount": full["amount"],
        "allocated": full["allocated"],
        "spent": full["paid"],
        "remaining": full["remaining"],
        "exchange_rate": full["exchange_rate"],
    }


def _public_totals(budget: Budget) -> dict[str, int]:
    totals = totals_view(budget)
    return {
        "amount": totals["amount"],
        "allocated": totals["allocated"],
        "spent": totals["paid"],
        "remaining": totals["remaining"],
    }
