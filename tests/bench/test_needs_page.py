"""Benchmark: a 100-need page through GraphQL (gateway -> intake, village DataLoader) against
intake's own list endpoint called directly, measured in the same run. Prints, asserts no time."""

from __future__ import annotations

import os
import uuid

import httpx
import pytest

from infra.stack import Stack
from services.runtime.identity import Identity, Role
from services.runtime.tokens import issue_token
from tests.bench.harness import report, run_load
from tests.conftest import SUBMIT_NEED, GraphQL

pytestmark = pytest.mark.bench

TOTAL = int(os.environ.get("KHUM_BENCH_PAGES", "200"))
CONCURRENCY = int(os.environ.get("KHUM_BENCH_CONCURRENCY", "8"))
PAGE = (
    'query { needs(filter: {commune: "210103"}, first: 100) { totalCount edges { node { '
    "id trackingCode status people village { nameKm nameLatin } history { toStatus } } } } }"
)


async def test_a_100_need_page_through_graphql_against_the_intake_endpoint(stack: Stack) -> None:
    client = GraphQL(stack.url)
    await client.login("chenda")
    facilitator = GraphQL(stack.url)
    await facilitator.login("sophea")
    for i in range(110):
        need = {
            "villageCode": f"2101030{1 + i % 4}",
            "description": f"តម្រូវការ {i}",
            "idempotencyKey": uuid.uuid4().hex,
        }
        await facilitator.execute(SUBMIT_NEED, {"i": need})
    await facilitator.close()

    async def graphql_page(_: int) -> bool:
        body = await client.execute(PAGE)
        return "errors" not in body and len(body["data"]["needs"]["edges"]) == 100

    token = issue_token(
        Identity("bench", Role.COUNCIL_MEMBER, ("210103",)), stack.secrets["identity"], ttl=3600
    )
    async with httpx.AsyncClient(
        base_url=stack.processes["intake"].url or "", headers={"authorization": f"Bearer {token}"}, timeout=15
    ) as intake:

        async def intake_page(_: int) -> bool:
            response = await intake.get("/needs", params={"commune": "210103", "limit": 100})
            return response.status_code == 200 and len(response.json()["items"]) == 100

        await run_load("warm-up", graphql_page, concurrency=2, total=10, max_seconds=20)
        await run_load("warm-up", intake_page, concurrency=2, total=10, max_seconds=20)
        measured = await run_load(
            "100-need page via GraphQL", graphql_page, concurrency=CONCURRENCY, total=TOTAL, max_seconds=60
        )
        baseline = await run_load(
            "intake GET /needs?limit=100", intake_page, concurrency=CONCURRENCY, total=TOTAL, max_seconds=60
        )
    await client.close()
    report("100-need page", measured, baseline, "needs_page")
    assert measured.errors == 0 and baseline.errors == 0
