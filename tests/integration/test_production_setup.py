"""Production does not start beside the demo accounts, and the first admin comes from a
documented command with a one-time setup code (docs/security.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from infra.stack import REPO_ROOT, Stack, StackError, free_port
from tests.conftest import DEMO_PASSWORD, UNLIMITED, GraphQL

LOGIN = "mutation($l: String!, $p: String!) { login(login: $l, password: $p) { account { role } } }"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    khum = Stack(
        var=tmp_path_factory.mktemp("setup") / "var",
        port=free_port(),
        demo=True,
        # A copy: Stack.restart stores its changes in extra_env, which must not reach the shared dict.
        extra_env={name: dict(env) for name, env in UNLIMITED.items()},
    )
    khum.start()
    yield khum
    khum.stop()


def _setup(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.setup", *args],
        env=stack.env_for("gateway"),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_production_refuses_demo_accounts_until_removed_and_the_first_admin_uses_a_setup_code(
    stack: Stack,
) -> None:
    stack.environment = "production"
    with pytest.raises(StackError, match="demo accounts"):
        stack.restart("gateway", {**UNLIMITED["gateway"], "DEMO": "false"})

    removed = _setup(stack, "remove-demo")
    assert removed.returncode == 0, removed.stderr
    assert "visal" in removed.stdout
    stack.restart("gateway", {**UNLIMITED["gateway"], "DEMO": "false"})

    anyone = GraphQL(stack.url, lang="en")
    for login in ("visal", "VISAL", "012345606"):
        body = await anyone.execute(LOGIN, {"l": login, "p": DEMO_PASSWORD})
        assert body["errors"][0]["extensions"]["code"] == "auth.login_failed", body  # type: ignore[index]

    made = _setup(stack, "first-admin", "--username", "chantha", "--display-name", "ចន្ថា Chantha")
    assert made.returncode == 0, made.stderr
    code = re.search(r"setup code: ([0-9A-F]{8})", made.stdout)
    assert code, made.stdout
    again = _setup(stack, "first-admin", "--username", "other", "--display-name", "Other")
    assert again.returncode == 1 and "setup.admin_exists" in again.stderr, again  # only the first
    set_password = (
        "mutation($l: String!, $c: String!, $p: String!) "
        "{ setPassword(login: $l, code: $c, newPassword: $p) { role } }"
    )
    body = await anyone.execute(set_password, {"l": "chantha", "c": code[1], "p": "a long passphrase 2026"})
    assert body["data"]["setPassword"]["role"] == "NATIONAL_ADMIN", body  # type: ignore[index]
    reused = await anyone.execute(set_password, {"l": "chantha", "c": code[1], "p": "another passphrase"})
    assert reused["errors"][0]["extensions"]["code"] == "account.code_invalid", reused  # type: ignore[index]
    body = await anyone.execute(LOGIN, {"l": "chantha", "p": "a long passphrase 2026"})
    assert body["data"]["login"]["account"]["role"] == "NATIONAL_ADMIN", body  # type: ignore[index]
    await anyone.close()
