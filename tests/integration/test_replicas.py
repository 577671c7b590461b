"""Two replicas each of intake and notify, on the same NATS and the same stores: they share
the work (one durable consumer, one outbox) and nothing is processed twice."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import uuid
from collections.abc import Iterator

import httpx
import pytest

from infra.stack import Process, Stack, free_port
from services.runtime.identity import Identity, Role
from services.runtime.tokens import issue_token
from tests.conftest import wait_for

SUBMISSIONS = 300


@pytest.fixture
def replicas(stack: Stack) -> Iterator[dict[str, Process]]:
    started: dict[str, Process] = {}
    for name in ("intake", "notify"):
        env = stack.env_for(name)
        port = free_port()
        env[f"KHUM_{name.upper()}_PORT"] = str(port)
        replica = Process(
            f"{name}-2",
            list(stack.processes[name].argv),
            env,
            stack.var / "log" / f"{name}-2.log",
            url=f"http://127.0.0.1:{port}",
        )
        replica.start()
        stack.processes[replica.name] = replica
        started[name] = replica
    try:
        stack.wait_ready(list(stack.processes.keys() & {"intake-2", "notify-2"}))
        yield started
    finally:
        for replica in started.values():
            replica.stop()
            del stack.processes[replica.name]


def _handled(text: str) -> float:
    pattern = r'^khum_events_consumed_total\{consumer="notify-needs",outcome="handled"\} (\S+)$'
    found = re.search(pattern, text, re.M)
    return float(found.group(1)) if found else 0.0


async def test_two_replicas_share_the_work_and_nothing_is_done_twice(
    stack: Stack, replicas: dict[str, Process]
) -> None:
    token = issue_token(
        Identity("replica-test", Role.FACILITATOR, ("210103",)), stack.secrets["identity"], ttl=600
    )
    intakes = [stack.processes["intake"].url, replicas["intake"].url]
    marker = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(headers={"authorization": f"Bearer {token}"}, timeout=30) as http:
        before = {
            url: _handled((await http.get(f"{url}/metrics")).text)
            for url in (stack.processes["notify"].url, replicas["notify"].url)
        }
        semaphore = asyncio.Semaphore(16)

        async def submit(i: int) -> str:
            async with semaphore:
                response = await http.post(
                    f"{intakes[i % 2]}/needs",
                    json={
                        "village_code": "21010302",
                        "description": f"{marker} តម្រូវការ {i}",
                        "idempotency_key": f"{marker}-{i:04d}",
                    },
                )
                assert response.status_code == 201, response.text
                return str(response.json()["tracking_code"])

        codes = await asyncio.wait_for(asyncio.gather(*(submit(i) for i in range(SUBMISSIONS))), 120)
        assert len(set(codes)) == SUBMISSIONS

        def notifications() -> dict[str, int]:
            with sqlite3.connect(stack.var / "notify.db") as db:
                rows = db.execute(
                    "SELECT json_extract(doc, '$.ref'), COUNT(*) FROM c_notifications GROUP BY 1"
                ).fetchall()
            wanted = set(codes)
            return {ref: n for ref, n in rows if ref in wanted}

        async def all_notified() -> dict[str, int] | None:
            counts = notifications()
            return counts if len(counts) == SUBMISSIONS else None

        counts = await wait_for(all_notified, timeout=60)
        assert set(counts.values()) == {1}, "every need queued exactly one council notification"
        after = {url: _handled((await http.get(f"{url}/metrics")).text) for url in before}
    shares = {url: after[url] - before[url] for url in before}
    assert all(share > 0 for share in shares.values()), f"both notify replicas took work: {shares}"
    with sqlite3.connect(stack.var / "intake.db") as db:
        assert db.execute("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0] == 0
