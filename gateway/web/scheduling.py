"""Pages for what slot suggestions are scored on (tablet, Khmer first).

* Holidays: a year's public holidays as Cambodia's calendar has them (the holidays package,
  with Khmer names), and the local events admins add or remove.
* The commune's scheduling profile: the share of people who work away, the share who work by
  day every day, and the busy seasons (council).
* Facilitators' availability: each facilitator's own weekly times; the council sees everyone's.

The pages read from and write to the meetings service with the session's identity; meetings
checks who may change what, and its refusals are shown in the page's language.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from contracts.api.meetings.scheduling import (
    AvailabilityIn,
    FacilitatorWindows,
    HolidayIn,
    HolidayTable,
    HolidayTableIn,
    ProfileIn,
    SeasonIn,
    WindowIn,
    WindowPublic,
)
from gateway.clients import Caller, ServiceError
from gateway.clients.meetings import MeetingsClient
from gateway.i18n import page_language, translate
from gateway.identity.accounts import Session
from gateway.web.guards import CsrfDep, PageRoute, SessionDep
from gateway.web.render import gateway_of, render
from services.runtime.identity import COUNCIL_ROLES, Identity, Role

router = APIRouter(include_in_schema=False, route_class=PageRoute)

ADMINS = frozenset({Role.NATIONAL_ADMIN, Role.PROVINCE_ADMIN})
_COMMUNE = re.compile(r"^\d{6}$")
WEEKDAY_LABELS = {
    0: "Monday",
    1: "Tuesday",
    2: "Wednesday",
    3: "Thursday",
    4: "Friday",
    5: "Saturday",
    6: "Sunday",
}
KIND_LABELS = {
    "khmer_new_year": "Khmer New Year",
    "pchum_ben": "Pchum Ben",
    "water_festival": "Water Festival",
    "other": "Public holiday",
}
Text = Annotated[str, Form(max_length=1000)]


def _communes(session: Session) -> list[str]:
    return [c for c in session.account.communes if _COMMUNE.match(c)]


def _commune(session: Session, wanted: str | None) -> str | None:
    communes = _communes(session)
    if wanted and wanted in communes:
        return wanted
    return communes[0] if communes else None


def _caller(request: Request, session: Session) -> Caller:
    return Caller(session.account.identity(), page_language(request))


def _meetings(request: Request) -> MeetingsClient:
    return gateway_of(request).clients.meetings


def _back(path: str, **params: Any) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


def _failed(request: Request, session: Session, exc: ServiceError) -> Response:
    lang = page_language(request)
    status = exc.status if exc.status in (400, 403, 404, 409, 422) else 503
    title = translate(lang, "Not saved") if status < 500 else translate(lang, "Not available")
    return render(request, "error.html", session, status, title=title, message=exc.message, code=exc.code)


def _is_manager(identity: Identity) -> bool:
    return identity.role in COUNCIL_ROLES | ADMINS


# ---------- holidays ----------


@router.get("/scheduling/holidays")
async def holidays_page(
    request: Request, session: SessionDep, year: Annotated[int | None, Query(ge=2000, le=2100)] = None
) -> Response:
    lang = page_language(request)
    year = year or datetime.now(UTC).year
    try:
        table = await _meetings(request).holidays(_caller(request, session), year)
    except ServiceError as exc:
        return _failed(request, session, exc)
    holidays = [
        {
            **dict(h),
            "name": h.name_km if lang == "km" else h.name_en,
            "other_name": h.name_en if lang == "km" else h.name_km,
            "kind_label": translate(lang, KIND_LABELS.get(h.kind, "Public holiday")),
            "index": i,
        }
        for i, h in enumerate(table.holidays)
    ]
    return render(
        request,
        "scheduling_holidays.html",
        session,
        year=year,
        holidays=holidays,
        admin=session.account.identity().role in ADMINS,
    )


def _local_events(table: HolidayTable) -> list[HolidayIn]:
    """The table's local events as a PUT sends them back (the official holidays are not stored)."""
    return [
        HolidayIn.model_construct(
            kind=h.kind,
            start=h.start,
            end=h.end,
            name_en=h.name_en,
            name_km=h.name_km,
            migrants_home=h.migrants_home,
        )
        for h in table.holidays
        if h.source == "local"
    ]


async def _replace_local_events(
    request: Request, session: Session, year: int, events: list[HolidayIn]
) -> None:
    body = HolidayTableIn.model_construct(holidays=events)
    await _meetings(request).set_holidays(_caller(request, session), year, body)


@router.post("/scheduling/holidays/{year}/add")
async def add_local_event(
    request: Request,
    year: int,
    session: CsrfDep,
    start: Annotated[date, Form()],
    name_km: Text,
    end: Annotated[date | None, Form()] = None,
    name_en: Annotated[str, Form(max_length=1000)] = "",
    migrants_home: Annotated[str | None, Form(max_length=10)] = None,
) -> Response:
    try:
        table = await _meetings(request).holidays(_caller(request, session), year)
        event = HolidayIn.model_construct(
            kind="other",
            start=start,
            end=end or start,
            name_km=name_km,
            name_en=name_en.strip() or name_km,
            migrants_home=migrants_home == "yes",
        )
        await _replace_local_events(request, session, year, [*_local_events(table), event])
    except ServiceError as exc:
        return _failed(request, session, exc)
    return _back("/scheduling/holidays", year=year, saved=1)


