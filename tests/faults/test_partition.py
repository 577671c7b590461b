"""Network partitions of the 3-node cluster while needs stream in: nothing lost, nothing twice.

Each NATS node listens on its own loopback address (127.0.0.2, .3, .4: all of 127/8 is loopback
on Linux) and runs as its own user; iptables rules on ``lo`` cut links between them
(tests/support/firewall.py), always removed afterwards. Khum runs on the cluster
(infra/cluster.py) while a facilitator submits needs at a steady rate, retrying a refused one
with the same idempotency key. Scenarios, one after the other:

- the KHUM_NEEDS stream leader cut off from both peers;
- a bridge partition: A and B cannot talk, C sees both;
- the node intake is connected to cut off from its peers (TCP to it stays up);
- that node black-holed (no packet in or out, no reset): 20 s, 90 s with KHUM_PARTITION_FULL=1;
- flapping: that node cut off and back, 2 × 3 s (5 × 5 s in the full run).

For each it prints when the cluster had a KHUM_NEEDS leader reachable from the majority again,
how long after that the first need reached the stream (the pipeline's stall), and the longest
gap between two stored needs. At the end every accepted need is in KHUM_NEEDS exactly once, has
exactly one council notification, and the three replicas hold the same messages. Timings are
printed, not asserted (no wall-clock limits in tests); docs/operations.md keeps the figures.
``make partition`` runs the full scenarios.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
import os
import shutil
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field

import httpx
import nats
import pytest

from contracts.needs import NEED_SUBMITTED
from infra.cluster import ClusterStack
from infra.stack import free_port
from services.runtime.identity import Identity, Role
from services.runtime.tokens import issue_token
from tests.conftest import wait_for
from tests.integration.test_cluster import (
    _council_notifications,
    _data_folder,
    _local_streams,
    _unsent_outbox,
)
from tests.support import firewall

FULL = os.environ.get("KHUM_PARTITION_FULL") == "1"
HOSTS = {1: "127.0.0.2", 2: "127.0.0.3", 3: "127.0.0.4"}
UIDS = {1: 64201, 2: 64202, 3: 64203}
RATE = 10.0  # needs per second
CUT = 20.0 if FULL else 6.0
BLACK_HOLE = 90.0 if FULL else 20.0
FLAPS, FLAP = (5, 5.0) if FULL else (2, 3.0)
VILLAGES = ("16010101", "16010102", "21010301", "21010302")

pytestmark = pytest.mark.skipif(
    firewall.unusable_reason() is not None, reason=str(firewall.unusable_reason())
)


@pytest.fixture(scope="module")
def partitioned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ClusterStack, firewall.Firewall]]:
    folder, temporary = _data_folder(tmp_path_factory)
    khum = ClusterStack(var=folder / "var", port=free_port(), demo=False, hosts=HOSTS, run_as=UIDS)
    wall = firewall.Firewall(HOSTS, UIDS, {})
    try:
        khum.start()
        wall.route_ports = {i: n.route_port for i, n in khum.cluster.nodes.items()}
        yield khum, wall
    finally:
        wall.heal()
        firewall.sweep()
        khum.stop()
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Load:
    """A facilitator submitting needs straight to intake at a steady rate, retrying refusals."""

    stack: ClusterStack
    accepted: dict[str, str] = field(default_factory=dict)  # idempotency key -> tracking code
    refusals: int = 0

    async def run(self, stop: asyncio.Event) -> None:
        token = issue_token(
            Identity("partition-load", Role.FACILITATOR, ("160101", "210103")),
            self.stack.secrets["identity"],
            ttl=3600,
        )
        url = self.stack.processes["intake"].url or ""
        tasks: set[asyncio.Task[None]] = set()
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            i = 0
            while not stop.is_set() and i < 100_000:
                task = asyncio.create_task(self._submit(http, token, i))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                i += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1 / RATE)
            await asyncio.gather(*tasks)

    async def _submit(self, http: httpx.AsyncClient, token: str, i: int) -> None:
        key = f"partition-{i:06d}"
        body = {
            "village_code": VILLAGES[i % len(VILLAGES)],
            "description": f"អណ្តូង {i}",
            "idempotency_key": key,
        }
        for _attempt in range(100):
            try:
                response = await http.post("/needs", json=body, headers={"authorization": f"Bearer {token}"})
            except httpx.HTTPError:
                self.refusals += 1
            else:
                if response.status_code == 201:
                    self.accepted[key] = response.json()["tracking_code"]
                    return
                self.refusals += 1
            await asyncio.sleep(0.5)
        raise AssertionError(f"need {key} was never accepted")


def _leaders(stack: ClusterStack, among: set[int]) -> str | None:
    """The KHUM_NEEDS leader as the nodes in ``among`` see it, if one of them leads it."""
    names = {stack.cluster.nodes[i].name for i in among}
    for index in among:
        node = stack.cluster.nodes[index]
        try:
            jsz = httpx.get(
                f"{node.monitor_url}/jsz", params={"accounts": "true", "streams": "true"}, timeout=1
            ).json()
        except (httpx.HTTPError, ValueError):
            continue
        for account in jsz.get("account_details", []):
            for stream in account.get("stream_detail", []):
                leader = (stream.get("cluster") or {}).get("leader")
                if stream["name"] == "KHUM_NEEDS" and leader in names:
                    return str(leader)
    return None


async def _leader_back(stack: ClusterStack, majority: set[int], since: float) -> float:
    """When (wall clock) the majority side had a KHUM_NEEDS leader, polled from ``since``."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if await asyncio.to_thread(_leaders, stack, majority):
            return max(time.time(), since)
        await asyncio.sleep(0.2)
    raise AssertionError("the majority never had a KHUM_NEEDS leader")


