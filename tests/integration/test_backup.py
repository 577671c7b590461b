"""Backups of the embedded mode (infra/backup.py): made while Khum runs, restored into an empty
data folder, and Khum starts again with every need and notification, and takes new needs.

After a restore every consumer reads its stream again from the start; the inboxes in the
restored stores make that replay change nothing, so each need still has one notification.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import nats
import pytest

from infra import backup
from infra.stack import Stack, free_port
from services.runtime.identity import Identity, Role
from services.runtime.tokens import issue_token
from tests.conftest import NOTIFICATIONS, SUBMIT_NEED, GraphQL, wait_for

TRACK = "query($c: String!) { needByTrackingCode(code: $c) { trackingCode description villageCode status } }"
MAX_DURING = 40
DESCRIPTIONS = ("អណ្តូងទឹកស្អាតសម្រាប់ភូមិ", "ស្ពានឈើឆ្លងអូរ", "ផ្លូវលំទៅសាលារៀន", "បង្គន់អនាម័យ")


class Khum:
    """A stack on its own data folder that the test stops, wipes and starts again."""

    def __init__(self, var: Path) -> None:
        self.var = var
        self.port = free_port()
        self.stack = Stack(var=var, port=self.port, demo=True)

    def start(self) -> None:
        self.stack = Stack(var=self.var, port=self.port, demo=True)
        self.stack.start()

    def stop(self) -> None:
        self.stack.stop()


@pytest.fixture(scope="module")
def khum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Khum]:
    own = Khum(tmp_path_factory.mktemp("backup") / "var")
    own.start()
    yield own
    own.stop()


async def _submit(facilitator: GraphQL, description: str, village: str = "16010102") -> str:
    body = await facilitator.execute(
        SUBMIT_NEED,
        {"i": {"villageCode": village, "description": description, "idempotencyKey": uuid.uuid4().hex}},
    )
    assert "errors" not in body, body
    return str(body["data"]["submitNeed"]["trackingCode"])


async def _notified(council: GraphQL) -> dict[str, int]:
    body = await council.execute(NOTIFICATIONS, {"n": 100})
    counts: dict[str, int] = {}
    for edge in body["data"]["notifications"]["edges"]:
        if edge["node"]["kind"] == "need_submitted":
            counts[edge["node"]["ref"]] = counts.get(edge["node"]["ref"], 0) + 1
    return counts


async def _consumers_idle(stack: Stack) -> bool:
    nc = await nats.connect(stack.nats_url)
    try:
        js = nc.jetstream()
        for name in ("notify-needs", "meetings-needs", "budget-needs"):
            info = await js.consumer_info("KHUM_NEEDS", name)
            if info.num_pending or info.num_ack_pending:
                return False
        return True
    finally:
        await nc.close()


def _wipe(var: Path) -> None:
    """Everything but the backups: stores, JetStream data, secrets, logs."""
    for path in var.iterdir():
        if path.name == "backups":
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


async def test_a_backup_made_while_khum_runs_brings_every_need_back_after_a_wipe(khum: Khum) -> None:
    facilitator, council = GraphQL(khum.stack.url), GraphQL(khum.stack.url)
    await facilitator.login("sophea")
    await council.login("dara")
    try:
        codes = [await _submit(facilitator, text) for text in DESCRIPTIONS]
        await wait_for(lambda: _has_all(council, codes))
        await wait_for(lambda: _consumers_idle(khum.stack))

        # Needs keep arriving while the backup runs: each is in it or not, never half.
        making = asyncio.create_task(asyncio.to_thread(backup.create, khum.var, khum.var / "backups"))
        during: list[str] = []
        while not making.done() and len(during) < MAX_DURING:
            during.append(await _submit(facilitator, f"ទឹកជំនន់ លេខ {len(during)}"))
        folder = await making
        late = await _submit(facilitator, "រណ្តៅធំនៅលើផ្លូវ ក្រោយការបម្រុងទុក")
    finally:
        await facilitator.close()
        await council.close()

    manifest = backup.read_manifest(folder)
    assert set(manifest["stores"]) == {"intake", "meetings", "budget", "notify", "oversight", "gateway"}
    backed_up = manifest["streams"]["KHUM_NEEDS"]["messages"]
    assert backed_up >= len(codes)

    await asyncio.to_thread(khum.stop)
    _wipe(khum.var)
    assert sorted(p.name for p in khum.var.iterdir()) == ["backups"]
    restored = await asyncio.to_thread(backup.restore, folder, khum.var)
    assert restored["KHUM_NEEDS"] == backed_up
    await asyncio.to_thread(khum.start)

    facilitator, council, anonymous = (
        GraphQL(khum.stack.url),
        GraphQL(khum.stack.url),
        GraphQL(khum.stack.url),
    )
    await facilitator.login("sophea")
    await council.login("dara")
    try:
        for code, text in zip(codes, DESCRIPTIONS, strict=True):
            body = await anonymous.execute(TRACK, {"c": code})
            assert "errors" not in body, body
            assert body["data"]["needByTrackingCode"]["description"] == text
        gone = await anonymous.execute(TRACK, {"c": late})
        assert "errors" in gone, "a need recorded after the backup is not in it"

        # Every consumer reads its stream again from the start; the inboxes absorb it all.
        await wait_for(lambda: _consumers_idle(khum.stack), timeout=30)
        assert await _stream_messages(khum.stack, "KHUM_NEEDS") >= backed_up
        in_store = await _codes_in_intake(khum.stack)
        assert set(codes) <= in_store and late not in in_store
        assert in_store - set(codes) <= set(during)

        async def each_notified_once() -> dict[str, int] | None:
            notified = await _notified(council)
            return notified if all(code in notified for code in in_store) else None

        notified = await wait_for(each_notified_once)
        assert {code: notified[code] for code in in_store} == {code: 1 for code in in_store}

        fresh = await _submit(facilitator, "ប្រព័ន្ធស្រោចស្រពថ្មី")
        await wait_for(lambda: _has_all(council, [fresh]))
        assert (await _notified(council))[fresh] == 1
    finally:
        await facilitator.close()
        await council.close()
        await anonymous.close()


async def _stream_messages(stack: Stack, stream: str) -> int:
    nc = await nats.connect(stack.nats_url)
    try:
        return int((await nc.jetstream().stream_info(stream)).state.messages)
    finally:
        await nc.close()


async def _codes_in_intake(stack: Stack) -> set[str]:
    """Tracking codes of Malik's needs as intake's restored store holds them."""
    token = issue_token(Identity("auditor", Role.NATIONAL_ADMIN, ("*",)), stack.secrets["identity"])
    async with httpx.AsyncClient(base_url=stack.processes["intake"].url or "") as http:
        response = await http.get(
            "/needs", params={"commune": "160101", "limit": 100}, headers={"authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200, response.text
    return {item["tracking_code"] for item in response.json()["items"]}


async def _has_all(council: GraphQL, codes: list[str]) -> bool:
    notified = await _notified(council)
    return all(code in notified for code in codes)


def test_a_restore_refuses_to_overwrite_data_and_sets_it_aside_only_when_asked(khum: Khum) -> None:
    folder = backup.list_backups(khum.var / "backups")[-1]
    with pytest.raises(backup.BackupError, match="stop it before restoring"):
        backup.restore(folder, khum.var)
    # A folder with data but no running Khum: refused unless --replace.
    other = khum.var.parent / "other" / "var"
    other.mkdir(parents=True)
    (other / "intake.db").write_bytes(b"not ours to lose")
    with pytest.raises(backup.BackupError, match="--replace"):
        backup.restore(folder, other)
    assert (other / "intake.db").read_bytes() == b"not ours to lose"
    backup.restore(folder, other, replace=True)
    aside = [p for p in (other / "backups").iterdir() if p.name.startswith("replaced-")]
    assert len(aside) == 1 and (aside[0] / "intake.db").read_bytes() == b"not ours to lose"
    assert (other / "intake.db").read_bytes() != b"not ours to lose"


def test_a_damaged_backup_is_refused_before_anything_is_touched(khum: Khum, tmp_path: Path) -> None:
    original = backup.list_backups(khum.var / "backups")[-1]
    damaged = tmp_path / original.name
    shutil.copytree(original, damaged)
    store = damaged / "stores" / "intake.db"
    data = bytearray(store.read_bytes())
    data[len(data) // 2] ^= 0xFF
    store.write_bytes(bytes(data))
    target = tmp_path / "var"
    with pytest.raises(backup.BackupError, match="damaged"):
        backup.restore(damaged, target)
    assert not target.exists()

    (damaged / "manifest.json").write_text(json.dumps({"format": 99}))
    with pytest.raises(backup.BackupError, match="format 99"):
        backup.restore(damaged, target)


def test_the_command_line_lists_backups_and_keeps_only_the_newest(
    khum: Khum, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = khum.var / "backups"
    for _ in range(2):
        assert backup.main(["create", "--var", str(khum.var), "--dest", str(dest)]) == 0
        assert "Backed up 6 stores and 5 streams" in capsys.readouterr().out
    made = backup.list_backups(dest)
    assert len(made) >= 3
    assert backup.main(["list", "--var", str(khum.var)]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == [p.name for p in made]
    assert backup.main(["create", "--var", str(khum.var), "--keep", "1"]) == 0
    kept = backup.list_backups(dest)
    assert len(kept) == 1 and kept[0] not in made
    assert backup.main(["restore", str(kept[0]), "--var", str(khum.var)]) == 1
    assert "stop it before restoring" in capsys.readouterr().err
