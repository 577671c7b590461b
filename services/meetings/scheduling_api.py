"""Meetings' HTTP API for what slot suggestions are scored on: the year's holidays (official
from the holidays package, local events from admins), a commune's scheduling profile (council)
and facilitators' weekly availability."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter

from contracts.api.meetings.scheduling import (
    AvailabilityIn,
    AvailabilityPublic,
    FacilitatorWindows,
    HolidayPublic,
    HolidayTable,
    HolidayTableIn,
    Profile,
    ProfileIn,
    SeasonPublic,
    WindowPublic,
)
from services.meetings.api import MemberDep, SettingsDep
from services.meetings.domain import require_manager
from services.meetings.holidays import merged
from services.meetings.planning import HolidayDraft, check_availability, check_holiday_table, check_profile
from services.meetings.store import holiday_doc, holidays_of, season_doc, seasons_of, window_doc, windows_of
from services.runtime.errors import DomainError
from services.runtime.identity import Identity
from services.runtime.service import RuntimeDep

router = APIRouter(tags=["planning"])


def _require_covers(caller: Identity, commune: str) -> None:
    if not caller.covers(commune):
        raise DomainError("auth.forbidden", "Outside your communes.", "នៅក្រៅឃុំរបស់អ្នក។", status=403)


def _check_commune(commune: str) -> None:
    if not (len(commune) == 6 and commune.isdigit()):
        raise DomainError("commune.invalid", "Unknown commune.", "មិនស្គាល់ឃុំនេះទេ។", status=404)


# ---------- holiday tables (admins) ----------


def _table(year: int, doc: dict[str, Any] | None) -> HolidayTable:
    """The year's official holidays and its local events (the stored table holds only these)."""
    local = holidays_of(doc) if doc is not None else []
    return HolidayTable(
        year=year,
        holidays=[HolidayPublic(**h.__dict__) for h in merged(year, local)],
        updated_at=datetime.fromisoformat(doc["updated_at"]) if doc is not None else None,
    )


@router.get("/holidays/{year}", response_model=HolidayTable)
async def get_holidays(year: int, caller: MemberDep, runtime: RuntimeDep) -> HolidayTable:
    return _table(year, await runtime.store.get("holiday_tables", str(year)))


@router.put("/holidays/{year}", response_model=HolidayTable)
async def set_holidays(
    year: int, body: HolidayTableIn, caller: MemberDep, runtime: RuntimeDep
) -> HolidayTable:
    """Replace a year's local events (admins); the official holidays come from the package."""
    drafts = [
        HolidayDraft(h.kind, h.start, h.end, h.name_en, h.name_km, h.migrants_home) for h in body.holidays
    ]
    holidays = check_holiday_table(year, drafts, caller)
    doc = holiday_doc(year, holidays, caller.user_id, datetime.now(UTC))
    async with runtime.unit_of_work() as tx:
        await tx.upsert("holiday_tables", doc)
    return _table(year, doc)


# ---------- a commune's scheduling profile (council) ----------


def _profile(commune: str, doc: dict[str, Any] | None, default_share: int, default_day_work: int) -> Profile:
    seasons = [
        SeasonPublic(
            label=s.label, start=f"{s.start[0]:02d}-{s.start[1]:02d}", end=f"{s.end[0]:02d}-{s.end[1]:02d}"
        )
        for s in seasons_of(doc)
    ]
    return Profile(
        commune_code=commune,
        migrant_share_percent=int((doc or {}).get("migrant_share_percent", default_share)),
        day_work_share_percent=int((doc or {}).get("day_work_share_percent", default_day_work)),
        busy_seasons=seasons,
        is_default=doc is None,
    )


@router.get("/communes/{commune}/scheduling", response_model=Profile)
async def get_profile(commune: str, caller: MemberDep, runtime: RuntimeDep, settings: SettingsDep) -> Profile:
    _check_commune(commune)
    _require_covers(caller, commune)
    doc = await runtime.store.get("commune_profiles", commune)
    return _profile(
        commune, doc, settings.default_migrant_share_percent, settings.default_day_work_share_percent
    )


@router.put("/communes/{commune}/scheduling", response_model=Profile)
async def set_profile(
    commune: str, body: ProfileIn, caller: MemberDep, runtime: RuntimeDep, settings: SettingsDep
) -> Profile:
    _check_commune(commune)
    day_work = (
        settings.default_day_work_share_percent
        if body.day_work_share_percent is None
        else body.day_work_share_percent
    )
    share, seasons = check_profile(
        commune,
        body.migrant_share_percent,
        [(s.label, s.start, s.end) for s in body.busy_seasons],
        caller,
        day_work_share_percent=day_work,
    )
    doc = {
        "id": commune,
        "migrant_share_percent": share,
        "day_work_share_percent": day_work,
        "busy_seasons": [season_doc(s) for s in seasons],
        "updated_by": caller.user_id,
        "updated_at": datetime.now(UTC).isoformat(),
    }
    async with runtime.unit_of_work() as tx:
        await tx.upsert("commune_profiles", doc)
    return _profile(
        commune, doc, settings.default_migrant_share_percent, settings.default_day_work_share_percent
    )


# ---------- a facilitator's availability ----------


@router.get("/communes/{commune}/availability", response_model=AvailabilityPublic)
async def get_availability(commune: str, caller: MemberDep, runtime: RuntimeDep) -> AvailabilityPublic:
    """The caller's own stated availability in a commune."""
    _check_commune(commune)
    _require_covers(caller, commune)
    doc = await runtime.store.get("availability", f"{commune}:{caller.user_id}")
    windows = [WindowPublic(**window_doc(w)) for w in windows_of(doc)] if doc else []
    return AvailabilityPublic(commune_code=commune, windows=windows)


@router.put("/communes/{commune}/availability", response_model=AvailabilityPublic)
async def set_availability(
    commune: str, body: AvailabilityIn, caller: MemberDep, runtime: RuntimeDep
) -> AvailabilityPublic:
    _check_commune(commune)
    windows = check_availability(commune, [(w.weekday, w.start, w.end) for w in body.windows], caller)
    doc = {
        "id": f"{commune}:{caller.user_id}",
        "commune_code": commune,
        "user_id": caller.user_id,
        "windows": [window_doc(w) for w in windows],
        "updated_at": datetime.now(UTC).isoformat(),
    }
    async with runtime.unit_of_work() as tx:
        await tx.upsert("availability", doc)
    return AvailabilityPublic(commune_code=commune, windows=[WindowPublic(**window_doc(w)) for w in windows])


@router.get("/communes/{commune}/facilitators-availability", response_model=list[FacilitatorWindows])
async def facilitators_availability(
    commune: str, caller: MemberDep, runtime: RuntimeDep
) -> list[FacilitatorWindows]:
    """Every facilitator's stated weekly times in the commune, for its council to plan with."""
    _check_commune(commune)
    require_manager(caller, commune)
    docs = [d async for d in runtime.store.iterate("availability", {"commune_code": commune})]
    docs.sort(key=lambda d: str(d.get("updated_at", "")))
    return [
        FacilitatorWindows(
            facilitator=f"F{i}", windows=[WindowPublic(**window_doc(w)) for w in windows_of(d)]
        )
        for i, d in enumerate(docs, start=1)
    ]
