"""Tablet pages for managing accounts and API tokens (admins; commune chiefs for their
facilitators). Plain forms with the session's CSRF token; secrets are shown once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from gateway.clients import ServiceError
from gateway.erasure import erase_person
from gateway.i18n import page_language, translate
from gateway.identity.accounts import Session
from gateway.identity.admin import ADMIN_ROLES, MANAGERS, AdminError
from gateway.web.guards import CsrfDep, PageRoute, SessionDep
from gateway.web.render import gateway_of, render
from services.runtime.identity import Role

router = APIRouter(include_in_schema=False, route_class=PageRoute)

MANAGER_ROLES = MANAGERS


async def _page(request: Request, session: Session, *, status: int = 200, **extra: object) -> Response:
    gateway = gateway_of(request)
    actor = session.account
    accounts, _ = await gateway.admin.list_accounts(actor, None, 100)
    tokens = await gateway.admin.tokens(actor) if actor.role in ADMIN_ROLES else []
    audit = await gateway.admin.audit_log(actor, None, 20) if actor.role in ADMIN_ROLES else []
    roles = [r for r in Role if r is not Role.PUBLIC] if actor.role in ADMIN_ROLES else [Role.FACILITATOR]
    return render(
        request,
        "admin.html",
        session,
        status,
        accounts=accounts,
        tokens=tokens,
        audit=audit,
        roles=roles,
        is_admin=actor.role in ADMIN_ROLES,
        is_national_admin=actor.role is Role.NATIONAL_ADMIN,
        **extra,
    )


@router.get("/admin")
async def admin_home(request: Request, session: SessionDep) -> Response:
    if session.account.role not in MANAGER_ROLES:
        return RedirectResponse("/", status_code=303)
    return await _page(request, session)


@router.post("/admin/accounts")
async def create_account(
    request: Request,
    session: CsrfDep,
    username: Annotated[str, Form(max_length=60)],
    display_name: Annotated[str, Form(max_length=120)],
    role: Annotated[str, Form(max_length=40)],
    communes: Annotated[str, Form(max_length=500)],
    phone: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    lang = page_language(request)
    try:
        chosen = Role(role)
        account, code = await gateway_of(request).admin.create_account(
            session.account,
            username=username,
            display_name=display_name,
            role=chosen,
            communes=tuple(c for c in communes.replace(",", " ").split() if c),
            phone=phone or None,
        )
    except (AdminError, ValueError) as exc:
        message = (
            translate(lang, exc.message)
            if isinstance(exc, AdminError)
            else translate(lang, "You may not do this here.")
        )
        return await _page(request, session, status=422, error=message)
    return await _page(request, session, created=account, setup_code=code)


@router.post("/admin/accounts/{account_id}/reset")
async def reset(
    request: Request,
    session: CsrfDep,
    account_id: str,
) -> Response:
    try:
        code = await gateway_of(request).admin.reset_password(session.account, account_id)
    except AdminError as exc:
        return await _page(request, session, status=403, error=translate(page_language(request), exc.message))
    return await _page(request, session, reset_code=code)


@router.post("/admin/accounts/{account_id}/active")
async def set_active(
    request: Request,
    session: CsrfDep,
    account_id: str,
    active: Annotated[str, Form(max_length=5)],
) -> Response:
    try:
        await gateway_of(request).admin.update_account(session.account, account_id, active=active == "true")
    except AdminError as exc:
        return await _page(request, session, status=403, error=translate(page_language(request), exc.message))
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/tokens")
async def create_token(
    request: Request,
    session: CsrfDep,
    name: Annotated[str, Form(max_length=120)],
    communes: Annotated[str, Form(max_length=500)],
    write: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    scopes = ("read", "write:needs") if write else ("read",)
    try:
        token, secret = await gateway_of(request).admin.create_token(
            session.account, name=name, scopes=scopes, communes=tuple(communes.replace(",", " ").split())
        )
    except AdminError as exc:
        return await _page(request, session, status=422, error=translate(page_language(request), exc.message))
    return await _page(request, session, token_secret=secret, token_name=token.name)


@router.post("/admin/tokens/{token_id}/revoke")
async def revoke_token(
    request: Request,
    session: CsrfDep,
    token_id: str,
) -> Response:
    try:
        await gateway_of(request).admin.revoke_token(session.account, token_id)
    except AdminError as exc:
        return await _page(request, session, status=403, error=translate(page_language(request), exc.message))
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/erasures")
async def erase(
    request: Request,
    session: CsrfDep,
    confirm: Annotated[str, Form(max_length=5)] = "",
    channel: Annotated[str, Form(max_length=20)] = "sms",
    address: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    tracking_codes: Annotated[str, Form(max_length=600)] = "",
) -> Response:
    """A person asked to be forgotten (national administrators; intake checks the role too)."""
    lang = page_language(request)
    if confirm != "1":
        return await _page(request, session, status=422, error=translate(lang, "Tick the box to confirm."))
    body = {
        "contacts": [{"channel": channel, "address": address}] if address.strip() else [],
        "name": name.strip() or None,
        "tracking_codes": tracking_codes.replace(",", " ").split(),
    }
    try:
        erased = await erase_person(gateway_of(request), session.account, body, lang)
    except ServiceError as exc:
        return await _page(request, session, status=exc.status, error=exc.message)
    return await _page(request, session, erased=erased)


@router.get("/set-password")
async def set_password_form(request: Request) -> Response:
    return render(request, "set_password.html", None, error=None, done=False)


@router.post("/set-password")
async def set_password(
    request: Request,
    login: Annotated[str, Form(max_length=100)],
    code: Annotated[str, Form(max_length=40)],
    new_password: Annotated[str, Form(max_length=200)],
) -> Response:
    gateway = gateway_of(request)
    lang = page_language(request)
    try:
        await gateway.throttle.check(login)
        await gateway.admin.set_password(login, code, new_password)
    except AdminError as exc:
        if exc.code == "account.code_invalid":
            await gateway.throttle.failed(login)
        return render(request, "set_password.html", None, 422, error=translate(lang, exc.message), done=False)
    return render(request, "set_password.html", None, error=None, done=True)
