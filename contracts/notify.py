"""Events of the notify context.

NotificationQueued is the in-app inbox's event (the gateway bridges it to GraphQL
subscriptions by audience). Messages that leave Khum (Web Push, SMS, Telegram, e-mail, village
loudspeaker scripts) are deliveries: each publishes NotificationDelivered when its channel took
it (``sent``) and again when the channel confirmed it reached the person (``delivered``), or
NotificationFailed once it can never be delivered. InboundMessageReceived is a citizen's SMS or
Telegram message to a commune: intake turns it into a need draft.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.needs import ContactPoint
from contracts.spec import EventSpec
from contracts.subjects import event_type

NOTIFICATION_QUEUED = event_type("notify", "NotificationQueued", 1)
NOTIFICATION_DELIVERED = event_type("notify", "NotificationDelivered", 1)
NOTIFICATION_FAILED = event_type("notify", "NotificationFailed", 1)
INBOUND_MESSAGE_RECEIVED = event_type("notify", "InboundMessageReceived", 1)
FEEDBACK_MESSAGE_RECEIVED = event_type("notify", "FeedbackMessageReceived", 1)

# Roles whose members read a commune's council inbox.
COUNCIL_ROLES = frozenset({"commune_chief", "council_member", "clerk", "ccwc_focal_point"})


def council_audience(commune_code: str) -> str:
    return f"council:{commune_code}"


def facilitator_audience(commune_code: str) -> str:
    return f"facilitator:{commune_code}"


def person_audience(user_id: str) -> str:
    """One staff member alone (a facilitator's daily digest of the people they recorded)."""
    return f"person:{user_id}"


def audiences_for(role: str, communes: Iterable[str]) -> tuple[str, ...]:
    """The audiences a person belongs to, from their role and communes (6-digit codes)."""
    if role in COUNCIL_ROLES:
        return tuple(council_audience(c) for c in communes if len(c) == 6)
    if role == "facilitator":
        return tuple(facilitator_audience(c) for c in communes if len(c) == 6)
    return ()


class Channel(StrEnum):
    IN_APP = "in_app"


class DeliveryChannel(StrEnum):
    """Every way notify reaches a person."""

    IN_APP = "in_app"
    PUSH = "push"
    SMS = "sms"
    TELEGRAM = "telegram"
    EMAIL = "email"
    LOUDSPEAKER = "loudspeaker"
    FACEBOOK = "facebook"


class DeliveryStatus(StrEnum):
    """Where a delivery is: queued -> sending -> sent -> delivered | failed (notify's rules in
    services/notify/domain/delivery.py; the gateway shows the same words)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"


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


class NotificationDeliveredV1(BaseModel):
    """A delivery was taken by its channel (``sent``) or confirmed to have arrived (``delivered``).

    ``recipient`` is masked (e.g. ``+85512•••678``): events never carry full addresses.
    """

    model_config = ConfigDict(extra="forbid", title="NotificationDelivered v1")

    delivery_id: str
    channel: DeliveryChannel
    kind: str = Field(description="What the message was about, e.g. need_receipt")
    status: Literal["sent", "delivered"]
    recipient: str = Field(max_length=100, description="Masked address of who it went to")
    commune_code: str = Field(pattern=r"^\d{6}$")
    ref: str | None = Field(default=None, description="What it is about, e.g. a tracking code")
    attempts: int = Field(ge=0)
    cause: str = Field(description="Id of the event that caused the message")
    at: datetime


class NotificationFailedV1(BaseModel):
    """A delivery will never arrive: the channel refused it for good, or retries ran out.

    ``dead_lettered`` is true when operators should look at it (it is also copied to
    ``KHUM_DLQ``); false for expected outcomes such as a person who opted out.
    """

    model_config = ConfigDict(extra="forbid", title="NotificationFailed v1")

    delivery_id: str
    channel: DeliveryChannel
    kind: str
    recipient: str = Field(max_length=100, description="Masked address of who it was for")
    commune_code: str = Field(pattern=r"^\d{6}$")
    ref: str | None = None
    error_code: str = Field(description="Stable code, e.g. sms.invalid_number or retries_exhausted")
    reason: str = Field(max_length=1000)
    attempts: int = Field(ge=0)
    dead_lettered: bool
    cause: str = Field(description="Id of the event that caused the message")
    at: datetime


class InboundChannel(StrEnum):
    SMS = "sms"
    TELEGRAM = "telegram"
    FACEBOOK = "facebook"


class InboundAudio(BaseModel):
    """A voice note's reference: notify keeps the audio itself (events carry no blobs) and serves
    it to the commune's facilitators and council through the gateway."""

    model_config = ConfigDict(extra="forbid")

    audio_id: str = Field(description="Notify's id of the stored audio")
    mime_type: str = Field(max_length=100, description="e.g. audio/ogg")
    size_bytes: int = Field(ge=1)
    duration_seconds: int | None = Field(default=None, ge=0)


class InboundMessageReceivedV1(BaseModel):
    """A citizen wrote to a commune's SMS number or Telegram bot (not a command such as STOP).

    Intake turns it into a need draft for a facilitator to confirm. ``sender`` is the contact
    point to answer on: put it in the confirmed NeedSubmitted's ``contacts`` and the sender
    receives the tracking code.
    """

    model_config = ConfigDict(extra="forbid", title="InboundMessageReceived v1")

    message_id: str = Field(description="Notify's id of the message (a UUIDv7)")
    commune_code: str = Field(pattern=r"^\d{6}$")
    channel: InboundChannel
    sender: ContactPoint
    text: str = Field(min_length=1, max_length=4096)
    received_at: datetime
    provider_message_id: str = Field(description="The SMS provider's or Telegram's id of the message")
    audio: InboundAudio | None = Field(
        default=None, description="A voice note: ``text`` then only names it, for a facilitator to transcribe"
    )


class FeedbackMessageReceivedV1(BaseModel):
    """A citizen rated a completed need by keyword (``OK <tracking code> [feedback code] <1-5>``).

    Intake decides whether it counts: the sender must be a contact point of the need's people,
    or ``feedback_code`` must match the need's. The code is the citizen's proof, as typed.
    """

    model_config = ConfigDict(extra="forbid", title="FeedbackMessageReceived v1")

    message_id: str
    commune_code: str = Field(pattern=r"^\d{6}$")
    channel: InboundChannel
    sender: ContactPoint
    tracking_code: str = Field(max_length=20)
    feedback_code: str | None = Field(default=None, max_length=20)
    rating: int = Field(ge=1, le=5)
    received_at: datetime


SPECS = (
    EventSpec(NOTIFICATION_QUEUED, NotificationQueuedV1, "notify"),
    EventSpec(NOTIFICATION_DELIVERED, NotificationDeliveredV1, "notify"),
    EventSpec(NOTIFICATION_FAILED, NotificationFailedV1, "notify"),
    EventSpec(INBOUND_MESSAGE_RECEIVED, InboundMessageReceivedV1, "notify"),
    EventSpec(FEEDBACK_MESSAGE_RECEIVED, FeedbackMessageReceivedV1, "notify"),
)
