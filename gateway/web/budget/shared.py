"""What the budget pages share: who may edit, calling the budget service, its refusals as a page,
the commune's name, and posting a council form (CSRF-checked here, because a stale form gets
the page again with the error)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from gateway.clients import Caller, ServiceError
from gateway.clients.budget import BudgetClient
from gateway.i18n import page_language, translate
from gateway.identity.accounts import Session, same_token
from gateway.identity.callers import public_identity
from gateway.web.guards import current_session
from gateway.web.render import gateway_of, render
from services.runtime.identity import COUNCIL_ROLES, Identity, Role

Text = Annotated[str, Form(max_length=20_000)]


def is_council(session: Session, commune: str) -> bool:
    account = session.account
    return account.role in COUNCIL_ROLES and account.identity().covers(commune)


def can_check(session: Session, commune: str) -> bool:
    """Community checks are led by the commune's facilitators, or its council."""
    account = session.account
    return is_council(session, commune) or (
        account.role == Role.FACILITATOR and account.identity().covers(commune)
    )


# A form's one call to budget, made as the signed-in caller once the form is checked.
Send = Callable[[BudgetClient, Caller], Awaitable[object]]


Body = TypeVar("Body", bound=BaseModel)


def as_typed(model: type[Body], **fields: Any) -> Body:
    """A form's fields as typed (text), in the request model budget takes: budget reads the
    text (e.g. an amount with separators) and refuses what is wrong with its own code and message."""
    return model.model_construct(**fields)


def budget(request: Request) -> BudgetClient:
    return gateway_of(request).clients.budget


def caller(request: Request, identity: Identity) -> Caller:
    """``identity`` asking budget, refused in the page's language."""
    return Caller(identity, page_language(request))


def fail(request: Request, session: Session | None, exc: ServiceError) -> Response:
    lang = page_language(request)
    status = exc.status if 400 <= exc.status < 500 else 503
    return render(
        request, "error.html", session, status, title=translate(lang, "Not available"), message=exc.message
    )


async def form_post(
    request: Request, csrf_token: str, send: Send, back: str
) -> tuple[Session | None, Response | None, ServiceError | None]:
    """Check the session and its CSRF token, then forward a form to the budget service."""
    session = await current_session(request)
    if not same_token(csrf_token, session.csrf_token):
        lang = page_language(request)
        error = ServiceError(400, "auth.csrf", translate(lang, "Your page is out of date. Please reload it."))
        return session, None, error
    try:
        await send(budget(request), caller(request, session.account.identity()))
    except ServiceError as exc:
        return session, None, exc
    return session, RedirectResponse(f"{back}?saved=1", status_code=303), None


async def commune_name(request: Request, commune: str) -> str:
    lang = page_language(request)
    try:
        found = await gateway_of(request).clients.intake.communes(Caller(public_identity(commune), lang))
    except ServiceError:
        return commune  # the page still works while intake is down
    for entry in found:
        if entry.code == commune:
            return entry.name_km if lang == "km" else entry.name_latin
    return commune
