"""What every page module shares: templates per language, rendering, sign-in checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from gateway.i18n import REPO_ROOT, gettext_for, page_language
from gateway.identity.accounts import Session
from gateway.identity.sessions import session_of
from gateway.web import formatting
from gateway.web.assets import asset_url
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
    env.globals["asset"] = asset_url
    env.globals["months"] = ",".join(formatting.month_names(lang))
    # {{ n|num }} and {{ year|digits }}: numerals in the page's script, on every page.
    env.filters["num"] = lambda value: formatting.number(value, lang)
    env.filters["digits"] = lambda value: formatting.digits(value, lang)
    env.filters["month_year"] = lambda value: formatting.month_year(value, lang)
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
            vault_key=vault_key(request, session) if session else None,
            **context,
        )
    )
    headers = {
        # A signed-in page holds the person's data and keys: never left in the HTTP cache.
        "cache-control": "private, no-store" if session else "no-cache",
        # content-language lets the service worker keep each language's copy of a page apart.
        "content-language": lang,
    }
    return HTMLResponse(html, status_code=status, headers=headers)


def vault_key(request: Request, session: Session) -> str:
    """The key that seals an account's unsent needs on a shared phone at sign-out (AES-GCM,
    in pwa/static/js/outbox.js). Derived here from the server's secret, it reaches the phone
    only inside that account's signed-in pages, which sign-out deletes: until the same person
    signs in again, nobody on the phone can read what they recorded."""
    secret = gateway_of(request).settings.session_secret.get_secret_value().encode()
    digest = hmac.new(secret, b"khum-outbox-vault:" + session.account.id.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def safe_next(target: str | None) -> str:
    """Only same-site paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def to_login(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
