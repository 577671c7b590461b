"""Signing in the way a browser does: the login page's form, then the CSRF token from a page."""

from __future__ import annotations

import re

import httpx

from tests.conftest import DEMO_PASSWORD


async def sign_in(
    base_url: str, username: str, *, page: str = "/", lang: str = "en"
) -> tuple[httpx.AsyncClient, str]:
    """A client with ``username``'s session cookie, and the CSRF token ``page`` carries."""
    http = httpx.AsyncClient(
        base_url=base_url, cookies={"khum_lang": lang}, headers={"accept-language": lang}
    )
    login = await http.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert token
    await http.post(
        "/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token.group(1)}
    )
    shown = await http.get(page)
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', shown.text)
    assert csrf, shown.text[:300]
    return http, csrf.group(1)
