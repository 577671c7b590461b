"""Intake's commands over HTTP, called only by the gateway with a signed identity token.

Each command loads, calls the domain, and commits the state with its events in one
transaction; optimistic concurrency (the document version) guards concurrent edits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import uuid7
from contracts.needs import ContactPoint, NeedStatus, Sector
from services.intake import domain, events, feedback_code
from services.intake.domain import NeedError, SubmitNeed
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
from services.intake.store import get_village, load_need, need_by_code
from services.intake.tracking import new_tracking_code, normalise_tracking_code
from services.intake.views import need_view, people_counts, public_view
from services.runtime.identity import CallerDep, Identity
from services.runtime.outbox import outbox_row
from services.runtime.service import RuntimeDep
from services.runtime.stores import DuplicateKeyError, Transaction, VersionConflictError

router = APIRouter(tags=["needs"])

_TRACKING_CODE_ATTEMPTS = 8
_CONFLICT_ATTEMPTS = 5

CorrelationId = Annotated[str | None, Header(alias="x-correlation-id")]


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
    comment: str | None = Field(default=None, max_length=5000)
    # The citizen's feedback code (services/intake/feedback_code.py); required from the public.
    secret: str | None = Field(default=None, max_length=20)


@router.post("/needs", status_code=201)
async def submit_need(
    body: NeedCreate,
    caller: CallerDep,
    runtime: RuntimeDep,
    response: Response,
    correlation_id: CorrelationId = None,
) -> dict[str, Any]:
    """Record a need; the need and its NeedSubmitted event commit together.

    A repeat with the same idempotency key (per caller) returns the original need, 200.
    """
    key = f"{caller.user_id}:{body.idempotency_key}"
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
    for _ in range(_TRACKING_CODE_ATTEMPTS):
        existing = await runtime.store.find_one("needs", {"idempotency_key": key})
        if existing:
            response.status_code = 200
            return need_view(existing, caller)
        try:
            code = feedback_code.new_code()
            async with runtime.unit_of_work() as tx:
                stored = await insert_need(
                    tx, command, caller, key=key, now=now, correlation=correlation_id, feedback=code
                )
            # The feedback code is in this answer only: intake keeps its hash.
            return {**need_view(stored, caller), "feedback_code": code}
        except DuplicateKeyError as exc:
            if exc.field not in ("tracking_code", "idempotency_key"):
                raise
            # Either a code clash (draw another) or a concurrent repeat (return it): loop.
    raise RuntimeError("could not draw a free tracking code")


async def insert_need(
    tx: Transaction,
    command: SubmitNeed,
    caller: Identity,
    *,
    key: str,
    now: datetime,
    correlation: str | None,
    feedback: str | None = None,
) -> dict[str, Any]:
    """Validate a submission, store the need and its NeedSubmitted event in the caller's transaction."""
    village = await get_village(tx, command.village_code)
    description = domain.validate_submission(command, village, caller)
    assert village is not None
    doc = domain.new_need(
        command,
        village,
        caller,
        need_id=uuid7(),
        tracking_code=new_tracking_code(),
        idempotency_key=key,
        description=description,
        now=now,
    )
    if feedback:
        doc["feedback_secret_hash"] = feedback_code.digest(doc["id"], feedback)
    stored = await tx.insert("needs", doc)
    await tx.add_outbox(outbox_row(events.need_submitted(stored, village, correlation)))
    return stored


