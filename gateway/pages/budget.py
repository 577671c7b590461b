"""Pages about budget: the council's budget on a tablet, and the public transparency page.

The council pages work without JavaScript: plain forms posted here, forwarded to the budget
service, answered with a redirect (or the page again with the service's message). Charts are
server-rendered SVG bars. The public page, with its CSV and JSON exports, needs no sign-in:
the gateway reads the budget with a public identity scoped to that one commune.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from contracts.budget import BudgetLineKind
from gateway.accounts import Session, same_token
from gateway.callers import public_identity
from gateway.clients import ServiceError, segment
from gateway.i18n import page_language, translate
from gateway.money import usd_of
from gateway.pages.guards import PageRoute, SessionDep, current_session
from gateway.pages.render import gateway_of, render, signed_in
from services.runtime.identity import COUNCIL_ROLES, Identity

router = APIRouter(include_in_schema=False, route_class=PageRoute)

PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")
BAR_WIDTH = 300  # SVG user units; the bar scales to the width of its card
Text = Annotated[str, Form(max_length=20_000)]


# ---------- formatting ----------


def riel(amount: int) -> str:
    """Whole riel with thousands separators and the riel sign, e.g. 1,250,000៛."""
    return f"{amount:,}៛"


def usd_text(amount: int, rate: dict[str, Any] | None) -> str | None:
    """The USD equivalent for display, with thousands separators, e.g. 2,195,121.95."""
    usd = usd_of(amount, rate)
    return f"{Decimal(usd):,.2f}" if usd is not None else None


def local_time(iso: str) -> str:
    """A UTC time as people in Cambodia read it."""
    return datetime.fromisoformat(iso).astimezone(PHNOM_PENH).strftime("%Y-%m-%d %H:%M")


def this_year() -> int:
    return datetime.now(PHNOM_PENH).year


def bar(amount: int, allocated: int, spent: int, scale: int) -> dict[str, Any]:
    """Widths of a line's bars on a shared scale: the amount, what is allocated, what is spent."""
    top = max(scale, 1)

    def width(value: int) -> int:
        return round(BAR_WIDTH * max(0, min(value, top)) / top)

    return {
        "amount": width(amount),
        "allocated": width(allocated),
        "spent": width(spent),
        "over": allocated > amount,
        "marker": width(amount),
    }


def _line_model(line: dict[str, Any], scale: int) -> dict[str, Any]:
    spent = line.get("spent", line.get("paid", 0))
    rate = line.get("exchange_rate")
    return {
        **line,
        "texts": {k: riel(v) for k, v in line.items() if isinstance(v, int) and not isinstance(v, bool)},
        "spent_text": riel(spent),
        "usd": usd_text(line["amount"], rate),
        "rate": rate,
        "bar": bar(line["amount"], line["allocated"], spent, scale),
    }


def _scale(lines: list[dict[str, Any]]) -> int:
    return max((max(line["amount"], line["allocated"]) for line in lines), default=0)


# ---------- the council's pages ----------


def _is_council(session: Session, commune: str) -> bool:
    account = session.account
    return account.role in COUNCIL_ROLES and account.identity().covers(commune)


async def _call(request: Request, method: str, path: str, identity: Identity, **kw: Any) -> Any:
    _, body = (
        await gateway_of(request)
        .services["budget"]
        .request(method, path, identity, lang=page_language(request), **kw)
    )
    return body


