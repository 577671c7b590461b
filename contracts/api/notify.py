"""What the gateway and notify exchange over HTTP: request and answer models, used on both sides
(notify's routes declare them, so its OpenAPI is generated from them; gateway/clients/notify.py reads
its answers into them).

Webhook answers that only the providers read (SMS gateways, Telegram, Facebook) stay in the service.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.notify import Channel, DeliveryChannel, DeliveryStatus

# --- the in-app inbox ---------------------------------------------------------------------------


class NotificationPublic(BaseModel):
    """One in-app notification, as its reader sees it (GET /notifications, POST .../read)."""

    id: str
    audience: str = Field(description="Who it is for, e.g. council:160101")
    channel: Channel
    kind: str = Field(description="What happened, e.g. need_submitted")
    text: dict[str, str] = Field(description="The message per language (km, en)")
    ref: str | None = None
    commune_code: str
    created_at: datetime
    read: bool = Field(default=False, description="Whether the caller marked it read")


class NotificationPage(BaseModel):
    """GET /notifications: newest first."""

    items: list[NotificationPublic]
    next_after: str | None = None
    total: int = Field(description="How many notifications the caller has in all")


# --- what was sent to whom ----------------------------------------------------------------------


class DeliveryError(BaseModel):
    code: str
    reason: str


class DeliveryPublic(BaseModel):
    """One message to one recipient on one channel; the address is masked."""

    id: str
    kind: str
    channel: DeliveryChannel
    status: DeliveryStatus
    recipient: str = Field(description="Masked, e.g. +85512•••678")
    commune_code: str
    ref: str | None = None
    language: str
    text: str
    attempts: int
    segments: int | None = None
    encoding: str | None = Field(
        default=None, description="SMS only: gsm7 (160 characters a part) or ucs2 (70; any Khmer makes it so)"
    )
    cost_riel: int | None = Field(
        default=None, description="SMS only: parts times the configured price of one part, in whole riel"
    )
    last_error: DeliveryError | None = None
    dead_lettered: bool = False
    next_attempt_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class DeliveryPage(BaseModel):
    """GET /deliveries: newest first."""

    items: list[DeliveryPublic]
    next_after: str | None = None


# --- loudspeaker scripts ------------------------------------------------------------------------

ScriptStatus = Literal["pending", "announced", "superseded"]


class VillageName(BaseModel):
    """The village's gazetteer name (notify keeps what the event said, sometimes with its code)."""

    km: str
    latin: str


class ScriptPublic(BaseModel):
    """A script a village chief reads out (GET /loudspeaker/{id}, POST .../announced)."""

    id: str
    kind: str
    ref: str | None = None
    commune_code: str
    village_code: str
    village_name: VillageName
    text: dict[str, str] = Field(description="The script per language (km, en)")
    status: ScriptStatus
    created_at: datetime
    announced_at: datetime | None = None
    announced_by: str | None = Field(default=None, description="The account that marked it read out")
    announced_by_name: str | None = Field(default=None, description="Who read it, as shown to people")
    superseded_at: datetime | None = None
    quoted: list[str] = Field(
        default=[],
        description="People's own words quoted in the text (their need, a reason): shown as written",
    )


class ScriptPage(BaseModel):
    """GET /loudspeaker: newest first."""

    items: list[ScriptPublic]
    next_after: str | None = None


class AnnouncedIn(BaseModel):
    """POST /loudspeaker/{id}/announced (the body is optional)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200, description="Who read it, as shown to people")


# --- Web Push on a phone ------------------------------------------------------------------------


class PushConfig(BaseModel):
    """GET /push/config."""

    public_key: str | None = Field(description="VAPID public key (base64url); null when push is off")


class PushKeys(BaseModel):
    model_config = ConfigDict(extra="forbid")

    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)


class PushSubscriptionCreate(BaseModel):
    """POST /push/subscriptions: a browser's PushSubscription (its toJSON())."""

    model_config = ConfigDict(extra="forbid")

    endpoint: str = Field(max_length=2000)
    keys: PushKeys
    language: str = Field(default="km", pattern=r"^(km|en)$")


class PushSubscriptionRemove(BaseModel):
    """POST /push/subscriptions/remove."""

    model_config = ConfigDict(extra="forbid")

    endpoint: str = Field(max_length=2000)


class PushSubscriptionPublic(BaseModel):
    """One phone's push subscription, after registering or removing it."""

    id: str
    active: bool
    audiences: list[str]
    language: str


# --- voice notes --------------------------------------------------------------------------------


class VoiceFile(BaseModel):
    """GET /voice-notes/{id}: the audio as base64 in JSON, like every answer (the gateway serves
    the bytes)."""

    audio_id: str
    mime_type: str
    size_bytes: int
    duration_seconds: int | None = None
    data_base64: str
