"""Webhooks of the SMS providers notify speaks besides its own format: incoming SMS and delivery
states from SMS Gateway for Android and from Twilio, each in the provider's documented shape.

Authenticated by what only the provider and we know: the Android app's HMAC-SHA256 signature
(``X-Signature`` over the raw body and ``X-Timestamp``, which must be recent), Twilio's
``X-Twilio-Signature`` (HMAC-SHA1 over the URL it called and the sorted form fields, with the
account's auth token). A bad signature gets 401 before anything is read or stored; a provider
that is not the configured one has no webhook (404). What they carry goes the same way as
Khum's own webhooks: the same inbound handling, dedup and delivery receipts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from contracts.notify import InboundChannel
from services.notify.domain.signatures import verify_android, verify_twilio
from services.notify.exchange import Exchange, ExchangeDep
from services.notify.inbound import Inbound
from services.notify.webhooks import (
    FINAL_RECEIPTS,
    WebhookAnswer,
    _body,
    _not_configured,
    _parse,
    _unauthorised,
    record_receipt,
)
from services.notify.wiring import InboundDep, WakeupDep
from services.runtime.errors import DomainError
from services.runtime.service import RuntimeDep

router = APIRouter(prefix="/webhooks/sms", tags=["webhooks"])

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
ANDROID_RECEIPTS = {"sms:delivered": "delivered", "sms:failed": "failed"}


class AndroidPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    messageId: str = Field(min_length=1, max_length=100)  # the app's own field names, as sent
    message: str | None = Field(default=None, max_length=10_000)
    phoneNumber: str | None = Field(default=None, max_length=40)
    receivedAt: datetime | None = None
    reason: str | None = Field(default=None, max_length=500)


class AndroidWebhook(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=100)
    event: str = Field(min_length=1, max_length=40)
    deviceId: str | None = Field(default=None, max_length=100)
    payload: AndroidPayload


def _android_on(exchange: Exchange) -> str:
    key = exchange.settings.secret("sms_android_signing_key")
    if exchange.settings.sms_provider != "android" or not key:
        raise _not_configured()
    return key


@router.post("/android", response_model=WebhookAnswer)
async def android_webhook(
    request: Request, runtime: RuntimeDep, exchange: ExchangeDep, inbound: InboundDep, wakeup: WakeupDep
) -> WebhookAnswer:
    """``sms:received`` becomes a citizen's message; ``sms:delivered``/``sms:failed`` a receipt."""
    key = _android_on(exchange)
    body = await _body(request)
    now = exchange.clock.now()
    headers = request.headers
    if not verify_android(
        key,
        headers.get("x-signature"),
        headers.get("x-timestamp"),
        body,
        now,
        exchange.settings.webhook_tolerance_seconds,
    ):
        raise _unauthorised()
    hook = _parse(AndroidWebhook, body)
    payload = hook.payload
    if hook.event in ANDROID_RECEIPTS:
        async with runtime.unit_of_work() as tx:
            return await record_receipt(
                tx, payload.messageId, ANDROID_RECEIPTS[hook.event], payload.reason, now
            )
    if hook.event != "sms:received" or payload.message is None or not payload.phoneNumber:
        return WebhookAnswer(status="ignored", outcome=hook.event)  # sms:sent, system:ping...
    message = Inbound(
        channel=InboundChannel.SMS,
        # The app's messageId is derived from the content, not unique; the webhook event's id is
        # what its retries repeat.
        provider_id=f"android:{hook.id}",
        sender=payload.phoneNumber,
        text=payload.message,
        received_at=(payload.receivedAt or now).astimezone(UTC),
    )
    async with runtime.unit_of_work() as tx:
        result = await inbound.handle(tx, message, now)
    wakeup.ring()
    return WebhookAnswer(
        status="duplicate" if result.duplicate else "accepted",
        message_id=result.message_id,
        outcome=result.outcome,
    )


async def _twilio_form(request: Request, exchange: Exchange) -> dict[str, str]:
    token = exchange.settings.secret("sms_twilio_auth_token")
    if exchange.settings.sms_provider != "twilio" or not token:
        raise _not_configured()
    body = await _body(request)
    try:
        fields = dict(parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body)))
    except (UnicodeDecodeError, ValueError):
        raise _invalid("body") from None
    # Twilio signs the URL it called: ours as the public knows it, when we are behind a proxy.
    public = exchange.settings.public_url.rstrip("/")
    url = f"{public}{request.url.path}" if public else str(request.url)
    if request.url.query and public:
        url = f"{url}?{request.url.query}"
    if not verify_twilio(token, request.headers.get("x-twilio-signature"), url, fields):
        raise _unauthorised()
    return fields


def _invalid(fields: str) -> DomainError:
    return DomainError(
        "webhook.payload_invalid",
        "The webhook payload is malformed: {fields}.",
        "ទិន្នន័យ webhook មិនត្រឹមត្រូវ៖ {fields}។",
        status=400,
        fields=fields,
    )


def _required(fields: dict[str, str], *names: str) -> None:
    missing = [n for n in names if not fields.get(n)]
    if missing or any(len(fields.get(n, "")) > 10_000 for n in names):
        raise _invalid(", ".join(missing) or "body")


@router.post("/twilio")
async def twilio_inbound(
    request: Request, runtime: RuntimeDep, exchange: ExchangeDep, inbound: InboundDep, wakeup: WakeupDep
) -> Response:
    """A citizen's SMS to our Twilio number; answered with empty TwiML (replies go by the API)."""
    fields = await _twilio_form(request, exchange)
    _required(fields, "MessageSid", "From")
    now = exchange.clock.now()
    message = Inbound(
        channel=InboundChannel.SMS,
        provider_id=fields["MessageSid"],
        sender=fields["From"],
        text=fields.get("Body", ""),
        received_at=now.astimezone(UTC),
        to=fields.get("To") or None,
    )
    async with runtime.unit_of_work() as tx:
        result = await inbound.handle(tx, message, now)
    wakeup.ring()
    answer = {"status": "duplicate" if result.duplicate else "accepted", "outcome": result.outcome}
    return Response(EMPTY_TWIML, media_type="text/xml", headers={"x-khum-result": json.dumps(answer)})


@router.post("/twilio/status", response_model=WebhookAnswer)
async def twilio_status(request: Request, runtime: RuntimeDep, exchange: ExchangeDep) -> WebhookAnswer:
    """Twilio's StatusCallback: queued, sent... are not news; delivered, undelivered, failed are."""
    fields = await _twilio_form(request, exchange)
    _required(fields, "MessageSid", "MessageStatus")
    status = fields["MessageStatus"].lower()
    if status not in FINAL_RECEIPTS:
        return WebhookAnswer(status="ignored", outcome=status)
    error = f"Twilio error {fields['ErrorCode']}" if fields.get("ErrorCode") else None
    async with runtime.unit_of_work() as tx:
        return await record_receipt(tx, fields["MessageSid"], status, error, exchange.clock.now())