def _fail(request: Request, session: Session | None, exc: ServiceError) -> Response:
    lang = page_language(request)
    status = exc.status if 400 <= exc.status < 500 else 503
    return render(
        request, "error.html", session, status, title=translate(lang, "Not available"), message=exc.message
    )


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
        data = await _call(request, "GET", f"/budgets/{segment(commune)}/{year}", session.account.identity())
    except ServiceError as exc:
        return _fail(request, session, exc)
    scale = _scale(data["lines"])
    lines = [_line_model(line, scale) for line in data["lines"]]
    totals = data["totals"]
    projects = [
        {
            **p,
            "texts": {k: riel(p[k]) for k in ("estimated_cost", "allocated", "committed", "paid")},
            "bar": bar(
                p["estimated_cost"], p["allocated"], p["paid"], max(p["estimated_cost"], p["allocated"])
            ),
        }
        for p in data["projects"]
    ]
    revisions = [
        {
            **r,
            "previous_text": riel(r["previous_amount"]),
            "amount_text": riel(r["amount"]),
            "at": local_time(r["revised_at"]),
        }
        for r in reversed(data["revisions"])
    ]
    return render(
        request,
        "budget.html",
        session,
        status,
        commune=commune,
        commune_name=await _commune_name(request, commune),
        year=year,
        lines=lines,
        set_kinds=[line["kind"] for line in lines],
        kinds=[k.value for k in BudgetLineKind],
        totals={k: riel(v) for k, v in totals.items()},
        total_bar=bar(
            totals["amount"], totals["allocated"], totals["paid"], max(totals["amount"], totals["allocated"])
        ),
        projects=projects,
        free_needs=[n for n in data["approved_needs"] if not n.get("project_id")],
        approvals=data["approvals"],
        revisions=revisions,
        can_edit=_is_council(session, commune),
        error=error,
        saved=saved,
    )


async def _form_post(
    request: Request,
    csrf_token: str,
    method: str,
    path: str,
    body: dict[str, Any],
    back: str,
) -> tuple[Session | None, Response | None, ServiceError | None]:
    """Check the session and its CSRF token, then forward a form to the budget service."""
    session = await current_session(request)
    if not same_token(csrf_token, session.csrf_token):
        lang = page_language(request)
        error = ServiceError(400, "auth.csrf", translate(lang, "Your page is out of date. Please reload it."))
        return session, None, error
    try:
        await _call(request, method, path, session.account.identity(), json=body)
    except ServiceError as exc:
        return session, None, exc
    return session, RedirectResponse(f"{back}?saved=1", status_code=303), None


async def _after_overview_post(
    request: Request, commune: str, year: int, csrf_token: str, path: str, body: dict[str, Any]
) -> Response:
    session, done, error = await _form_post(
        request, csrf_token, "POST", path, body, f"/budget/{commune}/{year}"
    )
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
    body: dict[str, Any] = {"commune_code": commune, "year": year, "kind": kind, "amount": amount}
    if riel_per_usd.strip() and rate_date.strip():
        body["exchange_rate"] = {"riel_per_usd": riel_per_usd.strip(), "as_of": rate_date.strip()}
    return await _after_overview_post(request, commune, year, csrf_token, "/lines", body)


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
    body = {"commune_code": commune, "year": year, "kind": kind, "amount": amount, "reason": reason}
    return await _after_overview_post(request, commune, year, csrf_token, "/revisions", body)


@router.post("/budget/{commune}/{year:int}/projects")
async def create_project_form(
    request: Request,
    commune: str,
    year: int,
    csrf_token: Text,
    title: Text,
    estimated_cost: Text,
    need_ids: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies form defaults
) -> Response:
    body = {
        "commune_code": commune,
        "year": year,
        "title": title,
        "need_ids": need_ids[:200],
        "estimated_cost": estimated_cost,
    }
    return await _after_overview_post(request, commune, year, csrf_token, "/projects", body)


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
    identity = session.account.identity()
    try:
        project = await _call(request, "GET", f"/projects/{segment(project_id)}", identity)
        budget = await _call(
            request, "GET", f"/budgets/{segment(project['commune_code'])}/{project['year']}", identity
        )
    except ServiceError as exc:
        return _fail(request, session, exc)
    reversed_ids = {e["reverses"] for e in project["ledger"] if e["reverses"]}
    entries = [
        {
            **e,
            "amount_text": riel(e["amount"]),
            "recorded": local_time(e["recorded_at"]),
            "reversible": not e["reverses"] and e["id"] not in reversed_ids,
            "reversed": e["id"] in reversed_ids,
        }
        for e in project["ledger"]
    ]
    allocations = [
        {**a, "texts": {k: riel(a[k]) for k in ("amount", "released", "committed", "paid", "unspent")}}
        for a in project["allocations"]
    ]
    at_risk_reason = project["reason"] if project["status"] == "at_risk" else ""
    year = project["year"]
    return render(
        request,
        "budget_project.html",
        session,
        status,
        project=project,
        texts={k: riel(project[k]) for k in ("estimated_cost", "allocated", "committed", "paid")},
        project_bar=bar(
            project["estimated_cost"],
            project["allocated"],
            project["paid"],
            max(project["estimated_cost"], project["allocated"]),
        ),
        allocations=allocations,
        open_allocations=[a for a in allocations if a["amount"] > 0],
        entries=entries,
        lines=[{**line, "unallocated_text": riel(line["unallocated"])} for line in budget["lines"]],
        approvals=budget["approvals"],
        decision_reason=at_risk_reason,
        can_edit=_is_council(session, project["commune_code"]),
        first_day=date(year, 1, 1).isoformat(),
        last_day=date(year, 12, 31).isoformat(),
        entry_key=uuid.uuid4().hex,
        error=error,
        saved=saved,
    )


