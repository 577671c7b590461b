"""Citizens' messages (SMS, Telegram) waiting to become needs."""

from __future__ import annotations

from datetime import datetime

import strawberry

from contracts.api.intake import Draft
from gateway.graphql.ids import Node, to_global


def voice_note_path(audio_id: str) -> str:
    """Where the gateway serves a voice note (gateway/web/voice.py)."""
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
    def of(cls, draft: Draft) -> NeedDraft:
        return cls(
            id=to_global("NeedDraft", draft.id),
            commune_code=draft.commune_code,
            channel=draft.channel.value,
            sender=draft.sender.address,
            text=draft.text,
            received_at=draft.received_at,
            status=draft.status,
            audio_url=voice_note_path(draft.audio.audio_id) if draft.audio else None,
            audio_seconds=draft.audio.duration_seconds if draft.audio else None,
        )
