"""The council's denominators and outcomes: the villages' population (typed in, or imported
from a CSV file), and the dashboard's outcomes table as CSV.

The population file has one row per village, with a header naming the columns (any order):
``village_code, year, women, men, households, idpoor_households, indigenous_percent``. Intake
stores all rows or none, and says which row and column is wrong.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from contracts.api.intake import PopulationIn, PopulationsIn
from contracts.local_time import PHNOM_PENH
from gateway.clients import Caller, ServiceError
from gateway.i18n import translate
from gateway.identity.accounts import Session
from gateway.web import inclusion_view, outcomes_data
from gateway.web.council import _council, _needs_of_year, _places, _refuse
from gateway.web.guards import CsrfDep, PageRoute, SessionDep
from gateway.web.render import gateway_of, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)

COLUMNS = ("village_code", "year", "women", "men", "households", "idpoor_households", "indigenous_percent")
FILE_MAX = 200_000  # bytes: a commune has tens of villages


@router.get("/council/dashboard.csv")
async def outcomes_csv(
    request: Request, session: SessionDep, commune: str | None = None, year: str = ""
) -> Response:
    """The outcomes table of the dashboard, small counts hidden, for sharing beyond the council."""
    found = _council(request, session, commune)
    if isinstance(found, Response):
        return found
    session, lang, commune_code = found
    this_year = datetime.now(PHNOM_PENH).year
    chosen = int(year) if year.isdigit() and len(year) == 4 and 2000 <= int(year) <= this_year else this_year
    try:
        needs, _ = await _needs_of_year(request, session, lang, commune_code, chosen)
        rows = await outcomes_data.outcome_rows(request, session, lang, commune_code, chosen, needs)
    except ServiceError as exc:
        return _refuse(request, session, lang, 503, exc.message)
    headers = {"content-disposition": f'attachment; filename="inclusion-{commune_code}-{chosen}.csv"'}
    # A byte-order mark so spreadsheet programs read the file as UTF-8.
    body = "\ufeff" + inclusion_view.outcomes_csv(rows)
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


async def _page(
    request: Request,
    session: Session,
    lang: str,
    commune: str,
    status: int = 200,
    error: str | None = None,
    saved: int | None = None,
) -> Response:
    try:
        links, villages = await _places(request, session, lang, commune)
        data = await outcomes_data.populations(request, session, lang, commune)
    except ServiceError as exc:
        return _refuse(request, session, lang, 503, exc.message)
    recorded = {r.village_code: {c: getattr(r, c) for c in COLUMNS} for r in data.rows}
    this_year = datetime.now(PHNOM_PENH).year
    rows = [
        {"code": code, "name": name, **recorded.get(code, {"year": this_year})}
        for code, name in villages.items()
    ]
    return render(
        request,
        "council_population.html",
        session,
        status,
        commune=commune,
        commune_name=next(c["name"] for c in links if c["current"]),
        commune_links=links,
        rows=rows,
        columns=COLUMNS,
        error=error,
        saved=saved,
    )


@router.get("/council/population")
async def population_page(request: Request, session: SessionDep, commune: str | None = None) -> Response:
    found = _council(request, session, commune)
    if isinstance(found, Response):
        return found
    session, lang, commune_code = found
    saved = request.query_params.get("saved")
    return await _page(
        request, session, lang, commune_code, saved=int(saved) if saved and saved.isdigit() else None
    )


def _int(value: Any) -> int:
    """A whole number as typed; anything else -1, which intake refuses at its field, in words."""
    text = str(value or "").strip().replace(",", "").replace(" ", "")
    return int(text) if text.isdigit() else -1


def rows_of_csv(text: str) -> list[dict[str, Any]]:
    """The population file's rows, by their header; blank lines skipped."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(", ".join(missing))
    rows = []
    for raw in reader:
        if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
            continue
        code = str(raw["village_code"] or "").strip()
        rows.append(
            {"village_code": code.zfill(8) if code.isdigit() else code}
            | {c: _int(raw[c]) for c in COLUMNS[1:]}
        )
    return rows


async def _save(
    request: Request, session: Session, lang: str, commune: str, rows: list[dict[str, Any]]
) -> Response:
    if not rows:
        return await _page(
            request, session, lang, commune, 400, translate(lang, "Write at least one village's figures.")
        )
    # The rows as typed: intake refuses a wrong one at rows.<n>.<field>, in words.
    body = PopulationsIn.model_construct(rows=[PopulationIn.model_construct(**row) for row in rows])
    caller = Caller(session.account.identity(), lang)
    try:
        saved = await gateway_of(request).clients.intake.record_populations(caller, commune, body)
    except ServiceError as exc:
        if exc.status >= 500:
            return _refuse(request, session, lang, 503, exc.message)
        where = f" ({exc.field})" if exc.field else ""
        return await _page(request, session, lang, commune, 400, exc.message + where)
    return RedirectResponse(f"/council/population?commune={commune}&saved={saved.saved}", status_code=303)


@router.post("/council/population")
async def save_population(
    request: Request, session: CsrfDep, commune: Annotated[str, Form(max_length=6)]
) -> Response:
    """The figures typed in the page's table: one row per village, fields named ``<column>-<village>``."""
    found = _council(request, session, commune)
    if isinstance(found, Response):
        return found
    session, lang, commune_code = found
    form = await request.form()
    codes = [str(v) for k, v in form.multi_items() if k == "village"]
    rows = [
        {"village_code": code} | {c: _int(form.get(f"{c}-{code}")) for c in COLUMNS[1:]}
        for code in codes
        if any(str(form.get(f"{c}-{code}") or "").strip() for c in COLUMNS[2:])
    ]
    return await _save(request, session, lang, commune_code, rows)


@router.post("/council/population/import")
async def import_population(
    request: Request,
    session: CsrfDep,
    commune: Annotated[str, Form(max_length=6)],
    file: Annotated[UploadFile, File()],
) -> Response:
    found = _council(request, session, commune)
    if isinstance(found, Response):
        return found
    session, lang, commune_code = found
    content = await file.read(FILE_MAX + 1)
    try:
        if len(content) > FILE_MAX:
            raise ValueError("size")
        rows = rows_of_csv(content.decode("utf-8"))
    except UnicodeDecodeError:
        message = translate(lang, "The file is not a CSV file in UTF-8.")
        return await _page(request, session, lang, commune_code, 400, message)
    except ValueError as exc:
        message = translate(
            lang, "The file must be a CSV file with the columns: %(columns)s.", columns=", ".join(COLUMNS)
        )
        if str(exc) != "size":
            message += " " + translate(lang, "Missing: %(missing)s.", missing=str(exc))
        return await _page(request, session, lang, commune_code, 400, message)
    return await _save(request, session, lang, commune_code, rows)
