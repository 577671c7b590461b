"""SQLite adapter: one file per service, WAL, synchronous=FULL, one writer at a time.

Each collection is a table of JSON documents; unique and indexed fields are expression
indexes on ``json_extract``. Writes go through one connection guarded by a lock (SQLite
allows one writer per file anyway); reads use a second connection, so a reader never sees
another task's uncommitted transaction.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from services.runtime.stores.port import (
    Collection,
    Contains,
    Doc,
    DuplicateKeyError,
    In,
    OutboxRow,
    Store,
    StoreUnavailable,
    Transaction,
    VersionConflictError,
    Where,
    check_field,
)

# Result codes (sqlite3's ``sqlite_errorname``) that say "cannot write now", not "this write is
# wrong": a full disk, a read-only file or folder, another process's lock, an I/O error.
_UNAVAILABLE = (
    "SQLITE_FULL",
    "SQLITE_READONLY",
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_IOERR",
    "SQLITE_CANTOPEN",
)


WRITE_FAILURE_MEMORY_SECONDS = 30.0


def _unavailable(exc: sqlite3.OperationalError) -> Exception:
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(_UNAVAILABLE):
        return StoreUnavailable(f"{name}: {exc}")
    return exc


# Each entry moves the runtime's own tables one version forward; never edit a shipped entry.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id TEXT NOT NULL UNIQUE,
            subject TEXT NOT NULL,
            payload BLOB NOT NULL,
            headers TEXT NOT NULL,
            created_at TEXT NOT NULL,
            sent_at TEXT)""",
        "CREATE INDEX outbox_pending ON outbox(seq) WHERE sent_at IS NULL",
        """CREATE TABLE inbox (
            consumer TEXT NOT NULL,
            event_id TEXT NOT NULL,
            processed_at TEXT NOT NULL,
            PRIMARY KEY (consumer, event_id))""",
    ),
)

log = logging.getLogger(__name__)

_UNIQUE_INDEX = re.compile(r"index '(ux_[a-z0-9_]+)'")


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _where_sql(where: Where) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for name, value in where.items():
        expr = f"json_extract(doc, '$.{check_field(name)}')"
        if isinstance(value, Contains):
            # instr() on lower-cased text: no LIKE wildcards to escape, Khmer compared as is.
            clauses.append(f"instr(lower({expr}), lower(?)) > 0")
            params.append(value.text)
        elif isinstance(value, In):
            if not value.values:
                clauses.append("0")
                continue
            clauses.append(f"{expr} IN ({', '.join('?' * len(value.values))})")
            params.extend(value.values)
        elif value is None:
            clauses.append(f"{expr} IS NULL")
        else:
            clauses.append(f"{expr} = ?")
            params.append(value)
    return (" AND ".join(clauses) or "1"), params


def _load(row: Any) -> Doc:
    doc: Doc = json.loads(row[0])
    return doc


