"""The pages' sign-in and CSRF dependencies (gateway/web/guards.py): every page that needs a
session sends a signed-out person to sign in, back to where they were; every form that needs
the session's CSRF token sends a forged one to sign in too, and changes nothing."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from gateway.web import ROUTERS
from gateway.web.guards import PageRoute, checked_form, current_session
from infra.stack import Stack
from tests.support.pages import sign_in

SAMPLES = {"year": "2026", "commune": "160101", "commune_code": "160101"}


def calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from calls(sub)


def guarded(dependency: Callable[..., Any]) -> list[tuple[str, str]]:
    """(method, concrete path) of every page route that depends on ``dependency``."""
    found = []
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute) and dependency in calls(route.dependant):
                path = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: SAMPLES.get(m.group(1), "x1"), route.path)
                found.extend((method, path) for method in sorted(route.methods))
    return found


def test_every_router_with_guarded_pages_turns_the_refusal_into_the_sign_in_redirect() -> None:
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute) and current_session in calls(route.dependant):
                assert isinstance(route, PageRoute), route.path


async def test_a_signed_out_person_is_sent_to_sign_in_and_back(stack: Stack) -> None:
    pages = guarded(current_session)
    # The signature-guarded pages and forms of every context (not "/": signed out, it is the
    # citizens' landing page).
    assert len(pages) >= 27, pages
    assert ("GET", "/") not in pages
    async with httpx.AsyncClient(base_url=stack.url, cookies={"khum_lang": "en"}) as http:
        for method, path in pages:
            data = {"csrf_token": "anything"} if method == "POST" else None
            response = await http.request(method, path, data=data, follow_redirects=False)
            assert response.status_code == 303, (method, path, response.status_code, response.text[:300])
            assert response.headers["location"] == f"/login?next={path}", (method, path)


async def test_a_form_with_a_forged_csrf_token_is_sent_to_sign_in_and_changes_nothing(stack: Stack) -> None:
    forms = guarded(checked_form)
    assert len(forms) >= 7, forms  # the admin's six forms and the needs drafts' one
    http, csrf = await sign_in(stack.url, "sokha", page="/admin")
    try:
        before = (await http.get("/admin")).text
        for method, path in forms:
            response = await http.request(method, path, data={"csrf_token": "forged"}, follow_redirects=False)
            assert response.status_code == 303, (path, response.status_code, response.text[:300])
            assert response.headers["location"] == f"/login?next={path}", path
        # The real token still works: the refusal was the forged token, not the session.
        page = await http.get("/admin")
        assert page.status_code == 200 and csrf in page.text
        assert re.findall(r"<tr\b", page.text) == re.findall(r"<tr\b", before)
    finally:
        await http.aclose()
