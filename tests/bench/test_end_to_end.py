"""Benchmark, end to end: N facilitators submit needs through the gateway while a council
member listens on notificationAdded. Prints submit throughput, submit latency, and the time
from submit to the notification arriving, against a bare FastAPI hello-world on one worker
measured in the same run; writes the figures to var/bench/end_to_end.json."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid

import httpx
import pytest
import websockets

from infra.stack import REPO_ROOT, Stack
from tests.bench.harness import baseline_server, percentile, run_load
from tests.conftest import SUBMIT_NEED, GraphQL

pytestmark = pytest.mark.bench

FACILITATORS = int(os.environ.get("KHUM_BENCH_FACILITATORS", "8"))
TOTAL = int(os.environ.get("KHUM_BENCH_REQUESTS", "400"))


async def test_submit_to_notification_end_to_end(stack: Stack) -> None:
    council = GraphQL(stack.url)
    await council.login("dara")
    arrived: dict[str, float] = {}
    sent: dict[str, float] = {}
    url = stack.url.replace("http://", "ws://") + "/graphql"
    cookie = f"khum_session={council.http.cookies.get('khum_session')}"

    async def listen(ready: asyncio.Event) -> None:
        async with websockets.connect(
            url, subprotocols=["graphql-transport-ws"], additional_headers={"cookie": cookie}
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            await ws.recv()
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": "subscription { notificationAdded { ref } }"},
                    }
                )
            )
            ready.set()
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                elif message["type"] == "next":
                    arrived[message["payload"]["data"]["notificationAdded"]["ref"]] = time.perf_counter()

    ready = asyncio.Event()
    listener = asyncio.create_task(listen(ready))
    await asyncio.wait_for(ready.wait(), 10)
    await asyncio.sleep(0.3)

    clients = []
    for _ in range(FACILITATORS):
        client = GraphQL(stack.url)
        await client.login("sophea")
        clients.append(client)

    async def submit(i: int) -> bool:
        need = {
            "villageCode": f"1601010{1 + i % 4}",
            "description": f"ផ្លូវ {i}",
            "idempotencyKey": uuid.uuid4().hex,
        }
        started = time.perf_counter()
        body = await clients[i % FACILITATORS].execute(SUBMIT_NEED, {"i": need})
        if "errors" in body:
            return False
        sent[body["data"]["submitNeed"]["trackingCode"]] = started
        return True

    figures = await run_load(
        "submitNeed, end to end", submit, concurrency=FACILITATORS, total=TOTAL, max_seconds=90
    )
    deadline = time.monotonic() + 30
    while len(arrived.keys() & sent.keys()) < len(sent) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    listener.cancel()
    for client in clients:
        await client.close()
    await council.close()
    delays = [arrived[code] - sent[code] for code in sent if code in arrived]

    with baseline_server() as base:
        async with httpx.AsyncClient(base_url=base) as bare:

            async def hello(_: int) -> bool:
                return (await bare.get("/hello")).status_code == 200

            ceiling = await run_load(
                "bare FastAPI hello (1 worker)",
                hello,
                concurrency=FACILITATORS,
                total=TOTAL * 2,
                max_seconds=60,
            )

    result = {
        "facilitators": FACILITATORS,
        "submitted": figures.requests,
        "errors": figures.errors,
        "submit_per_second": figures.per_second,
        "submit_p50_ms": figures.p50_ms,
        "submit_p99_ms": figures.p99_ms,
        "notified": len(delays),
        "notify_p50_ms": round(percentile(delays, 0.5) * 1000, 1),
        "notify_p99_ms": round(percentile(delays, 0.99) * 1000, 1),
        "hello_per_second": ceiling.per_second,
        "ratio_submit_to_hello": round(figures.per_second / ceiling.per_second, 3)
        if ceiling.per_second
        else None,
    }
    print("\n== end to end ==")
    for key, value in result.items():
        print(f"  {key:<24} {value}")
    out = REPO_ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "end_to_end.json").write_text(json.dumps(result, indent=2))
    assert figures.requests > 0 and len(delays) == figures.requests - figures.errors
