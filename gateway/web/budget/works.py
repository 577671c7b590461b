"""After the money, in pages: the council records a project's stages, a facilitator or the council
records a community check, and a citizen rates the completed works on the track page.

The citizen's form needs no sign-in: the 6-digit feedback code from the receipt proves who
speaks (intake counts wrong codes and locks after five), so the gateway always forwards it with
the public identity, even for a signed-in visitor, and no session or CSRF token is involved.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from contracts.api import budget as api
from contracts.api.intake import FeedbackIn
from contracts.budget import ProjectStage
from gateway.clients import Caller, ServiceError
from gateway.i18n import page_language, translate
from gateway.identity.callers import PUBLIC_IDENTITY, public_identity
from gateway.web.budget.projects import _after_project_post
from gateway.web.budget.shared import Text, as_typed, budget, caller
from gateway.web.guards import PageRoute
from gateway.web.needs import tracked_card
from gateway.web.render import gateway_of, render, signed_in

router = APIRouter(include_in_schema=False, route_class=PageRoute)

# The groups of a community check, in the order the form shows them (services/budget/implementation).
CHECK_GROUPS = ("all", "women", "men", "youth", "elderly", "disability", "idpoor", "indigenous", "migrant")
ANSWERS = ("participants", "built", "works", "used")
# Budget refuses photos over 400 KB with its own message; reading one byte more is enough to
# let it say so, and the gateway's body limit has already capped the upload.
PHOTO_READ_LIMIT = 400_001
PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})


@router.post("/budget/projects/{project_id}/stages")
async def stage_form(
    request: Request,
    project_id: str,
    csrf_token: Text,
    stage: Text,
    on: Text,
    note: Text = "",
    photo_ref: Text = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    fields: dict[str, Any] = {"stage": stage, "on": on, "note": note, "photo_ref": photo_ref}
    if photo is not None and photo.filename:
        raw = await photo.read(PHOTO_READ_LIMIT)
        if raw:
            fields["photo"] = base64.b64encode(raw).decode("ascii")
    if stage not in {s.value for s in ProjectStage}:
        fields["stage"] = ""  # the service answers with its own clear refusal
    body = as_typed(api.StageIn, **fields)
    return await _after_project_post(
        request, project_id, csrf_token, lambda client, who: client.set_stage(who, project_id, body)
    )


@router.get("/communes/{commune}/photos/{photo_id}")
async def stage_photo(request: Request, commune: str, photo_id: str) -> Response:
    """Public: a stage's photo as budget keeps it (its location metadata removed on upload)."""
    if not re.fullmatch(r"\d{6}", commune) or len(photo_id) > 64:
        return Response(status_code=404)
    try:
        found = await budget(request).photo(caller(request, public_identity(commune)), photo_id)
        data = base64.b64decode(found.data, validate=True)
    except ServiceError as exc:
        return Response(status_code=exc.status if 400 <= exc.status < 500 else 503)
    except binascii.Error:
        return Response(status_code=502)
    if found.content_type not in PHOTO_TYPES:
        return Response(status_code=404)
    headers = {
        # A photo never changes under its id.
        "cache-control": "public, max-age=31536000, immutable",
        "x-content-type-options": "nosniff",
        "content-security-policy": "default-src 'none'",
    }
    return Response(data, media_type=found.content_type, headers=headers)


def _number(raw: str) -> int | str:
    """Digits (Latin or Khmer) as a number; anything else as typed, for the domain to refuse."""
    text = raw.strip().translate(str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789"))
    return int(text) if text.isdigit() and len(text) < 7 else text[:10]


@router.post("/budget/projects/{project_id}/checks")
async def check_form(request: Request, project_id: str) -> Response:
    """One row per group; rows left without participants are groups that were not there."""
    form = await request.form()
    value = {k: str(v)[:100] for k, v in form.items() if isinstance(v, str)}
    scores = [
        as_typed(api.ScoreBody, group=group, **{a: _number(value.get(f"{a}_{group}", "")) for a in ANSWERS})
        for group in CHECK_GROUPS
        if value.get(f"participants_{group}", "").strip()
    ]
    body = as_typed(api.CheckIn, held_on=value.get("held_on", ""), scores=scores, note=value.get("note", ""))
    return await _after_project_post(
        request,
        project_id,
        value.get("csrf_token", ""),
        lambda client, who: client.record_check(who, project_id, body),
    )


@router.post("/track/verify")
async def verify_form(
    request: Request,
    code: Annotated[str, Form(max_length=40)],
    feedback_code: Annotated[str, Form(max_length=20)] = "",
    rating: Annotated[str, Form(max_length=2)] = "",
    comment: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """A raiser rates the completed works with the tracking code and the receipt's feedback code."""
    lang = page_language(request)
    intake = gateway_of(request).clients.intake
    score = int(rating) if rating.isdigit() else None
    try:
        if score is None:
            raise ServiceError(
                400, "need.rating_invalid", translate(lang, "Choose a rating from 1 (bad) to 5 (very good).")
            )
        body = FeedbackIn.model_construct(
            code=code,
            satisfied=score >= 3,
            rating=score,
            comment=comment or None,
            secret=feedback_code or None,
        )
        await intake.record_feedback(Caller(PUBLIC_IDENTITY, lang), body)
    except ServiceError as exc:
        return await _track_again(request, code, exc)
    return RedirectResponse(f"/track?code={quote(code)}&thanks=1", status_code=303)


async def _track_again(request: Request, code: str, refused: ServiceError) -> Response:
    """The track page again with the refusal beside the form (the code typed is kept)."""
    session = await signed_in(request)
    lang = page_language(request)
    status = refused.status if 400 <= refused.status < 500 else 503
    try:
        found = await gateway_of(request).clients.intake.track(Caller(PUBLIC_IDENTITY, lang), code)
    except ServiceError as exc:
        return render(request, "track.html", session, status, code=code, need=None, error=exc.message)
    return render(
        request,
        "track.html",
        session,
        status,
        code=code,
        need=tracked_card(found.survivor or found.need, lang),
        merged_from=found.need.tracking_code if found.survivor else None,
        error=None,
        verify_error=refused.message,
    )
