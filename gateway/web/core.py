"""The PWA's core pages: sign in and out, home, language, manifest, service worker."""

from __future__ import annotations

import hashlib
import json
import secrets
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from gateway.client_address import client_address
from gateway.clients import Caller, ServiceError
from gateway.i18n import LANG_COOKIE, LANGUAGES, page_language, translate
from gateway.identity.accounts import same_token
from gateway.identity.admin import AdminError
from gateway.identity.sessions import (
    SESSION_COOKIE,
    clear_session_cookie,
    is_secure,
    session_of,
    set_session_cookie,
)
from gateway.web.assets import asset_url
from gateway.web.guards import PageRoute, SessionDep
from gateway.web.public_home import public_home
from gateway.web.render import STATIC, TEMPLATES, gateway_of, render, safe_next, signed_in
from services.runtime.identity import Role

LOGIN_CSRF_COOKIE = "khum_login_csrf"

router = APIRouter(include_in_schema=False, route_class=PageRoute)

ROLE_LABELS = {
    Role.FACILITATOR: "Youth facilitator",
    Role.COMMUNE_CHIEF: "Commune chief",
    Role.COUNCIL_MEMBER: "Council member",
    Role.CLERK: "Commune clerk",
    Role.CCWC_FOCAL_POINT: "CCWC focal point",
    Role.PROVINCE_ADMIN: "Province admin",
    Role.NATIONAL_ADMIN: "National admin",
    Role.INTEGRATOR: "Integrator",
    Role.PUBLIC: "Visitor",
    Role.DISTRICT_ADMIN: "District admin",
    Role.NGO_PARTNER: "NGO partner",
}
RECORDING_ROLES = {
    Role.FACILITATOR,
    Role.COMMUNE_CHIEF,
    Role.COUNCIL_MEMBER,
    Role.CLERK,
    Role.CCWC_FOCAL_POINT,
}


@router.get("/")
async def home(request: Request) -> Response:
    """Signed in: the person's own home. Anonymous: the citizen's landing page, not sign-in."""
    session = await signed_in(request)
    if session is None:
        return await public_home(request)
    lang = page_language(request)
    account = session.account
    try:
        communes = await gateway_of(request).clients.intake.communes(Caller(account.identity(), lang))
        # A partner acts in no commune, so intake names none of its own: show their codes.
        names = [c.name_km if lang == "km" else c.name_latin for c in communes] or list(account.communes)
    except ServiceError:
        names = list(account.communes)  # the page still works while intake is down
    return render(
        request,
        "home.html",
        session,
        role_label=translate(lang, ROLE_LABELS[account.role]),
        commune_names=", ".join(names),
        can_record=account.role in RECORDING_ROLES,
    )


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    return _login_form(request, None, "", safe_next(next), 200)


@router.post("/login")
async def login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=100)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    gateway = gateway_of(request)
    lang = page_language(request)
    target = safe_next(next)
    if not same_token(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        error = translate(lang, "Your page is out of date. Please reload it.")
        return _login_form(request, error, username, target, 400)
    try:
        await gateway.throttle.check(username, client_address(request))
    except AdminError as exc:
        return _login_form(request, translate(lang, exc.message), username, target, 429)
    account = await gateway.accounts.authenticate(username, password)
    if account is None:
        await gateway.throttle.failed(username, client_address(request))
        error = translate(lang, "Wrong phone number, username or password.")
        return _login_form(request, error, username, target, 401)
    await gateway.throttle.succeeded(username)
    token, _ = await gateway.accounts.open_session(account, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, token, gateway.settings)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


def _login_form(request: Request, error: str | None, username: str, target: str, status: int) -> Response:
    # One token per browser, reused across renders: a second tab or the service worker's
    # precache fetching the page must not invalidate the form already on screen.
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        None,
        status,
        login_csrf=token,
        next=target,
        username=username,
        error=error,
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=is_secure(request))
    return response


@router.post("/logout")
async def logout(request: Request, csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    """Sign out: only with the session's own CSRF token, so another site cannot sign anyone out.

    No Clear-Site-Data "storage": it would wipe the phone's IndexedDB, where needs not yet
    sent wait (sealed for their account's next sign-in). The pages clear what is personal
    themselves (pwa/static/js/app.js, sw.js); "cache" drops HTTP-cached copies of pages.
    """
    gateway = gateway_of(request)
    session, token = await session_of(request, gateway.accounts)
    if session is not None and token:
        if not same_token(csrf_token, session.csrf_token):
            lang = page_language(request)
            return render(
                request,
                "error.html",
                session,
                403,
                title=translate(lang, "Sign out"),
                message=translate(lang, "Your page is out of date. Please reload it."),
            )
        await gateway.accounts.close_session(token)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response)
    response.headers["clear-site-data"] = '"cache"'
    return response


@router.get("/notifications")
async def notifications_page(request: Request, session: SessionDep) -> Response:
    return render(request, "notifications.html", session)


@router.get("/offline")
async def offline(request: Request) -> Response:
    return render(request, "offline.html", None)


@router.get("/lang/{lang}")
async def switch_language(lang: str, next: str | None = None) -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/manifest.webmanifest")
async def manifest(request: Request) -> Response:
    lang = page_language(request)
    body = {
        "name": translate(lang, "Khum: commune planning for everyone"),
        "short_name": translate(lang, "Khum"),
        "lang": lang,
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5d3b",
        "icons": [
            {"src": asset_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": asset_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": asset_url("icons/icon-512-maskable.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/manifest+json")


@cache
def _service_worker_source() -> str:
    """sw.js stamped with a digest of the static files and templates: any change to the app
    shell gives the service worker a new cache name, so phones never keep a stale shell."""
    digest = hashlib.sha256()
    for folder in (STATIC, TEMPLATES):
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".py"):
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    source = (STATIC / "sw.js").read_text(encoding="utf-8")
    assets = {name: asset_url(name) for name in SHELL_ASSETS}
    return source.replace("__SHELL_DIGEST__", digest.hexdigest()[:12]).replace(
        "__SHELL_ASSETS__", json.dumps(assets)
    )


# The hashed files the service worker keeps for offline use (and imports, for the outbox).
SHELL_ASSETS = (
    "css/app.css",
    "js/app.js",
    "js/operations.js",
    "js/outbox.js",
    "icons/icon-192.png",
    "icons/icon-512.png",
)


@router.get("/sw.js")
async def service_worker() -> Response:
    return Response(
        _service_worker_source(),
        media_type="text/javascript",
        headers={"service-worker-allowed": "/", "cache-control": "no-cache"},
    )