def _node_of(stack: ClusterStack, connection: str) -> int:
    for index, node in stack.cluster.nodes.items():
        connz = httpx.get(f"{node.monitor_url}/connz", params={"limit": 1024}, timeout=5).json()
        if any(c.get("name") == connection for c in connz.get("connections", [])):
            return index
    raise AssertionError(f"{connection} is connected to no node")


async def _stored_times(stack: ClusterStack) -> dict[str, list[float]]:
    """Tracking code -> the times KHUM_NEEDS stored a NeedSubmitted for it (once, we hope)."""
    nc = await nats.connect(stack.cluster.url_for("admin").split(","))
    found: dict[str, list[float]] = {}
    try:
        js = nc.jetstream()
        info = await js.stream_info("KHUM_NEEDS", subjects_filter=f"{NEED_SUBMITTED}.*")
        total = sum((info.state.subjects or {}).values())
        sub = await js.subscribe(f"{NEED_SUBMITTED}.*", ordered_consumer=True)
        try:
            for _ in range(total):
                msg = await sub.next_msg(timeout=10)
                code = json.loads(msg.data)["data"]["tracking_code"]
                found.setdefault(code, []).append(msg.metadata.timestamp.timestamp())
        finally:
            await sub.unsubscribe()
    finally:
        await nc.close()
    return found


def _notified_times(stack: ClusterStack) -> list[float]:
    """When notify wrote each council notification of a new need: the end of the pipeline."""
    with sqlite3.connect(f"file:{stack.var / 'notify.db'}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT json_extract(doc, '$.created_at') FROM c_notifications "
            "WHERE json_extract(doc, '$.kind') = 'need_submitted'"
        ).fetchall()
    return sorted(dt.datetime.fromisoformat(str(at)).timestamp() for (at,) in rows)


@dataclass
class Figures:
    name: str
    started: float
    healed: float = 0.0
    leader_back: list[float] = field(default_factory=list)


@dataclass
class Readiness:
    """Intake's ``/readyz`` polled 4 times a second: (wall clock, status code)."""

    url: str
    seen: list[tuple[float, int]] = field(default_factory=list)

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=5) as http:
            while not stop.is_set():
                try:
                    status = (await http.get(f"{self.url}/readyz")).status_code
                except httpx.HTTPError:
                    status = 0
                self.seen.append((time.time(), status))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.25)

    def unready(self, start: float, end: float) -> int:
        return sum(1 for t, status in self.seen if start <= t <= end and status == 503)


async def _caught_up(stack: ClusterStack, load: Load) -> None:
    async def done() -> bool:
        return await asyncio.to_thread(_unsent_outbox, stack) == 0 and len(
            await asyncio.to_thread(_council_notifications, stack)
        ) >= len(load.accepted)

    await wait_for(done, timeout=180, interval=0.5)


@contextlib.asynccontextmanager
async def _scenario(name: str, wall: firewall.Firewall, log: list[Figures]) -> AsyncIterator[Figures]:
    figures = Figures(name, time.time())
    try:
        yield figures
    finally:
        wall.heal()
        figures.healed = time.time()
        log.append(figures)


async def _cut_for(
    stack: ClusterStack,
    wall: firewall.Firewall,
    figures: Figures,
    cut: Callable[[], None],
    majority: set[int],
    seconds: float,
) -> None:
    since = time.time()
    cut()
    back = asyncio.create_task(_leader_back(stack, majority, since))
    await asyncio.sleep(seconds)
    figures.leader_back.append(await back)
    wall.heal()


def _first_after(times: list[float], moment: float) -> float:
    after = [t for t in times if t >= moment]
    return after[0] - moment if after else float("nan")


