"""Faults while citizens' needs stream in: every process killed with SIGKILL in turn and
restarted, NATS paused (SIGSTOP) and resumed, NATS restarted. A service is frozen (SIGSTOP)
for a moment before its kill so that its consumers hold fetched, unacknowledged messages when
it dies; the suite prints how soon after the kill those were redelivered and acknowledged
(the consumers' short ack wait, not the old 30 s). Afterwards every accepted
submission exists exactly once, every one produced exactly one council notification, no
outbox row is left unsent, and nothing went to the dead-letter stream.

Bounded for `make test` (KHUM_FAULT_SUBMISSIONS, default 1000); `make soak` runs it longer.
Submitters behave like the PWA: on any failure they retry the same idempotency key until the
gateway answers, so "accepted" means the client got a tracking code back.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import time
import uuid
from collections.abc import Iterator

import httpx
import nats
import pytest

from infra.stack import SERVICES, Stack, free_port
from tests.conftest import NOTIFICATIONS, SUBMIT_NEED, UNLIMITED, GraphQL

SUBMISSIONS = int(os.environ.get("KHUM_FAULT_SUBMISSIONS", "1000"))
PAUSE_SECONDS = float(os.environ.get("KHUM_FAULT_PAUSE", "10"))
CONCURRENCY = 6
DEADLINE_SECONDS = 600


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    khum = Stack(
        var=tmp_path_factory.mktemp("faults") / "var", port=free_port(), demo=True, extra_env=UNLIMITED
    )
    khum.start()
    yield khum
    khum.stop()


class Submitter:
    """Facilitators on phones: sign in, submit, and on any error retry the same need."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.accepted: dict[str, str] = {}  # idempotency key -> tracking code
        self.retries = 0
        self.next = 0

    async def _client(self) -> GraphQL:
        while True:
            client = GraphQL(self.stack.url)
            try:
                await client.login("sophea")
                return client
            except (AssertionError, httpx.HTTPError, KeyError, TypeError):
                await client.close()
                self.retries += 1
                await asyncio.sleep(0.3)

    async def run(self, stop_at: float) -> None:
        client = await self._client()
        try:
            while self.next < SUBMISSIONS and time.monotonic() < stop_at:
                i, self.next = self.next, self.next + 1
                key = f"fault-{i:05d}-{uuid.uuid4().hex[:6]}"
                need = {
                    "villageCode": f"1601010{1 + i % 4}",
                    "description": f"តម្រូវការ {i}",
                    "idempotencyKey": key,
                }
                while time.monotonic() < stop_at:
                    try:
                        body = await client.execute(SUBMIT_NEED, {"i": need})
                        if "errors" not in body:
                            self.accepted[key] = body["data"]["submitNeed"]["trackingCode"]
                            break
                        if body["errors"][0]["extensions"].get("code", "").startswith("auth."):
                            await client.close()
                            client = await self._client()
                    except (AssertionError, httpx.HTTPError):
                        pass
                    self.retries += 1
                    await asyncio.sleep(0.2)
        finally:
            await client.close()


async def _notified_refs(stack: Stack) -> dict[str, int]:
    with sqlite3.connect(stack.var / "notify.db") as db:
        rows = db.execute(
            "SELECT json_extract(doc, '$.ref'), COUNT(*) FROM c_notifications GROUP BY 1"
        ).fetchall()
    return dict(rows)


