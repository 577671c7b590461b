"""Who hears what: the rules table. Pure: an event in, notices out.

A notice names a kind of message (its templates live in ``services/notify/templates/<kind>/``),
whom it is for (a target) and the facts the templates need. The planner turns targets into
deliveries: people, their channels and languages, consent and opt-outs. Adding a rule for a
new event is one :class:`Rule` entry here and one folder of templates; notify then consumes the
event's stream by itself (one durable consumer per context, see ``consumers.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from contracts.budget import PROJECT_STAGE_SET, ProjectStage, ProjectStageSetV1
from contracts.needs import (
    NEED_STATUS_CHANGED,
    NEED_SUBMITTED,
    NEED_SUPPORTED,
    ContactPoint,
    NeedStatus,
    NeedStatusChangedV1,
    NeedSubmittedV1,
    NeedSupportedV1,
)
from contracts.notify import DeliveryChannel, council_audience
from services.notify.domain.text import shorten

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


@dataclass(frozen=True)
class ToAudience:
    """Everyone in an audience (``council:160101``): their in-app inbox and their phones (push)."""

    audience: str
    channels: tuple[DeliveryChannel, ...] = (DeliveryChannel.IN_APP, DeliveryChannel.PUSH)


@dataclass(frozen=True)
class ToContacts:
    """These contact points, given with consent in the event itself."""

    contacts: tuple[ContactPoint, ...]


@dataclass(frozen=True)
class ToNeedRaisers:
    """The people who raised or support a need (notify remembers them from earlier events)."""

    need_id: str


@dataclass(frozen=True)
class ToSubscribers:
    """Citizens who subscribed to a commune's news (JOIN by SMS, /start on Telegram)."""

    commune_code: str


@dataclass(frozen=True)
class ToLoudspeakers:
    """A script for the loudspeaker of each village, for its village chief to read out."""

    village_codes: tuple[str, ...]


Target = ToAudience | ToContacts | ToNeedRaisers | ToSubscribers | ToLoudspeakers


@dataclass(frozen=True)
class Notice:
    kind: str
    target: Target
    commune_code: str
    context: Mapping[str, Any] = field(default_factory=dict)
    ref: str | None = None
    need_id: str | None = None
    """When set, the planner adds notify's copy of the need (village names...) as ``need``."""
    not_before: datetime | None = None
    """Send no earlier than this (a reminder days before a meeting); None: at once."""


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
)


def rules_by_type(rules: Sequence[Rule[Any]] = RULES) -> dict[str, Rule[Any]]:
    return {rule.event_type: rule for rule in rules}