async def _after_project_post(
    request: Request, project_id: str, csrf_token: str, path: str, body: dict[str, Any]
) -> Response:
    back = f"/budget/projects/{project_id}"
    session, done, error = await _form_post(request, csrf_token, "POST", path, body, back)
    if done is not None:
        return done
    assert session is not None and error is not None
    return await _project(request, session, project_id, error=error.message, status=error.status)


@router.post("/budget/projects/{project_id}/allocations")
async def allocate_form(
    request: Request,
    project_id: str,
    csrf_token: Text,
    line: Text,
    amount: Text,
    decision_id: Text = "",
) -> Response:
    body = {"project_id": project_id, "line": line, "amount": amount, "decision_id": decision_id}
    return await _after_project_post(request, project_id, csrf_token, "/allocations", body)


@router.post("/budget/projects/{project_id}/releases")
async def release_form(
    request: Request,
    project_id: str,
    csrf_token: Text,
    allocation_id: Text,
    reason: Text = "",
    amount: Text = "",
) -> Response:
    body = {"amount": amount.strip() or None, "reason": reason}
    path = f"/allocations/{segment(allocation_id.strip()[:64])}/release"
    return await _after_project_post(request, project_id, csrf_token, path, body)


@router.post("/budget/projects/{project_id}/decision")
async def decide_form(
    request: Request,
    project_id: str,
    csrf_token: Text,
    decision: Text,
    reason: Text = "",
) -> Response:
    body = {"decision": decision, "reason": reason}
    return await _after_project_post(
        request, project_id, csrf_token, f"/projects/{segment(project_id)}/decision", body
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
    body = {
        "idempotency_key": idempotency_key,
        "allocation_id": allocation_id,
        "stage": stage,
        "amount": amount,
        "payee": payee,
        "reference": reference,
        "spent_on": spent_on or None,
        "overrun_reason": overrun_reason,
    }
    return await _after_project_post(request, project_id, csrf_token, "/expenditures", body)


@router.post("/budget/projects/{project_id}/reversals")
async def reversal_form(
    request: Request,
    project_id: str,
    csrf_token: Text,
    idempotency_key: Text,
    entry_id: Text,
    reason: Text = "",
) -> Response:
    body = {"idempotency_key": idempotency_key, "reverses": entry_id, "reason": reason}
    return await _after_project_post(request, project_id, csrf_token, "/expenditures", body)


# ---------- public: transparency ----------


async def _transparency(request: Request, commune: str, year: int) -> dict[str, Any]:
    data: dict[str, Any] = await _call(
        request, "GET", f"/transparency/{segment(commune)}/{year}", public_identity(commune)
    )
    return data


async def _commune_name(request: Request, commune: str) -> str:
    try:
        _, found = (
            await gateway_of(request)
            .services["intake"]
            .request("GET", "/communes", public_identity(commune), lang=page_language(request))
        )
    except ServiceError:
        return commune  # the page still works while intake is down
    for entry in found or []:
        if entry.get("code") == commune:
            return str(entry["name_km"] if page_language(request) == "km" else entry["name_latin"])
    return commune


@router.get("/communes/{commune}/budget/{year:int}.json")
async def transparency_json(request: Request, commune: str, year: int) -> Response:
    try:
        data = await _transparency(request, commune, year)
    except ServiceError as exc:
        return Response(
            json.dumps({"error": {"code": exc.code, "message": exc.message}}),
            exc.status,
            media_type="application/json",
        )
    body = json.dumps({**data, "currency": "KHR", "amounts": "whole riel"}, ensure_ascii=False, indent=2)
    headers = {"content-disposition": f'attachment; filename="budget-{commune}-{year}.json"'}
    return Response(body, media_type="application/json", headers=headers)


CSV_COLUMNS = (
    "record",
    "line",
    "amount_riel",
    "allocated_riel",
    "spent_riel",
    "remaining_riel",
    "tracking_code",
    "village_code",
    "need",
    "project",
    "status",
    "reason",
)


def _cell(value: object) -> str:
    """Text a spreadsheet shows as text: never a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def transparency_csv(data: dict[str, Any]) -> str:
    """One table: a row per line, then a row per need; the ``record`` column tells them apart."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in data["lines"]:
        writer.writerow(
            ["line", line["kind"], line["amount"], line["allocated"], line["spent"], line["remaining"]]
            + [""] * 6
        )
    totals = data["totals"]
    writer.writerow(
        ["total", "", totals["amount"], totals["allocated"], totals["spent"], totals["remaining"]] + [""] * 6
    )
    for group in ("funded_needs", "planned_needs", "deferred_needs", "rejected_needs"):
        for need in data[group]:
            writer.writerow(
                ["need", "", "", need["allocated"], need["spent"], ""]
                + [
                    _cell(need.get(k))
                    for k in ("tracking_code", "village_code", "description", "project_title")
                ]
                + [need["status"], _cell(need.get("reason"))]
            )
    return out.getvalue()


@router.get("/communes/{commune}/budget/{year:int}.csv")
async def transparency_csv_export(request: Request, commune: str, year: int) -> Response:
    try:
        data = await _transparency(request, commune, year)
    except ServiceError as exc:
        return Response(exc.message, exc.status, media_type="text/plain; charset=utf-8")
    headers = {"content-disposition": f'attachment; filename="budget-{commune}-{year}.csv"'}
    # A byte-order mark so spreadsheet programs read the Khmer text as UTF-8.
    return Response("\ufeff" + transparency_csv(data), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/communes/{commune}/budget/{year:int}")
async def transparency_page(request: Request, commune: str, year: int) -> Response:
    """Public, no sign-in: what the commune has, where it goes, and what became of each need."""
    session = await signed_in(request)
    try:
        data = await _transparency(request, commune, year)
    except ServiceError as exc:
        return _fail(request, session, exc)
    scale = _scale(data["lines"])
    lang = page_language(request)

    def needs(group: str) -> list[dict[str, Any]]:
        return [
            {
                **n,
                "village": (n.get("village_name") or {}).get("km" if lang == "km" else "latin")
                or n.get("village_code"),
                "allocated_text": riel(n["allocated"]),
            }
            for n in data[group]
        ]

    totals = data["totals"]
    return render(
        request,
        "transparency.html",
        session,
        commune=commune,
        commune_name=await _commune_name(request, commune),
        year=year,
        published=data["published"],
        lines=[
            _line_model(line, scale) for line in data["lines"] if line["kind"] != BudgetLineKind.CCWC.value
        ],
        ccwc=_line_model(data["ccwc"], scale) if data.get("ccwc") else None,
        totals={k: riel(v) for k, v in totals.items()},
        total_bar=bar(
            totals["amount"], totals["allocated"], totals["spent"], max(totals["amount"], totals["allocated"])
        ),
        funded=needs("funded_needs"),
        planned=needs("planned_needs"),
        deferred=needs("deferred_needs"),
        rejected=needs("rejected_needs"),
        revisions=[
            {
                **r,
                "previous_text": riel(r["previous_amount"]),
                "amount_text": riel(r["amount"]),
                "at": local_time(r["revised_at"]),
            }
            for r in data["revisions"]
        ],
    )
