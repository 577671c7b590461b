"""Pages of the notifications exchange: what was sent to whom (the council's view), and the
loudspeaker scripts a village chief reads out, printable, marked "announced" when done."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from contracts.api.notify import DeliveryPublic, ScriptPublic
from contracts.notify import DeliveryChannel, DeliveryStatus
from gateway.clients import Caller, ServiceError
from gateway.i18n import page_language, translate
from gateway.identity.accounts import Session, same_token
from gateway.web import formatting
from gateway.web.guards import PageRoute, SessionDep
from gateway.web.render import gateway_of, render
from services.runtime.identity import COUNCIL_ROLES, Role

router = APIRouter(include_in_schema=False, route_class=PageRoute)

VIEWERS = frozenset({*COUNCIL_ROLES, Role.PROVINCE_ADMIN, Role.NATIONAL_ADMIN})
CHANNEL_LABELS = {
    "in_app": "In the app",
    "push": "Phone alert",
    "sms": "SMS",
    "telegram": "Telegram",
    "email": "E-mail",
    "loudspeaker": "Loudspeaker",
}
CHANNEL_ICONS = {
    "in_app": "📥",
    "push": "📲",
    "sms": "💬",
    "telegram": "✈️",
    "email": "✉️",
    "loudspeaker": "📢",
}
STATUS_LABELS = {
    "queued": "Waiting to be sent",
    "sending": "Sending",
    "sent": "Sent",
    "delivered": "Delivered",
    "failed": "Not delivered",
}
STATUS_ICONS = {"queued": "⏳", "sending": "📤", "sent": "✔️", "delivered": "✅", "failed": "❌"}
KIND_LABELS = {
    "need_submitted": "New need, for the council",
    "need_receipt": "Receipt with the tracking code",
    "need_status_changed": "A need's status changed",
    "need_followed": "Now following a need",
    "need_outcome": "Outcome read out in the village",
}


def _when(value: datetime | None, lang: str) -> str:
    if not value:
        return ""
    return formatting.local_datetime(value, lang)


def _error(request: Request, session: Session, status: int, title: str, message: str) -> Response:
    return render(request, "error.html", session, status, title=title, message=message)


def _refused(request: Request, session: Session, title: str, exc: ServiceError) -> Response:
    return _error(request, session, exc.status if exc.status < 500 else 503, title, exc.message)


def _caller(request: Request, session: Session) -> Caller:
    return Caller(session.account.identity(), page_language(request))


# A loudspeaker script is not sent: it waits for the chief to read it out, or is replaced.
LOUDSPEAKER_STATUS = {
    "queued": ("📢", "To announce"),
    "delivered": ("✅", "Read aloud"),
}
SUPERSEDED = "loudspeaker.superseded"


def _status_of(item: DeliveryPublic) -> tuple[str, str]:
    status = item.status.value
    if item.channel is DeliveryChannel.LOUDSPEAKER:
        if item.last_error is not None and item.last_error.code == SUPERSEDED:
            return "🔁", "Replaced by a newer script"
        if status in LOUDSPEAKER_STATUS:
            return LOUDSPEAKER_STATUS[status]
    return STATUS_ICONS.get(status, "•"), STATUS_LABELS.get(status, status)


def _sms_cost(item: DeliveryPublic, lang: str) -> str:
    if not item.segments or item.cost_riel is None:
        return ""
    alphabet = "Khmer/Unicode" if item.encoding == "ucs2" else "Latin"
    return translate(lang, "%(n)s SMS parts (%(alphabet)s) · about %(riel)s riel") % {
        "n": formatting.number(item.segments, lang),
        "alphabet": translate(lang, alphabet),
        "riel": formatting.number(item.cost_riel, lang),
    }


def delivery_row(item: DeliveryPublic, lang: str) -> dict[str, Any]:
    kind = KIND_LABELS.get(item.kind)
    error = item.last_error
    channel = item.channel.value
    status_icon, status_label = _status_of(item)
    waiting = item.status is DeliveryStatus.QUEUED and item.channel is not DeliveryChannel.LOUDSPEAKER
    return {
        "channel": channel,
        "channel_icon": CHANNEL_ICONS.get(channel, "•"),
        "channel_label": translate(lang, CHANNEL_LABELS.get(channel, channel)),
        "status": item.status.value,
        "status_icon": status_icon,
        "status_label": translate(lang, status_label),
        "cost": _sms_cost(item, lang),
        "kind_label": translate(lang, kind) if kind else item.kind,
        "recipient": item.recipient,
        "ref": item.ref,
        "text": item.text,
        "attempts": item.attempts,
        "segments": item.segments,
        "error": f"{error.code}: {error.reason}" if error else None,
        "when": _when(item.updated_at, lang),
        "next": _when(item.next_attempt_at, lang) if waiting else "",
    }


@router.get("/notify/deliveries")
async def deliveries_page(
    request: Request,
    session: SessionDep,
    status: str | None = None,
    channel: str | None = None,
    after: str | None = None,
) -> Response:
    """The council's view: what was sent to whom, and what failed."""
    lang = page_language(request)
    title = translate(lang, "Messages sent")
    if session.account.role not in VIEWERS:
        message = translate(lang, "Only the commune council sees what was sent to whom.")
        return _error(request, session, 403, title, message)
    try:
        page = await gateway_of(request).clients.notify.deliveries(
            _caller(request, session),
            status=DeliveryStatus(status) if status in STATUS_LABELS else None,
            channel=DeliveryChannel(channel) if channel in CHANNEL_LABELS else None,
            after=after or None,
            limit=50,
        )
    except ServiceError as exc:
        return _refused(request, session, title, exc)
    statuses = [
        {"value": k, "icon": STATUS_ICONS[k], "label": translate(lang, label)}
        for k, label in STATUS_LABELS.items()
    ]
    channels = [
        {"value": k, "icon": CHANNEL_ICONS[k], "label": translate(lang, label)}
        for k, label in CHANNEL_LABELS.items()
    ]
    return render(
        request,
        "notify_deliveries.html",
        session,
        rows=[delivery_row(item, lang) for item in page.items],
        next_after=page.next_after,
        chosen_status=status if status in STATUS_LABELS else "",
        chosen_channel=channel if channel in CHANNEL_LABELS else "",
        statuses=statuses,
        channels=channels,
    )


