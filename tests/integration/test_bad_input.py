"""Bad input to submitNeed gets a stable code and a message in the caller's language; nothing
is stored and no event is published. Services refuse bad identity tokens themselves."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import httpx
import jwt
import nats
import pytest

from infra.stack import Stack
from services.runtime.identity import Identity, Role
from services.runtime.tokens import AUDIENCE, ISSUER, issue_token
from tests.conftest import SUBMIT_NEED, GraphQL


async def _stream_count(stack: Stack, stream: str) -> int:
    nc = await nats.connect(stack.nats_url)
    try:
        info = await nc.jetstream().stream_info(stream)
        return int(info.state.messages)
    finally:
        await nc.close()


async def _needs_in(stack: Stack, commune: str) -> int:
    token = issue_token(Identity("auditor", Role.NATIONAL_ADMIN, ("*",)), stack.secrets["identity"])
    async with httpx.AsyncClient(base_url=stack.processes["intake"].url or "") as http:
        response = await http.get(
            "/needs",
            params={"commune": commune, "limit": 100},
            headers={"authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    return len(response.json()["items"])


@pytest.fixture
async def english_facilitator(stack: Stack) -> AsyncIterator[GraphQL]:
    client = GraphQL(stack.url, lang="en")
    await client.login("sophea")
    yield client
    await client.close()


CASES = [
    pytest.param(
        "16010101",
        "   ",
        "need.description_empty",
        "description",
        "Please describe the need.",
        id="empty",
    ),
    pytest.param(
        "16010101",
        "ក" * 2001,
        "need.description_too_long",
        "description",
        "too long",
        id="too-long",
    ),
    pytest.param(
        "99999999",
        "ទឹកស្អាត",
        "need.village_unknown",
        "villageCode",
        "not in the gazetteer",
        id="unknown-village",
    ),
    pytest.param(
        "0102010",
        "ទឹកស្អាត",
        "need.village_unknown",
        "villageCode",
        "not in the gazetteer",
        id="malformed-village",
    ),
]


@pytest.mark.parametrize(("village", "description", "code", "field", "english"), CASES)
async def test_bad_needs_are_refused_in_english_and_nothing_is_kept(
    stack: Stack,
    english_facilitator: GraphQL,
    village: str,
    description: str,
    code: str,
    field: str,
    english: str,
) -> None:
    events_before = await _stream_count(stack, "KHUM_NEEDS")
    needs_before = await _needs_in(stack, "160101")
    body = await english_facilitator.execute(
        SUBMIT_NEED,
        {
            "i": {
                "villageCode": village,
                "description": description,
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
    )
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == code
    assert error["extensions"]["field"] == field
    assert english in error["message"]
    assert await _needs_in(stack, "160101") == needs_before
    assert await _stream_count(stack, "KHUM_NEEDS") == events_before


async def test_errors_are_in_khmer_by_default(facilitator: GraphQL) -> None:
    body = await facilitator.execute(
        SUBMIT_NEED,
        {"i": {"villageCode": "16010101", "description": "", "idempotencyKey": uuid.uuid4().hex}},
    )
    [error] = body["errors"]
    assert error["extensions"]["code"] == "need.description_empty"
    assert error["message"] == "សូមរៀបរាប់អំពីតម្រូវការ។"


async def test_a_village_outside_the_callers_communes_is_refused(stack: Stack) -> None:
    chenda = GraphQL(stack.url, lang="en")  # council of Kouk Thlok (210103) only
    await chenda.login("chenda")
    try:
        events_before = await _stream_count(stack, "KHUM_NEEDS")
        body = await chenda.execute(
            SUBMIT_NEED,
            {
                "i": {
                    "villageCode": "16010101",
                    "description": "ស្ពាន",
                    "idempotencyKey": uuid.uuid4().hex,
                }
            },
        )
        [error] = body["errors"]
        assert error["extensions"]["code"] == "need.village_out_of_scope"
        assert "outside your communes" in error["message"]
        assert await _stream_count(stack, "KHUM_NEEDS") == events_before
    finally:
        await chenda.close()


async def test_a_mutation_without_the_csrf_header_is_refused(stack: Stack, facilitator: GraphQL) -> None:
    needs_before = await _needs_in(stack, "160101")
    response = await facilitator.http.post(
        "/graphql",
        json={
            "query": SUBMIT_NEED,
            "variables": {
                "i": {
                    "villageCode": "16010101",
                    "description": "ផ្លូវ",
                    "idempotencyKey": uuid.uuid4().hex,
                }
            },
        },
    )
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "auth.csrf"
    assert await _needs_in(stack, "160101") == needs_before


async def test_submitting_without_signing_in_is_refused(stack: Stack) -> None:
    anonymous = GraphQL(stack.url, lang="en")
    try:
        body = await anonymous.execute(
            SUBMIT_NEED,
            {
                "i": {
                    "villageCode": "16010101",
                    "description": "ផ្លូវ",
                    "idempotencyKey": uuid.uuid4().hex,
                }
            },
        )
        assert body["errors"][0]["extensions"]["code"] == "auth.unauthenticated"
    finally:
        await anonymous.close()


async def test_a_wrong_password_is_refused_with_a_clear_message(stack: Stack) -> None:
    client = GraphQL(stack.url, lang="en")
    try:
        body = await client.execute(
            'mutation { login(login: "sophea", password: "not-the-password") { csrfToken } }'
        )
        [error] = body["errors"]
        assert error["extensions"]["code"] == "auth.login_failed"
        assert "khum_session" not in client.http.cookies
    finally:
        await client.close()


async def test_a_repeated_idempotency_key_returns_the_first_need(stack: Stack, facilitator: GraphQL) -> None:
    need = {
        "villageCode": "21010302",
        "description": "ប្រព័ន្ធធារាសាស្ត្រ",
        "idempotencyKey": uuid.uuid4().hex,
    }
    first = (await facilitator.execute(SUBMIT_NEED, {"i": need}))["data"]["submitNeed"]
    events = await _stream_count(stack, "KHUM_NEEDS")
    again = (await facilitator.execute(SUBMIT_NEED, {"i": need}))["data"]["submitNeed"]
    assert again["id"] == first["id"]
    assert again["trackingCode"] == first["trackingCode"]
    assert await _stream_count(stack, "KHUM_NEEDS") == events


def _forged(stack: Stack, **overrides: object) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "x",
        "role": "facilitator",
        "communes": ["160101"],
        "iat": now,
        "exp": now + 60,
    }
    claims.update(overrides)
    secret = str(claims.pop("secret", stack.secrets["identity"]))
    return jwt.encode(claims, secret, algorithm="HS256")


@pytest.mark.parametrize("service", ["intake", "meetings", "notify"])
async def test_services_refuse_a_missing_forged_or_expired_identity(stack: Stack, service: str) -> None:
    path = {
        "intake": "/villages",
        "meetings": "/agenda-candidates?commune=160101",
        "notify": "/notifications",
    }[service]
    tokens = {
        "missing": None,
        "forged": _forged(stack, secret="x" * 48),
        "expired": _forged(stack, iat=int(time.time()) - 600, exp=int(time.time()) - 60),
        "wrong-audience": _forged(stack, aud="somebody-else"),
    }
    async with httpx.AsyncClient(base_url=stack.processes[service].url or "") as http:
        for name, token in tokens.items():
            headers = {"authorization": f"Bearer {token}"} if token else {}
            response = await http.get(path, headers=headers)
            assert response.status_code == 401, (name, response.text)
            assert response.json()["error"]["code"] == "auth.unauthenticated"
        ok = await http.get(path, headers={"authorization": f"Bearer {_forged(stack)}"})
        assert ok.status_code == 200, ok.text


async def test_intake_refuses_a_command_outside_the_callers_communes_with_403(stack: Stack) -> None:
    token = issue_token(Identity("f1", Role.FACILITATOR, ("210103",)), stack.secrets["identity"])
    async with httpx.AsyncClient(base_url=stack.processes["intake"].url or "") as http:
        response = await http.post(
            "/needs",
            json={
                "village_code": "16010101",
                "description": "ស្ពាន",
                "idempotency_key": uuid.uuid4().hex,
            },
            headers={"authorization": f"Bearer {token}", "accept-language": "en"},
        )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "need.village_out_of_scope"
