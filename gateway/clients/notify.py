"""The gateway's one typed client of the notify service (answers in contracts/api/notify.py)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from contracts.api.notify import (
    AnnouncedIn,
    DeliveryPage,
    NotificationPage,
    NotificationPublic,
    PushConfig,
    PushSubscriptionCreate,
    PushSubscriptionPublic,
    PushSubscriptionRemove,
    ScriptPage,
    ScriptPublic,
    ScriptStatus,
    VoiceFile,
)
from contracts.notify import DeliveryChannel, DeliveryStatus
from gateway.clients.errors import segment
from gateway.clients.typed import Caller, TypedClient


@dataclass(frozen=True, slots=True)
class Audio:
    """A voice note's bytes and their type, ready to serve."""

    data: bytes
    content_type: str


class NotifyClient(TypedClient):
    """Every call the gateway makes to notify, each with its request and answer models."""

    async def push_config(self, caller: Caller) -> PushConfig:
        return await self.call(PushConfig, "GET", "/push/config", caller)

    async def register_push(self, caller: Caller, body: PushSubscriptionCreate) -> PushSubscriptionPublic:
        return await self.call(PushSubscriptionPublic, "POST", "/push/subscriptions", caller, body=body)

    async def remove_push(self, caller: Caller, endpoint: str) -> PushSubscriptionPublic:
        body = PushSubscriptionRemove.model_construct(endpoint=endpoint)
        return await self.call(
            PushSubscriptionPublic, "POST", "/push/subscriptions/remove", caller, body=body
        )

    async def notifications(
        self, caller: Caller, *, after: str | None = None, limit: int | None = None
    ) -> NotificationPage:
        params = {"after": after, "limit": limit}
        return await self.call(NotificationPage, "GET", "/notifications", caller, params=params)

    async def mark_read(self, caller: Caller, notification_id: str) -> NotificationPublic:
        path = f"/notifications/{segment(notification_id)}/read"
        return await self.call(NotificationPublic, "POST", path, caller)

    async def deliveries(
        self,
        caller: Caller,
        *,
        commune: str | None = None,
        channel: DeliveryChannel | None = None,
        status: DeliveryStatus | None = None,
        ref: str | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> DeliveryPage:
        params = {
            "commune": commune,
            "channel": channel.value if channel else None,
            "status": status.value if status else None,
            "ref": ref,
            "after": after,
            "limit": limit,
        }
        return await self.call(DeliveryPage, "GET", "/deliveries", caller, params=params)

    async def scripts(
        self,
        caller: Caller,
        *,
        village: str | None = None,
        status: ScriptStatus | None = None,
        limit: int | None = None,
    ) -> ScriptPage:
        params = {"village": village, "status": status, "limit": limit}
        return await self.call(ScriptPage, "GET", "/loudspeaker", caller, params=params)

    async def script(self, caller: Caller, script_id: str) -> ScriptPublic:
        return await self.call(ScriptPublic, "GET", f"/loudspeaker/{segment(script_id)}", caller)

    async def mark_announced(self, caller: Caller, script_id: str, name: str | None) -> None:
        """The chief read the script out; ``name`` is who, as shown to people."""
        body = AnnouncedIn.model_construct(name=name)
        await self.send("POST", f"/loudspeaker/{segment(script_id)}/announced", caller, body=body)

    async def voice_note(self, caller: Caller, audio_id: str) -> Audio:
        """A voice note's audio (notify answers it as base64 in JSON). An answer that does not
        decode raises ValueError, like one that does not parse."""
        found = await self.call(VoiceFile, "GET", f"/voice-notes/{segment(audio_id)}", caller)
        return Audio(
            base64.b64decode(found.data_base64, validate=True), found.mime_type or "application/octet-stream"
        )
