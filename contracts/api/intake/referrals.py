"""Triage beyond confirming (reject, refer) and the district's referrals received."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from contracts.needs import NeedStatus, ReferralTarget, Sector


class RejectIn(BaseModel):
    """POST /needs/{id}/reject."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=2000)


class ReferIn(BaseModel):
    """POST /needs/{id}/refer."""

    model_config = ConfigDict(extra="forbid")

    target: ReferralTarget
    name: str = Field(max_length=1000)
    reason: str = Field(max_length=2000)


class ReferredNeed(BaseModel):
    """A need a district's commune referred: no personal data."""

    need_id: str
    tracking_code: str
    commune_code: str
    village_code: str
    sector: Sector | None = None
    need_type: str | None = None
    description: str | None = Field(description="Null for a sensitive kind of need")
    people: int
    status: NeedStatus
    target: ReferralTarget
    name: str
    reason: str
    at: datetime
    district_code: str


class ReferralPage(BaseModel):
    """GET /referrals: the newest needs first."""

    items: list[ReferredNeed]
    next_after: str | None = None
    total: int