@router.post("/scheduling/holidays/{year}/remove")
async def remove_local_event(
    request: Request,
    year: int,
    session: CsrfDep,
    start: Annotated[str, Form(max_length=10)],
    name_km: Text,
) -> Response:
    try:
        table = await _meetings(request).holidays(_caller(request, session), year)
        kept = [
            h for h in _local_events(table) if not (h.start.isoformat() == start and h.name_km == name_km)
        ]
        await _replace_local_events(request, session, year, kept)
    except ServiceError as exc:
        return _failed(request, session, exc)
    return _back("/scheduling/holidays", year=year, saved=1)


# ---------- the commune's scheduling profile ----------


@router.get("/scheduling/profile")
async def profile_page(
    request: Request,
    session: SessionDep,
    commune: Annotated[str | None, Query(max_length=6)] = None,
    saved: Annotated[int | None, Query()] = None,
) -> Response:
    code = _commune(session, commune)
    if code is None:
        return _no_commune(request, session)
    try:
        profile = await _meetings(request).scheduling_profile(_caller(request, session), code)
    except ServiceError as exc:
        return _failed(request, session, exc)
    return render(
        request,
        "scheduling_profile.html",
        session,
        commune=code,
        communes=_communes(session),
        profile=profile,
        manager=_is_manager(session.account.identity()),
        saved=bool(saved),
    )


@router.post("/scheduling/profile")
async def save_profile(request: Request, session: CsrfDep) -> Response:
    form = await request.form()
    code = _commune(session, str(form.get("commune", "")))
    if code is None:
        return _no_commune(request, session)
    labels = [str(v) for v in form.getlist("season_label")]
    starts = [str(v) for v in form.getlist("season_start")]
    ends = [str(v) for v in form.getlist("season_end")]
    seasons = [
        SeasonIn.model_construct(label=label.strip(), start=start.strip(), end=end.strip())
        for label, start, end in zip(labels, starts, ends, strict=False)
        if label.strip() or start.strip() or end.strip()
    ]
    body = ProfileIn.model_construct(
        migrant_share_percent=_percent(form.get("migrant_share_percent")),
        day_work_share_percent=_percent(form.get("day_work_share_percent")),
        busy_seasons=seasons,
    )
    try:
        await _meetings(request).set_scheduling_profile(_caller(request, session), code, body)
    except ServiceError as exc:
        return _failed(request, session, exc)
    return _back("/scheduling/profile", commune=code, saved=1)


def _percent(raw: Any) -> int:
    """A number the person typed; anything else is sent as -1 so meetings refuses it clearly."""
    try:
        return int(str(raw).strip())
    except ValueError:
        return -1


# ---------- facilitators' availability ----------


@router.get("/scheduling/availability")
async def availability_page(
    request: Request,
    session: SessionDep,
    commune: Annotated[str | None, Query(max_length=6)] = None,
    saved: Annotated[int | None, Query()] = None,
) -> Response:
    lang = page_language(request)
    code = _commune(session, commune)
    if code is None:
        return _no_commune(request, session)
    identity = session.account.identity()
    caller = _caller(request, session)
    mine: list[WindowPublic] = []
    everyone: list[FacilitatorWindows] = []
    try:
        if identity.role is Role.FACILITATOR:
            mine = (await _meetings(request).my_availability(caller, code)).windows
        if _is_manager(identity):
            everyone = await _meetings(request).facilitators_availability(caller, code)
    except ServiceError as exc:
        return _failed(request, session, exc)
    by_day = {w.weekday: w for w in mine}
    days = [
        {
            "index": i,
            "name": translate(lang, name),
            "start": by_day[i].start if i in by_day else "",
            "end": by_day[i].end if i in by_day else "",
        }
        for i, name in WEEKDAY_LABELS.items()
    ]
    counts = [
        {
            "name": translate(lang, name),
            "times": sorted(f"{w.start}–{w.end}" for f in everyone for w in f.windows if w.weekday == i),
        }
        for i, name in WEEKDAY_LABELS.items()
    ]
    return render(
        request,
        "scheduling_availability.html",
        session,
        commune=code,
        communes=_communes(session),
        days=days,
        facilitator=identity.role is Role.FACILITATOR,
        manager=_is_manager(identity),
        facilitators=len(everyone),
        counts=counts,
        saved=bool(saved),
    )


@router.post("/scheduling/availability")
async def save_availability(request: Request, session: CsrfDep) -> Response:
    form = await request.form()
    code = _commune(session, str(form.get("commune", "")))
    if code is None:
        return _no_commune(request, session)
    windows = []
    for i in WEEKDAY_LABELS:
        start, end = str(form.get(f"start_{i}", "")).strip(), str(form.get(f"end_{i}", "")).strip()
        if start or end:
            windows.append(WindowIn.model_construct(weekday=i, start=start, end=end))
    body = AvailabilityIn.model_construct(windows=windows)
    try:
        await _meetings(request).set_my_availability(_caller(request, session), code, body)
    except ServiceError as exc:
        return _failed(request, session, exc)
    return _back("/scheduling/availability", commune=code, saved=1)


def _no_commune(request: Request, session: Session) -> Response:
    lang = page_language(request)
    return render(
        request,
        "error.html",
        session,
        404,
        title=translate(lang, "No commune"),
        message=translate(lang, "Your account is not attached to a commune."),
    )
