"""Budget's HTTP API, called only by the gateway with a signed identity token.

Commands parse their body, let the domain decide on the latest budget and commit the new
state with its events in one transaction (see :func:`services.budget.store.change`). Reads
need a caller of the commune; the public transparency view is the only route open to the
gateway's public (anonymous) identity.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from contracts.api import budget as api
from contracts.envelope import uuid7
from services.budget import domain, ledger, projects
from services.budget import store as repo
from services.budget.model import Act, Budget, LedgerEntry, Outcome, Rate, budget_id
from services.budget.rules import BudgetError
from services.budget.views import (
    allocation_view,
    entry_view,
    line_view,
    project_view,
    revision_view,
)
from services.runtime.application import retry_conflicts
from services.runtime.errors import DomainError
from services.runtime.http import CallerDep, CorrelationDep
from services.runtime.identity import Identity
from services.runtime.service import RuntimeDep
from services.runtime.stores import DuplicateKeyError

router = APIRouter(tags=["budget"])

CommunePath = Annotated[str, Path(pattern=r"^\d{6}$")]
YearPath = Annotated[int, Path(ge=2000, le=2100)]


def _act(caller: Identity) -> Act:
    return Act(caller, datetime.now(UTC))


def not_found() -> DomainError:
    return BudgetError("budget.not_found", "Not found.", "រកមិនឃើញ។", status=404)


async def budget_of(
    runtime: RuntimeDep, entity_id: str, caller: Identity, kind: str | None = None
) -> tuple[str, int]:
    """The budget a project or allocation id belongs to; 404 alike for unknown ids and ids of
    other communes, with the domain's own code when the caller named what it should be."""
    key = await repo.budget_key_of(runtime.store, entity_id)
    if key is None or not caller.covers(key[0]):
        empty = Budget("000000", 2000)
        if kind == "project":
            projects.require_project(empty, entity_id)
        if kind == "allocation":
            projects.require_allocation(empty, entity_id)
        raise not_found()
    return key


async def _changed(runtime: RuntimeDep, commune: str, year: int, decide: repo.Decide, **kw: Any) -> Outcome:
    outcome = await repo.change(runtime, commune, year, decide, **kw)
    assert outcome is not None  # only event handlers pass an inbox, which can answer None
    return outcome


# ---------- commands ----------


@router.post("/lines", status_code=201, response_model=api.Line)
async def set_line(
    body: api.LineIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    response: Response,
    correlation_id: CorrelationDep = None,
) -> dict[str, Any]:
    """Set a budget line for a fiscal year; repeating the same amount changes nothing (200)."""
    rate = Rate(body.exchange_rate.riel_per_usd, body.exchange_rate.as_of) if body.exchange_rate else None
    outcome = await _changed(
        runtime,
        body.commune_code,
        body.year,
        lambda b: domain.set_line(b, _act(caller), body.kind, body.amount, rate),
        correlation_id=correlation_id,
    )
    if not outcome.changed:
        response.status_code = 200
    return line_view(outcome.budget, outcome.budget.lines[body.kind])


@router.post("/revisions", status_code=201, response_model=api.RevisedLine)
async def revise_line(
    body: api.RevisionIn, caller: CallerDep, runtime: RuntimeDep, correlation_id: CorrelationDep = None
) -> dict[str, Any]:
    """Cut or raise a line with a reason; a cut may put projects at risk."""
    revision_id = uuid7()
    outcome = await _changed(
        runtime,
        body.commune_code,
        body.year,
        lambda b: domain.revise_line(b, _act(caller), revision_id, body.kind, body.amount, body.reason),
        correlation_id=correlation_id or revision_id,
    )
    budget = outcome.budget
    return {
        **revision_view(budget, len(budget.revisions) - 1),
        "line_balance": line_view(budget, budget.lines[body.kind]),
    }


