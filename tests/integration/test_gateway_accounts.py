"""Accounts, API tokens, audit log, login throttling and rate limits at the gateway."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from infra.stack import Process, Stack, free_port
from tests.conftest import SUBMIT_NEED, GraphQL

CREATE = (
    "mutation($i: CreateAccountInput!) { createAccount(input: $i) "
    "{ setupCode account { id username role communes } } }"
)
SET_PASSWORD = "mutation($l: String!, $c: String!, $p: String!) { setPassword(login: $l, code: $c, newPassword: $p) { id } }"


async def _signed_in(stack: Stack, username: str, lang: str = "en") -> GraphQL:
    client = GraphQL(stack.url, lang=lang)
    await client.login(username)
    return client


async def test_an_admin_creates_an_account_that_sets_its_own_password(stack: Stack) -> None:
    admin = await _signed_in(stack, "sokha")  # province admin of Ratanakiri (16)
    name = f"fac{uuid.uuid4().hex[:8]}"
    try:
        body = await admin.execute(
            CREATE,
            {
                "i": {
                    "username": name,
                    "displayName": "ស្រីនាង",
                    "role": "FACILITATOR",
                    "communes": ["160101"],
                    "villages": ["16010102"],
                }
            },
        )
        created = body["data"]["createAccount"]
        assert created["account"]["communes"] == ["160101"]
        code = created["setupCode"]
        newcomer = GraphQL(stack.url, lang="en")
        try:
            no_password_yet = await newcomer.execute(
                'mutation($l: String!) { login(login: $l, password: "anything-at-all") { csrfToken } }',
                {"l": name},
            )
            assert no_password_yet["errors"][0]["extensions"]["code"] == "auth.login_failed"
            wrong = await newcomer.execute(
                SET_PASSWORD, {"l": name, "c": "WRONG000", "p": "a-long-password-1"}
            )
            assert wrong["errors"][0]["extensions"]["code"] == "account.code_invalid"
            weak = await newcomer.execute(SET_PASSWORD, {"l": name, "c": code, "p": "short"})
            assert weak["errors"][0]["extensions"]["code"] == "account.password_weak"
            ok = await newcomer.execute(SET_PASSWORD, {"l": name, "c": code, "p": "a-long-password-1"})
            assert "errors" not in ok
            reused = await newcomer.execute(SET_PASSWORD, {"l": name, "c": code, "p": "another-password-2"})
            assert reused["errors"][0]["extensions"]["code"] == "account.code_invalid"
            await newcomer.login(name, "a-long-password-1")
        finally:
            await newcomer.close()
        outside = await admin.execute(
            CREATE,
            {
                "i": {
                    "username": name + "x",
                    "displayName": "x",
                    "role": "FACILITATOR",
                    "communes": ["210103"],
                }
            },
        )
        assert outside["errors"][0]["extensions"]["code"] == "auth.forbidden"
        log = await admin.execute("{ auditLog(first: 20) { edges { node { action target details } } } }")
        actions = [e["node"]["action"] for e in log["data"]["auditLog"]["edges"]]
        assert "account.created" in actions and "account.password_set" in actions
    finally:
        await admin.close()


async def test_a_deactivated_account_loses_its_sessions_at_once(stack: Stack) -> None:
    admin = await _signed_in(stack, "visal")
    name = f"cm{uuid.uuid4().hex[:8]}"
    try:
        created = (
            await admin.execute(
                CREATE,
                {
                    "i": {
                        "username": name,
                        "displayName": "ដារ៉ា",
                        "role": "COUNCIL_MEMBER",
                        "communes": ["210103"],
                    }
                },
            )
        )["data"]["createAccount"]
        person = GraphQL(stack.url)
        await person.execute(SET_PASSWORD, {"l": name, "c": created["setupCode"], "p": "council-password-1"})
        await person.login(name, "council-password-1")
        assert (await person.execute("{ me { username } }"))["data"]["me"]["username"] == name
        done = await admin.execute(
            "mutation($id: ID!) { deactivateAccount(id: $id) { id } }", {"id": created["account"]["id"]}
        )
        assert "errors" not in done
        assert (await person.execute("{ me { username } }"))["data"]["me"] is None
        refused = await person.execute(
            'mutation($l: String!) { login(login: $l, password: "council-password-1") { csrfToken } }',
            {"l": name},
        )
        assert refused["errors"][0]["extensions"]["code"] == "auth.login_failed"
        await person.close()
    finally:
        await admin.close()


async def test_a_commune_chief_invites_facilitators_only_to_their_own_commune(stack: Stack) -> None:
    chief = await _signed_in(stack, "bopha")
    try:
        invite = "mutation($i: InviteFacilitatorInput!) { inviteFacilitator(input: $i) { setupCode account { role communes } } }"
        body = await chief.execute(
            invite, {"i": {"username": f"yf{uuid.uuid4().hex[:8]}", "displayName": "យុវជន"}}
        )
        assert body["data"]["inviteFacilitator"]["account"] == {"role": "FACILITATOR", "communes": ["160101"]}
        council = await chief.execute(
            CREATE,
            {
                "i": {
                    "username": f"c{uuid.uuid4().hex[:8]}",
                    "displayName": "x",
                    "role": "COUNCIL_MEMBER",
                    "communes": ["160101"],
                }
            },
        )
        assert council["errors"][0]["extensions"]["code"] == "auth.forbidden"
    finally:
        await chief.close()


async def test_api_tokens_are_shown_once_scoped_and_revocable(stack: Stack) -> None:
    admin = await _signed_in(stack, "visal")
    try:
        body = await admin.execute(
            "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret apiToken { id scopes } } }",
            {"i": {"name": "NGO research", "scopes": ["read"], "communes": ["160101"]}},
        )
        created = body["data"]["createApiToken"]
        secret, token_id = created["secret"], created["apiToken"]["id"]
        assert secret.startswith("khum_")
        listed = await admin.execute("{ apiTokens { id name revoked } }")
        assert {"id": token_id, "name": "NGO research", "revoked": False} in listed["data"]["apiTokens"]
        assert secret not in str(listed)

        async with httpx.AsyncClient(
            base_url=stack.url, headers={"authorization": f"Bearer {secret}"}
        ) as integrator:
            reads = await integrator.post("/graphql", json={"query": "{ needs(first: 5) { totalCount } }"})
            assert "errors" not in reads.json(), reads.text
            need = {"villageCode": "16010101", "description": "x", "idempotencyKey": uuid.uuid4().hex}
            writes = await integrator.post("/graphql", json={"query": SUBMIT_NEED, "variables": {"i": need}})
            assert writes.json()["errors"][0]["extensions"]["code"] == "auth.scope_missing"
            other = await integrator.post(
                "/graphql", json={"query": '{ needs(filter: {commune: "210103"}) { totalCount } }'}
            )
            assert other.json()["errors"][0]["extensions"]["code"] == "auth.forbidden"

            await admin.execute(
                "mutation($id: ID!) { revokeApiToken(id: $id) { revoked } }", {"id": token_id}
            )
            after = await integrator.post("/graphql", json={"query": "{ needs(first: 5) { totalCount } }"})
            assert after.status_code == 401
    finally:
        await admin.close()


async def test_a_token_with_write_needs_records_needs_through_the_partner_channel(stack: Stack) -> None:
    admin = await _signed_in(stack, "visal")
    try:
        body = await admin.execute(
            "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret } }",
            {"i": {"name": "Partner app", "scopes": ["read", "write:needs"], "communes": ["210103"]}},
        )
        secret = body["data"]["createApiToken"]["secret"]
    finally:
        await admin.close()
    async with httpx.AsyncClient(
        base_url=stack.url, headers={"authorization": f"Bearer {secret}"}
    ) as partner:
        need = {
            "villageCode": "21010301",
            "description": "ទឹកស្អាតតាមរយៈដៃគូ",
            "channel": "partner_api",
            "idempotencyKey": uuid.uuid4().hex,
        }
        made = await partner.post("/graphql", json={"query": SUBMIT_NEED, "variables": {"i": need}})
        assert made.json()["data"]["submitNeed"]["communeCode"] == "210103", made.text


async def test_repeated_failed_logins_are_throttled(stack: Stack) -> None:
    client = GraphQL(stack.url, lang="en")
    name = f"nobody{uuid.uuid4().hex[:6]}"
    try:
        codes = []
        for _ in range(6):
            body = await client.execute(
                'mutation($l: String!) { login(login: $l, password: "guess") { csrfToken } }', {"l": name}
            )
            codes.append(body["errors"][0]["extensions"]["code"])
        assert codes[:5] == ["auth.login_failed"] * 5
        assert codes[5] == "auth.throttled"
    finally:
        await client.close()


async def test_the_session_id_changes_at_every_login(stack: Stack) -> None:
    client = GraphQL(stack.url)
    try:
        await client.login("sophea")
        first = client.http.cookies.get("khum_session")
        await client.login("sophea")
        second = client.http.cookies.get("khum_session")
        assert first and second and first != second
        stale = httpx.AsyncClient(base_url=stack.url, cookies={"khum_session": first})
        assert (await stale.post("/graphql", json={"query": "{ me { id } }"})).json()["data"]["me"] is None
        await stale.aclose()
    finally:
        await client.close()


async def test_a_caller_over_the_rate_limit_gets_429_with_retry_after(stack: Stack) -> None:
    """A second gateway with a tight anonymous limit, against the same services."""
    env = stack.env_for("gateway")
    port = free_port()
    env["KHUM_GATEWAY_PORT"] = str(port)
    env["KHUM_GATEWAY_RATE_ANONYMOUS_PER_MINUTE"] = "20"
    env["KHUM_GATEWAY_DEMO"] = "false"
    tight = Process(
        "gateway-tight",
        [*stack.processes["gateway"].argv],
        env,
        stack.var / "log" / "gateway-tight.log",
        url=f"http://127.0.0.1:{port}",
    )
    tight.start()
    stack.processes["gateway-tight"] = tight
    try:
        stack.wait_ready(["gateway-tight"])
        async with httpx.AsyncClient(base_url=tight.url or "") as http:
            statuses = []
            for _ in range(12):  # burst of 5 at 20 a minute: the bucket empties quickly
                response = await http.post("/graphql", json={"query": "{ me { id } }"})
                statuses.append(response.status_code)
                if response.status_code == 429:
                    assert int(response.headers["retry-after"]) >= 1
                    assert response.json()["errors"][0]["extensions"]["code"] == "rate_limited"
                    assert "20" in response.json()["errors"][0]["message"]
                    break
            assert statuses[0] == 200 and statuses[-1] == 429
            await asyncio.sleep(0)
    finally:
        tight.stop()
        del stack.processes["gateway-tight"]