def script_card(doc: ScriptPublic, lang: str) -> dict[str, Any]:
    names = doc.village_name
    return {
        "id": doc.id,
        "ref": doc.ref,
        "village": (names.km if lang == "km" else names.latin) or doc.village_code,
        "village_code": doc.village_code,
        "text": doc.text.get(lang) or doc.text.get("km", ""),
        "quoted": doc.quoted,
        "status": doc.status,
        "created": _when(doc.created_at, lang),
        "announced": _when(doc.announced_at, lang),
        "announced_by": doc.announced_by_name or doc.announced_by or "",
    }


def _may_announce(session: Session, village_code: str) -> bool:
    """Mirrors notify's rule: the village chief (scoped to the village) or the commune chief."""
    account = session.account
    return village_code in account.communes or (
        account.role is Role.COMMUNE_CHIEF and village_code[:6] in account.communes
    )


def _card(session: Session, doc: ScriptPublic, lang: str) -> dict[str, Any]:
    return {**script_card(doc, lang), "may_announce": _may_announce(session, doc.village_code)}


@router.get("/loudspeaker")
async def loudspeaker_page(request: Request, session: SessionDep, village: str | None = None) -> Response:
    """The village chief's list: scripts to read out first, then those already announced."""
    lang = page_language(request)
    notify, caller = gateway_of(request).clients.notify, _caller(request, session)
    chosen = village if village and village.isdigit() and len(village) == 8 else None
    try:
        pending = await notify.scripts(caller, village=chosen, status="pending", limit=100)
        done = await notify.scripts(caller, village=chosen, status="announced", limit=100)
    except ServiceError as exc:
        return _refused(request, session, translate(lang, "Loudspeaker"), exc)
    return render(
        request,
        "loudspeaker.html",
        session,
        pending=[_card(session, d, lang) for d in pending.items],
        announced=[_card(session, d, lang) for d in done.items[:20]],
    )


@router.get("/loudspeaker/{script_id}")
async def loudspeaker_script_page(request: Request, session: SessionDep, script_id: str) -> Response:
    """One script, large and plain, ready to print or to read from the phone."""
    lang = page_language(request)
    try:
        doc = await gateway_of(request).clients.notify.script(_caller(request, session), script_id)
    except ServiceError as exc:
        return _refused(request, session, translate(lang, "Loudspeaker"), exc)
    return render(request, "loudspeaker_script.html", session, script=_card(session, doc, lang))


@router.post("/loudspeaker/{script_id}/announced")
async def mark_announced(
    request: Request,
    session: SessionDep,
    script_id: str,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    lang = page_language(request)
    if not same_token(csrf_token, session.csrf_token):
        message = translate(lang, "This page is out of date. Please open it again.")
        return _error(request, session, 400, translate(lang, "Loudspeaker"), message)
    try:
        await gateway_of(request).clients.notify.mark_announced(
            _caller(request, session), script_id, session.account.display_name
        )
    except ServiceError as exc:
        return _refused(request, session, translate(lang, "Loudspeaker"), exc)
    return RedirectResponse("/loudspeaker", status_code=303)