def _report(log: list[Figures], stored: list[float], notified: list[float]) -> list[str]:
    lines = []
    for f in log:
        stalls = [_first_after(stored, back) for back in f.leader_back]
        council = ", ".join(f"{_first_after(notified, back):.1f}" for back in f.leader_back)
        window = [t for t in stored if f.started - 1 <= t <= f.healed + 10]
        gap = max((b - a for a, b in itertools.pairwise(window)), default=float("nan"))
        leader = ", ".join(f"{b - f.started:.1f}" for b in f.leader_back)
        stall = ", ".join(f"{s:.1f}" for s in stalls)
        lines.append(
            f"{f.name}: leader after {leader} s; needs reached the stream again {stall} s after it, "
            f"the council's notifications {council} s after it; longest gap in the stream {gap:.1f} s"
        )
    return lines


async def test_partitions_lose_nothing_duplicate_nothing_and_stall_briefly(
    partitioned: tuple[ClusterStack, firewall.Firewall],
) -> None:
    stack, wall = partitioned
    load = Load(stack)
    stop = asyncio.Event()
    submitter = asyncio.create_task(load.run(stop))
    readiness = Readiness(stack.processes["intake"].url or "")
    poller = asyncio.create_task(readiness.run(stop))
    log: list[Figures] = []
    everyone = set(stack.cluster.nodes)
    try:
        await asyncio.sleep(3)
        leader_name = await asyncio.to_thread(_leaders, stack, everyone)
        leader = next(i for i, n in stack.cluster.nodes.items() if n.name == leader_name)
        async with _scenario(f"stream leader khum-n{leader} isolated {CUT:.0f} s", wall, log) as f:
            await _cut_for(stack, wall, f, lambda: wall.isolate(leader), everyone - {leader}, CUT)
        await _caught_up(stack, load)

        a, b = sorted(everyone)[:2]
        async with _scenario(f"bridge: khum-n{a} / khum-n{b} cut {CUT:.0f} s", wall, log) as f:
            await _cut_for(stack, wall, f, lambda: wall.cut(a, b), everyone, CUT)
        await _caught_up(stack, load)

        home = await asyncio.to_thread(_node_of, stack, "khum-intake")
        async with _scenario(f"intake's node khum-n{home} cut off {CUT:.0f} s", wall, log) as f:
            await _cut_for(stack, wall, f, lambda: wall.isolate(home), everyone - {home}, CUT)
        await _caught_up(stack, load)

        home = await asyncio.to_thread(_node_of, stack, "khum-intake")
        async with _scenario(f"intake's node khum-n{home} black-holed {BLACK_HOLE:.0f} s", wall, log) as f:
            await _cut_for(stack, wall, f, lambda: wall.black_hole(home), everyone - {home}, BLACK_HOLE)
        await _caught_up(stack, load)

        home = await asyncio.to_thread(_node_of, stack, "khum-intake")
        async with _scenario(f"intake's node khum-n{home} flapping {FLAPS} x {FLAP:.0f} s", wall, log) as f:
            for _ in range(FLAPS):
                await _cut_for(stack, wall, f, lambda: wall.isolate(home), everyone - {home}, FLAP)
                await asyncio.sleep(FLAP)
    finally:
        wall.heal()
        stop.set()
        await submitter
        await poller
    await _caught_up(stack, load)

    stored = await _stored_times(stack)
    codes = set(load.accepted.values())
    lost = codes - set(stored)
    duplicated = {code: len(times) for code, times in stored.items() if len(times) > 1}
    notifications = await asyncio.to_thread(_council_notifications, stack)
    print(
        f"\npartitions: {len(codes)} needs accepted, {load.refusals} refusals retried; "
        f"lost {len(lost)}, duplicated {len(duplicated)}"
    )
    notified = await asyncio.to_thread(_notified_times, stack)
    for line in _report(log, sorted(t for times in stored.values() for t in times), notified):
        print(f"partitions: {line}")
    black_hole = next(f for f in log if "black-holed" in f.name)
    print(
        f"partitions: intake's /readyz answered 503 {readiness.unready(black_hole.started, black_hole.healed)} "
        "times (polled every 0.25 s) during the black hole"
    )
    assert readiness.unready(black_hole.started, black_hole.healed) > 0, (
        "/readyz never said the bus was cut off"
    )

    async def ready_again() -> bool:
        async with httpx.AsyncClient(timeout=5) as http:
            return (await http.get(f"{readiness.url}/readyz")).status_code == 200

    await wait_for(ready_again, timeout=30, interval=0.5)
    assert lost == set()
    assert duplicated == {}
    assert set(stored) == codes, "nothing in the stream that was not accepted"
    assert {c: n for c, n in notifications.items() if n != 1} == {}
    assert set(notifications) == codes

    async def replicas_agree() -> dict[str, tuple[int, int]] | None:
        views = [await asyncio.to_thread(_local_streams, stack, i) for i in sorted(everyone)]
        return views[0] if all(v == views[0] for v in views) and "KHUM_NEEDS" in views[0] else None

    agreed = await wait_for(replicas_agree, timeout=120, interval=1)
    print(
        f"partitions: the three replicas agree: {agreed['KHUM_NEEDS']} (messages, last sequence) in KHUM_NEEDS"
    )
