"""The demo's pretend channels (infra/demo_channels.py), read by ``/demo/messages`` only."""

from __future__ import annotations

from datetime import datetime

import httpx
from pydantic import BaseModel, ValidationError


class DemoMessage(BaseModel):
    """One message a demo channel took for a citizen."""

    channel: str
    to: str
    at: datetime
    text: str | None = None
    subject: str | None = None


class DemoMessages(BaseModel):
    items: list[DemoMessage]


class DemoChannelsUnavailableError(Exception):
    """The demo channels did not answer, or not with a list of messages."""


async def received_messages(base_url: str) -> list[DemoMessage]:
    try:
        async with httpx.AsyncClient(timeout=5.0) as http:
            answer = await http.get(f"{base_url.rstrip('/')}/messages")
            answer.raise_for_status()
            return DemoMessages.model_validate_json(answer.content).items
    except (httpx.HTTPError, ValidationError) as exc:
        raise DemoChannelsUnavailableError(str(exc)) from exc
