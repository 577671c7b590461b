"""What a rule says: a notice (a kind of message, whom it is for, the facts its templates need).

A target names whom, not how: the planner turns it into people, their channels and languages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from contracts.needs import ContactPoint
from contracts.notify import DeliveryChannel


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
    """A script for the loudspeaker of each village, for its village chief to read out.

    ``whole_commune``: also every village of that commune notify knows (from its needs)."""

    village_codes: tuple[str, ...]
    whole_commune: str | None = None


@dataclass(frozen=True)
class ToMeetingPeople:
    """Everyone told about a meeting before, and everyone who said they will come (COME)."""

    meeting_id: str


Target = ToAudience | ToContacts | ToNeedRaisers | ToSubscribers | ToLoudspeakers | ToMeetingPeople


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
    meeting_id: str | None = None
    """When set, the planner adds notify's copy of the meeting as ``meeting`` and remembers
    whom it told, so a later change reaches them all."""
    tag: str | None = None
    """A second message from one event to one person (a reminder) needs its own tag: the
    dedup key is (event, tag, person, channel)."""