@router.post("/projects", status_code=201, response_model=api.Project)
async def create_project(
    body: api.ProjectIn, caller: CallerDep, runtime: RuntimeDep, correlation_id: CorrelationDep = None
) -> dict[str, Any]:
    project_id = uuid7()
    needs = await repo.need_docs(runtime.store, body.need_ids[:200])
    refs = {i: projects.NeedRef(i, d["commune_code"]) for i, d in needs.items()}
    approval = await repo.latest_approval(runtime.store, body.commune_code, body.year)
    outcome = await _changed(
        runtime,
        body.commune_code,
        body.year,
        lambda b: projects.create_project(
            b,
            _act(caller),
            project_id,
            body.title,
            body.need_ids,
            body.estimated_cost,
            refs,
            approval,
            body.expected_month,
        ),
        correlation_id=correlation_id or project_id,
    )
    return project_view(outcome.budget, outcome.budget.projects[project_id], needs)


@router.post("/allocations", status_code=201, response_model=api.AllocationChange)
async def allocate(
    body: api.AllocationIn, caller: CallerDep, runtime: RuntimeDep, correlation_id: CorrelationDep = None
) -> dict[str, Any]:
    """Allocate riel of a line to a project; refused if the line has less left than asked."""
    commune, year = await budget_of(runtime, body.project_id, caller, "project")
    approval = await repo.approval(runtime.store, body.decision_id)
    allocation_id = uuid7()
    outcome = await _changed(
        runtime,
        commune,
        year,
        lambda b: projects.allocate(
            b, _act(caller), allocation_id, body.project_id, body.line, body.amount, approval
        ),
        correlation_id=correlation_id or allocation_id,
    )
    return _allocation_answer(outcome.budget, allocation_id)


@router.post("/allocations/{allocation_id}/release", response_model=api.AllocationChange)
async def release_allocation(
    allocation_id: str,
    body: api.ReleaseIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    correlation_id: CorrelationDep = None,
) -> dict[str, Any]:
    """Give unspent riel back to the line (all unspent riel when no amount is given)."""
    commune, year = await budget_of(runtime, allocation_id, caller, "allocation")
    outcome = await _changed(
        runtime,
        commune,
        year,
        lambda b: projects.release(b, _act(caller), allocation_id, body.amount, body.reason),
        correlation_id=correlation_id,
    )
    return _allocation_answer(outcome.budget, allocation_id)


def _allocation_answer(budget: Budget, allocation_id: str) -> dict[str, Any]:
    allocation = budget.allocations[allocation_id]
    project = budget.projects[allocation.project_id]
    return {**allocation_view(allocation), "project_status": project.status.value}


@router.post("/projects/{project_id}/decision", response_model=api.Project)
async def decide_project(
    project_id: str,
    body: api.DecisionIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    correlation_id: CorrelationDep = None,
) -> dict[str, Any]:
    """Defer or reject a project with a reason; its allocations go back to their lines."""
    commune, year = await budget_of(runtime, project_id, caller, "project")
    outcome = await _changed(
        runtime,
        commune,
        year,
        lambda b: projects.decide_project(b, _act(caller), project_id, body.decision, body.reason),
        correlation_id=correlation_id,
    )
    budget = outcome.budget
    needs = await repo.need_docs(runtime.store, budget.projects[project_id].need_ids)
    return project_view(budget, budget.projects[project_id], needs)


@router.post("/expenditures", status_code=201, response_model=api.LedgerEntry)
async def record_expenditure(
    body: api.ExpenditureIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    response: Response,
    correlation_id: CorrelationDep = None,
) -> dict[str, Any]:
    """Append a ledger entry, or a reversal of one. A repeat with the same key returns the entry
    (200); the same key with anything else changed is an attempt to edit a posted entry (409)."""
    fingerprint = _fingerprint(body)
    if body.reverses is not None:
        target = await runtime.store.get("ledger", body.reverses)
        if target is None or not caller.covers(target["commune_code"]):
            raise _entry_unknown()
        commune, year = target["commune_code"], int(target["year"])
    elif body.allocation_id is not None:
        commune, year = await budget_of(runtime, body.allocation_id, caller, "allocation")
    else:
        raise BudgetError(
            "budget.allocation_required",
            "Name the allocation the money is spent from.",
            "សូមបញ្ជាក់ការបែងចែកដែលប្រាក់ត្រូវចំណាយពី។",
            field="allocationId",
        )
    key = f"{budget_id(commune, year)}:{body.idempotency_key}"

    async def post() -> tuple[LedgerEntry, bool]:
        existing = await runtime.store.find_one("ledger", {"idempotency_key": key})
        if existing is not None:
            if existing["fingerprint"] != fingerprint:
                raise ledger.entry_immutable()
            return repo.entry_from_doc(existing), False
        decide = await _ledger_decision(runtime, caller, body, uuid7())
        outcome = await _changed(
            runtime, commune, year, decide, correlation_id=correlation_id, ledger_keys=(key, fingerprint)
        )
        return outcome.result, True

    try:
        # The same request made twice at once: the second looks again and answers with the first.
        entry, created = await retry_conflicts(
            post, repo.budget_busy, again=lambda exc: exc.field == "idempotency_key"
        )
    except DuplicateKeyError as exc:
        if exc.field == "reverses":
            raise _already_reversed() from None
        raise
    if not created:
        response.status_code = 200
    return entry_view(entry)


