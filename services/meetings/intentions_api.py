""" "I will come": recorded through the public route (anyone with the gateway's token, the
public visitor included, for an announced meeting) and from notify's AttendanceIntended events
(COME <code> by SMS or Telegram). Both count once per intention id.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from contracts.api.meetings.changes import IntentionIn
from contracts.api.meetings.meeting import MeetingPublic
from contracts.envelope import Envelope, uuid7
from contracts.meetings import ATTENDANCE_INTENDED, AttendanceIntendedV1
from contracts.subjects import all_communes
from services.meetings import events
from services.meetings.changes import NotFoundError, unit_of_work
from services.meetings.domain import ANNOUNCED_STATES, TAKING_PART_ROLES, Meeting, MeetingError
from services.meetings.intentions import record_intention
from services.meetings.store import meeting_doc, meeting_of
from services.meetings.views import show
from services.runtime.application import Committer, emit, inbox_handler
from services.runtime.consumer import ConsumerSpec
from services.runtime.http import CallerDep, CorrelationDep
from services.runtime.service import Runtime, RuntimeDep
from services.runtime.stores import Transaction

router = APIRouter(tags=["meetings"])
INTENTIONS_CONSUMER = "meetings-intentions"


async def intend(
    committer: Committer,
    meeting_id: str,
    intention_id: str,
    channel: str,
    groups: list[str],
    correlation_id: str | None,
    *,
    publish: bool,
) -> Meeting:
    """Count one intention; ``publish``: tell the rest of Khum (not when the event came from it)."""

    async def change(tx: Transaction) -> Meeting:
        doc = await tx.get("meetings", meeting_id)
        if doc is None:
            raise NotFoundError()
        before = meeting_of(doc)
        if before.state not in ANNOUNCED_STATES and not before.was_announced:
            raise NotFoundError()  # never show an unannounced meeting exists
        after = record_intention(before, intention_id, channel, groups, datetime.now(UTC))
        if after is before:
            return after
        await tx.replace(
            "meetings",
            meeting_doc(after, idempotency_key=doc.get("idempotency_key")),
            expected_version=doc["version"],
        )
        envelopes: list[Envelope] = []
        if publish:
            envelopes.append(events.intended(after, after.intentions[-1], correlation_id))
        await emit(tx, envelopes)
        return after

    return await unit_of_work(committer).run(change)


@router.post("/public/meetings/{meeting_id}/intentions", response_model=MeetingPublic)
async def record_meeting_intention(
    meeting_id: str,
    body: IntentionIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    correlation_id: CorrelationDep = None,
) -> MeetingPublic:
    """Someone will come. A facilitator or council member of the commune records it for a
    person there; anyone else (the public page) for themselves."""
    member = caller.role in TAKING_PART_ROLES
    channel = "facilitator" if member else "web"
    meeting = await intend(
        runtime, meeting_id, body.intention_id or uuid7(), channel, body.groups, correlation_id, publish=True
    )
    return show(meeting, caller if member and caller.covers(meeting.commune_code) else None)


def consumers(runtime: Runtime) -> list[ConsumerSpec]:
    uow = unit_of_work(runtime)

    @inbox_handler(uow, INTENTIONS_CONSUMER, AttendanceIntendedV1)
    async def on_intended(tx: Transaction, envelope: Envelope, event: AttendanceIntendedV1) -> None:
        doc = await tx.get("meetings", event.meeting_id)
        if doc is None:
            return  # notify only knows announced meetings; nothing to count
        before = meeting_of(doc)
        if any(i.id == event.intention_id for i in before.intentions):
            return  # counted already (our own event coming back, or a repeat)
        try:
            after = record_intention(
                before, event.intention_id, event.channel.value, event.groups, event.intended_at
            )
        except MeetingError:
            return  # the meeting closed (or moved on) before the answer came: nothing to count
        await tx.replace(
            "meetings",
            meeting_doc(after, idempotency_key=doc.get("idempotency_key")),
            expected_version=doc["version"],
        )

    return [
        ConsumerSpec(
            durable=INTENTIONS_CONSUMER,
            stream="KHUM_MEETINGS",
            filter_subjects=(all_communes(ATTENDANCE_INTENDED),),
            handler=on_intended,
        )
    ]
