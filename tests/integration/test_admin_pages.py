"""The tablet's account pages: plain forms with the session's CSRF token; codes shown once."""

from __future__ import annotations

import re
import uuid

import httpx

from infra.stack import Stack
from tests.support.pages import sign_in


async def test_an_admin_creates_an_account_and_the_person_sets_a_password_from_the_pages(
    stack: Stack,
) -> None:
    http, csrf = await sign_in(stack.url, "sokha", page="/admin")
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
    http, _ = await sign_in(stack.url, "sophea")
    try:
        response = await http.get("/admin", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/"
    finally:
        await http.aclose()


async def test_the_national_admin_erases_a_person_from_the_page_and_others_cannot(stack: Stack) -> None:
    """The form only (test_erasure.py searches everything after an erasure)."""
    http, csrf = await sign_in(stack.url, "visal", page="/admin")
    chief, chief_csrf = await sign_in(stack.url, "sokha", page="/admin")
    number = f"+8551{uuid.uuid4().int % 10_000_000:07d}"
    try:
        page = await http.get("/admin")
        assert 'id="erase-form"' in page.text
        unconfirmed = await http.post("/admin/erasures", data={"csrf_token": csrf, "address": number})
        assert unconfirmed.status_code == 422 and 'id="admin-error"' in unconfirmed.text
        bad = await http.post("/admin/erasures", data={"csrf_token": csrf, "address": "12", "confirm": "1"})
        assert bad.status_code == 422 and "phone number" in bad.text
        done = await http.post(
            "/admin/erasures", data={"csrf_token": csrf, "address": number, "confirm": "1"}
        )
        assert done.status_code == 200 and 'id="erased"' in done.text, done.text[-1500:]
        assert "person.erased" in done.text and number not in done.text

        assert 'id="erase-form"' not in (await chief.get("/admin")).text
        refused = await chief.post(
            "/admin/erasures", data={"csrf_token": chief_csrf, "address": number, "confirm": "1"}
        )
        assert refused.status_code == 403 and 'id="erased"' not in refused.text
    finally:
        await http.aclose()
        await chief.aclose()
