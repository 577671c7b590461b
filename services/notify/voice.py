"""Voice notes: a citizen who cannot write speaks to the commune's Telegram bot.

Telegram's update carries only ``message.voice.file_id``; ``getFile`` gives a ``file_path`` and
the audio is at ``{api}/file/bot<token>/<file_path>``. Notify downloads it while answering the
webhook (a failure answers 502, so Telegram sends the update again and nothing is stored half
way), keeps it in ``voice_notes`` and publishes the usual InboundMessageReceived with a
reference to it, never the audio itself: events stay small. Intake's draft keeps the reference;
the gateway fetches the audio from here for the facilitator who transcribes it.

Only the commune's own facilitators and council hear it: a voice is personal data, and it is
erased with the rest of a person's messages (services/notify/erasure.py).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from contracts.api.notify import VoiceFile
from contracts.envelope import uuid7
from contracts.notify import DeliveryChannel, InboundAudio, InboundChannel
from services.notify.channels.base import SendError
from services.notify.channels.telegram import TelegramAdapter
from services.notify.deliveries import Cause
from services.notify.domain.rules import Notice, ToContacts
from services.notify.exchange import Exchange, ExchangeDep
from services.notify.inbound import NO_COMMUNE, Inbound, InboundHandler
from services.notify.recipients import ensure_contact
from services.runtime.errors import DomainError
from services.runtime.http import CallerDep
from services.runtime.identity import Role
from services.runtime.service import Runtime, RuntimeDep
from services.runtime.stores import Collection

REFUSALS = frozenset({"voice.too_large", "voice.type_invalid"})
"""Refusals that another try cannot change: answered 200 to Telegram, and told to the person."""
VOICE_NOTES = Collection("voice_notes", unique=("provider_key",), indexes=("commune_code", "contact_id"))
LISTENERS = frozenset({Role.FACILITATOR, Role.COMMUNE_CHIEF, Role.COUNCIL_MEMBER, Role.CLERK})
# What the file starts with, per type: a declared type must match the bytes.
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "audio/ogg": (b"OggS",),
    "audio/mpeg": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"),
    "audio/amr": (b"#!AMR",),
    "audio/webm": (b"\x1a\x45\xdf\xa3",),
}

router = APIRouter(tags=["voice"])


class TelegramVoice(BaseModel):
    model_config = ConfigDict(extra="ignore")

    file_id: str = Field(min_length=1, max_length=500)
    file_unique_id: str | None = Field(default=None, max_length=200)
    duration: int = Field(default=0, ge=0)
    mime_type: str | None = Field(default=None, max_length=100)
    file_size: int | None = Field(default=None, ge=0)


def voice_error(code: str, en: str, km: str, status: int) -> DomainError:
    return DomainError(code, en, km, status=status)


def _too_large(limit: int) -> DomainError:
    return DomainError(
        "voice.too_large",
        "The voice note is larger than {limit} bytes.",
        "សារសំឡេងធំជាង {limit} បៃ។",
        status=413,
        limit=limit,
    )


def sniff_type(data: bytes, declared: str) -> str:
    """The audio type for a file a CDN labels loosely (``video/mp4``, ``application/octet-stream``):
    what its first bytes say, else what was declared (check_audio then decides)."""
    if declared in _MAGIC or declared in ("audio/mp4", "audio/aac", "audio/x-m4a"):
        return declared
    if data[4:8] == b"ftyp":
        return "audio/mp4"
    return next((kind for kind, starts in _MAGIC.items() if data.startswith(starts)), declared)


def check_audio(data: bytes, mime_type: str, exchange: Exchange) -> None:
    """A type we accept, within the size limit, and bytes that are what the type says."""
    settings = exchange.settings
    if len(data) > settings.voice_max_bytes:
        raise _too_large(settings.voice_max_bytes)
    magic = _MAGIC.get(mime_type)
    mp4 = mime_type in ("audio/mp4", "audio/x-m4a")
    if (
        mime_type not in settings.voice_types
        or not data
        or (magic and not data.startswith(magic))
        or (mp4 and data[4:8] != b"ftyp")  # an ISO media file names its brand at byte 4
    ):
        raise voice_error(
            "voice.type_invalid", "This kind of audio is not accepted.", "មិនទទួលយកប្រភេទសំឡេងនេះទេ។", 415
        )


async def download_telegram_voice(exchange: Exchange, voice: TelegramVoice) -> tuple[bytes, str]:
    settings = exchange.settings
    adapter = exchange.adapters.get(DeliveryChannel.TELEGRAM)
    if not isinstance(adapter, TelegramAdapter):
        raise voice_error("voice.channel_off", "Telegram is not configured.", "Telegram មិនទាន់បានកំណត់ទេ។", 404)
    if voice.file_size is not None and voice.file_size > settings.voice_max_bytes:
        raise _too_large(settings.voice_max_bytes)
    unreachable = voice_error(
        "voice.download_failed",
        "Could not fetch the voice note from Telegram; it will be sent again.",
        "មិនអាចយកសារសំឡេងពី Telegram បានទេ វានឹងត្រូវផ្ញើម្តងទៀត។",
        502,
    )
    try:
        found = await adapter.call("getFile", {"file_id": voice.file_id})
    except SendError:
        raise unreachable from None
    path = found.get("file_path") if isinstance(found, dict) else None
    if not isinstance(path, str) or not path or ".." in path:
        raise unreachable
    url = f"{settings.telegram_api_base.rstrip('/')}/file/bot{settings.secret('telegram_bot_token')}/{path}"
    data, _ = await fetch_audio(url, settings.voice_max_bytes, "Telegram")
    return data, voice.mime_type or "audio/ogg"


async def fetch_audio(url: str, limit: int, source: str) -> tuple[bytes, str]:
    """The file's bytes and its declared type, read no further than ``limit`` bytes."""
    unreachable = voice_error(
        "voice.download_failed",
        f"Could not fetch the voice note from {source}; it will be sent again.",
        f"មិនអាចយកសារសំឡេងពី {source} បានទេ វានឹងត្រូវផ្ញើម្តងទៀត។",
        502,
    )
    chunks: list[bytes] = []
    size = 0
    try:
        async with httpx.AsyncClient(timeout=30) as http, http.stream("GET", url) as response:
            if response.status_code != 200:
                raise unreachable
            declared = response.headers.get("content-type", "").split(";")[0].strip().lower()
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                chunks.append(chunk)
    except httpx.HTTPError:
        raise unreachable from None
    return b"".join(chunks), declared


