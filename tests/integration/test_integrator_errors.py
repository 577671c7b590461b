"""Every error an integrator can meet is a GraphQL error with a stable ``extensions.code``; an
input error names the offending field by its GraphQL path, as typed clients send variables."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import websockets

from infra.stack import Stack
from tests.conftest import SUBMIT_NEED, GraphQL, wait_for

TRACK = "query($c: String!) { needByTrackingCode(code: $c) { status } }"
NEEDS = "query($f: NeedFilter) { needs(filter: $f, first: 5) { totalCount } }"


def _need(**changes: object) -> dict[str, object]:
    need: dict[str, object] = {
        "villageCode": "16010101",
        "description": "ស្ពាន",
        "idempotencyKey": uuid.uuid4().hex,
    }
    need.update(changes)
    return {k: v for k, v in need.items() if v is not ...}


@pytest.mark.parametrize(
    ("query", "variables", "path"),
    [
        (SUBMIT_NEED, {"i": _need(sector="NOT_A_SECTOR")}, ["i", "sector"]),
        (SUBMIT_NEED, {"i": _need(beneficiaries="many")}, ["i", "beneficiaries"]),
        (SUBMIT_NEED, {"i": _need(villageCode=...)}, ["i", "villageCode"]),
        (SUBMIT_NEED, {"i": _need(description=None)}, ["i", "description"]),
        (SUBMIT_NEED, {"i": _need(idempotencyKey={"a": 1})}, ["i", "idempotencyKey"]),
        (SUBMIT_NEED, {"i": _need(unknownField=1)}, ["i", "unknownField"]),
        (SUBMIT_NEED, {}, ["i"]),
        (SUBMIT_NEED, {"i": None}, ["i"]),
        (TRACK, {"c": {"code": "ABC"}}, ["c"]),
        (TRACK, {"c": 12}, ["c"]),
        (NEEDS, {"f": {"status": "BOGUS"}}, ["f", "status"]),
    ],
    ids=[
        "invalid-enum",
        "wrong-type",
        "missing-required",
        "null-required",
        "object-for-string",
        "unknown-field",
        "missing-variable",
        "null-variable",
        "object-for-tracking-code",
        "number-for-tracking-code",
        "invalid-enum-in-filter",
    ],
)
async def test_an_input_error_in_variables_is_request_invalid_with_the_graphql_path(
    facilitator: GraphQL, query: str, variables: dict[str, object], path: list[str]
) -> None:
    body = await facilitator.execute(query, variables)
    assert body.get("data") is None, body
    error = body["errors"][0]  # type: ignore[index]
    assert error["extensions"]["code"] == "request.invalid", error
    assert error["extensions"]["path"] == path, error
    assert error["extensions"]["field"] == ".".join(path), error
    assert "Unexpected error" not in error["message"]


async def test_a_refusal_from_a_service_names_the_graphql_field(facilitator: GraphQL) -> None:
    body = await facilitator.execute(SUBMIT_NEED, {"i": _need(idempotencyKey="x")})
    error = body["errors"][0]  # type: ignore[index]
    assert error["extensions"]["code"] == "request.invalid", error
    assert "idempotencyKey" in error["extensions"]["field"], error
    assert "idempotency_key" not in str(error), error


@pytest.mark.parametrize("token", ["not-a-token", "khum_" + "0" * 40])
async def test_an_invalid_token_is_a_graphql_error_with_a_code(stack: Stack, token: str) -> None:
    async with httpx.AsyncClient(base_url=stack.url, headers={"authorization": f"Bearer {token}"}) as http:
        response = await http.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 401, response.text
    body = response.json()
    assert "detail" not in body, body
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "auth.token_invalid", body


async def test_the_schema_says_what_a_valid_idempotency_key_is() -> None:
    from gateway.graphql import sdl

    text = sdl()
    start = text.index("input SubmitNeedInput")
    block = text[start : text.index("}", start)]
    described = block[: block.index("idempotencyKey: String!")]
    assert "8 to 100" in described.rsplit('"""', 2)[-2], described[-400:]


async def test_an_api_token_with_an_expiry_works_until_then_and_is_refused_after(stack: Stack) -> None:
    admin = GraphQL(stack.url, lang="en")
    await admin.login("visal")
    create = (
        "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) "
        "{ secret apiToken { id expiresAt } } }"
    )
    base = {"name": "expiring", "scopes": ["read"], "communes": ["160101"]}
    past = await admin.execute(create, {"i": {**base, "expiresAt": "2020-01-01T00:00:00Z"}})
    assert past["errors"][0]["extensions"]["code"] == "token.expiry_invalid", past  # type: ignore[index]
    soon = datetime.now(UTC) + timedelta(seconds=3)
    made = await admin.execute(create, {"i": {**base, "expiresAt": soon.isoformat()}})
    created = made["data"]["createApiToken"]  # type: ignore[index]
    assert datetime.fromisoformat(created["apiToken"]["expiresAt"]) == soon.replace(
        microsecond=soon.microsecond
    )
    listed = await admin.execute("{ apiTokens { id expiresAt } }")
    assert any(t["id"] == created["apiToken"]["id"] and t["expiresAt"] for t in listed["data"]["apiTokens"])  # type: ignore[index]
    await admin.close()
    headers = {"authorization": f"Bearer {created['secret']}"}
    async with httpx.AsyncClient(base_url=stack.url, headers=headers) as http:
        before = await http.post("/graphql", json={"query": "{ needs(first: 1) { totalCount } }"})
        assert before.status_code == 200 and "errors" not in before.json(), before.text

        async def refused() -> bool:
            response = await http.post("/graphql", json={"query": "{ needs(first: 1) { totalCount } }"})
            return response.status_code == 401

        await wait_for(refused, timeout=15, interval=0.5)
        after = await http.post("/graphql", json={"query": "{ __typename }"})
    assert after.json()["errors"][0]["extensions"]["code"] == "auth.token_invalid"


async def test_an_invalid_token_on_a_websocket_is_closed_with_4401(stack: Stack) -> None:
    url = stack.url.replace("http://", "ws://") + "/graphql"
    try:
        async with websockets.connect(
            url,
            subprotocols=["graphql-transport-ws"],
            additional_headers={"authorization": "Bearer khum_nope"},
        ) as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
                await asyncio.wait_for(ws.recv(), 10)
        code = closed.value.rcvd.code if closed.value.rcvd else None
    except websockets.InvalidStatus as refused:  # refused before the upgrade: also no way in
        code = refused.response.status_code
    assert code == 4401, code
