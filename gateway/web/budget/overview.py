"""A commune's budget for a year on the council's tablet, and its forms: set a line, revise one,
create a project."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from contracts.api import budget as api
from contracts.budget import BudgetLineKind
from gateway.clients import ServiceError
from gateway.i18n import page_language, translate
from gateway.identity.accounts import Session
from gateway.web.budget.formatting import bar, line_model, local_time, riel, scale_of, shown, this_year
from gateway.web.budget.shared import (
    Send,
    Text,
    as_typed,
    budget,
    caller,
    commune_name,
    fail,
    form_post,
    is_council,
)
from gateway.web.guards import PageRoute, SessionDep
from gateway.web.render import render

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/budget")
async def budget_home(request: Request, session: SessionDep) -> Response:
    communes = [c for c in session.account.communes if len(c) == 6]
    if not communes:
        lang = page_language(request)
        message = translate(lang, "Your account is not linked to a commune.")
        return render(request, "error.html", session, 404, title=translate(lang, "Budget"), message=message)
    return RedirectResponse(f"/budget/{communes[0]}/{this_year()}", status_code=303)


@router.get("/budget/{commune}/{year:int}")
async def budget_page(
    request: Request, session: SessionDep, commune: str, year: int, saved: str | None = None
) -> Response:
    return await _overview(request, session, commune, year, saved=bool(saved))


async def _overview(
    request: Request,
    session: Session,
    commune: str,
    year: int,
    *,
    error: str | None = None,
    status: int = 200,
    saved: bool = False,
) -> Response:
    try:
        data = await budget(request).budget(caller(request, session.account.identity()), commune, year)
    except ServiceError as exc:
        return fail(request, session, exc)
    scale = scale_of(data.lines)
    lines = [line_model(line, scale) for line in data.lines]
    totals = data.totals
    projects = [
        shown(
            p,
            texts={
                "estimated_cost": riel(p.estimated_cost),
                "allocated": riel(p.allocated),
                "committed": riel(p.committed),
                "paid": riel(p.paid),
            },
            bar=bar(p.estimated_cost, p.allocated, p.paid, max(p.estimated_cost, p.allocated)),
        )
        for p in data.projects
    ]
    revisions = [
        shown(
            r,
            previous_text=riel(r.previous_amount),
            amount_text=riel(r.amount),
            at=local_time(r.revised_at),
        )
        for r in reversed(data.revisions)
    ]
    return render(
        request,
        "budget.html",
        session,
        status,
        commune=commune,
        commune_name=await commune_name(request, commune),
        year=year,
        lines=lines,
        set_kinds=[line["kind"] for line in lines],
        kinds=[k.value for k in BudgetLineKind],
        totals={k: riel(v) for k, v in dict(totals).items()},
        total_bar=bar(totals.amount, totals.allocated, totals.paid, max(totals.amount, totals.allocated)),
        projects=projects,
        free_needs=[n for n in data.approved_needs if not n.project_id],
        approvals=data.approvals,
        revisions=revisions,
        can_edit=is_council(session, commune),
        error=error,
        saved=saved,
    )


async def _after_overview_post(
    request: Request, commune: str, year: int, csrf_token: str, send: Send
) -> Response:
    session, done, error = await form_post(request, csrf_token, send, f"/budget/{commune}/{year}")
    if done is not None:
        return done
    assert session is not None and error is not None
    return await _overview(request, session, commune, year, error=error.message, status=error.status)


@router.post("/budget/{commune}/{year:int}/lines")
async def set_line_form(
    request: Request,
    commune: str,
    year: int,
    csrf_token: Text,
    kind: Text,
    amount: Text,
    riel_per_usd: Text = "",
    rate_date: Text = "",
) -> Response:
    # As typed: budget checks the form and refuses with its own codes and messages.
    rate = (
        as_typed(api.ExchangeRate, riel_per_usd=riel_per_usd.strip(), as_of=rate_date.strip())
        if riel_per_usd.strip() and rate_date.strip()
        else None
    )
    body = as_typed(api.LineIn, commune_code=commune, year=year, kind=kind, amount=amount, exchange_rate=rate)
    return await _after_overview_post(
        request, commune, year, csrf_token, lambda client, who: client.set_line(who, body)
    )


@router.post("/budget/{commune}/{year:int}/revisions")
async def revise_line_form(
    request: Request,
    commune: str,
    year: int,
    csrf_token: Text,
    kind: Text,
    amount: Text,
    reason: Text = "",
) -> Response:
    body = as_typed(api.RevisionIn, commune_code=commune, year=year, kind=kind, amount=amount, reason=reason)
    return await _after_overview_post(
        request, commune, year, csrf_token, lambda client, who: client.revise_line(who, body)
    )


@router.post("/budget/{commune}/{year:int}/projects")
async def create_project_form(
    request: Request,
    commune: str,
    year: int,
    csrf_token: Text,
    title: Text,
    estimated_cost: Text,
    need_ids: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies form defaults
    expected_month: Text = "",
) -> Response:
    body = as_typed(
        api.ProjectIn,
        commune_code=commune,
        year=year,
        title=title,
        need_ids=need_ids[:200],
        estimated_cost=estimated_cost,
        expected_month=expected_month.strip() or None,
    )
    return await _after_overview_post(
        request, commune, year, csrf_token, lambda client, who: client.create_project(who, body)
    )
