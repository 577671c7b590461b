"""The e-mail opt-out: every e-mail carries a signed link to stop e-mails (RFC 8058 one-click
``POST``, or a plain ``GET`` from a person clicking it). SMS has STOP, Telegram /stop, push
its switch on the phone."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from services.notify.domain.signatures import read_unsubscribe_token
from services.notify.exchange import ExchangeDep
from services.notify.recipients import opt_out
from services.runtime.errors import DomainError
from services.runtime.service import RuntimeDep

router = APIRouter(tags=["unsubscribe"])

DONE = {
    "km": "អ្នកនឹងមិនទទួលអ៊ីមែលពីឃុំទៀតទេ។",
    "en": "You will get no more e-mails from Khum.",
}


async def _unsubscribe(token: str, runtime: RuntimeDep, exchange: ExchangeDep) -> PlainTextResponse:
    contact_id = read_unsubscribe_token(exchange.settings.secret("identity_secret"), token)
    if contact_id is None or not contact_id.startswith("email:"):
        raise DomainError(
            "unsubscribe.link_invalid",
            "This link is not valid. Please use the link in the e-mail.",
            "តំណនេះមិនត្រឹមត្រូវទេ។ សូមប្រើតំណក្នុងអ៊ីមែល។",
            status=404,
        )
    async with runtime.unit_of_work() as tx:
        contact = await tx.get("contacts", contact_id)
        if contact is not None:
            await opt_out(tx, contact, exchange.clock.now())
    language = (contact or {}).get("language") or "km"
    return PlainTextResponse(DONE.get(language, DONE["km"]))


@router.get("/unsubscribe/{token}", response_class=PlainTextResponse)
async def unsubscribe_link(token: str, runtime: RuntimeDep, exchange: ExchangeDep) -> PlainTextResponse:
    return await _unsubscribe(token, runtime, exchange)


@router.post("/unsubscribe/{token}", response_class=PlainTextResponse)
async def unsubscribe_one_click(token: str, runtime: RuntimeDep, exchange: ExchangeDep) -> PlainTextResponse:
    return await _unsubscribe(token, runtime, exchange)
