"""Messages to a commune's Facebook Page, through the Messenger Platform's webhook.

``GET /webhooks/facebook`` answers the app dashboard's verification (``hub.mode=subscribe``,
``hub.verify_token``, ``hub.challenge``). ``POST`` carries ``{"object": "page", "entry": [{"id":
<page id>, "messaging": [{"sender": {"id": <PSID>}, "timestamp": <ms>, "message": {"mid",
"text"}}]}]}``, signed with ``X-Hub-Signature-256``. Each text message to a Page we know
(``facebook_pages``: Page -> commune) is handled like an SMS or Telegram message: commands
answered, anything else a need draft; answers leave through the Send API from the same Page.

Facebook batches several messages in one POST and retries the whole POST until it gets a 200,
so every message is stored once by its ``mid``, all in one transaction.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from contracts.notify import InboundChannel
from services.notify.domain.messenger import HUB_SIGNATURE_HEADER, verify_hub_signature
from services.notify.domain.signatures import same_secret
from services.notify.exchange import Exchange, ExchangeDep
from services.notify.inbound import Inbound, InboundHandler
from services.notify.voice import REFUSALS, fetch_audio, refuse_voice, sniff_type, take_voice_note
from services.notify.webhooks import WebhookAnswer, _body, _not_configured, _parse, _unauthorised
from services.notify.wiring import InboundDep, WakeupDep
from services.runtime.errors import DomainError
from services.runtime.service import Runtime, RuntimeDep

log = logging.getLogger(__name__)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


class _Party(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=40, pattern=r"^\d+$")


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str | None = Field(default=None, max_length=4000)


class _Attachment(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str = Field(max_length=40)
    payload: _Payload | None = None


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore")

    mid: str = Field(min_length=1, max_length=200)
    text: str | None = Field(default=None, max_length=10_000)
    is_echo: bool = False
    attachments: list[_Attachment] = Field(default_factory=list, max_length=20)

    def audio_url(self) -> str | None:
        """A voice message: Messenger sends it as an ``audio`` attachment with a file URL."""
        found = next((a for a in self.attachments if a.type == "audio" and a.payload and a.payload.url), None)
        return found.payload.url if found and found.payload else None


class _Messaging(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sender: _Party
    timestamp: int | None = None
    message: _Message | None = None


class _Entry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=40)
    messaging: list[_Messaging] = Field(default_factory=list, max_length=1000)


class PageUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    object: str
    entry: list[_Entry] = Field(default_factory=list, max_length=1000)


class FacebookAnswer(WebhookAnswer):
    accepted: int = 0
    duplicates: int = 0
    ignored: int = 0


async def _voice_message(
    runtime: Runtime,
    exchange: Exchange,
    inbound: InboundHandler,
    mid: str,
    sender: str,
    commune: str,
    when: datetime,
    url: str,
) -> str:
    """A voice message to the Page: fetched from the file URL the signed event gives (only over
    HTTPS, or from the configured Graph host), kept like a Telegram voice note. A file we will
    never keep is recorded and the person told; a failed download makes Facebook send it again."""
    settings = exchange.settings
    if await runtime.store.find_one("inbound_messages", {"provider_key": f"facebook:{mid}"}):
        return "duplicate"
    if not (url.startswith("https://") or url.startswith(settings.facebook_graph_base.rstrip("/") + "/")):
        return "ignored"
    try:
        data, declared = await fetch_audio(url, settings.voice_max_bytes, "Facebook")
        _, duplicate, _ = await take_voice_note(
            runtime,
            exchange,
            inbound,
            channel=InboundChannel.FACEBOOK,
            provider_id=mid,
            sender=sender,
            received_at=when,
            data=data,
            mime_type=sniff_type(data, declared),
            duration=None,
            commune_code=commune,
        )
    except DomainError as exc:
        if exc.code not in REFUSALS:
            raise
        await refuse_voice(
            runtime, exchange, inbound, InboundChannel.FACEBOOK, mid, sender, exc.code, commune
        )
        return "ignored"
    return "duplicate" if duplicate else "accepted"


@router.get("/facebook", response_class=PlainTextResponse)
async def verify_subscription(
    exchange: ExchangeDep,
    mode: Annotated[str, Query(alias="hub.mode", max_length=40)] = "",
    token: Annotated[str, Query(alias="hub.verify_token", max_length=500)] = "",
    challenge: Annotated[str, Query(alias="hub.challenge", max_length=200)] = "",
) -> str:
    """The app dashboard checks that we own the URL: echo its challenge if the token is ours."""
    expected = exchange.settings.secret("facebook_verify_token")
    if not expected:
        raise _not_configured()
    if mode != "subscribe" or not same_secret(token, expected):
        raise DomainError(
            "webhook.verify_token_invalid",
            "The webhook's verify token is wrong.",
            "លេខផ្ទៀងផ្ទាត់របស់ webhook មិនត្រឹមត្រូវទេ។",
            status=403,
        )
    return challenge


@router.post("/facebook", response_model=FacebookAnswer)
async def page_messages(
    request: Request, runtime: RuntimeDep, exchange: ExchangeDep, inbound: InboundDep, wakeup: WakeupDep
) -> FacebookAnswer:
    """Messages people sent to communes' Facebook Pages."""
    settings = exchange.settings
    secret = settings.secret("facebook_app_secret")
    if not secret:
        raise _not_configured()
    raw = await _body(request)
    if not verify_hub_signature(secret, request.headers.get(HUB_SIGNATURE_HEADER), raw):
        raise _unauthorised()
    update = _parse(PageUpdate, raw)
    if update.object != "page":
        return FacebookAnswer(status="ignored")
    now = exchange.clock.now()
    messages: list[Inbound] = []
    voices: list[tuple[str, str, str, datetime, str]] = []
    ignored = 0
    for entry in update.entry:
        commune = settings.facebook_pages.get(entry.id)
        for event in entry.messaging:
            message = event.message
            url = message.audio_url() if message is not None else None
            if commune is None or message is None or message.is_echo or not (message.text or url):
                ignored += 1  # a Page we do not serve, our own echo, a sticker or a reaction
                continue
            when = datetime.fromtimestamp(event.timestamp / 1000, UTC) if event.timestamp else now
            sender = f"{entry.id}:{event.sender.id}"
            if url and not message.text:
                voices.append((message.mid, sender, commune, when, url))
                continue
            messages.append(
                Inbound(
                    channel=InboundChannel.FACEBOOK,
                    provider_id=message.mid,
                    sender=sender,
                    text=message.text or "",
                    received_at=when,
                    commune_code=commune,
                )
            )
    accepted = duplicates = 0
    if messages:
        async with runtime.unit_of_work() as tx:
            for one in messages:
                result = await inbound.handle(tx, one, now)
                duplicates += result.duplicate
                accepted += not result.duplicate
        wakeup.ring()
    for mid, sender, commune, when, url in voices:
        outcome = await _voice_message(runtime, exchange, inbound, mid, sender, commune, when, url)
        duplicates += outcome == "duplicate"
        accepted += outcome == "accepted"
        ignored += outcome == "ignored"
    if voices:
        wakeup.ring()
    if ignored:
        log.info("Facebook webhook: %d event(s) ignored", ignored)
    return FacebookAnswer(
        status="accepted" if accepted else ("duplicate" if duplicates else "ignored"),
        accepted=accepted,
        duplicates=duplicates,
        ignored=ignored,
    )
