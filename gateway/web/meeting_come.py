""" "I will come" on an announced meeting's public page (``/m/<id>``): a plain form, no account,
no JavaScript needed (a keypad phone's browser posts it too). The form carries a random id made
when the page was shown, so a double tap counts once. Nothing personal is asked: only, if the
person wants, the groups they belong to, counted with the others.
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from contracts.api.meetings.changes import IntentionIn
from gateway.clients import Caller, ServiceError
from gateway.i18n import page_language
from gateway.identity.callers import PUBLIC_IDENTITY
from gateway.ids import raw_id
from gateway.web.guards import PageRoute
from gateway.web.render import gateway_of

router = APIRouter(include_in_schema=False, route_class=PageRoute)

_ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")
_INTENTION = re.compile(r"^[0-9a-f]{32}$")
GROUPS = ("women", "disability", "idpoor", "indigenous", "migrant", "youth", "remote")


def new_intention_id() -> str:
    return secrets.token_hex(16)


@router.post("/m/{meeting_id}/come")
async def come(
    request: Request,
    meeting_id: str,
    intention_id: Annotated[str, Form(max_length=64)] = "",
    groups: Annotated[list[str] | None, Form(max_length=len(GROUPS))] = None,
) -> Response:
    lang = page_language(request)
    meeting_id = raw_id("Meeting", meeting_id)
    if not _ID.match(meeting_id):
        return RedirectResponse("/", status_code=303)
    body = IntentionIn.model_construct(
        intention_id=intention_id if _INTENTION.match(intention_id) else new_intention_id(),
        groups=[g for g in (groups or []) if g in GROUPS],
    )
    try:
        await gateway_of(request).clients.meetings.record_intention(
            Caller(PUBLIC_IDENTITY, lang), meeting_id, body
        )
    except ServiceError as exc:
        return RedirectResponse(f"/m/{meeting_id}?come_error={exc.code}", status_code=303)
    return RedirectResponse(f"/m/{meeting_id}?come=1#come", status_code=303)
