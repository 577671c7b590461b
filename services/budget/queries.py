"""Budget's reads: the council's view of a year, a project with its ledger, and the public view.

The public transparency view is the only route open to the gateway's public (anonymous)
identity; every other read needs a caller of the commune.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from contracts.api import budget as api
from services.budget import store as repo
from services.budget.api import CommunePath, YearPath, budget_of, not_found
from services.budget.model import Budget, budget_id
from services.budget.rules import require_scope
from services.budget.views import budget_view, entry_view, project_view, transparency_view
from services.runtime.errors import DomainError
from services.runtime.http import CallerDep
from services.runtime.identity import Identity
from services.runtime.service import RuntimeDep

router = APIRouter(tags=["budget"])


def _require_reader(caller: Identity, commune_code: str) -> None:
    if caller.is_public:
        raise DomainError(
            "auth.forbidden", "You may not do this here.", "អ្នកមិនមានសិទ្ធិធ្វើការនេះទេ។", status=403
        )
    require_scope(caller, commune_code)


@router.get("/budgets/{commune_code}/{year}", response_model=api.Budget)
async def get_budget(
    commune_code: CommunePath, year: YearPath, caller: CallerDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """A commune's budget for a year (empty lines when nothing is set yet)."""
    _require_reader(caller, commune_code)
    doc = await runtime.store.get("budgets", budget_id(commune_code, year))
    budget = repo.budget_from_doc(doc) if doc else Budget(commune_code, year)
    approvals = await repo.approvals(runtime.store, commune_code, year)
    need_ids = [n for p in budget.projects.values() for n in p.need_ids]
    need_ids += [n["need_id"] for n in (approvals[0]["needs"] if approvals else [])]
    needs = await repo.need_docs(runtime.store, need_ids)
    council = caller.is_council_of(commune_code)
    return budget_view(budget, int(doc["version"]) if doc else 0, needs, approvals, council=council)


@router.get("/projects/{project_id}", response_model=api.ProjectWithLedger)
async def get_project(project_id: str, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    """A project with its allocations and its ledger entries (oldest first)."""
    if caller.is_public:
        raise not_found()
    commune, year = await budget_of(runtime, project_id, caller)
    budget = await repo.load_budget(runtime.store, commune, year)
    project = budget.projects.get(project_id)
    if project is None:
        raise not_found()
    needs = await repo.need_docs(runtime.store, project.need_ids)
    entries = await repo.ledger_of(runtime.store, {"project_id": project_id})
    view = project_view(budget, project, needs, council=caller.is_council_of(commune))
    return {**view, "ledger": [entry_view(e) for e in entries]}


@router.get("/transparency/{commune_code}/{year}", response_model=api.Transparency)
async def get_transparency(
    commune_code: CommunePath, year: YearPath, caller: CallerDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """Public: lines with allocated, spent and remaining; the CCWC line; each need's fate."""
    require_scope(caller, commune_code)
    budget = await repo.load_budget(runtime.store, commune_code, year)
    needs = await repo.need_docs(runtime.store, [n for p in budget.projects.values() for n in p.need_ids])
    return transparency_view(budget, needs)
