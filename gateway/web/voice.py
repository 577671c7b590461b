"""Voice notes citizens sent, played on the drafts page for the facilitator who transcribes them.

Notify keeps the audio and decides who may hear it (the commune's facilitators and council);
the gateway only signs the request with the session's identity and serves the bytes. Anyone
else gets the same 404 as for a note that does not exist.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.clients import Caller, ServiceError
from gateway.i18n import page_language
from gateway.web.guards import PageRoute, SessionDep
from gateway.web.render import gateway_of

router = APIRouter(include_in_schema=False, route_class=PageRoute)

_ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")


def _missing() -> Response:
    return Response("Not found", status_code=404, media_type="text/plain; charset=utf-8")


@router.get("/voice-notes/{audio_id}")
async def voice_note(request: Request, audio_id: str, session: SessionDep) -> Response:
    if not _ID.match(audio_id):
        return _missing()
    caller = Caller(session.account.identity(), page_language(request))
    try:
        audio = await gateway_of(request).clients.notify.voice_note(caller, audio_id)
    except ServiceError as exc:
        if exc.status in (403, 404):
            return _missing()
        return Response(exc.message, status_code=503, media_type="text/plain; charset=utf-8")
    except ValueError:  # an answer that does not parse or decode (pydantic's errors are ValueErrors)
        return Response("Bad answer", status_code=502, media_type="text/plain; charset=utf-8")
    return Response(
        audio.data,
        media_type=audio.content_type,
        # Personal data: never kept by a shared cache or the phone's HTTP cache.
        headers={"cache-control": "private, no-store", "content-disposition": "inline"},
    )
