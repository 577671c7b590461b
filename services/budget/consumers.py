"""Budget learns needs and CIP approvals from events; it never asks another service.

* ``budget-needs`` (KHUM_NEEDS, NeedSubmitted): the need's code, village and description, so
  projects can name their needs and the public view can list them. Contacts of the people who
  raised a need are not kept here: telling them is intake's and notify's work.
* ``budget-feedback`` (KHUM_NEEDS, NeedFeedbackRecorded): citizens' answers on completed needs
  (satisfied, a 1-5 rating, the channel; no comment, no person), counted per project in the
  verification summary the council and the public see.
* ``budget-decisions`` (KHUM_MEETINGS, DecisionRecorded): CIP approvals with their ranks, which
  allocations cite and which order who falls out first in a cut. Other decision kinds are
  recorded as handled and otherwise ignored.

Each handler records the event in its inbox in the same transaction as its effect.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from contracts.envelope import Envelope
from contracts.meetings import DECISION_RECORDED, DecisionKind, DecisionRecordedV1
from contracts.needs import (
    NEED_FEEDBACK_RECORDED,
    NEED_SUBMITTED,
    NeedFeedbackRecordedV1,
    NeedSubmittedV1,
)
from contracts.registry import read_event
from contracts.subjects import all_communes
from services.budget import projects
from services.budget import store as repo
from services.budget.model import Act, Outcome
from services.runtime.application import inbox_handler
from services.runtime.consumer import ConsumerSpec
from services.runtime.identity import Identity, Role
from services.runtime.service import Runtime
from services.runtime.stores import Transaction

NEEDS_CONSUMER = "budget-needs"
DECISIONS_CONSUMER = "budget-decisions"
FEEDBACK_CONSUMER = "budget-feedback"


def consumers(runtime: Runtime) -> list[ConsumerSpec]:
    uow = repo.unit_of_work(runtime)

    @inbox_handler(uow, NEEDS_CONSUMER, NeedSubmittedV1)
    async def on_need_submitted(tx: Transaction, envelope: Envelope, need: NeedSubmittedV1) -> None:
        await tx.upsert(
            "needs",
            {
                "id": need.need_id,
                "tracking_code": need.tracking_code,
                "commune_code": need.commune_code,
                "village_code": need.village_code,
                "village_name": need.village_name.model_dump() if need.village_name else None,
                "description": need.description,
                "sector": need.sector.value if need.sector else None,
                "need_type": need.need_type,
                "submitted_at": need.submitted_at.isoformat(),
            },
        )

    @inbox_handler(uow, FEEDBACK_CONSUMER, NeedFeedbackRecordedV1)
    async def on_feedback(tx: Transaction, envelope: Envelope, answer: NeedFeedbackRecordedV1) -> None:
        need = await tx.get("needs", answer.need_id)
        if need is None or need["commune_code"] != answer.commune_code:
            return  # a need budget never learned of belongs to no project
        entry = {
            "key": answer.answered_for,
            "satisfied": answer.satisfied,
            "rating": answer.rating,
            "channel": answer.channel,
            "at": answer.recorded_at.isoformat(),
        }
        kept = [f for f in need.get("feedback", []) if f.get("key") != answer.answered_for]
        await tx.upsert("needs", {**need, "feedback": [*kept, entry]})

    async def on_decision_recorded(raw: bytes) -> None:
        envelope, decision = read_event(raw, DecisionRecordedV1)
        if decision.kind != DecisionKind.CIP_APPROVAL:
            await uow.record_handled(DECISIONS_CONSUMER, envelope.id)
            return
        doc: dict[str, Any] = {
            "id": decision.decision_id,
            "meeting_id": decision.meeting_id,
            "commune_code": decision.commune_code,
            "year": decision.year,
            "kind": decision.kind.value,
            "needs": [{"need_id": n.need_id, "rank": n.rank} for n in decision.needs],
            "summary": decision.summary,
            "decided_by": decision.decided_by,
            "decided_at": decision.decided_at.astimezone(UTC).isoformat(),
        }
        approval = repo.approval_from_doc(doc)
        known = await repo.approvals(runtime.store, decision.commune_code, decision.year)
        # An older approval arriving late must not re-rank projects over a newer one.
        is_latest = not known or doc["decided_at"] >= str(known[0]["decided_at"])
        # Status changes that follow from a new ranking are the service's own doing.
        act = Act(Identity("budget", Role.CLERK, (decision.commune_code,)), datetime.now(UTC))

        async def store_decision(tx: Transaction) -> None:
            await tx.upsert("decisions", doc)

        await repo.change(
            runtime,
            decision.commune_code,
            decision.year,
            lambda b: projects.apply_approval(b, act, approval) if is_latest else Outcome(b, changed=False),
            correlation_id=envelope.correlationid,
            causation_id=envelope.id,
            inbox=(DECISIONS_CONSUMER, envelope.id),
            with_tx=store_decision,
        )

    return [
        ConsumerSpec(
            durable=NEEDS_CONSUMER,
            stream="KHUM_NEEDS",
            filter_subjects=(all_communes(NEED_SUBMITTED),),
            handler=on_need_submitted,
        ),
        ConsumerSpec(
            durable=FEEDBACK_CONSUMER,
            stream="KHUM_NEEDS",
            filter_subjects=(all_communes(NEED_FEEDBACK_RECORDED),),
            handler=on_feedback,
        ),
        ConsumerSpec(
            durable=DECISIONS_CONSUMER,
            stream="KHUM_MEETINGS",
            filter_subjects=(all_communes(DECISION_RECORDED),),
            handler=on_decision_recorded,
        ),
    ]
