"""The tablet's account pages: plain forms with the session's CSRF token; codes shown once."""

from __future__ import annotations

import re
import uuid

import httpx

from infra.stack import Stack
from tests.conftest import DEMO_PASSWORD


async def _signed_in(stack: Stack, username: str) -> tuple[httpx.AsyncClient, str]:
    http = httpx.AsyncClient(base_url=stack.url, cookies={"khum_lang": "en"})
    page = await http.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    await http.post(
        "/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token.group(1)}
    )
    admin = await http.get("/admin")
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', admin.text)
    assert csrf, admin.text[:300]
    return http, csrf.group(1)


async def test_an_admin_creates_an_account_and_the_person_sets_a_password_from_the_pages(
    stack: Stack,
) -> None:
    http, csrf = await _signed_in(stack, "sokha")
    name = f"p{uuid.uuid4().hex[:8]}"
    try:
        created = await http.post(
            "/admin/accounts",
            data={
                "csrf_token": csrf,
                "username": name,
                "display_name": "ស្រីល័ក្ខ",
                "role": "facilitator",
                "communes": "160101",
            },
        )
        assert created.status_code == 200
        code = re.search(r'id="setup-code">([0-9A-F]+)<', created.text)
        assert code, created.text[-2000:]
        forged = await http.post(
            "/admin/accounts",
            data={
                "csrf_token": "forged",
                "username": name + "x",
                "display_name": "x",
                "role": "facilitator",
                "communes": "160101",
            },
            follow_redirects=False,
        )
        assert forged.status_code == 303 and "/login" in forged.headers["location"]
    finally:
        await http.aclose()
    async with httpx.AsyncClient(base_url=stack.url, cookies={"khum_lang": "en"}) as newcomer:
        wrong = await newcomer.post(
            "/set-password", data={"login": name, "code": "00000000", "new_password": "long-enough-1"}
        )
        assert wrong.status_code == 422 and "wrong or has expired" in wrong.text
        done = await newcomer.post(
            "/set-password", data={"login": name, "code": code.group(1), "new_password": "long-enough-1"}
        )
        assert 'id="password-set"' in done.text


async def test_people_without_a_managing_role_are_sent_home(stack: Stack) -> None:
    http, _ = await _signed_in_plain(stack, "sophea")
    try:
        response = await http.get("/admin", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/"
    finally:
        await http.aclose()


async def _signed_in_plain(stack: Stack, username: str) -> tuple[httpx.AsyncClient, None]:
    http = httpx.AsyncClient(base_url=stack.url)
    page = await http.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    await http.post(
        "/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token.group(1)}
    )
    return http, None
