"""The authorization matrix: every mutation and every sensitive query, for every role, in
its own commune and in another, against the expected allow or deny.

Communes: Malik (160101, Ratanakiri) is "own" for dara (council), bopha (chief) and sophea
(facilitator); chenda is council of Kouk Thlok (210103), the "other commune". rathana is the
admin of Malik's district (1601); ngo a partner organisation supporting Malik only.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from infra.stack import Stack
from tests.conftest import DEMO_PASSWORD, SUBMIT_NEED

ROLES = (
    "anonymous",
    "facilitator",
    "council",
    "other_council",
    "chief",
    "province_admin",
    "national_admin",
    "district_admin",
    "ngo_partner",
    "token_read",
    "token_write",
    "token_other_commune",
)
LOGINS = {
    "facilitator": "sophea",
    "council": "dara",
    "other_council": "chenda",
    "chief": "bopha",
    "province_admin": "sokha",
    "national_admin": "visal",
    "district_admin": "rathana",
    "ngo_partner": "ngo",
}


class Caller:
    def __init__(self, http: httpx.AsyncClient, csrf: str | None) -> None:
        self.http = http
        self.csrf = csrf

    async def run(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"x-csrf-token": self.csrf} if self.csrf else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        if response.status_code == 401:
            return {"data": None, "errors": [{"extensions": {"code": "auth.invalid_token"}}]}
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture(scope="module")
async def callers(stack: Stack) -> AsyncIterator[dict[str, Caller]]:
    clients: dict[str, Caller] = {}
    opened: list[httpx.AsyncClient] = []
    for role in ROLES:
        http = httpx.AsyncClient(base_url=stack.url, timeout=15)
        opened.append(http)
        csrf = None
        if role in LOGINS:
            body = (
                await http.post(
                    "/graphql",
                    json={
                        "query": "mutation($l: String!, $p: String!) { login(login: $l, password: $p) { csrfToken } }",
                        "variables": {"l": LOGINS[role], "p": DEMO_PASSWORD},
                    },
                )
            ).json()
            csrf = body["data"]["login"]["csrfToken"]
        clients[role] = Caller(http, csrf)
    admin = clients["national_admin"]
    for role, scopes, communes in (
        ("token_read", ["read"], ["160101"]),
        ("token_write", ["read", "write:needs"], ["160101"]),
        ("token_other_commune", ["read", "write:needs"], ["210103"]),
    ):
        body = await admin.run(
            "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret } }",
            {"i": {"name": role, "scopes": scopes, "communes": communes}},
        )
        clients[role].http.headers["authorization"] = f"Bearer {body['data']['createApiToken']['secret']}"
    yield clients
    for http in opened:
        await http.aclose()


async def _need(callers: dict[str, Caller], village: str = "16010101") -> dict[str, Any]:
    body = await callers["facilitator"].run(
        SUBMIT_NEED,
        {
            "i": {
                "villageCode": village,
                "description": "ផ្លូវ",
                "idempotencyKey": uuid.uuid4().hex,
                "raisedBy": {"name": "Matrix Person", "sex": "female", "consent": "verbal"},
            }
        },
    )
    need: dict[str, Any] = body["data"]["submitNeed"]
    return need


def _ok(body: dict[str, Any], field: str) -> bool:
    return not body.get("errors") and (body.get("data") or {}).get(field) is not None


Operation = Callable[[dict[str, Caller], str], Awaitable[bool]]


async def submit_in_own_commune(callers: dict[str, Caller], role: str) -> bool:
    body = await callers[role].run(
        SUBMIT_NEED,
        {"i": {"villageCode": "16010102", "description": "ទឹក", "idempotencyKey": uuid.uuid4().hex}},
    )
    return _ok(body, "submitNeed")


async def validate(callers: dict[str, Caller], role: str) -> bool:
    need = await _need(callers)
    return _ok(
        await callers[role].run("mutation($id: ID!) { validateNeed(id: $id) { id } }", {"id": need["id"]}),
        "validateNeed",
    )


async def support(callers: dict[str, Caller], role: str) -> bool:
    need = await _need(callers)
    body = await callers[role].run(
        'mutation($id: ID!) { supportNeed(id: $id, supporter: {kind: "group", people: 3}) { id } }',
        {"id": need["id"]},
    )
    return _ok(body, "supportNeed")


async def merge(callers: dict[str, Caller], role: str) -> bool:
    first, second = await _need(callers), await _need(callers)
    body = await callers[role].run(
        "mutation($a: ID!, $b: ID!) { mergeNeeds(survivorId: $a, mergedId: $b) { id } }",
        {"a": first["id"], "b": second["id"]},
    )
    return _ok(body, "mergeNeeds")


async def read_personal_data(callers: dict[str, Caller], role: str) -> bool:
    need = await _need(callers)
    body = await callers[role].run(
        "query($id: ID!) { need(id: $id) { raisedBy { name } } }", {"id": need["id"]}
    )
    raised = ((body.get("data") or {}).get("need") or {}).get("raisedBy")
    return bool(raised and raised[0]["name"] == "Matrix Person")


async def read_the_need(callers: dict[str, Caller], role: str) -> bool:
    need = await _need(callers)
    return _ok(
        await callers[role].run("query($id: ID!) { need(id: $id) { status } }", {"id": need["id"]}), "need"
    )


async def see_small_counts(callers: dict[str, Caller], role: str) -> bool:
    await _need(callers)
    body = await callers[role].run(
        '{ needStats(communeCode: "160101") { total { groups { group count } } } }'
    )
    if body.get("errors"):
        return False
    return all(g["count"] != "<5" for g in body["data"]["needStats"]["total"]["groups"])


async def create_facilitator(callers: dict[str, Caller], role: str) -> bool:
    body = await callers[role].run(
        "mutation($i: CreateAccountInput!) { createAccount(input: $i) { setupCode } }",
        {
            "i": {
                "username": f"m{uuid.uuid4().hex[:10]}",
                "displayName": "x",
                "role": "FACILITATOR",
                "communes": ["160101"],
            }
        },
    )
    return _ok(body, "createAccount")


async def invite_facilitator(callers: dict[str, Caller], role: str) -> bool:
    body = await callers[role].run(
        "mutation($i: InviteFacilitatorInput!) { inviteFacilitator(input: $i) { setupCode } }",
        {"i": {"username": f"i{uuid.uuid4().hex[:10]}", "displayName": "x"}},
    )
    return _ok(body, "inviteFacilitator")


async def create_token(callers: dict[str, Caller], role: str) -> bool:
    body = await callers[role].run(
        "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret } }",
        {"i": {"name": "m", "scopes": ["read"], "communes": ["160101"]}},
    )
    return _ok(body, "createApiToken")


async def read_audit_log(callers: dict[str, Caller], role: str) -> bool:
    return _ok(await callers[role].run("{ auditLog(first: 5) { edges { node { action } } } }"), "auditLog")


async def list_accounts(callers: dict[str, Caller], role: str) -> bool:
    return _ok(await callers[role].run("{ accounts(first: 5) { edges { node { id } } } }"), "accounts")


async def read_inbox(callers: dict[str, Caller], role: str) -> bool:
    return _ok(await callers[role].run("{ notifications(first: 5) { totalCount } }"), "notifications")


async def erase_person(callers: dict[str, Caller], role: str) -> bool:
    """Erases a number nobody has: allowed or not is all this checks (test_erasure does the rest)."""
    number = f"+8551{uuid.uuid4().int % 10_000_000:07d}"
    body = await callers[role].run(
        "mutation($i: ErasePersonInput!) { erasePerson(input: $i) { id people } }",
        {"i": {"contacts": [{"channel": "sms", "address": number}]}},
    )
    return _ok(body, "erasePerson")


async def read_oversight(callers: dict[str, Caller], role: str) -> bool:
    """Aggregates of Malik: admins above it, its partner, tokens of it; no commune role."""
    body = await callers[role].run('{ oversight(unit: "160101") { rows { code } } }')
    return _ok(body, "oversight")


ALLOWED: dict[str, set[str]] = {
    "submit_in_own_commune": {"facilitator", "council", "chief", "token_write"},
    "validate": {"council", "chief"},
    "support": {"facilitator", "council", "chief"},
    "merge": {"council", "chief"},
    "read_personal_data": {"council", "chief"},
    "read_the_need": {
        "facilitator",
        "council",
        "chief",
        "province_admin",
        "national_admin",
        "district_admin",
        "token_read",
        "token_write",
    },
    "see_small_counts": {"council", "chief"},
    "create_facilitator": {"chief", "province_admin", "national_admin", "district_admin", "ngo_partner"},
    "invite_facilitator": {"chief"},
    "create_token": {"province_admin", "national_admin", "district_admin"},
    "read_audit_log": {"province_admin", "national_admin", "district_admin"},
    "list_accounts": {"chief", "province_admin", "national_admin", "district_admin", "ngo_partner"},
    "read_inbox": {
        "facilitator",
        "council",
        "other_council",
        "chief",
        "province_admin",
        "national_admin",
        "district_admin",
        "ngo_partner",
    },
    "erase_person": {"national_admin"},
    "read_oversight": {
        "province_admin",
        "national_admin",
        "district_admin",
        "ngo_partner",
        "token_read",
        "token_write",
    },
}
OPERATIONS: dict[str, Operation] = {name: globals()[name] for name in ALLOWED}


@pytest.mark.parametrize("operation", list(OPERATIONS))
async def test_each_role_is_allowed_exactly_what_the_matrix_says(
    operation: str, callers: dict[str, Caller]
) -> None:
    outcome = {role: await OPERATIONS[operation](callers, role) for role in ROLES}
    expected = {role: role in ALLOWED[operation] for role in ROLES}
    assert outcome == expected
