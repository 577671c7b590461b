"""Benchmark: erasing one person among N needs, and how long until every service has done its
part, against reading those N needs once through intake's own list (the scan an erasure must
make at least), measured in the same run. Prints figures and ratios; asserts no time."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
import uuid

import httpx
import pytest

from infra.stack import Stack, free_port
from services.runtime.identity import Identity, Role
from services.runtime.tokens import issue_token
from tests.bench.harness import run_load
from tests.conftest import SUBMIT_NEED, UNLIMITED, GraphQL

pytestmark = pytest.mark.bench

NEEDS = int(os.environ.get("KHUM_BENCH_ERASURE_NEEDS", "2000"))
PHONE = "+85512987654"
ERASE = "mutation($i: ErasePersonInput!) { erasePerson(input: $i) { id people needs } }"


def _done(stack: Stack, erasure_id: str) -> bool:
    """Notify marked the erasure done, and intake's own consumer scrubbed its stream."""
    with sqlite3.connect(f"file:{stack.var / 'notify.db'}?mode=ro", uri=True) as notify:
        row = notify.execute(
            "SELECT json_extract(doc, '$.status') FROM c_erasures WHERE id = ?", (erasure_id,)
        ).fetchone()
    with sqlite3.connect(f"file:{stack.var / 'intake.db'}?mode=ro", uri=True) as intake:
        handled = intake.execute("SELECT COUNT(*) FROM inbox WHERE consumer = 'intake-erasures'").fetchone()[
            0
        ]
    return bool(row and row[0] == "done" and handled)


async def test_erasing_a_person_among_many_needs(tmp_path_factory: pytest.TempPathFactory) -> None:
    stack = Stack(
        var=tmp_path_factory.mktemp("erasure-bench") / "var", port=free_port(), demo=True, extra_env=UNLIMITED
    )
    await asyncio.to_thread(stack.start)
    try:
        facilitator = GraphQL(stack.url)
        await facilitator.login("sophea")

        async def submit(i: int) -> bool:
            raiser = {"kind": "person", "name": f"Person {i}", "consent": "verbal", "sex": "female"}
            raiser.update(
                {"contactChannel": "sms", "contactAddress": PHONE if i % 100 == 0 else f"+8551{i:07d}"}
            )
            need = {
                "villageCode": f"1601010{1 + i % 4}",
                "description": f"តម្រូវការ {i}",
                "idempotencyKey": uuid.uuid4().hex,
                "raisedBy": raiser,
            }
            return "errors" not in await facilitator.execute(SUBMIT_NEED, {"i": need})

        filled = await run_load("fill", submit, concurrency=8, total=NEEDS, max_seconds=300)
        await facilitator.close()

        token = issue_token(
            Identity("bench", Role.COUNCIL_MEMBER, ("160101",)), stack.secrets["identity"], ttl=3600
        )
        async with httpx.AsyncClient(
            base_url=stack.processes["intake"].url or "",
            headers={"authorization": f"Bearer {token}"},
            timeout=30,
        ) as intake:
            began = time.perf_counter()
            after, seen = None, 0
            while True:
                params: dict[str, str | int] = {"commune": "160101", "limit": 100}
                if after:
                    params["after"] = after
                page = (await intake.get("/needs", params=params)).json()
                seen += len(page["items"])
                after = page.get("next_after")
                if not after or not page["items"]:
                    break
            scan = time.perf_counter() - began

        admin = GraphQL(stack.url)
        await admin.login("visal")
        began = time.perf_counter()
        body = await admin.execute(ERASE, {"i": {"contacts": [{"channel": "sms", "address": PHONE}]}})
        answered = time.perf_counter() - began
        erasure = body["data"]["erasePerson"]
        deadline = time.monotonic() + 120
        while not _done(stack, erasure["id"]) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        everywhere = time.perf_counter() - began
        await admin.close()
        print(
            f"\n== erasure among {filled.requests} needs ({seen} read back) ==\n"
            f"  intake reads every need once (pages of 100)  {scan * 1000:8.0f} ms\n"
            f"  erasePerson answered (intake's part done)    {answered * 1000:8.0f} ms"
            f"   ratio {answered / scan:.1f}x\n"
            f"  every service done (streams scrubbed)        {everywhere * 1000:8.0f} ms"
            f"   ratio {everywhere / scan:.1f}x\n"
            f"  entries erased: {erasure['people']} on {erasure['needs']} needs"
        )
        assert erasure["people"] == len(range(0, filled.requests, 100)) and _done(stack, erasure["id"])
    finally:
        await asyncio.to_thread(stack.stop)
