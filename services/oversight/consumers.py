"""Oversight learns everything from events; it never asks a commune or a service.

One durable consumer per stream, so each stream's events arrive in order:

* ``oversight-needs`` (KHUM_NEEDS): NeedSubmitted (commune, sector, groups), NeedStatusChanged,
  and NeedFeedbackRecorded (citizens' answers on completed needs: satisfied, a 1-5 rating).
* ``oversight-meetings`` (KHUM_MEETINGS): scheduled, announced, rescheduled, cancelled, and
  AttendanceRecorded (the meeting was held, with counts by group).
* ``oversight-budget`` (KHUM_BUDGET): lines set and revised (what is available), allocations
  made and released, ledger entries (committed, paid), and CommunityCheckRecorded (a project's
  community check: participants by group and their scores).

Every effect commits with the consumer's inbox mark (``inbox_handler``), so a redelivery, or a
process killed half-way and started again, counts nothing twice.

Referrals: a need sent to the district, a line department or an NGO counts as a referral
received once its document carries ``referred_to``; the handler for the referral event (issue
21's triage) sets it with :func:`refer` — the one hook to wire when that event exists. Until
then, a need whose status becomes ``referred`` (the status the triage work adds) counts.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from contracts.budget import (
    ALLOCATION_MADE,
    ALLOCATION_RELEASED,
    BUDGET_LINE_SET,
    BUDGET_REVISED,
    COMMUNITY_CHECK_RECORDED,
    EXPENDITURE_RECORDED,
    AllocationMadeV1,
    AllocationReleasedV1,
    BudgetLineSetV1,
    BudgetRevisedV1,
    CommunityCheckRecordedV1,
    ExpenditureRecordedV1,
)
from contracts.envelope import Envelope
from contracts.meetings import (
    ATTENDANCE_RECORDED,
    MEETING_ANNOUNCED,
    MEETING_CANCELLED,
    MEETING_RESCHEDULED,
    MEETING_SCHEDULED,
    AttendanceRecordedV1,
    MeetingAnnouncedV1,
    MeetingCancelledV1,
    MeetingRescheduledV1,
    MeetingScheduledV1,
)
from contracts.needs import (
    NEED_FEEDBACK_RECORDED,
    NEED_STATUS_CHANGED,
    NEED_SUBMITTED,
    NeedFeedbackRecordedV1,
    NeedStatusChangedV1,
    NeedSubmittedV1,
)
from contracts.subjects import all_communes
from services.oversight.domain import (
    Tally,
    answer_contribution,
    check_contribution,
    local_year,
    meeting_contribution,
    need_contribution,
)
from services.oversight.store import shift, unit_of_work
from services.runtime.application import inbox_handler
from services.runtime.consumer import ConsumerSpec
from services.runtime.service import Runtime
from services.runtime.stores import Transaction

NEEDS_CONSUMER = "oversight-needs"
MEETINGS_CONSUMER = "oversight-meetings"
BUDGET_CONSUMER = "oversight-budget"

Handler = Callable[[bytes], Awaitable[None]]


def _place(
    doc: dict[str, Any] | None, contribution: Callable[[dict[str, Any]], Tally]
) -> tuple[str, int, Tally] | None:
    if doc is None:
        return None
    return doc["commune_code"], int(doc["year"]), contribution(doc)


async def _save(
    tx: Transaction, collection: str, before: dict[str, Any] | None, after: dict[str, Any]
) -> None:
    fresh = {k: v for k, v in after.items() if k != "version"}
    if before is None:
        await tx.insert(collection, fresh)
    else:
        await tx.replace(collection, fresh, expected_version=before["version"])


async def _change_need(tx: Transaction, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    await shift(tx, _place(before, need_contribution), _place(after, need_contribution))
    await _save(tx, "needs", before, after)


async def refer(tx: Transaction, need_id: str, to: str) -> None:
    """The hook for the referral event: the need counts as a referral received by its unit."""
    before = await tx.get("needs", need_id)
    if before is not None and not before.get("referred_to"):
        await _change_need(tx, before, {**before, "referred_to": to})


async def _change_meeting(tx: Transaction, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    await shift(tx, _place(before, meeting_contribution), _place(after, meeting_contribution))
    await _save(tx, "meetings", before, after)


def _by_type(handlers: dict[str, Handler]) -> Handler:
    """One consumer per stream keeps its order; the runtime already refused types not listed."""

    async def handle(raw: bytes) -> None:
        kind = json.loads(raw)["type"]
        await handlers[kind](raw)

    return handle


def _need_handlers(runtime: Runtime) -> dict[str, Handler]:
    uow = unit_of_work(runtime)

    @inbox_handler(uow, NEEDS_CONSUMER, NeedSubmittedV1)
    async def on_submitted(tx: Transaction, envelope: Envelope, need: NeedSubmittedV1) -> None:
        before = await tx.get("needs", need.need_id)
        after = {
            "status": "submitted",
            **(before or {}),
            "id": need.need_id,
            "commune_code": need.commune_code,
            "year": local_year(need.submitted_at),
            "sector": need.sector.value if need.sector else None,
            "groups": need.groups,
        }
        await _change_need(tx, before, after)

    @inbox_handler(uow, NEEDS_CONSUMER, NeedStatusChangedV1)
    async def on_status(tx: Transaction, envelope: Envelope, change: NeedStatusChangedV1) -> None:
        before = await tx.get("needs", change.need_id)
        seen = (before or {}).get("status_changed_at")
        if seen is not None and seen > change.changed_at.isoformat():
            return  # a later change already arrived
        after = {
            # A change that overtook its submission (a redelivery) still counts, where it happened.
            "commune_code": change.commune_code,
            "year": local_year(change.changed_at),
            "sector": None,
            "groups": None,
            **(before or {}),
            "id": change.need_id,
            "status": change.status.value,
            "status_changed_at": change.changed_at.isoformat(),
        }
        if change.status.value == "referred" and not after.get("referred_to"):
            after["referred_to"] = change.reason or "referred"
        await _change_need(tx, before, after)

    @inbox_handler(uow, NEEDS_CONSUMER, NeedFeedbackRecordedV1)
    async def on_answer(tx: Transaction, envelope: Envelope, answer: NeedFeedbackRecordedV1) -> None:
        # One answer per tracking code: a later one replaces the earlier, in its first year.
        key = f"answer:{answer.answered_for}"
        before = await tx.get("items", key)
        after = {
            "year": local_year(answer.recorded_at),
            **(before or {}),
            "id": key,
            "commune_code": answer.commune_code,
            "satisfied": answer.satisfied,
            "rating": answer.rating,
        }
        await shift(tx, _place(before, answer_contribution), _place(after, answer_contribution))
        await _save(tx, "items", before, after)

    return {NEED_SUBMITTED: on_submitted, NEED_STATUS_CHANGED: on_status, NEED_FEEDBACK_RECORDED: on_answer}


def _meeting_handlers(runtime: Runtime) -> dict[str, Handler]:
    uow = unit_of_work(runtime)

    def _base(before: dict[str, Any] | None, meeting_id: str, commune: str) -> dict[str, Any]:
        return {
            "cancelled": False,
            "announced_at": None,
            "attendance": None,
            **(before or {}),
            "id": meeting_id,
            "commune_code": commune,
        }

    @inbox_handler(uow, MEETINGS_CONSUMER, MeetingScheduledV1)
    async def on_scheduled(tx: Transaction, envelope: Envelope, event: MeetingScheduledV1) -> None:
        before = await tx.get("meetings", event.meeting_id)
        after = _base(before, event.meeting_id, event.commune_code)
        if before is None or before.get("starts_at") is None:
            after.update(
                type=event.details.type.value,
                starts_at=event.details.starts_at.isoformat(),
                year=local_year(event.details.starts_at),
            )
        await _change_meeting(tx, before, after)

    @inbox_handler(uow, MEETINGS_CONSUMER, MeetingAnnouncedV1)
    async def on_announced(tx: Transaction, envelope: Envelope, event: MeetingAnnouncedV1) -> None:
        before = await tx.get("meetings", event.meeting_id)
        after = _base(before, event.meeting_id, event.commune_code)
        after.update(
            type=event.details.type.value,
            starts_at=event.details.starts_at.isoformat(),
            year=local_year(event.details.starts_at),
            announced_at=after.get("announced_at") or event.announced_at.isoformat(),
        )
        await _change_meeting(tx, before, after)

    @inbox_handler(uow, MEETINGS_CONSUMER, MeetingRescheduledV1)
    async def on_rescheduled(tx: Transaction, envelope: Envelope, event: MeetingRescheduledV1) -> None:
        before = await tx.get("meetings", event.meeting_id)
        after = _base(before, event.meeting_id, event.commune_code)
        after.update(starts_at=event.starts_at.isoformat(), year=local_year(event.starts_at))
        if event.was_announced:
            # People were told again: the notice runs from the new announcement.
            after["announced_at"] = event.rescheduled_at.isoformat()
        await _change_meeting(tx, before, after)

    @inbox_handler(uow, MEETINGS_CONSUMER, MeetingCancelledV1)
    async def on_cancelled(tx: Transaction, envelope: Envelope, event: MeetingCancelledV1) -> None:
        before = await tx.get("meetings", event.meeting_id)
        after = _base(before, event.meeting_id, event.commune_code)
        after.setdefault("year", local_year(event.cancelled_at))
        after["cancelled"] = True
        await _change_meeting(tx, before, after)

    @inbox_handler(uow, MEETINGS_CONSUMER, AttendanceRecordedV1)
    async def on_attendance(tx: Transaction, envelope: Envelope, event: AttendanceRecordedV1) -> None:
        before = await tx.get("meetings", event.meeting_id)
        after = _base(before, event.meeting_id, event.commune_code)
        after.setdefault("year", local_year(event.recorded_at))
        after["type"] = event.type.value
        after["attendance"] = event.counts.model_dump()
        await _change_meeting(tx, before, after)

    return {
        MEETING_SCHEDULED: on_scheduled,
        MEETING_ANNOUNCED: on_announced,
        MEETING_RESCHEDULED: on_rescheduled,
        MEETING_CANCELLED: on_cancelled,
        ATTENDANCE_RECORDED: on_attendance,
    }


def _amount(key: str) -> Callable[[dict[str, Any]], Tally]:
    def contribution(doc: dict[str, Any]) -> Tally:
        return Tally({key: int(doc["amount"])})

    return contribution


async def _set_amount(tx: Transaction, item_id: str, key: str, commune: str, year: int, amount: int) -> None:
    """A budget line's or an allocation's current amount replaces what it contributed before."""
    before = await tx.get("items", item_id)
    after = {"id": item_id, "commune_code": commune, "year": year, "amount": amount}
    await shift(tx, _place(before, _amount(key)), _place(after, _amount(key)))
    await _save(tx, "items", before, after)


def _budget_handlers(runtime: Runtime) -> dict[str, Handler]:
    uow = unit_of_work(runtime)

    @inbox_handler(uow, BUDGET_CONSUMER, BudgetLineSetV1)
    async def on_line_set(tx: Transaction, envelope: Envelope, event: BudgetLineSetV1) -> None:
        item = f"line:{event.commune_code}:{event.year}:{event.line.value}"
        await _set_amount(tx, item, "riel:available", event.commune_code, event.year, event.amount)

    @inbox_handler(uow, BUDGET_CONSUMER, BudgetRevisedV1)
    async def on_revised(tx: Transaction, envelope: Envelope, event: BudgetRevisedV1) -> None:
        item = f"line:{event.commune_code}:{event.year}:{event.line.value}"
        await _set_amount(tx, item, "riel:available", event.commune_code, event.year, event.amount)

    @inbox_handler(uow, BUDGET_CONSUMER, AllocationMadeV1)
    async def on_allocated(tx: Transaction, envelope: Envelope, event: AllocationMadeV1) -> None:
        item = f"allocation:{event.allocation_id}"
        await _set_amount(tx, item, "riel:allocated", event.commune_code, event.year, event.amount)

    @inbox_handler(uow, BUDGET_CONSUMER, AllocationReleasedV1)
    async def on_released(tx: Transaction, envelope: Envelope, event: AllocationReleasedV1) -> None:
        item = f"allocation:{event.allocation_id}"
        await _set_amount(tx, item, "riel:allocated", event.commune_code, event.year, event.remaining)

    @inbox_handler(uow, BUDGET_CONSUMER, ExpenditureRecordedV1)
    async def on_spent(tx: Transaction, envelope: Envelope, event: ExpenditureRecordedV1) -> None:
        # Ledger entries are never edited (a correction is a reversing entry): each adds once.
        key = "riel:paid" if event.stage.value == "paid" else "riel:committed"
        await shift(tx, None, (event.commune_code, event.year, Tally({key: event.amount})))

    @inbox_handler(uow, BUDGET_CONSUMER, CommunityCheckRecordedV1)
    async def on_check(tx: Transaction, envelope: Envelope, event: CommunityCheckRecordedV1) -> None:
        key = f"check:{event.check_id}"
        before = await tx.get("items", key)
        after = {
            "id": key,
            "commune_code": event.commune_code,
            "year": event.year,
            "scores": [score.model_dump() for score in event.scores],
        }
        await shift(tx, _place(before, check_contribution), _place(after, check_contribution))
        await _save(tx, "items", before, after)

    return {
        COMMUNITY_CHECK_RECORDED: on_check,
        BUDGET_LINE_SET: on_line_set,
        BUDGET_REVISED: on_revised,
        ALLOCATION_MADE: on_allocated,
        ALLOCATION_RELEASED: on_released,
        EXPENDITURE_RECORDED: on_spent,
    }


def consumers(runtime: Runtime) -> list[ConsumerSpec]:
    specs = []
    for durable, stream, handlers in (
        (NEEDS_CONSUMER, "KHUM_NEEDS", _need_handlers(runtime)),
        (MEETINGS_CONSUMER, "KHUM_MEETINGS", _meeting_handlers(runtime)),
        (BUDGET_CONSUMER, "KHUM_BUDGET", _budget_handlers(runtime)),
    ):
        specs.append(
            ConsumerSpec(
                durable=durable,
                stream=stream,
                filter_subjects=tuple(all_communes(kind) for kind in handlers),
                handler=_by_type(handlers),
            )
        )
    return specs
