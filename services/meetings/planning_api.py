"""Meetings' HTTP API for planning: slot suggestions and agenda candidates. What suggestions are
scored on (holidays, a commune's profile, facilitators' availability) is in scheduling_api."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from contracts.api.meetings.scheduling import AgendaCandidate, ReasonPublic, SlotPublic, Suggestions
from services.meetings import scheduling_api
from services.meetings.api import MemberDep, SettingsDep
from services.meetings.domain import PHNOM_PENH, Place
from services.meetings.holidays import holidays_between, official_holidays
from services.meetings.lifecycle import check_place
from services.meetings.slots import Conditions, Holiday, SlotRequest, check_request, suggest, years_between
from services.meetings.store import (
    holidays_of,
    read_calendar,
    seasons_of,
    windows_of,
)
from services.runtime.errors import DomainError
from services.runtime.identity import Identity
from services.runtime.service import RuntimeDep

router = APIRouter(tags=["planning"])

CommunePath = Annotated[str, Query(pattern=r"^\d{6}$")]


def _require_covers(caller: Identity, commune: str) -> None:
    if not caller.covers(commune):
        raise DomainError("auth.forbidden", "Outside your communes.", "នៅក្រៅឃុំរបស់អ្នក។", status=403)


# ---------- slot suggestions ----------


@router.get("/slots", response_model=Suggestions)
async def suggest_slots(
    caller: MemberDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    commune: CommunePath,
    first_day: Annotated[date, Query(alias="from")],
    last_day: Annotated[date, Query(alias="to")],
    duration: Annotated[int, Query(description="Minutes")],
    village: Annotated[str | None, Query(max_length=16)] = None,
    place: Annotated[str | None, Query(max_length=5000)] = None,
    limit: int = 5,
) -> Suggestions:
    """The best times in a window, each with its reasons; never a time that clashes."""
    _require_covers(caller, commune)
    venue = check_place(Place(village_code=village, place=place or "")) if village else None
    request = SlotRequest(
        commune, first_day, last_day, timedelta(minutes=duration), venue.key if venue else None, limit
    )
    now = datetime.now(UTC)
    check_request(request, now.astimezone(PHNOM_PENH).date())
    homes = {commune, *([venue.village_code[:6]] if venue else [])}
    local: list[Holiday] = []
    for year in years_between(first_day - timedelta(days=7), last_day + timedelta(days=7)):
        table = await runtime.store.get("holiday_tables", str(year))
        local += holidays_of(table) if table is not None else []
    holidays = holidays_between(first_day, last_day, local)
    missing = [y for y in years_between(first_day, last_day) if not official_holidays(y)]
    profile = await runtime.store.get("commune_profiles", commune)
    facilitators = [
        windows_of(d) async for d in runtime.store.iterate("availability", {"commune_code": commune})
    ]
    conditions = Conditions(
        now=now,
        notice_days=settings.agenda_notice_days,
        migrant_share_percent=int(
            (profile or {}).get("migrant_share_percent", settings.default_migrant_share_percent)
        ),
        day_work_share_percent=int(
            (profile or {}).get("day_work_share_percent", settings.default_day_work_share_percent)
        ),
        busy_seasons=seasons_of(profile),
        holidays=holidays,
        facilitators=[w for w in facilitators if w],
        calendar=await read_calendar(runtime.store, homes),
    )
    slots = suggest(request, conditions)
    return Suggestions(
        slots=[
            SlotPublic(
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                score=s.score,
                reasons=[
                    ReasonPublic(code=r.code, points=r.points, text={"en": r.en, "km": r.km})
                    for r in s.reasons
                ],
            )
            for s in slots
        ],
        missing_holiday_years=missing,
    )


# ---------- agenda candidates ----------


@router.get("/agenda-candidates", response_model=list[AgendaCandidate])
async def agenda_candidates(
    commune: CommunePath,
    caller: MemberDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AgendaCandidate]:
    """The commune's needs that meetings knows of, newest first."""
    _require_covers(caller, commune)
    docs = await runtime.store.page(
        "agenda_candidates", {"commune_code": commune}, limit=limit, newest_first=True
    )
    return [AgendaCandidate.model_validate(d) for d in docs if d.get("description")]


# What suggestions are scored on: served under the same router, so the app wires one.
router.include_router(scheduling_api.router)
