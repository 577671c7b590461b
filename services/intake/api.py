"""Intake's routes over HTTP, called only by the gateway with a signed identity token.

Each route parses the request, calls a use case (``commands.py``) and answers; the use case
commits the state with its events through the runtime's unit of work.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response

from contracts.api.intake import FeedbackIn, MergeIn, NeedCreate, NeedView, PersonIn, PublicNeed, ValidateIn
from services.intake import commands, feedback_code
from services.intake.domain import SubmitNeed
from services.intake.inclusion import Attributes, Consent, Person, make_person
from services.intake.tracking import normalise_tracking_code
from services.intake.views import need_view, public_view
from services.runtime.http import CallerDep, CorrelationDep
from services.runtime.identity import Identity
from services.runtime.service import RuntimeDep

router = APIRouter(tags=["needs"])


def person_of(body: PersonIn, caller: Identity, now: datetime, prefix: str) -> Person:
    """The person a caller described, with intake's consent and count rules applied."""
    return make_person(
        kind=body.kind,
        name=body.name.strip() if body.name and body.name.strip() else None,
        attributes=Attributes(**body.attributes.model_dump()) if body.attributes else None,
        consent=Consent(body.consent, caller.user_id, now) if body.consent else None,
        contact=body.contact,
        people=body.people,
        group_counts=body.groups,
        prefix=prefix,
    )


@router.post("/needs", status_code=201, response_model=NeedView)
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
        raised_by=person_of(body.raised_by, caller, now, "raisedBy") if body.raised_by else None,
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


@router.post("/needs/{need_id}/validate", response_model=NeedView)
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


@router.post("/needs/{need_id}/supporters", response_model=NeedView)
async def support_need(
    need_id: str,
    body: PersonIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    correlation_id: CorrelationDep = None,
) -> dict[str, Any]:
    """Someone else has this need too: counted and disaggregated like the one who raised it."""
    now = datetime.now(UTC)
    supporter = person_of(body, caller, now, "supporter")
    stored = await commands.support_need(runtime, need_id, supporter, caller, now, correlation_id)
    return need_view(stored, caller)


@router.post("/needs/merge", response_model=NeedView)
async def merge_needs(
    body: MergeIn, caller: CallerDep, runtime: RuntimeDep, correlation_id: CorrelationDep = None
) -> dict[str, Any]:
    """Merge a duplicate into the surviving need; both tracking codes keep working."""
    now = datetime.now(UTC)
    stored = await commands.merge_needs(
        runtime, body.survivor_id, body.merged_id, caller, body.reason, now, correlation_id
    )
    return need_view(stored, caller)


@router.post("/public/need/feedback", response_model=PublicNeed)
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
