"""The PWA's pages: server-rendered with Jinja2 (autoescaped), Khmer by default."""

from __future__ import annotations

import json
import secrets
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from contracts.needs import Sector
from gateway.accounts import Session, same_token
from gateway.clients import ServiceError
from gateway.i18n import LANG_COOKIE, LANGUAGES, REPO_ROOT, gettext_for, language_of, translate
from gateway.schema.context import Gateway
from gateway.sessions import clear_session_cookie, is_secure, session_of, set_session_cookie
from services.runtime.identity import Role

TEMPLATES = REPO_ROOT / "pwa" / "templates"
STATIC = REPO_ROOT / "pwa" / "static"
LOGIN_CSRF_COOKIE = "khum_login_csrf"

router = APIRouter(include_in_schema=False)

SECTOR_ICONS = {
    Sector.ECONOMIC: "🌾",
    Sector.SOCIAL: "🏫",
    Sector.NATURAL_RESOURCES: "🌳",
    Sector.ADMINISTRATION_SECURITY: "🏛️",
    Sector.GENDER: "👩",
}
SECTOR_LABELS = {
    Sector.ECONOMIC: "Economic",
    Sector.SOCIAL: "Social",
    Sector.NATURAL_RESOURCES: "Natural resources and environment",
    Sector.ADMINISTRATION_SECURITY: "Administration and security",
    Sector.GENDER: "Gender",
}
ROLE_LABELS = {
    Role.FACILITATOR: "Youth facilitator",
    Role.COUNCIL_MEMBER: "Council member",
    Role.CLERK: "Commune clerk",
    Role.CCWC_FOCAL_POINT: "CCWC focal point",
    Role.PROVINCE_ADMIN: "Province admin",
    Role.NATIONAL_ADMIN: "National admin",
    Role.INTEGRATOR: "Integrator",
}
RECORDING_ROLES = {Role.FACILITATOR, Role.COUNCIL_MEMBER, Role.CLERK, Role.CCWC_FOCAL_POINT}


@cache
def _environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,
    )
    env.install_gettext_translations(gettext_for(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def _gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def render(
    request: Request, template: str, session: Session | None, status: int = 200, **context: Any
) -> HTMLResponse:
    lang = language_of(request)
    html = (
        _environment(lang)
        .get_template(template)
        .render(
            request=request,
            lang=lang,
            user=session.account if session else None,
            csrf_token=session.csrf_token if session else None,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status, headers={"cache-control": "no-cache"})


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _to_login(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


@router.get("/")
async def home(request: Request) -> Response:
    session, _ = await session_of(request, _gateway(request).accounts)
    if session is None:
        return _to_login(request)
    lang = language_of(request)
    account = session.account
    return render(
        request,
        "home.html",
        session,
        role_label=translate(lang, ROLE_LABELS[account.role]),
        commune_names=", ".join(account.communes),
        can_record=account.role in RECORDING_ROLES,
    )


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    return _login_form(request, None, "", _safe_next(next), 200)


@router.post("/login")
async def login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=100)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    gateway = _gateway(request)
    lang = language_of(request)
    target = _safe_next(next)
    if not same_token(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        error = translate(lang, "Your page is out of date. Please reload it.")
        return _login_form(request, error, username, target, 400)
    account = await gateway.accounts.authenticate(username, password)
    if account is None:
        error = translate(lang, "Wrong phone number, username or password.")
        return _login_form(request, error, username, target, 401)
    token, _ = await gateway.accounts.open_session(account, request.cookies.get("khum_session"))
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
    gateway = _gateway(request)
    session, token = await session_of(request, gateway.accounts)
    if session is not None and token and same_token(csrf_token, session.csrf_token):
        await gateway.accounts.close_session(token)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response)
    # Offline copies of a facilitator's pages must not outlive the session on a shared phone.
    response.headers["clear-site-data"] = '"cache", "storage"'
    return response


@router.get("/needs/new")
async def need_form(request: Request) -> Response:
    gateway = _gateway(request)
    session, _ = await session_of(request, gateway.accounts)
    if session is None:
        return _to_login(request)
    lang = language_of(request)
    try:
        _, villages = await gateway.services["intake"].request(
            "GET", "/villages", session.account.identity(), lang=lang
        )
    except ServiceError as exc:
        return render(
            request,
            "error.html",
            session,
            503,
            title=translate(lang, "Not available"),
            message=exc.message,
        )
    name_key = "name_km" if lang == "km" else "name_latin"
    commune_key = "commune_name_km" if lang == "km" else "commune_name_latin"
    options = [{"code": v["code"], "name": v[name_key], "commune_name": v[commune_key]} for v in villages]
    sectors = [
        {"value": s.name, "label": translate(lang, SECTOR_LABELS[s]), "icon": SECTOR_ICONS[s]} for s in Sector
    ]
    return render(request, "need_form.html", session, villages=options, sectors=sectors)


@router.get("/notifications")
async def notifications_page(request: Request) -> Response:
    session, _ = await session_of(request, _gateway(request).accounts)
    if session is None:
        return _to_login(request)
    return render(request, "notifications.html", session)


@router.get("/offline")
async def offline(request: Request) -> Response:
    return render(request, "offline.html", None)


@router.get("/lang/{lang}")
async def switch_language(lang: str, next: str | None = None) -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/manifest.webmanifest")
async def manifest(request: Request) -> Response:
    lang = language_of(request)
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
            {"src": "/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {
                "src": "/static/icons/icon-512-maskable.png",
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/manifest+json")


@router.get("/sw.js")
async def service_worker() -> Response:
    return FileResponse(
        STATIC / "sw.js",
        media_type="text/javascript",
        headers={"service-worker-allowed": "/", "cache-control": "no-cache"},
    )