class _SqliteTransaction(Transaction):
    def __init__(self, store: SqliteStore, conn: aiosqlite.Connection) -> None:
        self._store = store
        self._conn = conn

    async def get(self, collection: str, doc_id: str) -> Doc | None:
        return await self._store._get(self._conn, collection, doc_id)

    async def find_one(self, collection: str, where: Where) -> Doc | None:
        return await self._store._find_one(self._conn, collection, where)

    async def insert(self, collection: str, doc: Doc) -> Doc:
        table = self._store._table(collection)
        stored = {**doc, "version": 1}
        try:
            await self._conn.execute(
                f"INSERT INTO {table} (id, version, doc) VALUES (?, 1, ?)",  # noqa: S608
                (doc["id"], json.dumps(stored, ensure_ascii=False)),
            )
        except sqlite3.IntegrityError as exc:
            raise self._store._duplicate(collection, exc) from exc
        return stored

    async def replace(self, collection: str, doc: Doc, *, expected_version: int) -> Doc:
        table = self._store._table(collection)
        stored = {**doc, "version": expected_version + 1}
        try:
            cursor = await self._conn.execute(
                f"UPDATE {table} SET version = ?, doc = ? WHERE id = ? AND version = ?",  # noqa: S608
                (
                    expected_version + 1,
                    json.dumps(stored, ensure_ascii=False),
                    doc["id"],
                    expected_version,
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise self._store._duplicate(collection, exc) from exc
        if cursor.rowcount != 1:
            raise VersionConflictError(f"{collection}/{doc['id']} is not at version {expected_version}")
        return stored

    async def upsert(self, collection: str, doc: Doc) -> None:
        table = self._store._table(collection)
        stored = {**doc, "version": int(doc.get("version", 1))}
        try:
            await self._conn.execute(
                f"INSERT INTO {table} (id, version, doc) VALUES (?, ?, ?) "  # noqa: S608
                "ON CONFLICT(id) DO UPDATE SET version = excluded.version, doc = excluded.doc",
                (doc["id"], stored["version"], json.dumps(stored, ensure_ascii=False)),
            )
        except sqlite3.IntegrityError as exc:
            raise self._store._duplicate(collection, exc) from exc

    async def delete(self, collection: str, doc_id: str) -> bool:
        table = self._store._table(collection)
        cursor = await self._conn.execute(f"DELETE FROM {table} WHERE id = ?", (doc_id,))  # noqa: S608
        return cursor.rowcount == 1

    async def add_outbox(self, row: OutboxRow) -> None:
        await self._conn.execute(
            "INSERT INTO outbox (event_id, subject, payload, headers, created_at) VALUES (?, ?, ?, ?, ?)",
            (row.event_id, row.subject, row.payload, json.dumps(row.headers), _now()),
        )

    async def mark_processed(self, consumer: str, event_id: str) -> bool:
        cursor = await self._conn.execute(
            "INSERT OR IGNORE INTO inbox (consumer, event_id, processed_at) VALUES (?, ?, ?)",
            (consumer, event_id, _now()),
        )
        return cursor.rowcount == 1


class SqliteStore(Store):
    def __init__(self, path: str, collections: Sequence[Collection]) -> None:
        super().__init__(collections)
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        # The last write refused for want of room, permission or lock, until a write succeeds.
        self._write_failure: tuple[float, str] | None = None

    async def open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._connect()
        await self._migrate(self._writer)
        self._reader = await self._connect()

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=FULL")
        await conn.execute("PRAGMA busy_timeout=5000")
        await conn.execute("PRAGMA foreign_keys=ON")
        # Deleted and overwritten content is zeroed on disk, so erased personal data does not
        # linger in free pages of the file.
        await conn.execute("PRAGMA secure_delete=ON")
        return conn

    async def _migrate(self, conn: aiosqlite.Connection) -> None:
        await conn.execute("BEGIN IMMEDIATE")
        try:
            await conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            current = await self._read_version(conn)
            for statements in _MIGRATIONS[current:]:
                for statement in statements:
                    await conn.execute(statement)
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (str(len(_MIGRATIONS)),),
            )
            for coll in self.collections.values():
                table = self._table(coll.name)
                await conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {table} ("
                    "id TEXT PRIMARY KEY, version INTEGER NOT NULL, doc TEXT NOT NULL)"
                )
                for name in coll.unique:
                    await conn.execute(
                        f"CREATE UNIQUE INDEX IF NOT EXISTS ux_{coll.name}_{name} "
                        f"ON {table}(json_extract(doc, '$.{name}'))"
                    )
                for name in coll.indexes:
                    await conn.execute(
                        f"CREATE INDEX IF NOT EXISTS ix_{coll.name}_{name} "
                        f"ON {table}(json_extract(doc, '$.{name}'), id)"
                    )
            await conn.execute("COMMIT")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise

    @staticmethod
    async def _read_version(conn: aiosqlite.Connection) -> int:
        async with conn.execute("SELECT value FROM meta WHERE key = 'schema_version'") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    async def ping(self) -> None:
        async with self._read().execute("SELECT 1") as cur:
            await cur.fetchone()

    async def schema_version(self) -> int:
        return await self._read_version(self._read())

    def recent_write_failure(self, within: float = WRITE_FAILURE_MEMORY_SECONDS) -> str | None:
        """Why the last write failed, if it did less than ``within`` seconds ago and no write
        succeeded since. A small probe can fit in room SQLite already has (WAL frames, free
        pages) while a real write cannot; this keeps the real failure visible to ``/readyz``."""
        if self._write_failure is None or time.monotonic() - self._write_failure[0] > within:
            return None
        return self._write_failure[1]

    async def probe_write(self) -> None:
        """A real, committed write (one row of ``meta``): it fails as any write would when the
        disk is full, the file is read-only or another process holds the write lock."""
        async with self._transaction(probe=True):
            assert self._writer is not None
            await self._writer.execute(
                "INSERT INTO meta (key, value) VALUES ('write_probe', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (_now(),),
            )

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        return self._transaction(probe=False)

    @asynccontextmanager
    async def _transaction(self, *, probe: bool) -> AsyncIterator[Transaction]:
        try:
            async with self._write_txn() as tx:
                yield tx
        except StoreUnavailable as exc:
            self._write_failure = (time.monotonic(), str(exc))
            raise
        if not probe:
            self._write_failure = None

    @asynccontextmanager
    async def _write_txn(self) -> AsyncIterator[Transaction]:
        if self._writer is None:
            raise RuntimeError("store is not open")
        async with self._write_lock:
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise _unavailable(exc) from exc
            try:
                yield _SqliteTransaction(self, self._writer)
            except BaseException as exc:
                try:
                    await self._writer.execute("ROLLBACK")
                except sqlite3.Error:
                    # SQLite may already have rolled back (e.g. after SQLITE_FULL).
                    log.debug("rollback after a failed write of %s failed", self.path, exc_info=True)
                if isinstance(exc, sqlite3.OperationalError):
                    raise _unavailable(exc) from exc
                raise
            try:
                await self._writer.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                with suppress(sqlite3.Error):
                    await self._writer.execute("ROLLBACK")
                raise _unavailable(exc) from exc

    async def get(self, collection: str, doc_id: str) -> Doc | None:
        return await self._get(self._read(), collection, doc_id)

    async def find_one(self, collection: str, where: Where) -> Doc | None:
        return await self._find_one(self._read(), collection, where)

    async def page(
        self,
        collection: str,
        where: Where,
        *,
        after: str | None = None,
        limit: int = 50,
        newest_first: bool = False,
    ) -> list[Doc]:
        clause, params = _where_sql(where)
        if after is not None:
            clause += " AND id < ?" if newest_first else " AND id > ?"
            params.append(after)
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT doc FROM {self._table(collection)} WHERE {clause} ORDER BY id {order} LIMIT ?"  # noqa: S608
        async with self._read().execute(sql, (*params, limit)) as cur:
            return [_load(row) for row in await cur.fetchall()]

    async def count(self, collection: str, where: Where) -> int:
        clause, params = _where_sql(where)
        sql = f"SELECT COUNT(*) FROM {self._table(collection)} WHERE {clause}"  # noqa: S608
        async with self._read().execute(sql, params) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def pending_outbox(self, limit: int) -> list[OutboxRow]:
        sql = (
            "SELECT event_id, subject, payload, headers FROM outbox "
            "WHERE sent_at IS NULL ORDER BY seq LIMIT ?"
        )
        async with self._read().execute(sql, (limit,)) as cur:
            rows = await cur.fetchall()
        return [OutboxRow(r[0], r[1], bytes(r[2]), json.loads(r[3])) for r in rows]

    async def processed(self, consumer: str, event_id: str) -> bool:
        sql = "SELECT 1 FROM inbox WHERE consumer = ? AND event_id = ?"
        async with self._read().execute(sql, (consumer, event_id)) as cur:
            return await cur.fetchone() is not None

    async def mark_sent(self, event_ids: Sequence[str]) -> None:
        if not event_ids:
            return
        async with self.transaction():
            assert self._writer is not None
            await self._writer.executemany(
                "UPDATE outbox SET sent_at = ? WHERE event_id = ?",
                [(_now(), event_id) for event_id in event_ids],
            )

    async def forget_deleted(self) -> None:
        """secure_delete zeroes freed content in the database file, but the write-ahead log still
        holds the old pages until it is checkpointed and truncated."""
        if self._writer is None:
            raise RuntimeError("store is not open")
        for _ in range(50):
            async with self._write_lock, self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
                row = await cur.fetchone()
            if row is not None and row[0] == 0:
                return
            await asyncio.sleep(0.1)  # a reader holds an old snapshot; it ends within moments
        log.warning("the write-ahead log of %s could not be truncated: a reader kept it busy", self.path)

    async def prune_outbox(self, *, sent_before: datetime | None = None, through: str | None = None) -> int:
        cutoff = (sent_before or datetime.max.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
        async with self.transaction():
            assert self._writer is not None
            cursor = await self._writer.execute(
                "DELETE FROM outbox WHERE (sent_at IS NOT NULL AND sent_at < ?) "
                "OR seq <= (SELECT seq FROM outbox WHERE event_id = ?)",
                (cutoff, through),
            )
            return cursor.rowcount

    async def _get(self, conn: aiosqlite.Connection, collection: str, doc_id: str) -> Doc | None:
        sql = f"SELECT doc FROM {self._table(collection)} WHERE id = ?"  # noqa: S608
        async with conn.execute(sql, (doc_id,)) as cur:
            row = await cur.fetchone()
        return _load(row) if row else None

    async def _find_one(self, conn: aiosqlite.Connection, collection: str, where: Where) -> Doc | None:
        clause, params = _where_sql(where)
        sql = f"SELECT doc FROM {self._table(collection)} WHERE {clause} ORDER BY id LIMIT 1"  # noqa: S608
        async with conn.execute(sql, params) as cur:
            row = await cur.fetchone()
        return _load(row) if row else None

    def _read(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("store is not open")
        return self._reader

    def _table(self, collection: str) -> str:
        return f"c_{self._collection(collection).name}"

    def _duplicate(self, collection: str, exc: sqlite3.IntegrityError) -> DuplicateKeyError:
        match = _UNIQUE_INDEX.search(str(exc))
        prefix = f"ux_{collection}_"
        if match and match.group(1).startswith(prefix):
            return DuplicateKeyError(collection, match.group(1).removeprefix(prefix))
        return DuplicateKeyError(collection, "id")
