"""Intake keeps each need's story: it learns decisions from meetings and money from budget.

Each handler records the event in intake's inbox in the same transaction as the needs it
changes, so a redelivered event changes nothing twice. A move the lifecycle does not allow
(say, a project funded for a need already rejected) is noted in the need's history, never
dropped silently and never fatal to the consumer.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from contracts.budget import (
    PROJECT_STAGE_SET,
    PROJECT_STATUS_CHANGED,
    ProjectStageSetV1,
    ProjectStatus,
    ProjectStatusChangedV1,
)
from contracts.envelope import Envelope
from contracts.meetings import DECISION_RECORDED, DecisionKind, DecisionRecordedV1
from contracts.needs import NeedStatus
from contracts.notify import FEEDBACK_MESSAGE_RECEIVED, FeedbackMessageReceivedV1
from contracts.subjects import all_communes
from services.intake import domain, events
from services.intake.commands import unit_of_work
from services.intake.lifecycle import TransitionError
from services.intake.verification import feedback_by_message
from services.runtime.application import emit, inbox_handler, save
from services.runtime.consumer import ConsumerSpec
from services.runtime.service import Runtime
from services.runtime.stores import Transaction

log = logging.getLogger(__name__)

DECISIONS_CONSUMER = "intake-decisions"
PROJECTS_CONSUMER = "intake-projects"
STAGES_CONSUMER = "intake-stages"
FEEDBACK_CONSUMER = "intake-feedback-messages"

PROJECT_TO_NEED = {
    ProjectStatus.FUNDED: NeedStatus.FUNDED,
    ProjectStatus.PARTLY_FUNDED: NeedStatus.PARTLY_FUNDED,
    ProjectStatus.DEFERRED: NeedStatus.DEFERRED,
    ProjectStatus.REJECTED: NeedStatus.REJECTED,
    ProjectStatus.IN_IMPLEMENTATION: NeedStatus.IN_IMPLEMENTATION,
    ProjectStatus.COMPLETED: NeedStatus.COMPLETED,
}


async def apply_move(
    tx: Transaction,
    envelope: Envelope,
    need_id: str,
    commune_code: str,
    target: NeedStatus | None,
    *,
    actor: str,
    reason: str | None,
    source: str,
    extra: dict[str, Any] | None = None,
) -> None:
    """Move one need (or only update ``extra`` fields when ``target`` is its status already)."""
    before = await tx.get("needs", need_id)
    if before is None or before["commune_code"] != commune_code:
        log.warning("%s names need %s, unknown in commune %s", envelope.type, need_id, commune_code)
        return
    now = envelope.time or datetime.now(UTC)
    after = {**before, **(extra or {})}
    if target is not None and target.value != before["status"]:
        try:
            after = domain.move(
                after, target, actor=actor, reason=reason, now=now, source=source, by_event=True
            )
        except TransitionError as refused:
            note = {
                "at": now.isoformat(),
                "actor": actor,
                "from": before["status"],
                "to": before["status"],
                "reason": f"not applied ({refused.code}): {target.value}",
                "source": source,
            }
            after = {**after, "history": [*after["history"], note]}
    stored = await save(tx, "needs", before, after)
    if stored["status"] != before["status"]:
        change = events.status_changed(
            before, stored, correlation_id=envelope.correlationid, causation_id=envelope.id
        )
        await emit(tx, [change])


def consumers(runtime: Runtime) -> list[ConsumerSpec]:
    uow = unit_of_work(runtime)

    @inbox_handler(uow, DECISIONS_CONSUMER, DecisionRecordedV1)
    async def on_decision(tx: Transaction, envelope: Envelope, decision: DecisionRecordedV1) -> None:
        target = {
            DecisionKind.PRIORITISATION: NeedStatus.PRIORITISED,
            DecisionKind.CIP_APPROVAL: NeedStatus.IN_CIP,
        }.get(decision.kind)
        if target is None:
            return
        for ranked in decision.needs:
            await apply_move(
                tx,
                envelope,
                ranked.need_id,
                decision.commune_code,
                target,
                actor=decision.decided_by,
                reason=decision.summary,
                source="meetings",
                extra={"rank": ranked.rank, "year": decision.year},
            )

    @inbox_handler(uow, PROJECTS_CONSUMER, ProjectStatusChangedV1)
    async def on_project_status(tx: Transaction, envelope: Envelope, change: ProjectStatusChangedV1) -> None:
        target = PROJECT_TO_NEED.get(change.status)
        if target is None:
            return  # planned, at risk: the project's business, not yet the need's
        for need_id in change.need_ids:
            await apply_move(
                tx,
                envelope,
                need_id,
                change.commune_code,
                target,
                actor=change.changed_by,
                reason=change.reason,
                source="budget",
                extra={"year": change.year},
            )

    @inbox_handler(uow, STAGES_CONSUMER, ProjectStageSetV1)
    async def on_project_stage(tx: Transaction, envelope: Envelope, stage: ProjectStageSetV1) -> None:
        """The track page shows where the works stand; the status itself follows the project's
        status events (works started: in implementation; completed: completed)."""
        for need_id in stage.need_ids:
            await apply_move(
                tx,
                envelope,
                need_id,
                stage.commune_code,
                None,
                actor=stage.set_by,
                reason=None,
                source="budget",
                extra={
                    "stage": stage.stage.value,
                    "stage_on": stage.on.isoformat(),
                    "project_title": stage.title,
                },
            )

    @inbox_handler(uow, FEEDBACK_CONSUMER, FeedbackMessageReceivedV1)
    async def on_feedback_message(
        tx: Transaction, envelope: Envelope, message: FeedbackMessageReceivedV1
    ) -> None:
        await feedback_by_message(tx, envelope, message)

    return [
        ConsumerSpec(STAGES_CONSUMER, "KHUM_BUDGET", (all_communes(PROJECT_STAGE_SET),), on_project_stage),
        ConsumerSpec(
            FEEDBACK_CONSUMER, "KHUM_NOTIFY", (all_communes(FEEDBACK_MESSAGE_RECEIVED),), on_feedback_message
        ),
        ConsumerSpec(DECISIONS_CONSUMER, "KHUM_MEETINGS", (all_communes(DECISION_RECORDED),), on_decision),
        ConsumerSpec(
            PROJECTS_CONSUMER, "KHUM_BUDGET", (all_communes(PROJECT_STATUS_CHANGED),), on_project_status
        ),
    ]