def voice_label(duration: int | None) -> str:
    """The draft's text until a facilitator writes what was said (Khmer first, then English)."""
    if not duration:
        return "🎤 សារសំឡេង · voice note"  # Messenger does not say how long
    return f"🎤 សារសំឡេង {duration} វិនាទី · voice note, {duration} s"


async def take_voice_note(
    runtime: Runtime,
    exchange: Exchange,
    inbound: InboundHandler,
    *,
    channel: InboundChannel,
    provider_id: str,
    sender: str,
    received_at: datetime,
    data: bytes,
    mime_type: str,
    duration: int | None,
    caption: str | None = None,
    commune_code: str | None = None,
) -> tuple[str, bool, str]:
    """Store the audio and hand the message on as a need message; one transaction for both."""
    check_audio(data, mime_type, exchange)
    now = exchange.clock.now()
    audio = InboundAudio(
        audio_id=uuid7(), mime_type=mime_type, size_bytes=len(data), duration_seconds=duration
    )
    text = (
        f"{caption.strip()}\n{voice_label(duration)}"
        if caption and caption.strip()
        else voice_label(duration)
    )
    message = Inbound(
        channel=channel,
        provider_id=provider_id,
        sender=sender,
        text=text,
        received_at=received_at,
        audio=audio,
        commune_code=commune_code,
    )
    async with runtime.unit_of_work() as tx:
        result = await inbound.handle(tx, message, now)
        if not result.duplicate and result.outcome == "need_message":
            seen = await tx.get("inbound_messages", result.message_id)
            await tx.insert(
                "voice_notes",
                {
                    "id": audio.audio_id,
                    "provider_key": f"{channel.value}:{provider_id}",
                    "message_id": result.message_id,
                    "commune_code": result.commune_code,
                    "contact_id": (seen or {}).get("contact_id"),
                    "mime_type": mime_type,
                    "size_bytes": len(data),
                    "duration_seconds": duration,
                    "data_base64": base64.b64encode(data).decode(),
                    "stored_at": now.astimezone(UTC).isoformat(),
                },
            )
    return result.message_id, result.duplicate, result.outcome