async def _replace(tx: Transaction, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return await tx.replace("needs", after, expected_version=before["version"])


@router.post("/needs/{need_id}/validate")
async def validate_need(
    need_id: str,
    body: ValidateIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    correlation_id: CorrelationId = None,
) -> dict[str, Any]:
    for _ in range(_CONFLICT_ATTEMPTS):
        try:
            async with runtime.unit_of_work() as tx:
                before = await load_need(tx, need_id, caller)
                after = domain.validate(before, caller, body.reason, datetime.now(UTC))
                stored = await _replace(tx, before, after)
                await tx.add_outbox(outbox_row(events.need_validated(stored, correlation_id)))
                await tx.add_outbox(
                    outbox_row(
                        events.status_changed(
                            before, stored, correlation_id=correlation_id, causation_id=None
                        )
                    )
                )
            return need_view(stored, caller)
        except VersionConflictError:
            continue
    raise _busy()


@router.post("/needs/{need_id}/supporters")
async def support_need(
    need_id: str, body: PersonIn, caller: CallerDep, runtime: RuntimeDep, correlation_id: CorrelationId = None
) -> dict[str, Any]:
    """Someone else has this need too: counted and disaggregated like the one who raised it."""
    for _ in range(_CONFLICT_ATTEMPTS):
        try:
            now = datetime.now(UTC)
            async with runtime.unit_of_work() as tx:
                before = await load_need(tx, need_id, caller)
                supporter = body.to_domain(caller, now, "supporter")
                after = domain.support(before, supporter, caller, now)
                stored = await _replace(tx, before, after)
                total, _ = people_counts(stored)
                event = events.need_supported(stored, stored["supporters"][-1], total, correlation_id)
                await tx.add_outbox(outbox_row(event))
            return need_view(stored, caller)
        except VersionConflictError:
            continue
    raise _busy()


@router.post("/needs/merge")
async def merge_needs(
    body: MergeIn, caller: CallerDep, runtime: RuntimeDep, correlation_id: CorrelationId = None
) -> dict[str, Any]:
    """Merge a duplicate into the surviving need; both tracking codes keep working."""
    for _ in range(_CONFLICT_ATTEMPTS):
        try:
            async with runtime.unit_of_work() as tx:
                survivor = await load_need(tx, body.survivor_id, caller)
                merged = await load_need(tx, body.merged_id, caller, field="mergedId")
                kept, closed = domain.merge(survivor, merged, caller, body.reason, datetime.now(UTC))
                stored = await _replace(tx, survivor, kept)
                closed_stored = await _replace(tx, merged, closed)
                await tx.add_outbox(outbox_row(events.needs_merged(stored, closed_stored, correlation_id)))
                await tx.add_outbox(
                    outbox_row(
                        events.status_changed(
                            merged, closed_stored, correlation_id=correlation_id, causation_id=None
                        )
                    )
                )
            return need_view(stored, caller)
        except VersionConflictError:
            continue
    raise _busy()


@router.post("/public/need/feedback")
async def record_feedback(
    body: FeedbackIn, caller: CallerDep, runtime: RuntimeDep, correlation_id: CorrelationId = None
) -> dict[str, Any]:
    """A citizen verifies a completed need: the public proves it is the citizen with the need's
    feedback code (the tracking code alone is widely known); staff record it on their behalf."""
    if caller.is_public:
        await feedback_code.check(runtime, normalise_tracking_code(body.code), body.secret)
    for _ in range(_CONFLICT_ATTEMPTS):
        try:
            async with runtime.unit_of_work() as tx:
                before = await need_by_code(tx, normalise_tracking_code(body.code))
                if before["status"] == NeedStatus.MERGED.value and before.get("merged_into"):
                    before = await load_need(tx, before["merged_into"], None)
                after = domain.record_feedback(before, body.satisfied, body.comment, datetime.now(UTC))
                stored = await _replace(tx, before, after)
                await tx.add_outbox(
                    outbox_row(
                        events.status_changed(
                            before, stored, correlation_id=correlation_id, causation_id=None
                        )
                    )
                )
            return public_view(stored)
        except VersionConflictError:
            continue
    raise _busy()


def _busy() -> NeedError:
    return NeedError(
        "need.busy",
        "Someone else changed this need at the same moment. Please try again.",
        "មាននរណាម្នាក់បានកែប្រែតម្រូវការនេះក្នុងពេលជាមួយគ្នា។ សូមព្យាយាមម្តងទៀត។",
        status=409,
    )
