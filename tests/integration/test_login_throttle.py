"""Guessing passwords: failed logins lock the account under every alias and the client address,
with back-off; the address is the peer's own unless a configured proxy forwarded it."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from infra.stack import Process, Stack, free_port
from tests.conftest import GraphQL

LOGIN = "mutation($l: String!, $p: String!) { login(login: $l, password: $p) { csrfToken } }"
CREATE = "mutation($i: CreateAccountInput!) { createAccount(input: $i) { setupCode account { id } } }"
SET_PASSWORD = "mutation($l: String!, $c: String!, $p: String!) { setPassword(login: $l, code: $c, newPassword: $p) { id } }"
PASSWORD = "a long passphrase 2026"


async def _code(http: httpx.AsyncClient, login: str, password: str, **headers: str) -> str | None:
    body = (
        await http.post(
            "/graphql", json={"query": LOGIN, "variables": {"l": login, "p": password}}, headers=headers
        )
    ).json()
    return body["errors"][0]["extensions"]["code"] if body.get("errors") else None


async def _new_person(stack: Stack) -> tuple[str, str]:
    """A fresh facilitator (username, phone) so locking it disturbs no other test."""
    name = f"throttle{uuid.uuid4().hex[:6]}"
    phone = "09" + str(uuid.uuid4().int)[:7]
    admin = GraphQL(stack.url, lang="en")
    await admin.login("visal")
    made = await admin.execute(
        CREATE,
        {
            "i": {
                "username": name,
                "displayName": "Test",
                "role": "FACILITATOR",
                "communes": ["160101"],
                "phone": phone,
            }
        },
    )
    assert "errors" not in made, made
    code = made["data"]["createAccount"]["setupCode"]  # type: ignore[index]
    done = await admin.execute(SET_PASSWORD, {"l": name, "c": code, "p": PASSWORD})
    assert "errors" not in done, done
    await admin.close()
    return name, phone


async def test_failures_under_every_alias_lock_the_account_and_the_phone_number_too(stack: Stack) -> None:
    name, phone = await _new_person(stack)
    spaced = f"{phone[:3]} {phone[3:6]}-{phone[6:]}"
    async with httpx.AsyncClient(base_url=stack.url) as http:
        for alias in (name, name.upper(), f"  {name} ", phone, spaced):
            assert await _code(http, alias, "wrong guess") == "auth.login_failed", alias
        # Five failures across the aliases: every alias, the phone number included, now waits.
        assert await _code(http, phone, PASSWORD) == "auth.throttled"
        assert await _code(http, name, PASSWORD) == "auth.throttled"


@pytest.fixture
async def second_gateway(stack: Stack, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """Another gateway on the same services, with tight limits and the given trusted proxies."""
    changes: dict[str, str] = getattr(request, "param", {})
    env = stack.env_for("gateway")
    port = free_port()
    env.update(
        {
            "KHUM_GATEWAY_PORT": str(port),
            "KHUM_GATEWAY_RATE_ANONYMOUS_PER_MINUTE": "20",
            "KHUM_GATEWAY_LOGIN_FAILURES_PER_ADDRESS": "8",
            "KHUM_GATEWAY_DEMO": "false",
            "KHUM_GATEWAY_TRUSTED_PROXIES": "[]",
            # Its own accounts store: the address it locks (127.0.0.1) must stay open to the
            # session's gateway and every other test.
            "KHUM_GATEWAY_STORE_URL": f"sqlite:///{stack.var / (uuid.uuid4().hex + '-gateway.db')}",
            **{f"KHUM_GATEWAY_{k}": v for k, v in changes.items()},
        }
    )
    name = f"gateway-{uuid.uuid4().hex[:6]}"
    process = Process(
        name,
        [*stack.processes["gateway"].argv],
        env,
        stack.var / "log" / f"{name}.log",
        url=f"http://127.0.0.1:{port}",
    )
    process.start()
    stack.processes[name] = process
    try:
        stack.wait_ready([name])
        yield process.url or ""
    finally:
        process.stop()
        del stack.processes[name]


async def _statuses(url: str, forwarded: bool) -> list[int]:
    statuses = []
    async with httpx.AsyncClient(base_url=url) as http:
        for i in range(12):  # a burst of 5 at 20 a minute: the bucket empties quickly
            headers = {"x-forwarded-for": f"203.0.113.{i + 1}"} if forwarded else {}
            response = await http.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
            statuses.append(response.status_code)
    return statuses


async def test_a_spoofed_forwarded_for_does_not_escape_the_anonymous_rate_limit(second_gateway: str) -> None:
    assert 429 in await _statuses(second_gateway, forwarded=True)


@pytest.mark.parametrize("second_gateway", [{"TRUSTED_PROXIES": json.dumps(["127.0.0.1"])}], indirect=True)
async def test_behind_a_configured_proxy_each_forwarded_client_has_its_own_limit(second_gateway: str) -> None:
    assert 429 not in await _statuses(second_gateway, forwarded=True)


@pytest.mark.parametrize("second_gateway", [{"RATE_ANONYMOUS_PER_MINUTE": "100000"}], indirect=True)
async def test_failures_from_one_address_lock_it_for_every_account(stack: Stack, second_gateway: str) -> None:
    """Each guess names a new login, so only the address can be what locks (8 a window here)."""
    async with httpx.AsyncClient(base_url=second_gateway) as http:
        codes = [await _code(http, f"nobody{uuid.uuid4().hex[:6]}", "guess") for _ in range(8)]
        assert codes == ["auth.login_failed"] * 8, codes
        assert await _code(http, f"nobody{uuid.uuid4().hex[:6]}", "guess") == "auth.throttled"
        page = await http.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        form = await http.post(
            "/login", data={"username": "someone-else", "password": "x", "csrf_token": token[1]}
        )
        assert form.status_code == 429
