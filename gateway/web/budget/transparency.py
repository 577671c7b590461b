"""The public transparency page, with its CSV and JSON exports: no sign-in; the gateway reads the
budget with a public identity scoped to that one commune."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from contracts.api import budget as api
from contracts.budget import BudgetLineKind
from gateway.clients import ServiceError
from gateway.i18n import page_language
from gateway.identity.callers import public_identity
from gateway.web.budget.formatting import bar, line_model, local_time, riel, scale_of, shown
from gateway.web.budget.shared import budget, caller, commune_name, fail
from gateway.web.budget.works_view import works_model
from gateway.web.guards import PageRoute
from gateway.web.render import render, signed_in

router = APIRouter(include_in_schema=False, route_class=PageRoute)


async def _transparency(request: Request, commune: str, year: int) -> api.Transparency:
    return await budget(request).transparency(caller(request, public_identity(commune)), commune, year)


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
    body = json.dumps(
        {**data.model_dump(mode="json"), "currency": "KHR", "amounts": "whole riel"},
        ensure_ascii=False,
        indent=2,
    )
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


def transparency_csv(data: api.Transparency) -> str:
    """One table: a row per line, then a row per need; the ``record`` column tells them apart."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in data.lines:
        writer.writerow(
            ["line", line.kind.value, line.amount, line.allocated, line.spent, line.remaining] + [""] * 6
        )
    totals = data.totals
    writer.writerow(["total", "", totals.amount, totals.allocated, totals.spent, totals.remaining] + [""] * 6)
    for needs in (data.funded_needs, data.planned_needs, data.deferred_needs, data.rejected_needs):
        for need in needs:
            writer.writerow(
                ["need", "", "", need.allocated, need.spent, ""]
                + [
                    _cell(v)
                    for v in (need.tracking_code, need.village_code, need.description, need.project_title)
                ]
                + [need.status.value, _cell(need.reason)]
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
        return fail(request, session, exc)
    scale = scale_of(data.lines)
    lang = page_language(request)

    def needs(group: list[api.PublicNeed]) -> list[dict[str, Any]]:
        return [shown(n, village=_village(n, lang), allocated_text=riel(n.allocated)) for n in group]

    totals = data.totals
    return render(
        request,
        "transparency.html",
        session,
        commune=commune,
        commune_name=await commune_name(request, commune),
        year=year,
        published=data.published,
        lines=[line_model(line, scale) for line in data.lines if line.kind != BudgetLineKind.CCWC],
        ccwc=line_model(data.ccwc, scale) if data.ccwc else None,
        totals={k: riel(v) for k, v in dict(totals).items()},
        total_bar=bar(totals.amount, totals.allocated, totals.spent, max(totals.amount, totals.allocated)),
        funded=needs(data.funded_needs),
        planned=needs(data.planned_needs),
        deferred=needs(data.deferred_needs),
        rejected=needs(data.rejected_needs),
        works=[{**works_model(p, lang, commune), "title": p.project_title} for p in data.implementation],
        revisions=[
            shown(
                r,
                previous_text=riel(r.previous_amount),
                amount_text=riel(r.amount),
                at=local_time(r.revised_at),
            )
            for r in data.revisions
        ],
    )


def _village(need: api.PublicNeed, lang: str) -> str | None:
    """The village's name in the page's language, else its code."""
    names = need.village_name
    name = (names.km if lang == "km" else names.latin) if names else None
    return name or need.village_code
