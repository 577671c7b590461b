"""``/demo/messages``: in the embedded demo only, what each citizen received through the demo's
pretend SMS, Telegram and mail channels (``infra/demo_channels.py``), grouped by person and
clearly marked as a demo. Anywhere else the page does not exist (404)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.clients.demo import DemoChannelsUnavailableError, received_messages
from gateway.i18n import page_language, translate
from gateway.web import formatting
from gateway.web.guards import PageRoute
from gateway.web.render import gateway_of, render, signed_in

router = APIRouter(include_in_schema=False, route_class=PageRoute)

CHANNEL_ICONS = {"sms": "💬", "telegram": "✈️", "email": "✉️"}
CHANNEL_LABELS = {"sms": "SMS", "telegram": "Telegram", "email": "E-mail"}


@router.get("/demo/messages")
async def demo_messages(request: Request) -> Response:
    session = await signed_in(request)
    lang = page_language(request)
    settings = gateway_of(request).settings
    if not (settings.demo and settings.demo_channels_url):
        title = translate(lang, "Not found")
        message = translate(lang, "This page exists only in the demo.")
        return render(request, "error.html", session, 404, title=title, message=message)
    try:
        items = await received_messages(settings.demo_channels_url)
    except DemoChannelsUnavailableError:
        title = translate(lang, "Not available")
        message = translate(lang, "The demo channels are not answering. Please try again later.")
        return render(request, "error.html", session, 503, title=title, message=message)
    people: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        people[(item.channel, item.to)].append(
            {**item.model_dump(), "when": formatting.local_datetime(item.at, lang)}
        )
    return render(
        request,
        "demo_messages.html",
        session,
        people=[
            {
                "channel": channel,
                "icon": CHANNEL_ICONS.get(channel, "•"),
                "label": translate(lang, CHANNEL_LABELS.get(channel, channel)),
                "to": to,
                "messages": messages,
            }
            for (channel, to), messages in people.items()
        ],
        total=len(items),
    )
