"""Intake's routes over HTTP, called only by the gateway with a signed identity token.

Each route parses the request, calls a use case (``commands.py``) and answers; the use case
commits the state with its events through the runtime's unit of work.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from contracts.needs import ContactPoint, Sector
from services.intake import commands, feedback_code
from services.intake.domain import SubmitNeed
from services.intake.inclusion import (
    AgeBand,
    Attributes,
    Consent,
    ConsentMethod,
    MigrantStatus,
    Person,
    Severity,
    Sex,
    make_person,
)
from services.intake.tracking import normalise_tracking_code
from services.intake.views import need_view, public_view
from services.runtime.http import CallerDep, CorrelationDep
from services.runtime.identity import Identity
from services.runtime.service import RuntimeDep

router = APIRouter(tags=["needs"])


class AttributesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sex: Sex | None = None
    age_band: AgeBand | None = None
    disability: Severity | None = None
    idpoor_level: int | None = None
    indigenous_group: str | None = Field(default=None, max_length=100)
    migrant_status: MigrantStatus | None = None


class PersonIn(BaseModel):
    """Who raised (or supports) a need. Details other than counts need ``consent``."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["person", "group"] = "person"
    name: str | None = Field(default=None, max_length=200)
    attributes: AttributesIn | None = None
    consent: ConsentMethod | None = None
    contact: ContactPoint | None = None
    people: int | None = None
    groups: dict[str, int] | None = None

    def to_domain(self, caller: Identity, now: datetime, prefix: str) -> Person:
        return make_person(
            kind=self.kind,
            name=self.name.strip() if self.name and self.name.strip() else None,
            attributes=Attributes(**self.attributes.model_dump()) if self.attributes else None,
            consent=Consent(self.consent, caller.user_id, now) if self.consent else None,
            contact=self.contact,
            people=self.people,
            group_counts=self.groups,
            prefix=prefix,
        )


class NeedCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    village_code: str = Field(max_length=16)
    # The domain gives the friendly error for over-long text; this bound only stops abuse.
    description: str = Field(max_length=20_000)
    sector: Sector | None = None
    need_type: str | None = Field(default=None, max_length=40)
    beneficiaries: int | None = None
    channel: str = Field(default="village_meeting", max_length=40)
    collected_at: datetime | None = None
    raised_by: PersonIn | None = None
    idempotency_key: str = Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_\-:.]+$")
    # A code reserved for the caller's phone (services/intake/reserved.py), given offline.
    tracking_code: str | None = Field(default=None, max_length=40)


class ValidateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=2000)


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    survivor_id: str = Field(max_length=64)
    merged_id: str = Field(max_length=64)
    reason: str | None = Field(default=None, max_length=2000)


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=40)
    satisfied: bool
    rating: StrictInt | None = None  # 1-5; the domain says what is wrong with others
    comment: str | None = Field(default=None, max_length=5000)
    # The citizen's feedback code (services/intake/feedback_code.py); required from the public.
    secret: str | None = Field(default=None, max_length=20)


@router.post("/needs", status_code=201)
async def submit_need(
    body: NeedCreate,
    caller: CallerDep,
    runtime: RuntimeDep,
    response: Response,
    correlation_id: CorrelationDep = None,
) -> dict[str, Any]:
    """Record a need; the need and its NeedSubmitted event commit together.

    A repeat with the same idempotency key (per caller) returns the original need, 200.
    """
    now = datetime.now(UTC)
    command = SubmitNeed(
        village_code=body.village_code,
        description=body.description,
        sector=body.sector,
        idempotency_key=body.idempotency_key,
        need_type=body.need_type,
        beneficiaries=body.beneficiaries,
        channel=body.channel,
        raised_by=body.raised_by.to_domain(caller, now, "raisedBy") if body.raised_by else None,
        collected_at=body.collected_at,
    )
    recorded = await commands.submit_need(
        runtime, command, caller, now=now, correlation=correlation_id, reserved=body.tracking_code
    )
    if not recorded.created:
        response.status_code = 200
    view = need_view(recorded.need, caller)
    if recorded.feedback_code:
        # The feedback code is in this answer only: intake keeps its hash.
        view["feedback_code"] = recorded.feedback_code
    return view


@router.post("/needs/{need_id}/validate")
async def validate_need(
    need_id: str,
    body: ValidateIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    correlation_id: CorrelationDep = None,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    stored = await commands.validate_need(runtime, need_id, caller, body.reason, now, correlation_id)
    return need_view(stored, caller)


@router.post("/needs/{need_id}/supporters")
async def support_need(
    need_id: str,
    body: PersonIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    correlation_id: CorrelationDep = None,
) -> dict[str, Any]:
    """Someone else has this need too: counted and disaggregated like the one who raised it."""
    now = datetime.now(UTC)
    supporter = body.to_domain(caller, now, "supporter")
    stored = await commands.support_need(runtime, need_id, supporter, caller, now, correlation_id)
    return need_view(stored, caller)


@router.post("/needs/merge")
async def merge_needs(
    body: MergeIn, caller: CallerDep, runtime: RuntimeDep, correlation_id: CorrelationDep = None
) -> dict[str, Any]:
    """Merge a duplicate into the surviving need; both tracking codes keep working."""
    now = datetime.now(UTC)
    stored = await commands.merge_needs(
        runtime, body.survivor_id, body.merged_id, caller, body.reason, now, correlation_id
    )
    return need_view(stored, caller)


@router.post("/public/need/feedback")
async def record_feedback(
    body: FeedbackIn, caller: CallerDep, runtime: RuntimeDep, correlation_id: CorrelationDep = None
) -> dict[str, Any]:
    """A citizen verifies a completed need: the public proves it is the citizen with the need's
    feedback code (the tracking code alone is widely known); staff record it on their behalf."""
    if caller.is_public:
        await feedback_code.check(runtime, normalise_tracking_code(body.code), body.secret)
    now = datetime.now(UTC)
    stored = await commands.record_feedback(
        runtime, body.code, body.satisfied, body.comment, now, correlation_id, rating=body.rating
    )
    return public_view(stored)
