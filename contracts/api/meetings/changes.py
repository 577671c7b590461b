"""What the gateway sends to schedule and change a meeting. Bounds here only stop abuse; the
service's domain gives the friendly errors (with stable codes) for everything a person may get
wrong, so the gateway builds these unvalidated and meetings stays the one gate."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from contracts.meetings import AgendaItemKind, DecisionKind, MeetingType, RsvpResponse

_KEY = r"^[A-Za-z0-9_\-:.]+$"


class PlaceIn(BaseModel):
    """A venue; the village's names when the gateway found them in intake's gazetteer."""

    model_config = ConfigDict(extra="forbid")

    village_code: str = Field(max_length=16)
    place: str = Field(max_length=5000)
    village_name_km: str | None = Field(default=None, max_length=200)
    village_name_latin: str | None = Field(default=None, max_length=200)


class MeetingCreate(BaseModel):
    """POST /meetings."""

    model_config = ConfigDict(extra="forbid")

    commune_code: str = Field(pattern=r"^\d{6}$")
    type: MeetingType
    venue: PlaceIn
    starts_at: datetime
    ends_at: datetime
    title: str | None = Field(default=None, max_length=5000)
    languages: list[str] = Field(default_factory=lambda: ["km"], max_length=20)
    interpreter_arranged: bool = False
    accessibility_notes: str | None = Field(default=None, max_length=20_000)
    remote_link: str | None = Field(default=None, max_length=5000)
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=100, pattern=_KEY)


class AgendaItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: AgendaItemKind
    minutes: int
    owner: str = Field(max_length=5000)
    title: str | None = Field(default=None, max_length=5000)
    need_id: str | None = Field(default=None, max_length=100)


class AgendaIn(BaseModel):
    """POST /meetings/{id}/agenda."""

    model_config = ConfigDict(extra="forbid")

    items: list[AgendaItemIn] = Field(max_length=200)


class RescheduleIn(BaseModel):
    """POST /meetings/{id}/reschedule."""

    model_config = ConfigDict(extra="forbid")

    starts_at: datetime
    ends_at: datetime
    venue: PlaceIn | None = None
    reason: str | None = Field(default=None, max_length=20_000)
    emergency_reason: str | None = Field(default=None, max_length=20_000)


class CancelIn(BaseModel):
    """POST /meetings/{id}/cancel."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=20_000)
    emergency_reason: str | None = Field(default=None, max_length=20_000)


class IntentionIn(BaseModel):
    """POST /public/meetings/{id}/intentions: someone will come, from the public page (no
    account) or a facilitator."""

    model_config = ConfigDict(extra="forbid")

    intention_id: str | None = Field(default=None, min_length=8, max_length=100)
    groups: list[str] = Field(default_factory=list, max_length=7)


class RsvpIn(BaseModel):
    """POST /meetings/{id}/rsvps."""

    model_config = ConfigDict(extra="forbid")

    response: RsvpResponse
    counts: dict[str, int] = Field(max_length=20)
    label: str | None = Field(default=None, max_length=5000)


class AttendanceIn(BaseModel):
    """PUT /meetings/{id}/attendance."""

    model_config = ConfigDict(extra="forbid")

    counts: dict[str, int] = Field(max_length=20)
    names: list[str] | None = Field(default=None, max_length=5000)


class RankedNeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    need_id: str = Field(max_length=100)
    rank: int


class DecisionIn(BaseModel):
    """POST /meetings/{id}/decisions."""

    model_config = ConfigDict(extra="forbid")

    kind: DecisionKind
    year: int
    needs: list[RankedNeedIn] = Field(default_factory=list, max_length=1000)
    summary: str | None = Field(default=None, max_length=20_000)
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=100, pattern=_KEY)


class MinutesIn(BaseModel):
    """POST /meetings/{id}/minutes."""

    model_config = ConfigDict(extra="forbid")

    minutes: str | None = Field(default=None, max_length=100_000)
