"""Citizens' messages (SMS, Telegram) waiting to become needs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from gateway.schema.ids import Node, to_global


def voice_note_path(audio_id: str) -> str:
    """Where the gateway serves a voice note (gateway/pages/voice.py)."""
    return f"/voice-notes/{audio_id}"


@strawberry.type(description="A message a citizen sent by SMS or Telegram, waiting to become a need.")
class NeedDraft(Node):
    id: strawberry.ID = strawberry.field(description="Global id.")
    commune_code: str = strawberry.field(description="The commune the message was sent to.")
    channel: str = strawberry.field(description="sms, telegram or facebook")
    sender: str = strawberry.field(description="Who wrote (masked unless you are on the commune's council).")
    text: str = strawberry.field(description="What they wrote.")
    received_at: datetime = strawberry.field(description="When (UTC).")
    status: str = strawberry.field(description="open, confirmed or dismissed")
    audio_url: str | None = strawberry.field(
        default=None,
        description="A voice note's audio, to play and transcribe (the commune's facilitators and council).",
    )
    audio_seconds: int | None = strawberry.field(default=None, description="How long the voice note is.")

    @classmethod
    def of(cls, data: dict[str, Any]) -> NeedDraft:
        return cls(
            id=to_global("NeedDraft", data["id"]),
            commune_code=data["commune_code"],
            channel=data["channel"],
            sender=data["sender"]["address"],
            text=data["text"],
            received_at=datetime.fromisoformat(data["received_at"]),
            status=data["status"],
            audio_url=voice_note_path(data["audio"]["audio_id"]) if data.get("audio") else None,
            audio_seconds=data["audio"].get("duration_seconds") if data.get("audio") else None,
        )
