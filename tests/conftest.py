"""Shared fixtures: a real nats-server per session, and the whole Khum stack as processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import nats
import pytest
from nats.aio.client import Client

from infra import lifeline
from infra.stack import Stack, free_port, nats_server_binary

REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_PASSWORD = "khum-demo-2026"
# Tests drive far more requests a minute than a person would; the rate-limit test starts its
# own gateway with tight limits.
UNLIMITED = {
    "gateway": {
        "RATE_TOKEN_PER_MINUTE": "1000000",
        "RATE_SESSION_PER_MINUTE": "1000000",
        "RATE_ANONYMOUS_PER_MINUTE": "1000000",
        # Every test logs in from 127.0.0.1: the per-address lock has its own test and gateway.
        "LOGIN_FAILURES_PER_ADDRESS": "1000000",
    }
}


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real nats-server with JetStream on a free loopback port, for tests that need only NATS."""
    work = tmp_path_factory.mktemp("nats")
    # Through the lifeline, so a pytest killed with -9 leaves no nats-server behind either.
    proc = lifeline.spawn(
        [
            nats_server_binary(),
            "--jetstream",
            "--store_dir",
            str(work / "js"),
            "--addr",
            "127.0.0.1",
            "--port",
            "-1",
            "--ports_file_dir",
            str(work),
        ],
        env=dict(os.environ),
        cwd=work,
        stdout=subprocess.DEVNULL,
    )
    ports = work / f"nats-server_{proc.pid}.ports"
    deadline = time.monotonic() + 20
    while not ports.exists():
        assert proc.poll() is None, "nats-server exited at start"
        assert time.monotonic() < deadline, "nats-server did not start"
        time.sleep(0.05)
    time.sleep(0.05)
    yield json.loads(ports.read_text())["nats"][0]
    proc.send_signal(signal.SIGTERM)
    proc.wait(15)
    lifeline.release(proc.pid)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The whole stack (NATS, four services, gateway) as separate processes, demo data loaded."""
    khum = Stack(
        var=tmp_path_factory.mktemp("khum") / "var", port=free_port(), demo=True, extra_env=UNLIMITED
    )
    khum.start()
    yield khum
    khum.stop()


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[Client]:
    client = await nats.connect(nats_url)
    yield client
    await client.drain()


class GraphQL:
    """A signed-in (or anonymous) GraphQL client speaking to the gateway over HTTP."""

    def __init__(self, base_url: str, lang: str = "km") -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=15, headers={"accept-language": lang})
        self.csrf: str | None = None

    async def login(self, username: str, password: str = DEMO_PASSWORD) -> dict[str, object]:
        body = await self.execute(
            "mutation($l: String!, $p: String!) { login(login: $l, password: $p) "
            "{ csrfToken account { id role communes } } }",
            {"l": username, "p": password},
        )
        assert "errors" not in body, body
        result: dict[str, object] = body["data"]["login"]
        self.csrf = str(result["csrfToken"])
        return result

    async def execute(self, query: str, variables: dict[str, object] | None = None) -> dict[str, object]:
        headers = {"x-csrf-token": self.csrf} if self.csrf else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    async def close(self) -> None:
        await self.http.aclose()


SUBMIT_NEED = (
    "mutation($i: SubmitNeedInput!) { submitNeed(input: $i) "
    "{ id trackingCode communeCode villageCode description sector status } }"
)
NOTIFICATIONS = (
    "query($n: Int!) { notifications(first: $n) "
    "{ totalCount edges { node { id kind ref text communeCode } } } }"
)


@pytest.fixture
async def facilitator(stack: Stack) -> AsyncIterator[GraphQL]:
    client = GraphQL(stack.url)
    await client.login("sophea")
    yield client
    await client.close()


@pytest.fixture
async def council(stack: Stack) -> AsyncIterator[GraphQL]:
    """Dara, council member of Malik commune (160101), Ratanakiri."""
    client = GraphQL(stack.url)
    await client.login("dara")
    yield client
    await client.close()


async def wait_for(predicate, timeout: float = 15.0, interval: float = 0.1):  # type: ignore[no-untyped-def]
    """Poll an async predicate until it returns something truthy; bounded in time."""
    import asyncio

    deadline = time.monotonic() + timeout
    while True:
        result = await predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One loud line when browser tests did not run, so a green run cannot hide them."""
    from tests.support.browser import FIX, SKIP_REASON

    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if SKIP_REASON in str(getattr(report, "longrepr", ""))
    ]
    if skipped:
        terminalreporter.write_line(
            f"BROWSER TESTS DID NOT RUN: {len(skipped)} skipped for want of Chromium. Fix: {FIX}",
            red=True,
            bold=True,
        )
    unchecked = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if "accessibility checks skipped" in str(getattr(report, "longrepr", ""))
    ]
    if unchecked:
        terminalreporter.write_line(
            f"ACCESSIBILITY CHECKS DID NOT RUN: {len(unchecked)} skipped for want of axe-core. "
            "Fix: install npm, then `make bootstrap` (it runs `npm ci`)",
            red=True,
            bold=True,
        )
