"""Oversight pages for the tablet: a place's figures and its child places side by side.

``/oversight`` shows the signed-in admin's own place (a district admin's communes, a province
admin's districts, the provinces for a national admin, an NGO partner's communes);
``/oversight/<code>`` any place within it, one level down per click; ``/oversight/export.csv``
the same comparison as a file. Everything comes from the oversight service's read model
(``gateway/oversight.py``), so its scope checks and small-count suppression apply.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from contracts.local_time import PHNOM_PENH
from gateway.clients import ServiceError
from gateway.i18n import page_language, translate
from gateway.oversight import NamedView, csv_of, load_view
from gateway.web.guards import PageRoute, SessionDep
from gateway.web.render import gateway_of, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)

YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]
RowsQuery = Annotated[Literal["district", "commune"] | None, Query()]
LEVEL_TITLES = {
    "national": "Cambodia: provinces side by side",
    "province": "Province %(name)s: districts side by side",
    "district": "District %(name)s: communes side by side",
    "commune": "Commune %(name)s",
    "places": "Your communes side by side",
}
GROUP_HEADS = (
    ("women", "👩", "Women"),
    ("disability", "♿", "People with disabilities"),
    ("idpoor", "🏚️", "IDPoor"),
    ("indigenous", "🏞️", "Indigenous"),
    ("migrant", "🧳", "Migrants"),
)


async def _view(
    request: Request, session: SessionDep, unit: str | None, year: int | None, rows: str | None
) -> NamedView | Response:
    lang = page_language(request)
    try:
        return await load_view(gateway_of(request), session.account.identity(), lang, unit, year, rows)
    except ServiceError as exc:
        status = exc.status if exc.status in (403, 404, 422) else 503
        title = translate(lang, "Not available")
        return render(request, "error.html", session, status, title=title, message=exc.message)


def _page(request: Request, session: SessionDep, view: NamedView, rows: str | None) -> Response:
    lang = page_language(request)
    title = translate(lang, LEVEL_TITLES[view.level], name=view.name or "")
    this_year = datetime.now(UTC).astimezone(PHNOM_PENH).year
    query = {"unit": view.unit or "", "year": view.year, **({"rows": rows} if rows else {})}
    # A province is compared district by district (the default) or commune by commune.
    province = view.level == "province"
    return render(
        request,
        "oversight.html",
        session,
        title=title,
        view=view,
        rows=rows,
        years=list(range(this_year, this_year - 6, -1)),
        groups=[{"key": k, "icon": i, "label": translate(lang, label)} for k, i, label in GROUP_HEADS],
        export=f"/oversight/export.csv?{urlencode(query)}",
        by_district=f"{request.url.path}?{urlencode({'year': view.year})}" if province else None,
        by_commune=f"{request.url.path}?{urlencode({'year': view.year, 'rows': 'commune'})}"
        if province
        else None,
    )


@router.get("/oversight")
async def oversight_home(
    request: Request, session: SessionDep, year: YearQuery = None, rows: RowsQuery = None
) -> Response:
    view = await _view(request, session, None, year, rows)
    return view if isinstance(view, Response) else _page(request, session, view, rows)


@router.get("/oversight/export.csv")
async def oversight_csv(
    request: Request,
    session: SessionDep,
    unit: Annotated[str, Query(max_length=6)] = "",
    year: YearQuery = None,
    rows: RowsQuery = None,
) -> Response:
    view = await _view(request, session, unit or None, year, rows)
    if isinstance(view, Response):
        return view
    filename = f"khum-oversight-{view.unit or 'all'}-{view.year}.csv"
    return Response(
        csv_of(view),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"', "cache-control": "no-store"},
    )


@router.get("/oversight/{unit}")
async def oversight_unit(
    request: Request, session: SessionDep, unit: str, year: YearQuery = None, rows: RowsQuery = None
) -> Response:
    view = await _view(request, session, unit, year, rows)
    return view if isinstance(view, Response) else _page(request, session, view, rows)
