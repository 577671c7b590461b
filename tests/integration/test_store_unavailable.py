"""A store that cannot take a write makes the service unready and its refusals retryable.

Two real causes that hold even for root (who ignores file permissions, so chmod proves
nothing here):
- *locked*: another process holds SQLite's write lock (``BEGIN EXCLUSIVE`` from this test);
  intake's writer waits its busy timeout and gets SQLITE_BUSY;
- *disk full*: intake's database lives on a small tmpfs mounted for this test, filled to the
  last byte by a file; SQLite gets SQLITE_FULL once its files need to grow. Skipped where the
  test may not mount a filesystem (no CAP_SYS_ADMIN).
Either way ``/readyz`` answers 503 with the store's reason, submitNeed is refused with
``service.unavailable`` (what the PWA's outbox retries), nothing is stored half-way, and once
the cause is gone the same submission (same idempotency key) is stored once.
"""

from __future__ import annotations

import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.stack import Stack, free_port
from tests.conftest import SUBMIT_NEED, UNLIMITED, GraphQL


def _mount_tmpfs(where: Path) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(where)], capture_output=True, check=False
    )
    return done.returncode == 0


@pytest.fixture(scope="module")
def small_disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Path, bool]]:
    root = tmp_path_factory.mktemp("unavailable")
    disk = root / "disk"
    mounted = _mount_tmpfs(disk)
    db = disk / "intake.db"
    env = {**UNLIMITED, "intake": {"STORE_URL": f"sqlite:///{db}"}}
    khum = Stack(var=root / "var", port=free_port(), demo=True, extra_env=env)
    khum.start()
    try:
        yield khum, db, mounted
    finally:
        khum.stop()
        if mounted and subprocess.run(["umount", str(disk)], check=False).returncode != 0:
            # Something still holds a file there: detach it now, freed when the last one closes.
            subprocess.run(["umount", "--lazy", str(disk)], check=False)


def _need(key: str) -> dict[str, object]:
    return {"i": {"villageCode": "16010101", "description": "ស្ពានឈើ ខូច", "idempotencyKey": key}}


def _stored(db: Path, key: str) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        row = conn.execute(
            "SELECT COUNT(*) FROM c_needs WHERE json_extract(doc, '$.idempotency_key') LIKE ?", (f"%:{key}",)
        ).fetchone()
    return int(row[0])


async def _refused_then_stored(stack: Stack, db: Path, key: str, body: dict[str, object]) -> None:
    errors: Any = body.get("errors")
    assert errors, body
    [error] = errors
    assert error["extensions"]["code"] == "service.unavailable", error
    assert _stored(db, key) == 0


async def test_a_locked_store_is_unready_and_refuses_with_a_retryable_error(
    small_disk: tuple[Stack, Path, bool],
) -> None:
    stack, db, _ = small_disk
    intake = stack.processes["intake"].url
    client = GraphQL(stack.url, lang="en")
    await client.login("sophea")
    key = uuid.uuid4().hex
    holder = sqlite3.connect(db, isolation_level=None, timeout=10)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        async with httpx.AsyncClient(timeout=30) as http:
            ready = await http.get(f"{intake}/readyz")
            assert ready.status_code == 503, ready.text
            assert ready.json()["checks"]["store"].startswith("unavailable: StoreUnavailable: SQLITE_BUSY")
            assert ready.headers["retry-after"] == "5"
            body = await client.execute(SUBMIT_NEED, _need(key))
            holder.execute("ROLLBACK")
            await _refused_then_stored(stack, db, key, body)
            # The refused write is remembered until a write succeeds: the retry is that write.
            assert "last write failed" in (await http.get(f"{intake}/readyz")).json()["checks"]["store"]
            again = await client.execute(SUBMIT_NEED, _need(key))
            assert "errors" not in again, again
            assert _stored(db, key) == 1
            assert (await http.get(f"{intake}/readyz")).status_code == 200
    finally:
        holder.close()
        await client.close()


async def test_a_full_disk_is_unready_and_refuses_with_a_retryable_error(
    small_disk: tuple[Stack, Path, bool],
) -> None:
    stack, db, mounted = small_disk
    if not mounted:
        pytest.skip("this environment may not mount a tmpfs (needs CAP_SYS_ADMIN)")
    intake = stack.processes["intake"].url
    filler = db.parent / "filler"
    client = GraphQL(stack.url, lang="en")
    await client.login("sophea")
    try:
        with filler.open("wb") as out:
            try:
                while True:
                    out.write(b"\0" * 65536)
                    out.flush()
            except OSError:
                pass  # ENOSPC: the disk is full
        # SQLite reuses room it already has (WAL frames, free pages): writes fail once its files
        # must grow. Submit until one is refused, a bounded number of times.
        refused: dict[str, object] | None = None
        key = ""
        for _ in range(300):
            key = uuid.uuid4().hex
            body = await client.execute(SUBMIT_NEED, _need(key))
            if "errors" in body:
                refused = body
                break
        assert refused is not None, "300 submissions fitted on a full disk"
        await _refused_then_stored(stack, db, key, refused)
        async with httpx.AsyncClient(timeout=30) as http:
            ready = await http.get(f"{intake}/readyz")
            assert ready.status_code == 503, ready.text
            assert "SQLITE_FULL" in ready.json()["checks"]["store"], ready.text
            filler.unlink()
            again = await client.execute(SUBMIT_NEED, _need(key))
            assert "errors" not in again, again
            assert _stored(db, key) == 1
            assert (await http.get(f"{intake}/readyz")).status_code == 200
    finally:
        filler.unlink(missing_ok=True)
        await client.close()
