"""A gateway that accepts only the PWA's persisted operations from browsers (as in production):
hashes resolve, the allowlisted text is accepted however it is spaced, anything else from a
session or an anonymous caller is refused with a code in the caller's language, and an
integrator's API token still sends its own queries."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import websockets

from gateway import persisted
from infra.stack import Stack, free_port
from tests.conftest import UNLIMITED
from tests.support.pages import sign_in


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {**UNLIMITED, "gateway": {**UNLIMITED["gateway"], "PERSISTED_ONLY": "true"}}
    khum = Stack(var=tmp_path_factory.mktemp("persisted") / "var", port=free_port(), demo=True, extra_env=env)
    khum.start()
    yield khum
    khum.stop()


@pytest.fixture
async def browser(stack: Stack) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """Dara's browser session, signed in through the login page (as the PWA does)."""
    http, csrf = await sign_in(stack.url, "dara", lang="km")
    yield http, csrf
    await http.aclose()


async def _post(http: httpx.AsyncClient, body: dict[str, Any], csrf: str = "") -> dict[str, Any]:
    response = await http.post("/graphql", json=body, headers={"x-csrf-token": csrf})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _by_hash(name: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    op = persisted.load()[name]
    return {
        "operationName": name,
        "variables": variables or {},
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": op.hash}},
    }


def _code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def test_a_browser_session_sends_only_allowlisted_operations(
    browser: tuple[httpx.AsyncClient, str],
) -> None:
    http, csrf = browser
    listed = await _post(http, _by_hash("Notifications"))
    assert "errors" not in listed and "edges" in listed["data"]["notifications"], listed

    sloppy = "query Notifications { notifications(first: 20) { edges { node { ...NotificationFields } } } }\n"
    sloppy += "fragment NotificationFields on Notification { id text kind ref createdAt }"
    assert "errors" not in await _post(http, {"query": sloppy})

    own = await _post(http, {"query": "{ notifications(first: 5) { totalCount } }"})
    assert _code(own) == "graphql.persisted_only" and own.get("data") is None
    assert "API" in own["errors"][0]["message"] and "សូម" in own["errors"][0]["message"], "in Khmer"

    unknown = await _post(http, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}})
    assert _code(unknown) == "graphql.operation_unknown"

    # A mutation by hash still needs the session's CSRF token, and with it reaches intake.
    refused = await _post(http, _by_hash("ValidateNeed", {"id": "TmVlZDp4"}))
    assert _code(refused) == "auth.csrf"
    answered = await _post(http, _by_hash("ValidateNeed", {"id": "TmVlZDp4"}), csrf)
    assert _code(answered) not in ("auth.csrf", "graphql.persisted_only"), answered


async def test_anonymous_callers_are_held_to_the_allowlist_and_tokens_are_not(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url) as anonymous:
        body = await _post(anonymous, {"query": "{ needs(first: 1) { totalCount } }"})
        assert _code(body) == "graphql.persisted_only"
        # The documented public reads are open, as text too (docs/integrators.md).
        body = await _post(anonymous, {"query": '{ needByTrackingCode(code: "AAAA-AAA") { status } }'})
        assert _code(body) != "graphql.persisted_only", body
        mixed = '{ needByTrackingCode(code: "AAAA-AAA") { status } needs(first: 1) { totalCount } }'
        assert _code(await _post(anonymous, {"query": mixed})) == "graphql.persisted_only"
        # A script may sign in by text (to get an API token); a browser page may not.
        login = {"query": 'mutation { login(login: "visal", password: "x") { csrfToken } }'}
        assert _code(await _post(anonymous, login)) == "auth.login_failed"
        anonymous.headers["sec-fetch-mode"] = "cors"
        assert _code(await _post(anonymous, login)) == "graphql.persisted_only", "browsers use the login page"

    admin, csrf = await sign_in(stack.url, "visal", page="/admin")
    form = await admin.post(
        "/admin/tokens", data={"csrf_token": csrf, "name": "persisted check", "communes": "160101"}
    )
    secret = re.search(r'id="token-secret">([^<]+)<', form.text)
    assert secret, form.text[-1500:]
    await admin.aclose()
    async with httpx.AsyncClient(
        base_url=stack.url, headers={"authorization": f"Bearer {secret.group(1)}"}
    ) as integrator:
        body = await _post(integrator, {"query": "{ needs(first: 1) { totalCount } }"})
        assert "errors" not in body, body


async def test_the_live_subscription_is_accepted_as_allowlisted_text_and_other_text_is_not(
    stack: Stack, browser: tuple[httpx.AsyncClient, str]
) -> None:
    http, _ = browser
    url = stack.url.replace("http://", "ws://") + "/graphql"
    cookie = f"khum_session={http.cookies.get('khum_session')}"
    live = persisted.load()["NotificationAdded"].text
    for query, expected in (
        (live, None),
        ("subscription { notificationAdded { id } }", "graphql.persisted_only"),
    ):
        async with websockets.connect(
            url, subprotocols=["graphql-transport-ws"], additional_headers={"cookie": cookie}
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "s1", "type": "subscribe", "payload": {"query": query}}))
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), 2))
            except TimeoutError:
                message = None  # subscribed: no event yet, and no refusal
            if expected is None:
                assert message is None or message["type"] == "ping", message
            else:
                assert message is not None, "the refusal arrives at once"
                errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
                assert [e["extensions"]["code"] for e in errors] == [expected], message
