"""Benchmark: submitNeed through the gateway (GraphQL -> intake -> SQLite + outbox) against a
bare FastAPI endpoint on one worker, measured in the same run. Prints figures and ratios;
asserts nothing about time."""

from __future__ import annotations

import os
import uuid

import httpx
import pytest

from infra.stack import Stack
from tests.bench.harness import baseline_server, report, run_load
from tests.conftest import SUBMIT_NEED, GraphQL

pytestmark = pytest.mark.bench

CONCURRENCY = int(os.environ.get("KHUM_BENCH_CONCURRENCY", "8"))
TOTAL = int(os.environ.get("KHUM_BENCH_REQUESTS", "600"))
MAX_SECONDS = float(os.environ.get("KHUM_BENCH_SECONDS", "60"))


async def test_submit_need_throughput_and_latency_against_a_bare_endpoint(stack: Stack) -> None:
    client = GraphQL(stack.url)
    await client.login("sophea")
    villages = ["16010101", "16010102", "16010103", "16010104", "21010301", "21010302"]

    async def submit(i: int) -> bool:
        need = {
            "villageCode": villages[i % len(villages)],
            "description": f"ផ្លូវលំភូមិ លេខ {i}: ខូចខាតក្នុងរដូវវស្សា",
            "idempotencyKey": uuid.uuid4().hex,
            "sector": "ECONOMIC",
        }
        body = await client.execute(SUBMIT_NEED, {"i": need})
        return "errors" not in body

    await run_load("warm-up", submit, concurrency=2, total=20, max_seconds=10)
    measured = await run_load(
        "submitNeed via gateway GraphQL",
        submit,
        concurrency=CONCURRENCY,
        total=TOTAL,
        max_seconds=MAX_SECONDS,
    )
    await client.close()

    with baseline_server() as url:
        async with httpx.AsyncClient(base_url=url, timeout=15) as bare:
            payload = {
                "query": SUBMIT_NEED,
                "variables": {"i": {"villageCode": "16010101", "description": "x"}},
            }

            async def echo(_: int) -> bool:
                return (await bare.post("/echo", json=payload)).status_code == 200

            await run_load("warm-up", echo, concurrency=2, total=20, max_seconds=10)
            baseline = await run_load(
                "bare FastAPI POST (1 worker)",
                echo,
                concurrency=CONCURRENCY,
                total=TOTAL,
                max_seconds=MAX_SECONDS,
            )
    report("submitNeed", measured, baseline, "submit_need")
    assert measured.requests > 0 and baseline.requests > 0
    assert measured.errors == 0
