"""Events of the notify context."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from contracts.spec import EventSpec
from contracts.subjects import event_type

NOTIFICATION_QUEUED = event_type("notify", "NotificationQueued", 1)

# Roles whose members read a commune's council inbox.
COUNCIL_ROLES = frozenset({"commune_chief", "council_member", "clerk", "ccwc_focal_point"})


def council_audience(commune_code: str) -> str:
    return f"council:{commune_code}"


def audiences_for(role: str, communes: Iterable[str]) -> tuple[str, ...]:
    """The audiences a person belongs to, from their role and communes (6-digit codes)."""
    if role not in COUNCIL_ROLES:
        return ()
    return tuple(council_audience(c) for c in communes if len(c) == 6)


class Channel(StrEnum):
    IN_APP = "in_app"


class NotificationQueuedV1(BaseModel):
    """A notification was queued for an audience on a channel.

    ``audience`` names who receives it, e.g. ``council:120304`` for every council member of a
    commune; the gateway maps a signed-in person's role and communes to their audiences.
    ``text`` holds the rendered message per language (``km``, ``en``).
    """

    model_config = ConfigDict(extra="forbid", title="NotificationQueued v1")

    notification_id: str
    audience: str = Field(pattern=r"^[a-z_]+:\d{6}$")
    channel: Channel
    kind: str = Field(description="What happened, e.g. need_submitted")
    text: dict[str, str] = Field(description="Rendered text by language code (km, en)")
    ref: str | None = Field(default=None, description="What it is about, e.g. a tracking code")
    commune_code: str = Field(pattern=r"^\d{6}$")
    queued_at: datetime


SPECS = (EventSpec(NOTIFICATION_QUEUED, NotificationQueuedV1, "notify"),)