def _unsent(stack: Stack) -> int:
    total = 0
    for name in SERVICES:
        with sqlite3.connect(stack.var / f"{name}.db") as db:
            total += db.execute("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
    return total


async def _time_to_resume(stack: Stack) -> float:
    """After NATS comes back: seconds until a new need reaches the council's inbox."""
    started = time.monotonic()
    facilitator, council = GraphQL(stack.url), GraphQL(stack.url)
    try:
        while True:
            try:
                await facilitator.login("sophea")
                await council.login("dara")
                body = await facilitator.execute(
                    SUBMIT_NEED,
                    {
                        "i": {
                            "villageCode": "16010101",
                            "description": "probe",
                            "idempotencyKey": uuid.uuid4().hex,
                        }
                    },
                )
                code = body["data"]["submitNeed"]["trackingCode"]
                break
            except (AssertionError, httpx.HTTPError, KeyError, TypeError):
                await asyncio.sleep(0.2)
        while time.monotonic() - started < 60:
            result = await council.execute(NOTIFICATIONS, {"n": 20})
            if any(e["node"]["ref"] == code for e in result["data"]["notifications"]["edges"]):
                return time.monotonic() - started
            await asyncio.sleep(0.2)
        raise AssertionError("consumers did not resume within 60 s")
    finally:
        await facilitator.close()
        await council.close()


Held = dict[str, int]  # durable -> highest stream sequence delivered to it


async def _hold_then_kill(stack: Stack, name: str) -> Held:
    """Freeze ``name`` until one of its consumers holds unacknowledged messages (bounded), note
    what each had been delivered, and kill it. Returns those consumers that held some."""
    process = stack.processes[name]
    process.signal(signal.SIGSTOP)
    nc = await nats.connect(stack.nats_url)
    held: Held = {}
    try:
        js = nc.jetstream()
        for _ in range(30):
            held = {}
            for stream in ("KHUM_NEEDS", "KHUM_MEETINGS", "KHUM_BUDGET", "KHUM_NOTIFY"):
                for info in await js.consumers_info(stream):
                    durable = info.config.durable_name or ""
                    if durable.startswith(f"{name}-") and (info.num_ack_pending or 0) > 0:
                        assert info.delivered is not None
                        held[durable] = info.delivered.stream_seq
            if held:
                break
            await asyncio.sleep(0.1)
    finally:
        await nc.close()
        process.signal(signal.SIGKILL)
    return held


async def _redelivered_after(stack: Stack, held: Held, killed_at: float) -> float | None:
    """Seconds from the kill until every message the dead consumers held was acknowledged
    again (their ack floor reached what they had been delivered); None if nothing was held."""
    if not held:
        return None
    nc = await nats.connect(stack.nats_url)
    try:
        js = nc.jetstream()
        streams = {
            info.config.durable_name: s
            for s in ("KHUM_NEEDS", "KHUM_MEETINGS", "KHUM_BUDGET", "KHUM_NOTIFY")
            for info in await js.consumers_info(s)
            if info.config.durable_name in held
        }
        while time.monotonic() - killed_at < 120:
            floors = {d: (await js.consumer_info(streams[d], d)).ack_floor for d in held}
            if all((floors[d] is not None and floors[d].stream_seq >= seq) for d, seq in held.items()):
                return time.monotonic() - killed_at
            await asyncio.sleep(0.1)
        raise AssertionError(f"messages held by {sorted(held)} not redelivered within 120 s")
    finally:
        await nc.close()


async def test_nothing_is_lost_or_duplicated_through_kills_pauses_and_restarts(faulty: Stack) -> None:
    stack = faulty
    submitter = Submitter(stack)
    stop_at = time.monotonic() + DEADLINE_SECONDS
    workers = [asyncio.create_task(submitter.run(stop_at)) for _ in range(CONCURRENCY)]
    kills: list[str] = []
    redelivery: list[str] = []

    async def wait_progress(fraction: float) -> None:
        while submitter.next < SUBMISSIONS * fraction and time.monotonic() < stop_at:
            await asyncio.sleep(0.1)

    step = 0.8 / (len(SERVICES) + 3)
    for n, name in enumerate([*SERVICES, "gateway"]):
        await wait_progress(step * (n + 1))
        held = await _hold_then_kill(stack, name)
        killed_at = time.monotonic()
        await asyncio.to_thread(stack.processes[name].popen.wait, 10)  # type: ignore[union-attr]
        await asyncio.to_thread(stack.restart, name)
        ready_after = time.monotonic() - killed_at
        kills.append(name)
        if name in SERVICES:
            after = await _redelivered_after(stack, held, killed_at)
            figure = "nothing held" if after is None else f"{after:.1f} s ({', '.join(sorted(held))})"
            redelivery.append(f"{name}: {figure}, ready again after {ready_after:.1f} s")
            print(
                f"\nredelivery after SIGKILL of {name}: {figure}; process ready again after {ready_after:.1f} s"
            )

    await wait_progress(step * (len(SERVICES) + 2))
    stack.processes["nats"].signal(signal.SIGSTOP)
    await asyncio.sleep(PAUSE_SECONDS)
    stack.processes["nats"].signal(signal.SIGCONT)
    resume_after_pause = await _time_to_resume(stack)

    await wait_progress(step * (len(SERVICES) + 3))
    await asyncio.to_thread(stack.restart_nats)
    resume_after_restart = await _time_to_resume(stack)

    await asyncio.gather(*workers)
    accepted = submitter.accepted
    assert len(accepted) == SUBMISSIONS, f"only {len(accepted)} of {SUBMISSIONS} accepted before the deadline"

    codes = set(accepted.values())
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        refs = await _notified_refs(stack)
        if codes <= refs.keys() and _unsent(stack) == 0:
            break
        await asyncio.sleep(0.5)
    refs = await _notified_refs(stack)
    missing = codes - refs.keys()
    doubled = {code for code in codes if refs.get(code, 0) > 1}

    with sqlite3.connect(stack.var / "intake.db") as db:
        stored = dict(
            db.execute(
                "SELECT json_extract(doc, '$.idempotency_key'), COUNT(*) FROM c_needs GROUP BY 1"
            ).fetchall()
        )
    twice = [key for key in accepted if stored.get(f"{_user(stack)}:{key}", 0) != 1]
    nc = await nats.connect(stack.nats_url)
    try:
        dead = (await nc.jetstream().stream_info("KHUM_DLQ")).state.messages
    finally:
        await nc.close()

    print(
        f"\nfaults: {SUBMISSIONS} submissions, kills {kills}, NATS paused {PAUSE_SECONDS:.0f} s and restarted; "
        f"retries {submitter.retries}; lost {len(missing)}, duplicated {len(doubled) + len(twice)}; "
        f"consumers resumed {resume_after_pause:.1f} s after the pause, {resume_after_restart:.1f} s after the restart; "
        f"redelivery after each kill: {'; '.join(redelivery)}"
    )
    assert not missing, f"{len(missing)} needs without a council notification"
    assert not doubled, f"{len(doubled)} needs with more than one notification"
    assert not twice, f"{len(twice)} submissions stored other than exactly once"
    assert _unsent(stack) == 0
    assert dead == 0
    # Resume times are measured and printed above, never asserted: no wall-clock limits in tests.


def _user(stack: Stack) -> str:
    with sqlite3.connect(stack.var / "gateway.db") as db:
        row = db.execute(
            "SELECT id FROM c_accounts WHERE json_extract(doc, '$.username') = 'sophea'"
        ).fetchone()
    return str(row[0])
