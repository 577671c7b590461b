"""Every example of docs/integrators.md runs as written against a production-mode stack (no
demo data: the first admin comes from the setup command). Only the host name is replaced, and
the examples' environment variables (KHUM_TOKEN, KHUM_ADMIN, ...) are set, as a reader would."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.persisted import load
from infra.stack import REPO_ROOT, Stack, free_port
from tests.conftest import UNLIMITED

GUIDE = REPO_ROOT / "docs" / "integrators.md"
BLOCK = re.compile(r"```(sh|python)\n(.*?)```", re.S)
ADMIN, PASSWORD = "chantha", "a long passphrase 2026"
COUNCIL, COUNCIL_PASSWORD = "sreymom", "another long passphrase"


def _examples() -> list[tuple[str, str]]:
    return [(kind, body) for kind, body in BLOCK.findall(GUIDE.read_text(encoding="utf-8"))]


def _as_written(code: str, stack: Stack) -> str:
    host = f"127.0.0.1:{stack.port}"
    return code.replace("https://khum.example", f"http://{host}").replace(
        "wss://khum.example", f"ws://{host}"
    )


def _setup(stack: Stack, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "gateway.setup", *args],
        env=stack.env_for("gateway"),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    khum = Stack(
        var=tmp_path_factory.mktemp("guide") / "var",
        port=free_port(),
        demo=False,
        environment="production",
        extra_env={name: dict(env) for name, env in UNLIMITED.items()},
    )
    khum.start()
    yield khum
    khum.stop()


async def _gql(http: httpx.AsyncClient, query: str, variables: dict[str, object], **headers: str) -> dict:  # type: ignore[type-arg]
    body: dict = (
        await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    ).json()  # type: ignore[type-arg]
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


SET_PASSWORD = "mutation($l: String!, $c: String!, $p: String!) { setPassword(login: $l, code: $c, newPassword: $p) { id } }"


async def _people(stack: Stack) -> None:
    """The first admin (setup command), and a council member the admin makes on the admin page."""
    code = re.search(
        r"setup code: (\w+)", _setup(stack, "first-admin", "--username", ADMIN, "--display-name", "ចន្ថា")
    )
    assert code
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        await _gql(http, SET_PASSWORD, {"l": ADMIN, "c": code[1], "p": PASSWORD})
        page = await http.get("/login")
        login_csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert login_csrf
        await http.post("/login", data={"username": ADMIN, "password": PASSWORD, "csrf_token": login_csrf[1]})
        admin_page = await http.get("/admin")
        csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', admin_page.text)
        assert csrf, admin_page.text[:500]
        made = await http.post(
            "/admin/accounts",
            data={
                "csrf_token": csrf[1],
                "username": COUNCIL,
                "display_name": "ស្រីមុំ",
                "role": "council_member",
                "communes": "160101",
            },
        )
        council_code = re.search(r"\b([0-9A-F]{8})\b", made.text)
        assert made.status_code == 200 and council_code, made.text[-800:]
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        await _gql(http, SET_PASSWORD, {"l": COUNCIL, "c": council_code[1], "p": COUNCIL_PASSWORD})


def _run(kind: str, code: str, stack: Stack, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    argv = ["bash", "-c", code] if kind == "sh" else [sys.executable, "-c", code]
    return subprocess.run(
        argv,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        cwd=REPO_ROOT,
    )


async def test_every_example_of_the_integrators_guide_runs_against_production(
    stack: Stack, tmp_path: Path
) -> None:
    examples = _examples()
    assert len(examples) >= 6, examples
    await _people(stack)
    env = {"KHUM_ADMIN": ADMIN, "KHUM_PASSWORD": PASSWORD}

    # The token example first: the others use what it prints.
    [token_example] = [code for kind, code in examples if "createApiToken" in code]
    made = _run("python", _as_written(token_example, stack), stack, env)
    assert made.returncode == 0, made.stderr
    env["KHUM_TOKEN"] = made.stdout.strip().splitlines()[-1]
    assert env["KHUM_TOKEN"].startswith("khum_"), made.stdout

    # A need in Malik to read back, submitted with a write token the admin makes the same way.
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        login = await _gql(
            http,
            "mutation($l: String!, $p: String!) { login(login: $l, password: $p) { csrfToken } }",
            {"l": ADMIN, "p": PASSWORD},
        )
        writer = await _gql(
            http,
            "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret } }",
            {"i": {"name": "writer", "scopes": ["read", "write:needs"], "communes": ["160101"]}},
            **{"x-csrf-token": login["login"]["csrfToken"]},
        )
    async with httpx.AsyncClient(
        base_url=stack.url,
        timeout=30,
        headers={"authorization": f"Bearer {writer['createApiToken']['secret']}"},
    ) as http:
        need = await _gql(
            http,
            "mutation($i: SubmitNeedInput!) { submitNeed(input: $i) { id trackingCode } }",
            {
                "i": {
                    "villageCode": "16010101",
                    "description": "អណ្តូងទឹក",
                    "sector": "SOCIAL",
                    "idempotencyKey": uuid.uuid4().hex,
                }
            },
        )
    env["KHUM_TRACKING_CODE"] = need["submitNeed"]["trackingCode"]

    for kind, code in examples:
        if code is token_example or "graphql-transport-ws" in code:
            continue
        done = _run(kind, _as_written(code, stack), stack, env)
        assert done.returncode == 0, (code, done.stderr)
        if kind == "sh":
            body = json.loads(done.stdout)
            assert "errors" not in body and body["data"], (code, body)
        else:
            assert env["KHUM_TRACKING_CODE"] in done.stdout, (code, done.stdout)

    [live] = [code for kind, code in examples if "graphql-transport-ws" in code]
    follower = subprocess.Popen(
        [sys.executable, "-c", _as_written(live, stack)],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    try:
        await asyncio.sleep(3)  # the example connects and subscribes
        assert follower.poll() is None, follower.stderr.read() if follower.stderr else ""
        await _validate(stack, need["submitNeed"]["id"])
        line = await asyncio.wait_for(asyncio.to_thread(follower.stdout.readline), 30)  # type: ignore[union-attr]
        assert env["KHUM_TRACKING_CODE"] in line and "VALIDATED" in line, line
    finally:
        follower.terminate()
        follower.communicate(timeout=10)  # waits, and closes the pipes


async def _validate(stack: Stack, need_id: str) -> None:
    """The council member validates the need through the PWA's persisted operation."""
    operation = load()["ValidateNeed"]
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        login = await _gql(
            http,
            "mutation($l: String!, $p: String!) { login(login: $l, password: $p) { csrfToken } }",
            {"l": COUNCIL, "p": COUNCIL_PASSWORD},
        )
        body = (
            await http.post(
                "/graphql",
                json={
                    "operationName": "ValidateNeed",
                    "variables": {"id": need_id},
                    "extensions": {"persistedQuery": {"version": 1, "sha256Hash": operation.hash}},
                },
                headers={"x-csrf-token": login["login"]["csrfToken"]},
            )
        ).json()
    assert "errors" not in body, body
