"""The gateway's one typed client of the notify service (answers in contracts/api/notify.py)."""

from __future__ import annotations

from contracts.api.notify import PushConfig
from gateway.clients.typed import Caller, TypedClient


class NotifyClient(TypedClient):
    """Every call the gateway makes to notify, each with its request and answer models."""

    async def push_config(self, caller: Caller) -> PushConfig:
        return await self.call(PushConfig, "GET", "/push/config", caller)