async def telegram_voice_update(
    runtime: Runtime,
    exchange: Exchange,
    inbound: InboundHandler,
    *,
    chat_id: int,
    message_id: int,
    date: int,
    voice: TelegramVoice,
    caption: str | None,
) -> tuple[str, bool, str]:
    """A Telegram voice message: fetched unless we already have it (Telegram repeats updates)."""
    provider_id = f"{chat_id}:{message_id}"
    seen = await runtime.store.find_one("inbound_messages", {"provider_key": f"telegram:{provider_id}"})
    if seen is not None:
        return seen["id"], True, seen["outcome"]
    try:
        data, mime_type = await download_telegram_voice(exchange, voice)
        return await take_voice_note(
            runtime,
            exchange,
            inbound,
            channel=InboundChannel.TELEGRAM,
            provider_id=provider_id,
            sender=str(chat_id),
            received_at=datetime.fromtimestamp(date, UTC),
            data=data,
            mime_type=mime_type,
            duration=voice.duration,
            caption=caption,
        )
    except DomainError as exc:
        if exc.code not in REFUSALS:
            raise  # e.g. the download failed: Telegram sends the update again
        return await refuse_voice(
            runtime, exchange, inbound, InboundChannel.TELEGRAM, provider_id, str(chat_id), exc.code
        )


async def refuse_voice(
    runtime: Runtime,
    exchange: Exchange,
    inbound: InboundHandler,
    channel: InboundChannel,
    provider_id: str,
    sender: str,
    code: str,
    commune_code: str | None = None,
) -> tuple[str, bool, str]:
    """A voice note we will never keep: the person is told so (and why, roughly) on the same
    channel, the message is recorded with the refusal's code, and the platform gets a 200 so it
    does not send it again."""
    now = exchange.clock.now()
    message_id = uuid7()
    async with runtime.unit_of_work() as tx:
        contact = await ensure_contact(tx, channel.value, sender, now, commune_code=commune_code)
        commune = commune_code or contact.get("commune_code") or NO_COMMUNE
        notice = Notice("reply_voice_refused", ToContacts(()), commune, {"need": None})
        await inbound.planner.to_contact(
            tx, Cause(message_id, message_id), notice, contact, notice.context, now, reply=True
        )
        await tx.insert(
            "inbound_messages",
            {
                "id": message_id,
                "provider_key": f"{channel.value}:{provider_id}",
                "channel": channel.value,
                "contact_id": contact["id"],
                "commune_code": commune_code or contact.get("commune_code"),
                "text": "",
                "command": None,
                "outcome": code,
                "received_at": now.isoformat(),
                "stored_at": now.isoformat(),
            },
        )
    return message_id, False, code


def _not_found() -> DomainError:
    return DomainError("voice.not_found", "No such voice note.", "រកមិនឃើញសារសំឡេងនេះទេ។", status=404)


@router.get("/voice-notes/{audio_id}", response_model=VoiceFile)
async def voice_note(
    audio_id: str, caller: CallerDep, runtime: RuntimeDep, exchange: ExchangeDep
) -> VoiceFile:
    """The audio for the commune's facilitators and council (base64 in JSON, like every answer;
    the gateway serves the bytes). Anyone else hears of no such note."""
    doc: dict[str, Any] | None = await runtime.store.get("voice_notes", audio_id[:100])
    if doc is None or caller.role not in LISTENERS or doc.get("commune_code") not in caller.communes:
        raise _not_found()
    return VoiceFile(
        audio_id=doc["id"],
        mime_type=doc["mime_type"],
        size_bytes=doc["size_bytes"],
        duration_seconds=doc.get("duration_seconds"),
        data_base64=doc["data_base64"],
    )