async def _ledger_decision(
    runtime: RuntimeDep, caller: Identity, body: api.ExpenditureIn, entry_id: str
) -> repo.Decide:
    if body.reverses is not None:
        if any(
            v is not None for v in (body.allocation_id, body.stage, body.amount, body.payee, body.reference)
        ):
            raise BudgetError(
                "budget.reversal_fields",
                "A reversal copies the original entry: send only the entry to reverse and the reason.",
                "ការបញ្ច្រាសចម្លងធាតុដើម៖ សូមផ្ញើតែធាតុដែលត្រូវបញ្ច្រាស និងមូលហេតុប៉ុណ្ណោះ។",
                field="reverses",
            )
        doc = await runtime.store.get("ledger", body.reverses)
        original = repo.entry_from_doc(doc) if doc else None
        reversed_already = await runtime.store.find_one("ledger", {"reverses": body.reverses}) is not None
        return lambda b: ledger.reverse_entry(
            b, _act(caller), entry_id, original, reversed_already, body.reason
        )
    if body.stage is None:
        raise BudgetError(
            "budget.stage_required",
            "Say whether the money is committed or paid.",
            "សូមបញ្ជាក់ថាប្រាក់ត្រូវបានសន្យា ឬបានបង់។",
            field="stage",
        )
    command = ledger.NewEntry(
        allocation_id=body.allocation_id or "",
        stage=body.stage,
        amount=body.amount,
        payee=body.payee,
        reference=body.reference,
        spent_on=body.spent_on,
        overrun_reason=body.overrun_reason,
    )
    return lambda b: ledger.record_expenditure(b, _act(caller), entry_id, command)


def _fingerprint(body: api.ExpenditureIn) -> str:
    data = body.model_dump(mode="json", exclude={"idempotency_key"})
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _entry_unknown() -> BudgetError:
    return BudgetError(
        "budget.entry_unknown",
        "No such ledger entry in this budget.",
        "រកមិនឃើញធាតុបញ្ជីនេះក្នុងថវិកានេះទេ។",
        status=404,
        field="reverses",
    )


def _already_reversed() -> BudgetError:
    return BudgetError(
        "budget.entry_already_reversed",
        "This entry was already reversed.",
        "ធាតុនេះត្រូវបានបញ្ច្រាសរួចហើយ។",
        status=409,
        field="reverses",
    )


@router.put("/expenditures/{entry_id}", status_code=409)
async def replace_expenditure(entry_id: str, caller: CallerDep) -> None:
    """Posted ledger entries are never edited: record a reversing entry instead (always 409)."""
    raise ledger.entry_immutable()


@router.patch("/expenditures/{entry_id}", status_code=409)
async def edit_expenditure(entry_id: str, caller: CallerDep) -> None:
    """Posted ledger entries are never edited: record a reversing entry instead (always 409)."""
    raise ledger.entry_immutable()


@router.delete("/expenditures/{entry_id}", status_code=409)
async def delete_expenditure(entry_id: str, caller: CallerDep) -> None:
    """Posted ledger entries are never deleted: record a reversing entry instead (always 409)."""
    raise ledger.entry_immutable()
