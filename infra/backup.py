"""Backups of the embedded mode: every SQLite store and every JetStream stream, and the restore.

    python -m infra.backup create  [--var var] [--dest var/backups] [--nats-url URL] [--keep N]
    python -m infra.backup restore var/backups/<stamp> [--var var] [--nats-url URL] [--replace]
    python -m infra.backup list    [--var var] [--dest var/backups]

``create`` works while Khum runs. Stores first: SQLite's online backup API copies each
``var/*.db`` as one consistent snapshot without stopping its service. Streams second: the
server's own snapshot (``$JS.API.STREAM.SNAPSHOT``), without consumer state. That order and
that omission are what make the pair consistent, see docs/operations.md: every event a store
believes published is in the snapshot, and after a restore every consumer reads its stream
again from the start, its service's inbox skipping what the restored store already holds.

``restore`` wants Khum stopped. It checks every file against the manifest before touching
anything, puts the stores back, and restores the streams into ``var/nats`` through a
temporary nats-server (or into the server at ``--nats-url``).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nats
from nats.aio.client import Client

from infra.stack import REPO_ROOT, Stack

FORMAT = 1
CHUNK_BYTES = 128 * 1024
CHUNK_TIMEOUT_SECONDS = 30.0
API_TIMEOUT_SECONDS = 10.0
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"


class BackupError(RuntimeError):
    pass


# --- files ------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def store_files(var: Path) -> list[Path]:
    """Every store of the embedded mode: one SQLite file per service, and the gateway's."""
    return sorted(var.glob("*.db"))


