"""Khum on a 3-node NATS cluster (infra/nats/cluster/, run by infra/cluster.py) on loopback.

Streams have three replicas and every node fsyncs each write. Each service connects as its own
NATS user, whose permissions let it publish only its own context's events. Under a load of
2,000 needs, the node leading KHUM_NEEDS is killed with SIGKILL: every need is still published
once, handled once, and produces exactly one council notification; the node, restarted,
catches up with the others.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from nats.aio.client import Client
from nats.errors import Error as NatsError

from contracts.needs import NEED_SUBMITTED
from infra import backup
from infra.cluster import CONFIG_DIR, USERS, ClusterStack, ensure_route_certificates, password_variable
from infra.stack import free_port, nats_server_binary
from services.runtime.bus import Bus
from services.runtime.identity import Identity, Role
from services.runtime.tokens import issue_token
from tests.conftest import wait_for

LOAD = 2000
CONCURRENCY = 16
VILLAGES = tuple(f"160101{n:02d}" for n in range(1, 5)) + tuple(f"210103{n:02d}" for n in range(1, 5))
SHM_NEEDED = 1 << 30
NEEDS_CONSUMERS = ("meetings-needs", "budget-needs", "notify-needs")
"""The durable consumers of NeedSubmitted, each in its own service."""
OWN_CONTEXT = {"intake": "needs", "meetings": "meetings", "budget": "budget", "notify": "notify"}


def _data_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bool]:
    """tmpfs when the machine has one with room, else the usual temporary folder.

    Every write of this test is fsynced (SQLite FULL, NATS sync_interval always, three replicas),
    about twenty fsyncs per need; on a small VM's disk that, not Khum, would set the pace. What
    the test proves does not need the disk: SIGKILL ends a process, not the page cache.
    """
    shm = Path("/dev/shm")  # noqa: S108 - a private folder is made inside it with mkdtemp
    if shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > SHM_NEEDED:
        return Path(tempfile.mkdtemp(prefix="khum-cluster-", dir=shm)), True
    return tmp_path_factory.mktemp("cluster"), False


@pytest.fixture(scope="module")
def cluster_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterStack]:
    folder, temporary = _data_folder(tmp_path_factory)
    khum = ClusterStack(var=folder / "var", port=free_port(), demo=False)
    try:
        khum.start()
        yield khum
    finally:
        khum.stop()
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)


async def _connect(stack: ClusterStack, user: str, errors: list[str] | None = None) -> Client:
    async def on_error(exc: Exception) -> None:
        if errors is not None:
            errors.append(str(exc))

    return await nats.connect(
        stack.cluster.url_for(user).split(","), error_cb=on_error, max_reconnect_attempts=2
    )


@pytest.mark.parametrize(
    "config", ["single.conf", "cluster/node-1.conf", "cluster/node-2.conf", "cluster/node-3.conf"]
)
def _check_config(config: Path, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``nats-server -t``: parse the file, load its certificates, resolve its variables, exit."""
    return subprocess.run(
        [nats_server_binary(), "-c", str(config), "-t"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.fixture
def certified(tmp_path: Path) -> Path:
    """A folder whose var/ holds route certificates, as the configs' relative paths expect."""
    ensure_route_certificates(tmp_path / "var" / "nats-cluster" / "tls")
    return tmp_path


@pytest.mark.parametrize(
    "config", ["single.conf", "cluster/node-1.conf", "cluster/node-2.conf", "cluster/node-3.conf"]
)
def test_each_committed_nats_config_is_one_nats_server_accepts(config: str, certified: Path) -> None:
    env = {**os.environ, **{password_variable(user): "x" * 32 for user in USERS}}
    checked = _check_config(CONFIG_DIR.parent / config, env, certified)
    assert checked.returncode == 0, checked.stderr


def test_a_node_refuses_to_start_without_a_users_password(certified: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHUM_NATS_")}
    env |= {password_variable(user): "x" * 32 for user in USERS if user != "budget"}
    checked = _check_config(CONFIG_DIR / "node-1.conf", env, certified)
    assert checked.returncode != 0
    assert "KHUM_NATS_BUDGET_PASSWORD" in checked.stderr


def _probe(context: str) -> tuple[str, bytes]:
    """An event type no consumer handles: consumers that read a whole context skip it."""
    kind = f"khum.{context}.PermissionProbe.v1"
    return f"{kind}.160101", json.dumps({"type": kind, "id": "probe"}).encode()


async def _violations_after_publishing(nc: Client, errors: list[str], subject: str) -> list[str]:
    await nc.publish(subject, b"{}")
    await nc.flush()

    async def reported() -> list[str]:
        # nats-py reports the server's error lower-cased, subject included.
        return [e for e in errors if f'permissions violation for publish to "{subject.lower()}"' in e.lower()]

    try:
        return await wait_for(reported, timeout=3)
    except AssertionError:
        return []


@pytest.mark.parametrize("user", ["intake", "meetings", "budget", "notify"])
async def test_a_service_user_stores_its_own_contexts_events(cluster_stack: ClusterStack, user: str) -> None:
    errors: list[str] = []
    nc = await _connect(cluster_stack, user, errors)
    try:
        subject, payload = _probe(OWN_CONTEXT[user])
        ack = await nc.jetstream().publish(subject, payload)
        assert ack.stream == f"KHUM_{OWN_CONTEXT[user].upper()}"
        dead_letter = await nc.jetstream().publish(f"khum.dlq.probe-{user}.{subject}", payload)
        assert dead_letter.stream == "KHUM_DLQ"
    finally:
        await nc.close()
    assert errors == []


@pytest.mark.parametrize(
    ("user", "forbidden"),
    [
        ("intake", "budget"),
        ("intake", "meetings"),
        ("meetings", "needs"),
        ("budget", "notify"),
        ("notify", "needs"),
        ("gateway", "needs"),
        ("gateway", "notify"),
    ],
)
async def test_a_service_user_may_not_publish_another_contexts_events(
    cluster_stack: ClusterStack, user: str, forbidden: str
) -> None:
    errors: list[str] = []
    nc = await _connect(cluster_stack, user, errors)
    try:
        subject = f"khum.{forbidden}.NeedSubmitted.v1.160101"
        violations = await _violations_after_publishing(nc, errors, subject)
        assert violations, f"{user} published to {subject} without a permissions violation"
        with pytest.raises((NatsError, TimeoutError)):
            # The server drops the publish, so no stream ever acknowledges it.
            await nc.jetstream().publish(subject, b"{}", timeout=0.5)
    finally:
        await nc.close()


@pytest.mark.parametrize("user", ["intake", "meetings", "budget", "notify", "oversight", "gateway"])
async def test_every_service_user_may_send_the_buss_jetstream_probe(
    cluster_stack: ClusterStack, user: str
) -> None:
    """The bus asks ``$JS.API.INFO`` every 2 s to notice a node cut off from its peers."""
    bus = Bus(cluster_stack.cluster.url_for(user), f"probe-{user}")
    await bus.connect()
    try:
        await bus.probe()
        assert bus.is_healthy
    finally:
        await bus.close()


async def test_a_service_user_may_not_listen_to_raw_subjects(cluster_stack: ClusterStack) -> None:
    errors: list[str] = []
    nc = await _connect(cluster_stack, "intake", errors)
    try:
        await nc.subscribe("khum.budget.>")
        await nc.flush()

        async def refused() -> bool:
            return any("permissions violation for subscription" in e.lower() for e in errors)

        await wait_for(refused, timeout=3)
    finally:
        await nc.close()


async def _connect_reply(port: int, user: str | None, password: str | None) -> str:
    """Speak the NATS client protocol by hand: INFO, CONNECT, PING; return the server's answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        info = await asyncio.wait_for(reader.readline(), 5)
        assert info.startswith(b"INFO ")
        connect: dict[str, object] = {"verbose": False, "pedantic": False, "protocol": 1}
        if user is not None:
            connect |= {"user": user, "pass": password}
        writer.write(f"CONNECT {json.dumps(connect)}\r\nPING\r\n".encode())
        await writer.drain()
        return (await asyncio.wait_for(reader.readline(), 5)).decode().strip()
    finally:
        writer.close()
        await writer.wait_closed()


async def test_only_the_right_password_gets_in(cluster_stack: ClusterStack) -> None:
    node = cluster_stack.cluster.nodes[1]
    right = cluster_stack.cluster.passwords["intake"]
    assert await _connect_reply(node.client_port, "intake", right) == "PONG"
    assert "Authorization Violation" in await _connect_reply(node.client_port, "intake", "not-the-password")
    assert "Authorization Violation" in await _connect_reply(node.client_port, "budget", right)
    assert "Authorization Violation" in await _connect_reply(node.client_port, None, None)


def test_every_node_fsyncs_each_write_and_sees_both_others(cluster_stack: ClusterStack) -> None:
    with httpx.Client(timeout=5) as http:
        for node in cluster_stack.cluster.nodes.values():
            varz = http.get(f"{node.monitor_url}/varz").json()
            assert varz["jetstream"]["config"]["sync_always"] is True
            routes = http.get(f"{node.monitor_url}/routez").json()["routes"]
            others = {r["remote_name"] for r in routes}
            assert others == {n.name for n in cluster_stack.cluster.nodes.values()} - {node.name}


def test_a_server_without_the_clusters_certificate_cannot_join(
    cluster_stack: ClusterStack, tmp_path_factory: pytest.TempPathFactory
) -> None:
    node = cluster_stack.cluster.nodes[1]
    work = tmp_path_factory.mktemp("rogue")
    with (work / "rogue.log").open("wb") as log:
        rogue = subprocess.Popen(
            [
                nats_server_binary(),
                "--server_name",
                "rogue",
                "--addr",
                "127.0.0.1",
                "--port",
                "-1",
                "--cluster_name",
                "khum",
                "--cluster_listen",
                "nats://127.0.0.1:-1",
                "--routes",
                f"nats-route://127.0.0.1:{node.route_port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 10
        while "TLS Handshake Failure" not in node.process.log_tail(200):
            assert rogue.poll() is None, "the rogue server exited"
            assert time.monotonic() < deadline, "the node never refused the rogue route"
            time.sleep(0.1)
        routes = httpx.get(f"{node.monitor_url}/routez", timeout=5).json()["routes"]
        assert "rogue" not in {r.get("remote_name") for r in routes}
    finally:
        rogue.terminate()
        rogue.wait(10)


# --- the load, with a node killed in the middle ------------------------------------------


async def _submit_all(stack: ClusterStack, halfway: asyncio.Event) -> list[str]:
    """POST every need straight to intake (as the gateway would); returns the tracking codes."""
    token = issue_token(
        Identity("cluster-load", Role.FACILITATOR, ("160101", "210103")), stack.secrets["identity"], ttl=600
    )
    codes: list[str] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(LOAD):
        queue.put_nowait(i)

    async def worker(http: httpx.AsyncClient) -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            response = await http.post(
                "/needs",
                json={
                    "village_code": VILLAGES[i % len(VILLAGES)],
                    "description": f"ផ្លូវលំខូច លេខ {i}",
                    "idempotency_key": f"cluster-load-{i:05d}",
                },
                headers={"authorization": f"Bearer {token}"},
            )
            assert response.status_code == 201, response.text
            codes.append(response.json()["tracking_code"])
            if len(codes) == LOAD // 2:
                halfway.set()

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(
        base_url=stack.processes["intake"].url or "", timeout=30, limits=limits
    ) as http:
        await asyncio.gather(*(worker(http) for _ in range(CONCURRENCY)))
    return codes


async def _leader_of(stack: ClusterStack, stream: str) -> int:
    nc = await _connect(stack, "admin")
    try:
        info = await nc.jetstream().stream_info(stream)
    finally:
        await nc.close()
    assert info.cluster is not None and info.cluster.leader
    return next(n.index for n in stack.cluster.nodes.values() if n.name == info.cluster.leader)


def _council_notifications(stack: ClusterStack) -> dict[str, int]:
    with sqlite3.connect(f"file:{stack.var / 'notify.db'}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT json_extract(doc, '$.ref'), COUNT(*) FROM c_notifications "
            "WHERE json_extract(doc, '$.kind') = 'need_submitted' GROUP BY 1"
        ).fetchall()
    return {str(ref): int(count) for ref, count in rows}


def _handled_by(stack: ClusterStack, service: str, consumer: str) -> int:
    """Events a consumer recorded in its service's inbox: once each, in the effect's transaction."""
    with sqlite3.connect(f"file:{stack.var / (service + '.db')}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT COUNT(*) FROM inbox WHERE consumer = ?", (consumer,)).fetchone()[0])


def _unsent_outbox(stack: ClusterStack) -> int:
    with sqlite3.connect(f"file:{stack.var / 'intake.db'}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0])


async def _stream_facts(stack: ClusterStack) -> dict[str, Any]:
    nc = await _connect(stack, "admin")
    try:
        js = nc.jetstream()
        needs = await js.stream_info("KHUM_NEEDS", subjects_filter=f"{NEED_SUBMITTED}.*")
        consumers = [await js.consumer_info("KHUM_NEEDS", name) for name in NEEDS_CONSUMERS]
        dlq = await js.stream_info("KHUM_DLQ", subjects_filter="khum.dlq.>")
    finally:
        await nc.close()
    return {
        "need_submitted": sum((needs.state.subjects or {}).values()),
        "last_seq": needs.state.last_seq,
        "pending": sum((c.num_pending or 0) + (c.num_ack_pending or 0) for c in consumers),
        "dead_letters": [s for s in (dlq.state.subjects or {}) if ".probe-" not in s],
    }


def _local_streams(stack: ClusterStack, index: int) -> dict[str, tuple[int, int]]:
    """(messages, last sequence) of each stream as stored on one node: its own replica."""
    node = stack.cluster.nodes[index]
    jsz = httpx.get(
        f"{node.monitor_url}/jsz", params={"accounts": "true", "streams": "true"}, timeout=5
    ).json()
    return {
        stream["name"]: (stream["state"]["messages"], stream["state"]["last_seq"])
        for account in jsz.get("account_details", [])
        for stream in account.get("stream_detail", [])
    }


async def test_two_thousand_needs_survive_a_node_killed_mid_load_and_each_notifies_once(
    cluster_stack: ClusterStack,
) -> None:
    stack = cluster_stack
    victim = await _leader_of(stack, "KHUM_NEEDS")
    halfway = asyncio.Event()

    async def kill_at_halfway() -> None:
        await asyncio.wait_for(halfway.wait(), 120)
        await asyncio.to_thread(stack.cluster.kill_node, victim)

    killer = asyncio.create_task(kill_at_halfway())
    try:
        codes = await _submit_all(stack, halfway)
        await killer
    finally:
        killer.cancel()  # only matters when the load failed before halfway
    assert len(set(codes)) == LOAD
    assert not stack.cluster.nodes[victim].process.running

    async def all_notified() -> bool:
        return len(await asyncio.to_thread(_council_notifications, stack)) >= LOAD

    await wait_for(all_notified, timeout=120, interval=0.5)
    await asyncio.to_thread(stack.cluster.start_node, victim)

    async def drained() -> dict[str, Any] | None:
        facts = await _stream_facts(stack)
        return facts if facts["pending"] == 0 and _unsent_outbox(stack) == 0 else None

    facts = await wait_for(drained, timeout=60, interval=0.5)
    assert facts["need_submitted"] == LOAD, "each need was stored once, relay retries deduplicated"
    assert facts["dead_letters"] == []
    for consumer in NEEDS_CONSUMERS:
        assert _handled_by(stack, consumer.split("-")[0], consumer) == LOAD, consumer
    notifications = _council_notifications(stack)
    assert set(notifications) == set(codes)
    assert [code for code, count in notifications.items() if count != 1] == []

    others = [n for n in stack.cluster.nodes if n != victim]

    async def caught_up() -> dict[str, tuple[int, int]] | None:
        mine = _local_streams(stack, victim)
        theirs = [_local_streams(stack, n) for n in others]
        return mine if all(mine == t for t in theirs) and "KHUM_NEEDS" in mine else None

    replica = await wait_for(caught_up, timeout=60, interval=0.5)
    assert replica["KHUM_NEEDS"][1] == facts["last_seq"]


async def test_a_backup_of_the_cluster_holds_each_stream_with_its_three_replicas(
    cluster_stack: ClusterStack,
) -> None:
    stack = cluster_stack
    folder = await asyncio.to_thread(backup.create, stack.var, stack.var / "backups", stack.nats_url)
    manifest = backup.verify(folder)
    assert set(manifest["stores"]) == {"intake", "meetings", "budget", "notify", "oversight", "gateway"}
    nc = await _connect(stack, "admin")
    try:
        for name, entry in manifest["streams"].items():
            info = await nc.jetstream().stream_info(name)
            assert entry["config"]["num_replicas"] == 3
            assert entry["messages"] <= info.state.messages
    finally:
        await nc.close()
    assert manifest["streams"]["KHUM_NEEDS"]["messages"] >= LOAD
