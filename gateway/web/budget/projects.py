"""One CIP project on the council's tablet, and its forms: allocate, release, decide, spend, reverse."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from contracts.api import budget as api
from contracts.budget import ProjectStatus
from gateway.clients import ServiceError
from gateway.i18n import page_language
from gateway.identity.accounts import Session
from gateway.web.budget.formatting import bar, local_time, riel, shown
from gateway.web.budget.shared import (
    Send,
    Text,
    as_typed,
    budget,
    caller,
    can_check,
    fail,
    form_post,
    is_council,
)
from gateway.web.budget.works_view import works_model
from gateway.web.guards import PageRoute, SessionDep
from gateway.web.render import render

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/budget/projects/{project_id}")
async def project_page(
    request: Request, session: SessionDep, project_id: str, saved: str | None = None
) -> Response:
    return await _project(request, session, project_id, saved=bool(saved))


async def _project(
    request: Request,
    session: Session,
    project_id: str,
    *,
    error: str | None = None,
    status: int = 200,
    saved: bool = False,
) -> Response:
    who = caller(request, session.account.identity())
    try:
        project = await budget(request).project(who, project_id)
        year_budget = await budget(request).budget(who, project.commune_code, project.year)
    except ServiceError as exc:
        return fail(request, session, exc)
    reversed_ids = {e.reverses for e in project.ledger if e.reverses}
    entries = [
        shown(
            e,
            amount_text=riel(e.amount),
            recorded=local_time(e.recorded_at),
            reversible=not e.reverses and e.id not in reversed_ids,
            reversed=e.id in reversed_ids,
        )
        for e in project.ledger
    ]
    allocations = [
        shown(
            a,
            texts={
                "amount": riel(a.amount),
                "released": riel(a.released),
                "committed": riel(a.committed),
                "paid": riel(a.paid),
                "unspent": riel(a.unspent),
            },
        )
        for a in project.allocations
    ]
    at_risk_reason = project.reason if project.status == ProjectStatus.AT_RISK else ""
    year = project.year
    return render(
        request,
        "budget_project.html",
        session,
        status,
        project=project,
        texts={
            "estimated_cost": riel(project.estimated_cost),
            "allocated": riel(project.allocated),
            "committed": riel(project.committed),
            "paid": riel(project.paid),
        },
        project_bar=bar(
            project.estimated_cost,
            project.allocated,
            project.paid,
            max(project.estimated_cost, project.allocated),
        ),
        allocations=allocations,
        open_allocations=[a for a in allocations if a["amount"] > 0],
        entries=entries,
        lines=[shown(line, unallocated_text=riel(line.unallocated)) for line in year_budget.lines],
        approvals=year_budget.approvals,
        decision_reason=at_risk_reason,
        can_edit=is_council(session, project.commune_code),
        works=works_model(project, page_language(request), project.commune_code),
        can_check=can_check(session, project.commune_code),
        first_day=date(year, 1, 1).isoformat(),
        last_day=date(year, 12, 31).isoformat(),
        entry_key=uuid.uuid4().hex,
        error=error,
        saved=saved,
    )


async def _after_project_post(request: Request, project_id: str, csrf_token: str, send: Send) -> Response:
    back = f"/budget/projects/{project_id}"
    session, done, error = await form_post(request, csrf_token, send, back)
    if done is not None:
        return done
    assert session is not None and error is not None
    return await _project(request, session, project_id, error=error.message, status=error.status)


@router.post("/budget/projects/{project_id}/expected-month")
async def expected_month_form(
    request: Request, project_id: str, csrf_token: Text, expected_month: Text = ""
) -> Response:
    """Set or clear when the council expects the project delivered (a month input)."""
    body = as_typed(api.ExpectedMonthIn, expected_month=expected_month.strip() or None)
    return await _after_project_post(
        request, project_id, csrf_token, lambda client, who: client.set_expected_month(who, project_id, body)
    )


@router.post("/budget/projects/{project_id}/allocations")
async def allocate_form(
    request: Request,
    project_id: str,
    csrf_token: Text,
    line: Text,
    amount: Text,
    decision_id: Text = "",
) -> Response:
    body = as_typed(
        api.AllocationIn, project_id=project_id, line=line, amount=amount, decision_id=decision_id
    )
    return await _after_project_post(
        request, project_id, csrf_token, lambda client, who: client.allocate(who, body)
    )


@router.post("/budget/projects/{project_id}/releases")
async def release_form(
    request: Request,
    project_id: str,
    csrf_token: Text,
    allocation_id: Text,
    reason: Text = "",
    amount: Text = "",
) -> Response:
    body = as_typed(api.ReleaseIn, amount=amount.strip() or None, reason=reason)
    allocation = allocation_id.strip()[:64]
    return await _after_project_post(
        request, project_id, csrf_token, lambda client, who: client.release(who, allocation, body)
    )


@router.post("/budget/projects/{project_id}/decision")
async def decide_form(
    request: Request,
    project_id: str,
    csrf_token: Text,
    decision: Text,
    reason: Text = "",
) -> Response:
    body = as_typed(api.DecisionIn, decision=decision, reason=reason)
    return await _after_project_post(
        request, project_id, csrf_token, lambda client, who: client.decide_project(who, project_id, body)
    )


@router.post("/budget/projects/{project_id}/expenditures")
async def expenditure_form(
    request: Request,
    project_id: str,
    csrf_token: Text,
    idempotency_key: Text,
    allocation_id: Text,
    stage: Text,
    amount: Text,
    payee: Text = "",
    reference: Text = "",
    spent_on: Text = "",
    overrun_reason: Text = "",
) -> Response:
    body = as_typed(
        api.ExpenditureIn,
        idempotency_key=idempotency_key,
        allocation_id=allocation_id,
        stage=stage,
        amount=amount,
        payee=payee,
        reference=reference,
        spent_on=spent_on or None,
        overrun_reason=overrun_reason,
    )
    return await _after_project_post(
        request, project_id, csrf_token, lambda client, who: client.record_expenditure(who, body)
    )


@router.post("/budget/projects/{project_id}/reversals")
async def reversal_form(
    request: Request,
    project_id: str,
    csrf_token: Text,
    idempotency_key: Text,
    entry_id: Text,
    reason: Text = "",
) -> Response:
    body = as_typed(api.ExpenditureIn, idempotency_key=idempotency_key, reverses=entry_id, reason=reason)
    return await _after_project_post(
        request, project_id, csrf_token, lambda client, who: client.record_expenditure(who, body)
    )
