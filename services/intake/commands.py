"""Intake's use cases: each loads, asks the domain, saves at the loaded version with its events.

Routes (``api.py``, ``drafts.py``) parse and answer; these run the change through the runtime's
unit of work, which retries a concurrent edit and answers ``need.busy`` (409) if it keeps losing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.envelope import uuid7
from contracts.needs import ContactPoint, NeedStatus, Sector
from services.intake import domain, events, feedback_code
from services.intake.domain import NeedError, SubmitNeed
from services.intake.inclusion import Consent, ConsentMethod, Person, make_person
from services.intake.reserved import claim, is_reserved
from services.intake.store import get_village, load_need, need_by_code
from services.intake.tracking import new_tracking_code, normalise_tracking_code
from services.intake.views import people_counts
from services.runtime.application import BusyError, Committer, UnitOfWork, emit, save
from services.runtime.identity import Identity
from services.runtime.stores import DuplicateKeyError, Transaction


def need_busy() -> BusyError:
    return BusyError(
        "need",
        "Someone else changed this need at the same moment. Please try again.",
        "មាននរណាម្នាក់បានកែប្រែតម្រូវការនេះក្នុងពេលជាមួយគ្នា។ សូមព្យាយាមម្តងទៀត។",
    )


def unit_of_work(committer: Committer) -> UnitOfWork:
    return UnitOfWork(committer, need_busy)


def _drawn_again(exc: DuplicateKeyError) -> bool:
    """A tracking code drawn twice (draw another) or a concurrent repeat (return the first)."""
    return exc.field in ("tracking_code", "idempotency_key")


async def insert_need(
    tx: Transaction,
    command: SubmitNeed,
    caller: Identity,
    *,
    key: str,
    now: datetime,
    correlation: str | None,
    reserved: str | None = None,
    feedback: str | None = None,
) -> dict[str, Any]:
    """Validate a submission, store the need and its NeedSubmitted event in the caller's transaction.

    ``feedback`` is the citizen's feedback code (``feedback_code``): only its hash is stored.

    ``reserved`` is a tracking code the caller's phone reserved earlier and already gave the
    citizen offline; it is claimed (once, by that account only). Otherwise a code is drawn, and
    one that a phone holds counts as taken.
    """
    village = await get_village(tx, command.village_code)
    description = domain.validate_submission(command, village, caller)
    assert village is not None
    if reserved is not None:
        tracking_code = await claim(tx, reserved, caller)
    else:
        tracking_code = new_tracking_code()
        if await is_reserved(tx, tracking_code):
            raise DuplicateKeyError("needs", "tracking_code")  # held by a phone: draw another
    doc = domain.new_need(
        command,
        village,
        caller,
        need_id=uuid7(),
        tracking_code=tracking_code,
        idempotency_key=key,
        description=description,
        now=now,
    )
    if feedback:
        doc["feedback_secret_hash"] = feedback_code.digest(doc["id"], feedback)
    stored = await tx.insert("needs", doc)
    await emit(tx, [events.need_submitted(stored, village, correlation)])
    return stored


@dataclass(frozen=True)
class Recorded:
    """A need as recorded, and the citizen's feedback code: in this answer only, and only when
    this call created the need (a repeat of the same key gets None: the code was given once)."""

    need: dict[str, Any]
    created: bool
    feedback_code: str | None


async def submit_need(
    committer: Committer,
    command: SubmitNeed,
    caller: Identity,
    *,
    now: datetime,
    correlation: str | None,
    reserved: str | None = None,
) -> Recorded:
    key = f"{caller.user_id}:{command.idempotency_key}"
    code = feedback_code.new_code()

    async def change(tx: Transaction) -> Recorded:
        existing = await tx.find_one("needs", {"idempotency_key": key})
        if existing:
            return Recorded(existing, created=False, feedback_code=None)
        stored = await insert_need(
            tx, command, caller, key=key, now=now, correlation=correlation, reserved=reserved, feedback=code
        )
        return Recorded(stored, created=True, feedback_code=code)

    return await unit_of_work(committer).run(change, again=_drawn_again)


async def validate_need(
    committer: Committer,
    need_id: str,
    caller: Identity,
    reason: str | None,
    now: datetime,
    correlation: str | None,
) -> dict[str, Any]:
    async def change(tx: Transaction) -> dict[str, Any]:
        before = await load_need(tx, need_id, caller)
        stored = await save(tx, "needs", before, domain.validate(before, caller, reason, now))
        await emit(
            tx,
            [
                events.need_validated(stored, correlation),
                events.status_changed(before, stored, correlation_id=correlation, causation_id=None),
            ],
        )
        return stored

    return await unit_of_work(committer).run(change)


async def support_need(
    committer: Committer,
    need_id: str,
    supporter: Person,
    caller: Identity,
    now: datetime,
    correlation: str | None,
) -> dict[str, Any]:
    """Someone else has this need too: counted and disaggregated like the one who raised it."""

    async def change(tx: Transaction) -> dict[str, Any]:
        before = await load_need(tx, need_id, caller)
        stored = await save(tx, "needs", before, domain.support(before, supporter, caller, now))
        total, _ = people_counts(stored)
        await emit(tx, [events.need_supported(stored, stored["supporters"][-1], total, correlation)])
        return stored

    return await unit_of_work(committer).run(change)


async def merge_needs(
    committer: Committer,
    survivor_id: str,
    merged_id: str,
    caller: Identity,
    reason: str | None,
    now: datetime,
    correlation: str | None,
) -> dict[str, Any]:
    """Merge a duplicate into the surviving need; both tracking codes keep working."""

    async def change(tx: Transaction) -> dict[str, Any]:
        survivor = await load_need(tx, survivor_id, caller)
        merged = await load_need(tx, merged_id, caller, field="mergedId")
        kept, closed = domain.merge(survivor, merged, caller, reason, now)
        stored = await save(tx, "needs", survivor, kept)
        closed_stored = await save(tx, "needs", merged, closed)
        await emit(
            tx,
            [
                events.needs_merged(stored, closed_stored, correlation),
                events.status_changed(merged, closed_stored, correlation_id=correlation, causation_id=None),
            ],
        )
        return stored

    return await unit_of_work(committer).run(change)


async def record_feedback(
    committer: Committer,
    code: str,
    satisfied: bool,
    comment: str | None,
    now: datetime,
    correlation: str | None,
    *,
    rating: int | None = None,
    channel: str = "track_page",
) -> dict[str, Any]:
    """A citizen (the tracking code is their key) verifies a completed need."""

    async def change(tx: Transaction) -> dict[str, Any]:
        return await feedback_in(
            tx, code, satisfied, comment, now, correlation, rating=rating, channel=channel
        )

    return await unit_of_work(committer).run(change)


async def feedback_in(
    tx: Transaction,
    code: str,
    satisfied: bool,
    comment: str | None,
    now: datetime,
    correlation: str | None,
    *,
    rating: int | None = None,
    channel: str = "track_page",
    causation: str | None = None,
) -> dict[str, Any]:
    """Record an answer within ``tx``. A merged need's raiser answers on the surviving need, as
    one more voice (keyed by their own tracking code)."""
    given = normalise_tracking_code(code)
    before = await need_by_code(tx, given)
    if before["status"] == NeedStatus.MERGED.value and before.get("merged_into"):
        before = await load_need(tx, before["merged_into"], None)
    after = domain.record_feedback(before, satisfied, comment, now, rating=rating, key=given, channel=channel)
    stored = await save(tx, "needs", before, after)
    published = [events.feedback_recorded(stored, correlation_id=correlation, causation_id=causation)]
    if stored["status"] != before["status"]:
        published.insert(
            0, events.status_changed(before, stored, correlation_id=correlation, causation_id=causation)
        )
    await emit(tx, published)
    return stored


class DraftNotFoundError(NeedError):
    def __init__(self) -> None:
        super().__init__("draft.not_found", "No such draft.", "រកមិនឃើញសេចក្តីព្រាងនេះទេ។", status=404)


async def _open_draft(tx: Transaction, draft_id: str, caller: Identity) -> dict[str, Any]:
    doc = await tx.get("drafts", draft_id)
    if doc is None or not caller.covers(doc["commune_code"]):
        raise DraftNotFoundError()
    if doc["status"] != "open":
        raise NeedError(
            "draft.closed", "This draft was already handled.", "សេចក្តីព្រាងនេះត្រូវបានដោះស្រាយរួចហើយ។", status=409
        )
    return doc


def draft_busy() -> BusyError:
    return BusyError(
        "need",
        "Someone else handled this draft at the same moment.",
        "មាននរណាម្នាក់បានដោះស្រាយសេចក្តីព្រាងនេះក្នុងពេលជាមួយគ្នា។",
    )


async def confirm_draft(
    committer: Committer,
    draft_id: str,
    caller: Identity,
    *,
    village_code: str,
    description: str | None,
    sector: Sector | None,
    need_type: str | None,
    idempotency_key: str,
    now: datetime,
    correlation: str | None,
) -> Recorded:
    """A citizen's message becomes a need; its sender is the raiser and hears the tracking code."""
    code = feedback_code.new_code()

    async def change(tx: Transaction) -> Recorded:
        draft = await _open_draft(tx, draft_id, caller)
        sender = ContactPoint.model_validate(draft["sender"])
        # Writing to the commune is the citizen's own request to be answered on that channel.
        raiser = make_person(
            kind="person",
            name=None,
            attributes=None,
            consent=Consent(ConsentMethod.IN_APP, caller.user_id, now),
            contact=sender,
            people=None,
            group_counts=None,
            prefix="raisedBy",
        )
        command = SubmitNeed(
            village_code=village_code,
            description=description if description is not None else draft["text"],
            sector=sector,
            idempotency_key=idempotency_key,
            need_type=need_type,
            channel=draft["channel"] if draft["channel"] in domain.CHANNELS else "telegram",
            raised_by=raiser,
        )
        village = await get_village(tx, command.village_code)
        if village is not None and village.commune_code != draft["commune_code"]:
            raise NeedError(
                "draft.village_other_commune",
                "Choose a village of the commune the message was sent to.",
                "សូមជ្រើសរើសភូមិក្នុងឃុំដែលសារត្រូវបានផ្ញើទៅ។",
                field="villageCode",
            )
        key = f"{caller.user_id}:{idempotency_key}"
        stored = await insert_need(
            tx, command, caller, key=key, now=now, correlation=correlation, feedback=code
        )
        confirmed = {**draft, "status": "confirmed", "need_id": stored["id"], "closed_by": caller.user_id}
        await save(tx, "drafts", draft, confirmed)
        return Recorded(stored, created=True, feedback_code=code)

    # A concurrent confirm of the same draft: look again (it is then closed, and says so).
    return await UnitOfWork(committer, draft_busy).run(change, again=_drawn_again)


async def dismiss_draft(committer: Committer, draft_id: str, caller: Identity, reason: str) -> dict[str, Any]:
    if not domain.may_record(caller):
        raise NeedError(
            "need.not_allowed",
            "Your role cannot handle drafts.",
            "តួនាទីរបស់អ្នកមិនអាចដោះស្រាយសេចក្តីព្រាងបានទេ។",
            status=403,
        )

    async def change(tx: Transaction) -> dict[str, Any]:
        draft = await _open_draft(tx, draft_id, caller)
        return await save(
            tx,
            "drafts",
            draft,
            {**draft, "status": "dismissed", "closed_by": caller.user_id, "reason": reason},
        )

    return await UnitOfWork(committer, draft_busy).run(change)
