"""Benchmark: the front door under a real load generator (wrk, its own process), one run.

Prints, against a bare FastAPI hello world (uvicorn, one worker) measured in the same run:
GraphQL ``{__typename}``, ``submitNeed``, a 100-need page through GraphQL and the same page
from intake's own list endpoint, p50/p99 for each and the ratios; then submit ->
``notificationAdded`` latency at a steady rate (a paced client in its own process, a
subscriber here), and every process's resident memory at the end. Asserts nothing about time.

Settings: KHUM_BENCH_WRK_SECONDS (10), KHUM_BENCH_WRK_CONNECTIONS (16), KHUM_BENCH_RATE (50/s),
KHUM_BENCH_PACED_SECONDS (10), KHUM_BENCH_PLAIN_FIELDS (true; false restarts the gateway with
its plain-fields walk off, gateway/graphql/executor.py, to compare). Rate limits are lifted by
the stack's settings (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from dataclasses import asdict
from typing import Any

import httpx
import pytest
import websockets

from infra.stack import REPO_ROOT, Stack
from services.runtime.identity import Identity, Role
from services.runtime.tokens import issue_token
from tests.bench.harness import baseline_process, percentile
from tests.bench.wrk import (
    CONNECTIONS,
    SECONDS,
    SLICES,
    Target,
    WrkFigures,
    alternate,
    cpu_seconds,
    measure,
    rss_mib,
    wrk_binary,
)
from tests.conftest import SUBMIT_NEED, GraphQL

pytestmark = pytest.mark.bench

RATE = float(os.environ.get("KHUM_BENCH_RATE", "50"))
PACED_SECONDS = float(os.environ.get("KHUM_BENCH_PACED_SECONDS", "10"))
PLAIN_FIELDS = os.environ.get("KHUM_BENCH_PLAIN_FIELDS", "true").lower() != "false"
TYPENAME = json.dumps({"query": "{ __typename }"})
PAGE = json.dumps(
    {
        "query": 'query { needs(filter: {commune: "210103"}, first: 100) { totalCount edges { node { '
        "id trackingCode status people village { nameKm nameLatin } history { toStatus } } } } }"
    }
)


async def _api_token(stack: Stack) -> str:
    admin = GraphQL(stack.url)
    await admin.login("visal")
    body = await admin.execute(
        "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret } }",
        {
            "i": {
                "name": f"bench {uuid.uuid4().hex[:6]}",
                "scopes": ["read", "write:needs"],
                "communes": ["16", "21"],
            }
        },
    )
    await admin.close()
    assert "errors" not in body, body
    return str(body["data"]["createApiToken"]["secret"])  # type: ignore[index]


async def _seed_page(stack: Stack, token: str) -> None:
    """At least 100 needs in commune 210103 (the page's commune; the load writes elsewhere)."""
    async with httpx.AsyncClient(
        base_url=stack.url, timeout=15, headers={"authorization": f"Bearer {token}"}
    ) as http:
        for i in range(110):
            need = {
                "villageCode": f"2101030{1 + i % 4}",
                "description": f"តម្រូវការ {i}",
                "idempotencyKey": f"page-seed-{i}",
            }
            response = await http.post("/graphql", json={"query": SUBMIT_NEED, "variables": {"i": need}})
            assert "errors" not in response.json(), response.text


async def _submit_to_notification(stack: Stack, token: str) -> dict[str, Any]:
    """A council member listens on notificationAdded while a paced process submits at RATE/s."""
    council = GraphQL(stack.url)
    await council.login("dara")
    cookie = f"khum_session={council.http.cookies.get('khum_session')}"
    arrived: dict[str, float] = {}
    ready = asyncio.Event()

    async def listen() -> None:
        async with websockets.connect(
            stack.url.replace("http://", "ws://") + "/graphql",
            subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
            additional_headers={"cookie": cookie},
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            await ws.recv()
            query = "subscription { notificationAdded { ref } }"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
            ready.set()
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                elif message["type"] == "next":
                    arrived[message["payload"]["data"]["notificationAdded"]["ref"]] = time.monotonic()

    listener = asyncio.create_task(listen())
    await asyncio.wait_for(ready.wait(), 10)
    await asyncio.sleep(0.5)
    count = int(RATE * PACED_SECONDS)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.bench.paced_submit",
        stack.url,
        token,
        str(RATE),
        str(count),
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), PACED_SECONDS + 90)
    sent: dict[str, float] = {}
    answers: list[float] = []
    errors = 0
    for line in out.decode().splitlines():
        row = json.loads(line)
        if "code" in row:
            sent[row["code"]] = row["sent"]
            answers.append(row["answered"] - row["sent"])
        else:
            errors += 1
    deadline = time.monotonic() + 10
    while set(sent) - set(arrived) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    listener.cancel()
    await asyncio.gather(listener, return_exceptions=True)
    await council.close()
    latencies = [arrived[code] - at for code, at in sent.items() if code in arrived]
    return {
        "rate_per_second": RATE,
        "submitted": len(sent),
        "submit_errors": errors,
        "notified": len(latencies),
        "submit_p50_ms": round(percentile(answers, 0.5) * 1000, 1),
        "submit_p99_ms": round(percentile(answers, 0.99) * 1000, 1),
        "notify_p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "notify_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
    }


