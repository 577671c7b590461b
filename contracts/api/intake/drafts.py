"""Need drafts: citizens' messages waiting for a facilitator to confirm or dismiss them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.api.intake.needs import KEY_PATTERN
from contracts.api.intake.people import PersonIn
from contracts.needs import ContactPoint, Sector
from contracts.notify import InboundAudio, InboundChannel


class ConfirmIn(BaseModel):
    """POST /drafts/{id}/confirm: what the facilitator adds to make the message a need."""

    model_config = ConfigDict(extra="forbid")

    village_code: str = Field(max_length=16)
    description: str | None = Field(default=None, max_length=20_000)
    sector: Sector | None = None
    need_type: str | None = Field(default=None, max_length=40)
    idempotency_key: str = Field(min_length=8, max_length=100, pattern=KEY_PATTERN)
    # Who raised it, as the need form records it; the sender's contact is added by intake.
    raised_by: PersonIn | None = None


class DismissIn(BaseModel):
    """POST /drafts/{id}/dismiss."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000)


class Draft(BaseModel):
    """A citizen's message; the sender's address is masked outside the commune's council."""

    id: str
    message_id: str
    commune_code: str
    channel: InboundChannel
    sender: ContactPoint
    text: str
    audio: InboundAudio | None = Field(default=None, description="A voice note, kept by notify")
    received_at: datetime
    status: Literal["open", "confirmed", "dismissed"]
    need_id: str | None = None
    closed_by: str | None = None
    reason: str | None = None
