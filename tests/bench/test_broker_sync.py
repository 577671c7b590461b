"""Benchmark: what fsyncing every JetStream write (``sync_interval: always``) costs, in one run.

Two embedded stacks on the same machine, one after the other: the default (sync on every
write) and the same stack with nats-server's default (fsync every two minutes). For each it
prints
- the submit rate: submitNeed through the gateway, as a phone sees it (intake commits to SQLite
  and its outbox; the broker is written later by the relay);
- the relayed rate: submissions per second until every one of them is stored in KHUM_NEEDS,
  i.e. acknowledged by the broker (what sync slows down);
- the raw publish rate: JetStream publishes with PubAck, nothing else.
and the ratio sync/no-sync of each. Self-contained (its own stacks and load loop), bounded in
count and time; asserts only that the work was done, never a duration.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path

import nats
import pytest

from infra.stack import Stack, free_port
from tests.conftest import SUBMIT_NEED, UNLIMITED, GraphQL

pytestmark = pytest.mark.bench

SUBMISSIONS = int(os.environ.get("KHUM_BENCH_SYNC_SUBMISSIONS", "400"))
PUBLISHES = int(os.environ.get("KHUM_BENCH_SYNC_PUBLISHES", "2000"))
CONCURRENCY = 8
MAX_SECONDS = 120.0


async def _submit_all(stack: Stack) -> tuple[float, float, int]:
    """(submit rate, relayed rate, accepted) for SUBMISSIONS needs at CONCURRENCY."""
    nc = await nats.connect(stack.nats_url)
    js = nc.jetstream()
    before = (await js.stream_info("KHUM_NEEDS")).state.last_seq
    clients = [GraphQL(stack.url) for _ in range(CONCURRENCY)]
    for client in clients:
        await client.login("sophea")
    accepted = 0
    queue = iter(range(SUBMISSIONS))
    stop_at = time.monotonic() + MAX_SECONDS

    async def worker(client: GraphQL) -> None:
        nonlocal accepted
        for i in queue:
            if time.monotonic() > stop_at:
                return
            need = {
                "villageCode": f"1601010{1 + i % 4}",
                "description": f"អណ្តូងទឹកស្អាត លេខ {i}",
                "idempotencyKey": uuid.uuid4().hex,
            }
            body = await client.execute(SUBMIT_NEED, {"i": need})
            if "errors" not in body:
                accepted += 1

    started = time.monotonic()
    try:
        await asyncio.gather(*(worker(c) for c in clients))
        submitted = time.monotonic() - started
        # Each accepted need relays at least one event (NeedSubmitted) to KHUM_NEEDS.
        while time.monotonic() < stop_at:
            stored = (await js.stream_info("KHUM_NEEDS")).state.last_seq - before
            if stored >= accepted:
                break
            await asyncio.sleep(0.02)
        relayed = time.monotonic() - started
    finally:
        for client in clients:
            await client.close()
        await nc.close()
    return accepted / submitted, accepted / relayed, accepted


async def _publish_all(stack: Stack) -> tuple[float, int]:
    """Raw JetStream publishes, 32 in flight, each waiting for its PubAck."""
    nc = await nats.connect(stack.nats_url)
    js = nc.jetstream()
    subject = "khum.budget.BenchProbe.v1.160101"
    acked = 0
    window = 32
    started = time.monotonic()
    try:
        for start in range(0, PUBLISHES, window):
            if time.monotonic() - started > MAX_SECONDS:
                break
            acks = await asyncio.gather(
                *(js.publish(subject, b'{"bench": true}') for _ in range(min(window, PUBLISHES - start)))
            )
            acked += len(acks)
        elapsed = time.monotonic() - started
    finally:
        await nc.close()
    return acked / elapsed, acked


def _run(var: Path, sync: bool) -> tuple[float, float, float, int, int]:
    stack = Stack(var=var, port=free_port(), demo=True, extra_env=UNLIMITED, nats_sync=sync)
    stack.start()
    try:
        conf = (var / "run" / "nats.conf").read_text()
        assert ("sync_interval: always" in conf) is sync, conf
        submit, relayed, accepted = asyncio.run(_submit_all(stack))
        publish, acked = asyncio.run(_publish_all(stack))
    finally:
        stack.stop()
    return submit, relayed, publish, accepted, acked


def test_what_fsyncing_every_broker_write_costs(tmp_path: Path) -> None:
    synced = _run(tmp_path / "sync" / "var", sync=True)
    unsynced = _run(tmp_path / "nosync" / "var", sync=False)
    assert synced[3] == unsynced[3] == SUBMISSIONS, (synced, unsynced)
    assert synced[4] == unsynced[4] == PUBLISHES, (synced, unsynced)
    print(f"\nbroker sync: {SUBMISSIONS} submitNeed at concurrency {CONCURRENCY}, {PUBLISHES} raw publishes")
    for label, i in (("submit rate (req/s)", 0), ("relayed rate (needs/s)", 1), ("raw publish (msg/s)", 2)):
        print(
            f"  {label:<24} sync always {synced[i]:8.1f}   default {unsynced[i]:8.1f}   "
            f"ratio {synced[i] / unsynced[i]:.2f}"
        )
