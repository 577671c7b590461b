"""Finding a time for a meeting: slot suggestions, agenda candidates, and what suggestions are
scored on (a year's holidays, a commune's scheduling profile, facilitators' availability)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from contracts.needs import NeedStatus, PlaceName, Sector

# ---------- slot suggestions and agenda candidates ----------


class ReasonPublic(BaseModel):
    code: str
    points: int
    text: dict[str, str]


class SlotPublic(BaseModel):
    starts_at: datetime
    ends_at: datetime
    score: int
    reasons: list[ReasonPublic]


class Suggestions(BaseModel):
    """GET /slots: the best times in a window, each with its reasons."""

    slots: list[SlotPublic]
    missing_holiday_years: list[int] = Field(
        description="Years in the window the holiday source does not cover"
    )


class AgendaCandidate(BaseModel):
    """GET /agenda-candidates: a commune's need meetings learned of from intake's events."""

    id: str
    commune_code: str
    village_code: str
    tracking_code: str
    description: str
    sector: Sector | None
    submitted_at: datetime
    status: NeedStatus = NeedStatus.SUBMITTED
    village_name: PlaceName | None = None


# ---------- holiday tables (admins) ----------


class HolidayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(max_length=40)
    start: date
    end: date
    name_en: str | None = Field(default=None, max_length=1000)
    name_km: str | None = Field(default=None, max_length=1000)
    migrants_home: bool | None = None


class HolidayTableIn(BaseModel):
    """PUT /holidays/{year}: the year's local events (the official holidays come from a package)."""

    model_config = ConfigDict(extra="forbid")

    holidays: list[HolidayIn] = Field(max_length=200)


class HolidayPublic(BaseModel):
    kind: str
    start: date
    end: date
    name_en: str
    name_km: str
    migrants_home: bool
    source: str = Field(default="local", description="official (the holidays package) or local (an admin's)")


class HolidayTable(BaseModel):
    """GET and PUT /holidays/{year}."""

    year: int
    holidays: list[HolidayPublic]
    updated_at: datetime | None


# ---------- a commune's scheduling profile (council) ----------


class SeasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(max_length=1000)
    start: str = Field(max_length=10, description="MM-DD")
    end: str = Field(max_length=10, description="MM-DD")


class ProfileIn(BaseModel):
    """PUT /communes/{commune}/scheduling."""

    model_config = ConfigDict(extra="forbid")

    migrant_share_percent: int
    day_work_share_percent: int | None = Field(default=None, description="Unset: the default")
    busy_seasons: list[SeasonIn] = Field(default_factory=list, max_length=100)


class SeasonPublic(BaseModel):
    label: str
    start: str
    end: str


class Profile(BaseModel):
    """GET and PUT /communes/{commune}/scheduling."""

    commune_code: str
    migrant_share_percent: int
    day_work_share_percent: int = 0
    busy_seasons: list[SeasonPublic]
    is_default: bool


# ---------- a facilitator's availability ----------


class WindowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekday: int = Field(description="0 = Monday … 6 = Sunday")
    start: str = Field(max_length=10, description="HH:MM, Phnom Penh time")
    end: str = Field(max_length=10, description="HH:MM, Phnom Penh time")


class AvailabilityIn(BaseModel):
    """PUT /communes/{commune}/availability."""

    model_config = ConfigDict(extra="forbid")

    windows: list[WindowIn] = Field(max_length=100)


class WindowPublic(BaseModel):
    weekday: int
    start: str
    end: str


class AvailabilityPublic(BaseModel):
    """GET and PUT /communes/{commune}/availability: the caller's own weekly times."""

    commune_code: str
    windows: list[WindowPublic]


class FacilitatorWindows(BaseModel):
    """GET /communes/{commune}/facilitators-availability answers a list of these."""

    facilitator: str = Field(
        description="An anonymous label (F1, F2...): the council plans, it does not track"
    )
    windows: list[WindowPublic]