def backup_store(source: Path, target: Path) -> dict[str, Any]:
    """SQLite's online backup: a consistent copy while the service keeps writing (WAL)."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        # One self-contained file; the service turns WAL back on when it opens its store.
        dst.execute("PRAGMA journal_mode=DELETE")
        check = dst.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the copy of {source.name} fails its check: {check}")
        row = dst.execute(
            "SELECT value FROM meta WHERE key = 'schema_version'"
            if dst.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
            else "SELECT NULL"
        ).fetchone()
    finally:
        dst.close()
        src.close()
    _fsync(target)
    return {
        "file": f"stores/{target.name}",
        "bytes": target.stat().st_size,
        "sha256": _sha256(target),
        "schema_version": row[0] if row else None,
    }


# --- NATS ---------------------------------------------------------------------------------


def running_nats_url(var: Path) -> str | None:
    """The URL of the embedded nats-server that infra.stack started on this data folder, if alive."""
    for ports_file in sorted((var / "run").glob("nats-server_*.ports")):
        try:
            pid = int(ports_file.stem.rsplit("_", 1)[1])
            os.kill(pid, 0)
            urls: list[str] = json.loads(ports_file.read_text())["nats"]
        except (ValueError, ProcessLookupError, PermissionError, KeyError, IndexError, json.JSONDecodeError):
            continue
        if urls:
            return urls[0]
    return None


@dataclass
class TemporaryNats:
    """nats-server on ``var/nats``, started for the length of a backup or restore."""

    var: Path
    stack: Stack | None = None

    def __enter__(self) -> str:
        self.stack = Stack(var=self.var, demo=False)
        self.stack.start_nats()
        return self.stack.nats_url

    def __exit__(self, *exc: object) -> None:
        if self.stack is not None:
            self.stack.stop()


async def _api(nc: Client, subject: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = await nc.request(subject, json.dumps(body).encode() if body else b"", timeout=API_TIMEOUT_SECONDS)
    answer: dict[str, Any] = json.loads(reply.data)
    if "error" in answer:
        error = answer["error"]
        raise BackupError(f"{subject}: {error.get('description', error)} (code {error.get('code')})")
    return answer


async def stream_names(nc: Client) -> list[str]:
    names: list[str] = []
    while True:
        page = await _api(nc, "$JS.API.STREAM.NAMES", {"offset": len(names)})
        names.extend(page.get("streams") or [])
        if not page.get("streams") or len(names) >= int(page.get("total", 0)):
            return sorted(names)


async def snapshot_stream(nc: Client, name: str, target: Path) -> dict[str, Any]:
    """Receive the server's snapshot of one stream, chunk by chunk, acknowledging each chunk.

    Consumers are left out on purpose: their positions would be newer than the stores' inboxes
    (see the module docstring).
    """
    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox)
    try:
        answer = await _api(
            nc,
            f"$JS.API.STREAM.SNAPSHOT.{name}",
            {"deliver_subject": inbox, "no_consumers": True, "chunk_size": CHUNK_BYTES},
        )
        with target.open("wb") as out:
            while True:
                try:
                    msg = await sub.next_msg(timeout=CHUNK_TIMEOUT_SECONDS)
                except TimeoutError as exc:
                    raise BackupError(f"snapshot of {name} stalled") from exc
                status = (msg.headers or {}).get("Status")
                if status and status not in ("204",):
                    raise BackupError(f"snapshot of {name} failed: {status} {msg.headers}")
                if not msg.data:
                    break  # the end: an empty message
                out.write(msg.data)
                if msg.reply:
                    await nc.publish(msg.reply, b"")  # flow control: the server sends more
            out.flush()
            os.fsync(out.fileno())
    finally:
        await sub.unsubscribe()
    state = answer.get("state") or {}
    return {
        "file": f"streams/{target.name}",
        "messages": int(state.get("messages", 0)),
        "last_seq": int(state.get("last_seq", 0)),
        "config": answer.get("config"),
        "state": state,
    }


async def restore_stream(nc: Client, name: str, entry: dict[str, Any], source: Path, replace: bool) -> int:
    """Send a snapshot back with ``$JS.API.STREAM.RESTORE``; returns the messages restored."""
    existing = await stream_names(nc)
    if name in existing:
        if not replace:
            raise BackupError(f"stream {name} exists; restore with --replace to delete and restore it")
        await _api(nc, f"$JS.API.STREAM.DELETE.{name}")
    answer = await _api(
        nc, f"$JS.API.STREAM.RESTORE.{name}", {"config": entry["config"], "state": entry["state"]}
    )
    deliver = answer["deliver_subject"]
    with source.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
            reply = await nc.request(deliver, chunk, timeout=CHUNK_TIMEOUT_SECONDS)
            if reply.data:
                raise BackupError(f"restore of {name} refused a chunk: {reply.data.decode(errors='replace')}")
    done = await nc.request(deliver, b"", timeout=CHUNK_TIMEOUT_SECONDS * 4)
    info: dict[str, Any] = json.loads(done.data)
    if "error" in info:
        raise BackupError(f"restore of {name} failed: {info['error']}")
    restored = int(info["state"]["messages"])
    if restored != entry["messages"]:
        raise BackupError(f"restore of {name} holds {restored} messages, the backup {entry['messages']}")
    return restored


# --- create, restore, list ---------------------------------------------------------------


async def _snapshot_all(url: str, folder: Path) -> dict[str, Any]:
    nc = await nats.connect(url.split(","), name="khum-backup", connect_timeout=5, max_reconnect_attempts=3)
    try:
        streams: dict[str, Any] = {}
        for name in await stream_names(nc):
            streams[name] = await snapshot_stream(nc, name, folder / "streams" / f"{name}.tar.s2")
        return streams
    finally:
        await nc.close()


def create(var: Path, dest: Path, nats_url: str | None = None, keep: int | None = None) -> Path:
    """Make ``dest/<UTC stamp>/`` with stores, streams and a manifest; returns its path."""
    var = var.resolve()
    dest = dest.resolve()
    stamp = datetime.now(UTC).strftime(STAMP_FORMAT)
    final = dest / stamp
    for n in range(2, 100):  # two backups in one second: 20260101T000000Z, then ...Z-2
        if not final.exists():
            break
        final = dest / f"{stamp}-{n}"
    work = dest / f".{final.name}.partial"
    shutil.rmtree(work, ignore_errors=True)
    (work / "stores").mkdir(parents=True)
    (work / "streams").mkdir()
    work.chmod(0o700)  # personal data: the stores hold names, phone numbers, consent
    try:
        # Stores before streams: an event a store has marked published is then in its stream.
        stores = {path.stem: backup_store(path, work / "stores" / path.name) for path in store_files(var)}
        if not stores and nats_url is None:
            # With --nats-url and no SQLite files (MongoDB stores), only the streams are backed up.
            raise BackupError(f"no stores (*.db) in {var}")
        secrets = var / "secrets.json"
        if secrets.exists():
            shutil.copy2(secrets, work / "secrets.json")
        url = nats_url or running_nats_url(var)
        if url:
            streams = asyncio.run(_snapshot_all(url, work))
        else:
            with TemporaryNats(var) as temporary_url:
                streams = asyncio.run(_snapshot_all(temporary_url, work))
        for entry in streams.values():
            entry["bytes"] = (work / entry["file"]).stat().st_size
            entry["sha256"] = _sha256(work / entry["file"])
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(),
            "stores": stores,
            "streams": streams,
            "secrets": (work / "secrets.json").exists(),
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        _fsync(work / "manifest.json")
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if keep is not None:
        for old in list_backups(dest)[:-keep]:
            shutil.rmtree(old)
    return final


def list_backups(dest: Path) -> list[Path]:
    """Complete backups, oldest first (a half-made one never has its final name)."""
    if not dest.is_dir():
        return []
    return sorted(p for p in dest.iterdir() if p.is_dir() and (p / "manifest.json").exists())


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    if not path.exists():
        raise BackupError(f"{folder} is not a backup: no manifest.json")
    manifest: dict[str, Any] = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{folder} has backup format {manifest.get('format')}, this tool reads {FORMAT}")
    return manifest


def _entries(manifest: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from manifest["stores"].values()
    yield from manifest["streams"].values()


def verify(folder: Path) -> dict[str, Any]:
    """Every file the manifest names is there, with its checksum; returns the manifest."""
    manifest = read_manifest(folder)
    for entry in _entries(manifest):
        path = folder / entry["file"]
        if not path.exists():
            raise BackupError(f"{entry['file']} is missing from {folder}")
        if _sha256(path) != entry["sha256"]:
            raise BackupError(f"{entry['file']} in {folder} is damaged (checksum differs)")
    return manifest


def _existing_state(var: Path) -> list[Path]:
    found = store_files(var)
    if (var / "nats" / "jetstream").exists():
        found.append(var / "nats")
    return found


def restore(folder: Path, var: Path, nats_url: str | None = None, replace: bool = False) -> dict[str, int]:
    """Put a backup back into ``var``; returns the messages restored per stream."""
    folder = folder.resolve()
    var = var.resolve()
    manifest = verify(folder)
    if running_nats_url(var) and not nats_url:
        raise BackupError("Khum is running on this data folder: stop it before restoring")
    current = _existing_state(var)
    if current and not replace:
        names = ", ".join(p.name for p in current)
        raise BackupError(f"{var} holds data ({names}); restore with --replace to set it aside first")
    if current:
        aside = var / "backups" / f"replaced-{datetime.now(UTC).strftime(STAMP_FORMAT)}"
        aside.mkdir(parents=True)
        for path in current:
            path.rename(aside / path.name)
        for leftover in var.glob("*.db-*"):  # -wal and -shm of the stores set aside
            leftover.rename(aside / leftover.name)
    var.mkdir(parents=True, exist_ok=True)
    if manifest.get("secrets"):
        shutil.copy2(folder / "secrets.json", var / "secrets.json")
        (var / "secrets.json").chmod(0o600)
    for name, entry in manifest["stores"].items():
        target = var / f"{name}.db"
        partial = var / f".{name}.db.restoring"
        shutil.copyfile(folder / entry["file"], partial)
        _fsync(partial)
        partial.rename(target)

    async def put_streams(url: str) -> dict[str, int]:
        nc = await nats.connect(
            url.split(","), name="khum-restore", connect_timeout=5, max_reconnect_attempts=3
        )
        try:
            return {
                name: await restore_stream(nc, name, entry, folder / entry["file"], replace)
                for name, entry in manifest["streams"].items()
            }
        finally:
            await nc.close()

    if nats_url:
        return asyncio.run(put_streams(nats_url))
    with TemporaryNats(var) as url:
        return asyncio.run(put_streams(url))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.backup", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("create", help="back up every store and stream")
    back = commands.add_parser("restore", help="put a backup back (Khum stopped)")
    show = commands.add_parser("list", help="the backups there are, oldest first")
    for command in (make, back, show):
        command.add_argument("--var", type=Path, default=REPO_ROOT / "var", help="Khum's data folder")
    for command in (make, show):
        command.add_argument("--dest", type=Path, help="where backups go (default: <var>/backups)")
    for command in (make, back):
        command.add_argument("--nats-url", help="a running nats-server (default: the embedded one)")
    make.add_argument("--keep", type=int, help="then delete all but the newest KEEP backups")
    back.add_argument("folder", type=Path, help="a backup folder, e.g. var/backups/20260101T000000Z")
    back.add_argument("--replace", action="store_true", help="set the current data aside and replace it")
    args = parser.parse_args(argv)
    try:
        if args.command == "create":
            folder = create(args.var, args.dest or args.var / "backups", args.nats_url, args.keep)
            manifest = read_manifest(folder)
            stores, streams = len(manifest["stores"]), len(manifest["streams"])
            print(f"Backed up {stores} stores and {streams} streams to {folder}")
        elif args.command == "restore":
            restored = restore(args.folder, args.var, args.nats_url, args.replace)
            counts = ", ".join(f"{name} {count}" for name, count in restored.items())
            print(f"Restored {args.folder} into {args.var.resolve()} (messages: {counts}). Start Khum again.")
        else:
            for folder in list_backups((args.dest or args.var / "backups").resolve()):
                manifest = read_manifest(folder)
                messages = sum(s["messages"] for s in manifest["streams"].values())
                print(f"{folder.name}  {len(manifest['stores'])} stores  {messages} messages  {folder}")
    except BackupError as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
