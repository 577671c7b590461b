"""What every page module shares: templates per language, rendering, sign-in checks."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from gateway.accounts import Session
from gateway.i18n import REPO_ROOT, gettext_for, page_language
from gateway.sessions import session_of
from gateway.wiring import Gateway

TEMPLATES = REPO_ROOT / "pwa" / "templates"
STATIC = REPO_ROOT / "pwa" / "static"


@cache
def environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,
    )
    env.install_gettext_translations(gettext_for(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def gateway_of(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


async def signed_in(request: Request) -> Session | None:
    session, _ = await session_of(request, gateway_of(request).accounts)
    return session


def render(
    request: Request, template: str, session: Session | None, status: int = 200, **context: Any
) -> HTMLResponse:
    lang = page_language(request)
    html = (
        environment(lang)
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


def safe_next(target: str | None) -> str:
    """Only same-site paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def to_login(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
