"""Attacks and accidents at the edge: repeated submissions, injection in text and filters,
script in what people type, and secrets that must never reach the logs."""

from __future__ import annotations

import asyncio
import re
import uuid

import httpx

from infra.stack import Stack
from tests.conftest import DEMO_PASSWORD, SUBMIT_NEED, GraphQL

SCRIPT = '<script>alert("x")</script><img src=x onerror="alert(1)">'


async def test_the_same_submission_sent_five_times_at_once_makes_one_need(facilitator: GraphQL) -> None:
    need = {"villageCode": "16010101", "description": "ស្ពានថ្មី", "idempotencyKey": uuid.uuid4().hex}
    results = await asyncio.gather(*(facilitator.execute(SUBMIT_NEED, {"i": need}) for _ in range(5)))
    ids = {r["data"]["submitNeed"]["id"] for r in results}
    codes = {r["data"]["submitNeed"]["trackingCode"] for r in results}
    assert len(ids) == 1 and len(codes) == 1


async def test_injection_in_filters_is_inert_or_refused(facilitator: GraphQL) -> None:
    query = "query($f: NeedFilter) { needs(filter: $f, first: 5) { totalCount } }"
    for text in ("' OR 1=1 --", '{"$ne": null}', "%", "_", ".*", "\\"):
        body = await facilitator.execute(query, {"f": {"text": text}})
        assert "errors" not in body, body
        assert body["data"]["needs"]["totalCount"] == 0, text
    for field, value in (
        ("village", "16010101' OR '1'='1"),
        ("commune", '{"$gt": ""}'),
        ("group", "disability' --"),
    ):
        body = await facilitator.execute(query, {"f": {field: value}})
        assert body["errors"][0]["extensions"]["code"] in ("request.invalid", "graphql.invalid"), body


async def test_script_in_a_need_is_shown_as_text_on_every_page(stack: Stack, facilitator: GraphQL) -> None:
    need = {"villageCode": "16010102", "description": SCRIPT, "idempotencyKey": uuid.uuid4().hex}
    created = (await facilitator.execute(SUBMIT_NEED, {"i": need}))["data"]["submitNeed"]
    assert created["description"] == SCRIPT  # stored as typed
    pages = [
        await facilitator.http.get(f"/track?code={created['trackingCode']}"),
        await facilitator.http.get("/needs/mine"),
    ]
    for page in pages:
        assert page.status_code == 200
        assert "<script>alert" not in page.text and 'onerror="alert' not in page.text
        assert "&lt;script&gt;alert" in page.text


async def test_no_secret_or_token_is_written_to_the_logs(stack: Stack) -> None:
    admin = GraphQL(stack.url)
    await admin.login("visal")
    body = await admin.execute(
        "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret } }",
        {"i": {"name": "log check", "scopes": ["read"], "communes": ["160101"]}},
    )
    secret = body["data"]["createApiToken"]["secret"]
    session = admin.http.cookies.get("khum_session") or ""
    async with httpx.AsyncClient(
        base_url=stack.url, headers={"authorization": f"Bearer {secret}"}
    ) as integrator:
        await integrator.post("/graphql", json={"query": "{ needs(first: 1) { totalCount } }"})
    await admin.close()
    secrets = {
        "demo password": DEMO_PASSWORD,
        "API token": secret,
        "session id": session,
        "identity secret": stack.secrets["identity"],
        "session secret": stack.secrets["session"],
    }
    jwt_like = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")
    logs = list((stack.var / "log").glob("*.log"))
    assert logs
    for path in logs:
        text = path.read_text(errors="replace")
        for what, value in secrets.items():
            assert value and value not in text, f"{what} found in {path.name}"
        assert not jwt_like.search(text), f"an identity token found in {path.name}"
