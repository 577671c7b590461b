"""Who hears what: the rules table. Pure: an event in, notices out.

A notice names a kind of message (its templates live in ``services/notify/templates/<kind>/``),
whom it is for (a target) and the facts the templates need. The planner turns targets into
deliveries: people, their channels and languages, consent and opt-outs. Adding a rule for a
new event is one :class:`Rule` entry here and one folder of templates; notify then consumes the
event's stream by itself (one durable consumer per context, see ``consumers.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from contracts.budget import PROJECT_STAGE_SET, ProjectStage, ProjectStageSetV1
from contracts.meetings import (
    MEETING_ANNOUNCED,
    MEETING_CANCELLED,
    MEETING_RESCHEDULED,
    MINUTES_PUBLISHED,
    MeetingAnnouncedV1,
    MeetingCancelledV1,
    MeetingRescheduledV1,
    MinutesPublishedV1,
)
from contracts.needs import (
    NEED_STATUS_CHANGED,
    NEED_SUBMITTED,
    NEED_SUPPORTED,
    NeedStatus,
    NeedStatusChangedV1,
    NeedSubmittedV1,
    NeedSupportedV1,
)
from contracts.notify import council_audience
from services.notify.domain.meeting_rules import (
    meeting_announced,
    meeting_cancelled,
    meeting_rescheduled,
    minutes_published,
)
from services.notify.domain.notice import (
    Notice,
    Target,
    ToAudience,
    ToContacts,
    ToLoudspeakers,
    ToMeetingPeople,
    ToNeedRaisers,
    ToSubscribers,
)
from services.notify.domain.text import shorten

__all__ = [
    "RULES",
    "Notice",
    "Rule",
    "Target",
    "ToAudience",
    "ToContacts",
    "ToLoudspeakers",
    "ToMeetingPeople",
    "ToNeedRaisers",
    "ToSubscribers",
    "excerpt",
    "rules_by_type",
]

EXCERPT = 140
# Outcomes a village hears about from its loudspeaker, not only the people who raised the need.
VILLAGE_OUTCOMES = frozenset(
    {
        NeedStatus.FUNDED,
        NeedStatus.PARTLY_FUNDED,
        NeedStatus.DEFERRED,
        NeedStatus.REJECTED,
        NeedStatus.COMPLETED,
    }
)


M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Rule(Generic[M]):
    event_type: str
    model: type[M]
    notices: Callable[[M], Sequence[Notice]]
    summary: str


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """Never cut mid-word or inside a Khmer cluster: it is read aloud and sent by SMS."""
    return shorten(text, limit)


def need_submitted(need: NeedSubmittedV1) -> list[Notice]:
    village = {
        "code": need.village_code,
        "km": need.village_name.km if need.village_name else need.village_code,
        "latin": need.village_name.latin if need.village_name else need.village_code,
    }
    context = {
        "tracking_code": need.tracking_code,
        "village": village,
        "excerpt": excerpt(need.description),
        "sector": need.sector.value if need.sector else None,
    }
    notices = [
        Notice(
            "need_submitted",
            ToAudience(council_audience(need.commune_code)),
            need.commune_code,
            context,
            ref=need.tracking_code,
        )
    ]
    if need.contacts:
        notices.append(
            Notice(
                "need_receipt",
                ToContacts(tuple(need.contacts)),
                need.commune_code,
                context,
                ref=need.tracking_code,
                need_id=need.need_id,
            )
        )
    return notices


def need_status_changed(change: NeedStatusChangedV1) -> list[Notice]:
    context = {
        "tracking_code": change.tracking_code,
        "status": change.status.value,
        "previous": change.previous.value,
        "reason": change.reason,
    }
    notices = [
        Notice(
            "need_status_changed",
            ToNeedRaisers(change.need_id),
            change.commune_code,
            context,
            ref=change.tracking_code,
            need_id=change.need_id,
        )
    ]
    if change.status in VILLAGE_OUTCOMES:
        notices.append(
            Notice(
                "need_outcome",
                ToLoudspeakers((change.village_code,)),
                change.commune_code,
                context,
                ref=change.tracking_code,
                need_id=change.need_id,
            )
        )
    return notices


def need_supported(support: NeedSupportedV1) -> list[Notice]:
    if not support.contacts:
        return []
    context = {"tracking_code": support.tracking_code, "people_total": support.people_total}
    return [
        Notice(
            "need_followed",
            ToContacts(tuple(support.contacts)),
            support.commune_code,
            context,
            ref=support.tracking_code,
            need_id=support.need_id,
        )
    ]


def project_handed_over(stage: ProjectStageSetV1) -> list[Notice]:
    """Works started and completed reach the raisers as their needs' status changes; handing
    over is when they are asked to check the works themselves and rate them."""
    if stage.stage != ProjectStage.HANDED_OVER:
        return []
    context = {"title": stage.title, "on": stage.on.isoformat()}
    return [
        Notice("project_verify", ToNeedRaisers(need_id), stage.commune_code, context, need_id=need_id)
        for need_id in stage.need_ids
    ]


RULES: tuple[Rule[Any], ...] = (
    Rule(
        NEED_SUBMITTED,
        NeedSubmittedV1,
        need_submitted,
        "A need recorded: its commune's council (in-app, push); a receipt with the tracking code "
        "to the people who raised it and gave a contact (SMS, Telegram, e-mail).",
    ),
    Rule(
        NEED_STATUS_CHANGED,
        NeedStatusChangedV1,
        need_status_changed,
        "A need's status changed: the people who raised or support it, with the reason; "
        "funded, deferred, rejected or completed needs also go on their village's loudspeaker.",
    ),
    Rule(
        NEED_SUPPORTED,
        NeedSupportedV1,
        need_supported,
        "More people support a need: those who gave a contact get a receipt, then hear its outcome.",
    ),
    Rule(
        PROJECT_STAGE_SET,
        ProjectStageSetV1,
        project_handed_over,
        "A project was handed over to the community: the people who raised its needs are asked to "
        "rate it (OK <tracking code> 1-5). Works started and completed reach them as need statuses.",
    ),
    Rule(
        MEETING_ANNOUNCED,
        MeetingAnnouncedV1,
        meeting_announced,
        "A meeting announced: the commune's subscribers (SMS, Telegram, e-mail), its facilitators "
        "(in-app, push) and the loudspeakers of the villages concerned; reminders to subscribers and "
        "to those who said they will come, 3 days before and the morning before (07:00).",
    ),
    Rule(
        MEETING_RESCHEDULED,
        MeetingRescheduledV1,
        meeting_rescheduled,
        "An announced meeting moved: everyone told before, everyone who said they will come, who "
        "answered for a group, subscribers, facilitators and loudspeakers, with the reason (and the "
        "emergency reason); the old reminders are withdrawn and new ones queued.",
    ),
    Rule(
        MEETING_CANCELLED,
        MeetingCancelledV1,
        meeting_cancelled,
        "An announced meeting cancelled: the same people as a move, with the reason; its reminders "
        "are withdrawn.",
    ),
    Rule(
        MINUTES_PUBLISHED,
        MinutesPublishedV1,
        minutes_published,
        "A meeting's minutes published: the same people, with the start of the minutes.",
    ),
)


def rules_by_type(rules: Sequence[Rule[Any]] = RULES) -> dict[str, Rule[Any]]:
    return {rule.event_type: rule for rule in rules}
