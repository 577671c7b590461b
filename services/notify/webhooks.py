"""Public webhooks: SMS delivery receipts, SMS and Telegram messages from citizens.

Nobody here holds an identity token: each request is authenticated by what only the provider
knows, an HMAC signature (SMS) or the secret token given to ``setWebhook`` (Telegram). A bad
signature or token gets 401 before anything is read or stored. A webhook whose secret is not
configured does not exist (404).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts.notify import InboundChannel
from services.notify.deliveries import apply_receipt
from services.notify.domain.signatures import SIGNATURE_HEADER, same_secret, verify
from services.notify.exchange import Exchange, ExchangeDep
from services.notify.inbound import Inbound
from services.notify.voice import TelegramVoice, telegram_voice_update
from services.notify.wiring import InboundDep, WakeupDep
from services.runtime.errors import DomainError
from services.runtime.service import RuntimeDep
from services.runtime.stores import Transaction

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

MAX_BODY = 64 * 1024
TELEGRAM_SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name
FINAL_RECEIPTS = frozenset({"delivered", "failed", "expired", "rejected", "undelivered"})


class SmsInboundBody(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str = Field(min_length=1, max_length=100)
    sender: str = Field(alias="from", min_length=1, max_length=40)
    to: str | None = Field(default=None, max_length=40)
    text: str = Field(max_length=10_000)
    received_at: datetime | None = None


class SmsReceiptBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=100)
    status: str = Field(min_length=1, max_length=40)
    reference: str | None = Field(default=None, max_length=100)
    error: str | None = Field(default=None, max_length=500)


class TelegramChat(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int
    type: str = "private"


class TelegramMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message_id: int
    date: int
    chat: TelegramChat
    text: str | None = Field(default=None, max_length=10_000)
    voice: TelegramVoice | None = None
    caption: str | None = Field(default=None, max_length=1024)


class TelegramUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    update_id: int
    message: TelegramMessage | None = None


class WebhookAnswer(BaseModel):
    status: Literal["accepted", "duplicate", "applied", "pending", "ignored"]
    message_id: str | None = None
    outcome: str | None = None


B = TypeVar("B", bound=BaseModel)


def _not_configured() -> DomainError:
    return DomainError(
        "webhook.not_configured", "This webhook is not configured.", "Webhook នេះមិនទាន់បានកំណត់ទេ។", status=404
    )


def _unauthorised() -> DomainError:
    return DomainError(
        "webhook.signature_invalid",
        "The webhook's signature or secret is wrong.",
        "ហត្ថលេខា ឬលេខសម្ងាត់របស់ webhook មិនត្រឹមត្រូវទេ។",
        status=401,
    )


async def _body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise DomainError(
            "webhook.too_large", "The webhook body is too large.", "ទិន្នន័យ webhook ធំពេក។", status=413
        )
    return body


def _parse(model: type[B], body: bytes) -> B:
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors())
        raise DomainError(
            "webhook.payload_invalid",
            "The webhook payload is malformed: {fields}.",
            "ទិន្នន័យ webhook មិនត្រឹមត្រូវ៖ {fields}។",
            status=400,
            fields=fields,
        ) from None


async def _signed(request: Request, exchange: Exchange) -> bytes:
    secret = exchange.settings.secret("sms_webhook_secret")
    if not secret:
        raise _not_configured()
    body = await _body(request)
    now = exchange.clock.now()
    if not verify(
        secret, request.headers.get(SIGNATURE_HEADER), body, now, exchange.settings.webhook_tolerance_seconds
    ):
        raise _unauthorised()
    return body


@router.post("/sms/inbound", response_model=WebhookAnswer)
async def sms_inbound(
    request: Request, runtime: RuntimeDep, exchange: ExchangeDep, inbound: InboundDep, wakeup: WakeupDep
) -> WebhookAnswer:
    """A citizen's SMS to a commune's number, from the provider."""
    body = _parse(SmsInboundBody, await _signed(request, exchange))
    now = exchange.clock.now()
    message = Inbound(
        channel=InboundChannel.SMS,
        provider_id=body.id,
        sender=body.sender,
        text=body.text,
        received_at=(body.received_at or now).astimezone(UTC),
        to=body.to,
    )
    async with runtime.unit_of_work() as tx:
        result = await inbound.handle(tx, message, now)
    wakeup.ring()
    return WebhookAnswer(
        status="duplicate" if result.duplicate else "accepted",
        message_id=result.message_id,
        outcome=result.outcome,
    )


@router.post("/sms/receipts", response_model=WebhookAnswer)
async def sms_receipt(request: Request, runtime: RuntimeDep, exchange: ExchangeDep) -> WebhookAnswer:
    """A delivery receipt: the network delivered the SMS, or never will."""
    body = _parse(SmsReceiptBody, await _signed(request, exchange))
    status = body.status.lower()
    if status not in FINAL_RECEIPTS:
        return WebhookAnswer(status="ignored", outcome=status)  # "accepted", "buffered"...: not news
    now = exchange.clock.now()
    async with runtime.unit_of_work() as tx:
        return await record_receipt(tx, body.id, status, body.error, now, reference=body.reference)


async def record_receipt(
    tx: Transaction,
    provider_id: str,
    final: str,
    error: str | None,
    now: datetime,
    *,
    reference: str | None = None,
) -> WebhookAnswer:
    """A final delivery state from any SMS provider, by its message id. A receipt that beats our
    own record of the send is kept until the send is recorded (``pending_receipts``)."""
    doc = await tx.find_one("deliveries", {"provider_id": provider_id})
    if doc is None:
        if await tx.get("pending_receipts", provider_id) is None:
            pending: dict[str, Any] = {
                "id": provider_id,
                "status": final,
                "error": error,
                "reference": reference,
                "received_at": now.isoformat(),
                "applied": False,
            }
            await tx.insert("pending_receipts", pending)
        return WebhookAnswer(status="pending")
    moved = await apply_receipt(tx, doc, final, error, now)
    return WebhookAnswer(status="applied" if moved else "ignored", message_id=doc["id"])


@router.post("/telegram", response_model=WebhookAnswer)
async def telegram_update(
    request: Request, runtime: RuntimeDep, exchange: ExchangeDep, inbound: InboundDep, wakeup: WakeupDep
) -> WebhookAnswer:
    """An update from Telegram (setWebhook with ``secret_token``)."""
    secret = exchange.settings.secret("telegram_webhook_secret")
    if not secret:
        raise _not_configured()
    if not same_secret(request.headers.get(TELEGRAM_SECRET_HEADER), secret):
        raise _unauthorised()
    update = _parse(TelegramUpdate, await _body(request))
    message = update.message
    if message is not None and message.chat.type == "private" and message.voice is not None:
        message_id, duplicate, outcome = await telegram_voice_update(
            runtime,
            exchange,
            inbound,
            chat_id=message.chat.id,
            message_id=message.message_id,
            date=message.date,
            voice=message.voice,
            caption=message.caption,
        )
        wakeup.ring()
        return WebhookAnswer(
            status="duplicate" if duplicate else "accepted", message_id=message_id, outcome=outcome
        )
    if message is None or message.chat.type != "private" or message.text is None:
        return WebhookAnswer(status="ignored")  # edits, photos, group chatter: nothing to answer
    now = exchange.clock.now()
    update_in = Inbound(
        channel=InboundChannel.TELEGRAM,
        provider_id=f"{message.chat.id}:{message.message_id}",
        sender=str(message.chat.id),
        text=message.text,
        received_at=datetime.fromtimestamp(message.date, UTC),
    )
    async with runtime.unit_of_work() as tx:
        result = await inbound.handle(tx, update_in, now)
    wakeup.ring()
    return WebhookAnswer(
        status="duplicate" if result.duplicate else "accepted",
        message_id=result.message_id,
        outcome=result.outcome,
    )
