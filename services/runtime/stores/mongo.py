"""MongoDB adapter: a replica set (one node is enough) so that transactions work.

Each collection ``name`` lives in the Mongo collection ``c_<name>`` beside the runtime's own
``outbox``, ``inbox`` and ``meta``, the same names the SQLite adapter gives its tables. A
document is stored as it is given, plus ``_id`` (a copy of ``id``, so pages sort on the primary
key) which never leaves the adapter.

Behaviours worth knowing, all chosen to match the SQLite adapter:

* Unique fields are sparse through a partial index that covers string and number values only
  (``ux_<field>``); a ``None`` or missing value is not indexed, so it never clashes. Values of
  other types are not guarded.
* A write error inside a Mongo transaction aborts the whole transaction, while SQLite only
  undoes the failed statement. So writes look for a clash first, inside the transaction, and
  raise ``DuplicateKeyError`` before touching anything: a caller that catches it may carry on,
  as it could on SQLite. The unique indexes still settle races between processes.
* Transactions of one store run one at a time (as SQLite's single writer does), so that two
  tasks of the same process never hit a Mongo write conflict on the outbox counter. Between
  processes a conflict still ends the later transaction with PyMongo's ``OperationFailure``
  labelled ``TransientTransactionError``: the whole unit of work may simply be run again.
* Outbox rows get ``seq`` from a counter document incremented inside the transaction; two
  transactions cannot both hold that increment, so ``seq`` follows commit order.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus, urlsplit

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import CollectionInvalid
from pymongo.errors import DuplicateKeyError as MongoDuplicateKeyError
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from services.runtime.stores.port import (
    Collection,
    Contains,
    Doc,
    DuplicateKeyError,
    In,
    OutboxRow,
    Store,
    Transaction,
    VersionConflictError,
    Where,
    check_field,
)

DEFAULT_DATABASE = "khum"

_OUTBOX_SEQ = "outbox_seq"
_SCHEMA_VERSION = "schema_version"
_DUP_INDEX = re.compile(r"index: (\S+) dup key")
# The BSON types a unique index covers; None (and a missing field) stays out of it.
_UNIQUE_TYPES = ["string", "number"]


def database_name(url: str) -> str:
    """The database named by the URL's path, else ``khum``.

    Read from the text alone: ``pymongo.uri_parser.parse_uri`` would resolve a
    ``mongodb+srv://`` host through DNS, a blocking look-up a constructor should not make.
    """
    path = unquote_plus(urlsplit(url).path.lstrip("/"))
    return path.split(".", 1)[0] or DEFAULT_DATABASE


def _now() -> datetime:
    return datetime.now(UTC)


def _where_filter(where: Where) -> dict[str, Any]:
    clauses: list[dict[str, Any]] = []
    for name, value in where.items():
        check_field(name)
        if isinstance(value, Contains):
            # re.escape: the user's text is matched literally, never as a pattern.
            clauses.append({name: {"$regex": re.escape(value.text), "$options": "i"}})
        elif isinstance(value, In):
            clauses.append({name: {"$in": list(value.values)}})
        elif value is None:
            clauses.append({name: None})  # missing or null, as SQL's IS NULL on json_extract
        else:
            # $eq keeps a dict value from being read as query operators.
            clauses.append({name: {"$eq": value}})
    return _all_of(clauses)


def _all_of(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    if not clauses:
        return {}
    if len(clauses) == 1:
        return clauses[0]
    return {"$and": clauses}


def _indexed(value: Any) -> bool:
    """Whether a unique index holds ``value`` (see ``_UNIQUE_TYPES``)."""
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _strip(raw: Doc) -> Doc:
    raw.pop("_id", None)
    return raw


def _no_limit_below_zero(limit: int) -> int:
    """Mongo's limit for SQL's: a negative SQL limit means none, which Mongo spells 0.

    A limit of 0 (no rows in SQL) must be answered before reaching Mongo.
    """
    return max(limit, 0)


async def _migrate_v1(db: AsyncDatabase[Doc]) -> None:
    await db["outbox"].create_index([("seq", ASCENDING)], name="ux_seq", unique=True)
    await db["outbox"].create_index([("sent_at", ASCENDING), ("seq", ASCENDING)], name="outbox_pending")
    await db["inbox"].create_index(
        [("consumer", ASCENDING), ("event_id", ASCENDING)], name="ux_inbox", unique=True
    )


# Each entry moves the runtime's own collections one version forward; never edit a shipped
# entry. Keep the count in step with the SQLite adapter's: both report the same version.
_MIGRATIONS: tuple[Callable[[AsyncDatabase[Doc]], Awaitable[None]], ...] = (_migrate_v1,)


class _MongoTransaction(Transaction):
    def __init__(self, store: MongoStore, session: AsyncClientSession) -> None:
        self._store = store
        self._session = session

    async def get(self, collection: str, doc_id: str) -> Doc | None:
        return await self._store._find_one(collection, {"_id": doc_id}, self._session)

    async def find_one(self, collection: str, where: Where) -> Doc | None:
        return await self._store._find_one(collection, _where_filter(where), self._session)

    async def insert(self, collection: str, doc: Doc) -> Doc:
        stored = {**doc, "version": 1}
        await self._refuse_clash(collection, stored, same_id_clashes=True)
        coll = self._store._coll(collection)
        try:
            await coll.insert_one({"_id": doc["id"], **stored}, session=self._session)
        except MongoDuplicateKeyError as exc:
            raise _duplicate(collection, exc) from exc
        return stored

    async def replace(self, collection: str, doc: Doc, *, expected_version: int) -> Doc:
        stored = {**doc, "version": expected_version + 1}
        await self._refuse_clash(collection, stored, same_id_clashes=False)
        coll = self._store._coll(collection)
        try:
            result = await coll.replace_one(
                {"_id": doc["id"], "version": expected_version},
                {"_id": doc["id"], **stored},
                session=self._session,
            )
        except MongoDuplicateKeyError as exc:
            raise _duplicate(collection, exc) from exc
        if result.matched_count != 1:
            raise VersionConflictError(f"{collection}/{doc['id']} is not at version {expected_version}")
        return stored

    async def upsert(self, collection: str, doc: Doc) -> None:
        stored = {**doc, "version": int(doc.get("version", 1))}
        await self._refuse_clash(collection, stored, same_id_clashes=False)
        coll = self._store._coll(collection)
        try:
            await coll.replace_one(
                {"_id": doc["id"]}, {"_id": doc["id"], **stored}, upsert=True, session=self._session
            )
        except MongoDuplicateKeyError as exc:
            raise _duplicate(collection, exc) from exc

    async def delete(self, collection: str, doc_id: str) -> bool:
        result = await self._store._coll(collection).delete_one({"_id": doc_id}, session=self._session)
        return result.deleted_count == 1

    async def add_outbox(self, row: OutboxRow) -> None:
        db = self._store._database()
        counter = await db["meta"].find_one_and_update(
            {"_id": _OUTBOX_SEQ},
            {"$inc": {"value": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=self._session,
        )
        assert counter is not None  # upsert with AFTER always returns the document
        await db["outbox"].insert_one(
            {
                "_id": row.event_id,
                "seq": int(counter["value"]),
                "subject": row.subject,
                "payload": bytes(row.payload),
                "headers": dict(row.headers),
                "created_at": _now(),
                "sent_at": None,
            },
            session=self._session,
        )

    async def mark_processed(self, consumer: str, event_id: str) -> bool:
        # Look before inserting: a duplicate key error would abort the whole transaction.
        inbox = self._store._database()["inbox"]
        key = {"consumer": consumer, "event_id": event_id}
        if await inbox.find_one(key, {"_id": 1}, session=self._session) is not None:
            return False
        await inbox.insert_one({**key, "processed_at": _now()}, session=self._session)
        return True

    async def _refuse_clash(self, collection: str, doc: Doc, *, same_id_clashes: bool) -> None:
        """Raise ``DuplicateKeyError`` if writing ``doc`` would break a unique index."""
        unique = {
            name: doc[name] for name in self._store._collection(collection).unique if _indexed(doc.get(name))
        }
        others: list[dict[str, Any]] = [{name: value} for name, value in unique.items()]
        if same_id_clashes:
            others.append({"_id": doc["id"]})
            query: dict[str, Any] = {"$or": others}
        elif others:
            query = {"$or": others, "_id": {"$ne": doc["id"]}}
        else:
            return
        found = await self._store._coll(collection).find_one(
            query, {"_id": 1, **dict.fromkeys(unique, 1)}, session=self._session
        )
        if found is None:
            return
        if same_id_clashes and found["_id"] == doc["id"]:
            raise DuplicateKeyError(collection, "id")
        for name, value in unique.items():
            if found.get(name) == value:
                raise DuplicateKeyError(collection, name)
        raise DuplicateKeyError(collection, "id")


def _duplicate(collection: str, exc: MongoDuplicateKeyError) -> DuplicateKeyError:
    details = exc.details or {}
    match = _DUP_INDEX.search(str(details.get("errmsg", exc)))
    if match and match.group(1).startswith("ux_"):
        return DuplicateKeyError(collection, match.group(1).removeprefix("ux_"))
    pattern = details.get("keyPattern") or {}
    fields = [name for name in pattern if name != "_id"]
    return DuplicateKeyError(collection, fields[0] if len(fields) == 1 else "id")


async def _require_transactions(client: AsyncMongoClient[Doc]) -> None:
    """Fail at start, not at the first write, when the server cannot run transactions."""
    hello = await client.admin.command("hello")
    if "setName" not in hello and hello.get("msg") != "isdbgrid":
        raise RuntimeError(
            "MongoDB is a standalone server, and the store needs transactions: run it as a "
            "replica set (one node is enough: mongod --replSet rs0, then rs.initiate())"
        )


class MongoStore(Store):
    def __init__(self, url: str, collections: Sequence[Collection]) -> None:
        super().__init__(collections)
        self.url = url
        self.database_name = database_name(url)
        self._client: AsyncMongoClient[Doc] | None = None
        self._db: AsyncDatabase[Doc] | None = None
        self._write_lock = asyncio.Lock()

    async def open(self) -> None:
        client: AsyncMongoClient[Doc] = AsyncMongoClient(self.url, tz_aware=True)
        db = client.get_database(self.database_name, write_concern=WriteConcern("majority"))
        try:
            await _require_transactions(client)
            await self._migrate(db)
        except BaseException:
            await client.close()
            raise
        self._client, self._db = client, db

    async def _migrate(self, db: AsyncDatabase[Doc]) -> None:
        current = await self._read_version(db)
        for step in _MIGRATIONS[current:]:
            await step(db)
        await db["meta"].update_one(
            {"_id": _SCHEMA_VERSION}, {"$set": {"value": len(_MIGRATIONS)}}, upsert=True
        )
        existing = set(await db.list_collection_names())
        for coll in self.collections.values():
            name = f"c_{coll.name}"
            if name not in existing:
                # Created up front: a transaction is a poor place to create a collection.
                # Another process may create it meanwhile; that is as good.
                with suppress(CollectionInvalid):
                    await db.create_collection(name)
            for field in coll.unique:
                await db[name].create_index(
                    [(field, ASCENDING)],
                    name=f"ux_{field}",
                    unique=True,
                    partialFilterExpression={field: {"$type": _UNIQUE_TYPES}},
                )
            for field in coll.indexes:
                await db[name].create_index([(field, ASCENDING), ("_id", ASCENDING)], name=f"ix_{field}")

    @staticmethod
    async def _read_version(db: AsyncDatabase[Doc]) -> int:
        row = await db["meta"].find_one({"_id": _SCHEMA_VERSION})
        return int(row["value"]) if row else 0

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
        self._client = None
        self._db = None

    async def ping(self) -> None:
        if self._client is None:
            raise RuntimeError("store is not open")
        await self._client.admin.command("ping")

    async def schema_version(self) -> int:
        return await self._read_version(self._database())

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        if self._client is None:
            raise RuntimeError("store is not open")
        async with (
            self._write_lock,
            self._client.start_session() as session,
            # Leaving this block commits, or aborts if the body raised.
            await session.start_transaction(
                read_concern=ReadConcern("snapshot"), write_concern=WriteConcern("majority")
            ),
        ):
            yield _MongoTransaction(self, session)

    async def get(self, collection: str, doc_id: str) -> Doc | None:
        return await self._find_one(collection, {"_id": doc_id}, None)

    async def find_one(self, collection: str, where: Where) -> Doc | None:
        return await self._find_one(collection, _where_filter(where), None)

    async def page(
        self,
        collection: str,
        where: Where,
        *,
        after: str | None = None,
        limit: int = 50,
        newest_first: bool = False,
    ) -> list[Doc]:
        clauses = [_where_filter(where)]
        if after is not None:
            clauses.append({"_id": {"$lt" if newest_first else "$gt": after}})
        query = _all_of([clause for clause in clauses if clause])
        if limit == 0:
            return []
        cursor = (
            self._coll(collection)
            .find(query)
            .sort("_id", DESCENDING if newest_first else ASCENDING)
            .limit(_no_limit_below_zero(limit))
        )
        return [_strip(raw) for raw in await cursor.to_list()]

    async def count(self, collection: str, where: Where) -> int:
        return await self._coll(collection).count_documents(_where_filter(where))

    async def pending_outbox(self, limit: int) -> list[OutboxRow]:
        if limit == 0:
            return []
        outbox = self._database()["outbox"]
        cursor = outbox.find({"sent_at": None}).sort("seq", ASCENDING)
        cursor = cursor.limit(_no_limit_below_zero(limit))
        return [
            OutboxRow(raw["_id"], raw["subject"], bytes(raw["payload"]), dict(raw["headers"]))
            for raw in await cursor.to_list()
        ]

    async def processed(self, consumer: str, event_id: str) -> bool:
        inbox = self._database()["inbox"]
        return await inbox.find_one({"consumer": consumer, "event_id": event_id}, {"_id": 1}) is not None

    async def mark_sent(self, event_ids: Sequence[str]) -> None:
        if not event_ids:
            return
        await self._database()["outbox"].update_many(
            {"_id": {"$in": list(event_ids)}}, {"$set": {"sent_at": _now()}}
        )

    async def forget_deleted(self) -> None:
        """Nothing a service can do: WiredTiger reuses the space of deleted documents as it
        writes, and only ``compact`` (an operator's job, see docs/operations.md) returns it."""

    async def prune_outbox(self, *, sent_before: datetime | None = None, through: str | None = None) -> int:
        outbox = self._database()["outbox"]
        sent: dict[str, Any] = {"$ne": None} if sent_before is None else {"$ne": None, "$lt": sent_before}
        gone: list[dict[str, Any]] = [{"sent_at": sent}]
        if through is not None:
            last = await outbox.find_one({"_id": through}, {"seq": 1})
            if last is not None:
                gone.append({"seq": {"$lte": int(last["seq"])}})
        result = await outbox.delete_many({"$or": gone})
        return result.deleted_count

    async def _find_one(
        self, collection: str, query: dict[str, Any], session: AsyncClientSession | None
    ) -> Doc | None:
        raw = await self._coll(collection).find_one(query, sort=[("_id", ASCENDING)], session=session)
        return None if raw is None else _strip(raw)

    def _database(self) -> AsyncDatabase[Doc]:
        if self._db is None:
            raise RuntimeError("store is not open")
        return self._db

    def _coll(self, collection: str) -> AsyncCollection[Doc]:
        return self._database()[f"c_{self._collection(collection).name}"]