async def _settle(stack: Stack, quiet: float = 0.05, limit: float = 90.0) -> None:
    """Wait (at most ``limit`` seconds) until Khum's processes have used under ``quiet`` of a
    core each for three seconds running."""
    pids = [p.popen.pid for p in stack.processes.values() if p.popen is not None]
    deadline = time.monotonic() + limit
    calm = 0
    while calm < 3 and time.monotonic() < deadline:
        before = sum(cpu_seconds(pid) for pid in pids)
        await asyncio.sleep(1.0)
        calm = calm + 1 if sum(cpu_seconds(pid) for pid in pids) - before < quiet * len(pids) else 0


def _row(fig: WrkFigures, base: WrkFigures, extra: str = "") -> str:
    ratio = fig.per_second / base.per_second if base.per_second else float("nan")
    return (
        f"  {fig.name:<38} {fig.per_second:>9.1f} req/s  {fig.requests:>7} req {fig.errors:>4} err"
        f"  p50 {fig.p50_ms:>8.2f} ms  p99 {fig.p99_ms:>8.2f} ms  x hello {ratio:6.3f}{extra}"
    )


async def test_the_front_door_under_wrk(stack: Stack) -> None:
    if wrk_binary() is None:
        pytest.skip("wrk is not installed: apt-get install -y wrk (make bench uses it for load)")
    if not PLAIN_FIELDS:
        stack.restart("gateway", {**stack.extra_env.get("gateway", {}), "PLAIN_FIELDS": "false"})
    token = await _api_token(stack)
    await _seed_page(stack, token)
    bearer = {"WRK_AUTHORIZATION": f"Bearer {token}"}
    graphql = f"{stack.url}/graphql"
    intake_token = issue_token(
        Identity("bench", Role.COUNCIL_MEMBER, ("210103",)), stack.secrets["identity"], ttl=3600
    )
    intake_url = f"{stack.processes['intake'].url}/needs?commune=210103&limit=100"

    with baseline_process() as (base_url, base_proc):
        gateway = {"gateway": stack.processes["gateway"].popen.pid}  # type: ignore[union-attr]
        behind = {**gateway, "intake": stack.processes["intake"].popen.pid}  # type: ignore[union-attr]
        hello, typename = alternate(
            [
                Target(
                    "bare FastAPI hello (1 worker)",
                    f"{base_url}/hello",
                    "get.lua",
                    {},
                    {"hello": base_proc.pid},
                ),
                Target(
                    "GraphQL {__typename}", graphql, "post.lua", {**bearer, "WRK_BODY": TYPENAME}, gateway
                ),
            ]
        )
        page, intake_page = alternate(
            [
                Target(
                    "100-need page via GraphQL", graphql, "post.lua", {**bearer, "WRK_BODY": PAGE}, behind
                ),
                Target(
                    "intake GET /needs?limit=100",
                    intake_url,
                    "get.lua",
                    {"WRK_AUTHORIZATION": f"Bearer {intake_token}"},
                    {"intake": behind["intake"]},
                ),
            ]
        )
        everyone = {n: p.popen.pid for n, p in stack.processes.items() if p.popen is not None}
        submit = measure(
            Target(
                "submitNeed",
                graphql,
                "submit.lua",
                {**bearer, "WRK_KEY_PREFIX": uuid.uuid4().hex[:12]},
                everyone,
            )
        )
        # The submissions leave work for the consumers (notify, meetings, budget): let it drain,
        # or the paced run would measure that backlog rather than its own latency.
        await _settle(stack)
        paced = await _submit_to_notification(stack, token)
        memory = {
            name: rss_mib(process.popen.pid)
            for name, process in stack.processes.items()
            if process.popen is not None
        }
        memory["bare hello"] = rss_mib(base_proc.pid)

    page_ratio = page.per_second / intake_page.per_second if intake_page.per_second else float("nan")
    print(
        f"\n== front door (wrk, 1 thread, {CONNECTIONS} connections, {SECONDS} s each; pairs compared"
        f" in {SLICES} alternating slices; plain-fields walk {'on' if PLAIN_FIELDS else 'off'}) =="
    )
    print(_row(hello, hello))
    print(_row(typename, hello, "   (target >= 0.30)"))
    print(_row(submit, hello, "   (target >= 0.10)"))
    print(_row(page, hello, f"   x intake list {page_ratio:.3f} (target >= 0.5)"))
    print(_row(intake_page, hello))
    print(
        f"  submit -> notificationAdded at {paced['rate_per_second']:.0f}/s: "
        f"{paced['notified']}/{paced['submitted']} notified, {paced['submit_errors']} errors, "
        f"p50 {paced['notify_p50_ms']} ms, p99 {paced['notify_p99_ms']} ms (target < 200); "
        f"submit answer p50 {paced['submit_p50_ms']} ms, p99 {paced['submit_p99_ms']} ms"
    )
    print("  CPU per request (ms), by process:")
    for fig in (hello, typename, page, intake_page, submit):
        print(f"    {fig.name:<36} " + ", ".join(f"{k} {v}" for k, v in fig.cpu_ms.items()))
    print("  resident memory at the end (MiB): " + ", ".join(f"{k} {v}" for k, v in memory.items()))
    out = REPO_ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    figures = [hello, typename, submit, page, intake_page]
    (out / "front_door.json").write_text(
        json.dumps(
            {
                "wrk": [asdict(f) for f in figures],
                "ratios_to_hello": {f.name: f.per_second / hello.per_second for f in figures},
                "page_to_intake_list": page_ratio,
                "plain_fields": PLAIN_FIELDS,
                "submit_to_notification": paced,
                "rss_mib": memory,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    assert all(f.requests > 0 for f in figures)
    assert typename.errors == 0 and submit.errors == 0 and page.errors == 0
    assert paced["submitted"] > 0 and paced["notified"] == paced["submitted"]
