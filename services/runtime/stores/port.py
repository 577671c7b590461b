"""The storage port: what a service may ask of its store, whatever the database.

Documents are JSON-able dicts with a string ``id`` and an integer ``version`` that the store
manages (optimistic concurrency). Besides documents, every store keeps two tables the
messaging rules need, always written in the same transaction as the state they belong to:

* the outbox: events waiting to be published, in commit order;
* the inbox: ids of events a consumer has already handled, so a redelivery changes nothing.

Two adapters implement it (SQLite, MongoDB) and one contract test suite runs against both.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Doc = dict[str, Any]

_FIELD = re.compile(r"^[a-z_][a-z0-9_]*$")


def check_field(name: str) -> str:
    """Field names come from code, never from users; refuse anything else outright."""
    if not _FIELD.match(name):
        raise ValueError(f"invalid field name {name!r}")
    return name


@dataclass(frozen=True)
class Collection:
    """A named set of documents with the fields that must be unique or fast to filter on.

    A unique field is sparse: documents without it (or with ``None``) never clash.
    """

    name: str
    unique: tuple[str, ...] = ()
    indexes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_field(self.name)
        for name in (*self.unique, *self.indexes):
            check_field(name)


@dataclass(frozen=True)
class In:
    """A filter value matching any of ``values``."""

    values: tuple[Any, ...]


@dataclass(frozen=True)
class Contains:
    """A filter value matching text fields that contain ``text`` (case-insensitive for Latin)."""

    text: str


Where = Mapping[str, Any]


@dataclass(frozen=True)
class OutboxRow:
    event_id: str
    subject: str
    payload: bytes
    headers: dict[str, str] = field(default_factory=dict)


class DuplicateKeyError(Exception):
    """A unique field (or the id) already holds this value."""

    def __init__(self, collection: str, field_name: str) -> None:
        super().__init__(f"duplicate {collection}.{field_name}")
        self.collection = collection
        self.field = field_name


class VersionConflictError(Exception):
    """The document changed since it was read: reload and decide again."""


class StoreUnavailable(Exception):
    """The store cannot take a write now (disk full, file read-only, locked by another process,
    I/O error, server unreachable). Nothing was written; the same request may succeed later,
    so callers answer ``service.unavailable`` (503, Retry-After), never ``internal``."""


class Transaction(ABC):
    """One atomic unit of work: state, outbox rows and inbox marks commit or vanish together."""

    @abstractmethod
    async def get(self, collection: str, doc_id: str) -> Doc | None: ...

    @abstractmethod
    async def find_one(self, collection: str, where: Where) -> Doc | None: ...

    @abstractmethod
    async def insert(self, collection: str, doc: Doc) -> Doc:
        """Insert a new document (``doc['id']`` required); returns it with ``version`` 1."""

    @abstractmethod
    async def replace(self, collection: str, doc: Doc, *, expected_version: int) -> Doc:
        """Replace a document if its stored version is ``expected_version``; bumps the version."""

    @abstractmethod
    async def upsert(self, collection: str, doc: Doc) -> None:
        """Insert or overwrite without a version check (for reference data such as gazetteers)."""

    @abstractmethod
    async def delete(self, collection: str, doc_id: str) -> bool:
        """Delete a document for good; False if there was none."""

    @abstractmethod
    async def add_outbox(self, row: OutboxRow) -> None: ...

    @abstractmethod
    async def mark_processed(self, consumer: str, event_id: str) -> bool:
        """Record that ``consumer`` handled ``event_id``; False if it already had."""


class Store(ABC):
    """A service's own database."""

    def __init__(self, collections: Sequence[Collection]) -> None:
        self.collections = {c.name: c for c in collections}

    @abstractmethod
    async def open(self) -> None:
        """Connect and migrate forward (idempotent)."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def ping(self) -> None:
        """Raise if the database cannot be reached."""

    def recent_write_failure(self) -> str | None:
        """Why a recent write failed for want of room, permission or lock (adapters that track it)."""
        return None

    async def probe_write(self) -> None:
        """Raise :class:`StoreUnavailable` if a write cannot be made now (for ``/readyz``).
        Adapters that can, write for real; the default only checks the database answers."""
        try:
            await self.ping()
        except Exception as exc:
            raise StoreUnavailable(f"store unreachable: {exc!r}") from exc

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...

    @abstractmethod
    async def get(self, collection: str, doc_id: str) -> Doc | None: ...

    @abstractmethod
    async def find_one(self, collection: str, where: Where) -> Doc | None: ...

    @abstractmethod
    async def page(
        self,
        collection: str,
        where: Where,
        *,
        after: str | None = None,
        limit: int = 50,
        newest_first: bool = False,
    ) -> list[Doc]:
        """Documents matching ``where`` in id order (ids are time-ordered UUIDv7), from ``after``."""

    @abstractmethod
    async def count(self, collection: str, where: Where) -> int: ...

    @abstractmethod
    async def pending_outbox(self, limit: int) -> list[OutboxRow]:
        """Unsent outbox rows, oldest commit first."""

    @abstractmethod
    async def mark_sent(self, event_ids: Sequence[str]) -> None: ...

    @abstractmethod
    async def processed(self, consumer: str, event_id: str) -> bool:
        """Whether ``consumer`` recorded ``event_id`` in its inbox (committed state): a handler
        whose work spans more than one transaction looks before it starts."""

    @abstractmethod
    async def prune_outbox(self, *, sent_before: datetime | None = None, through: str | None = None) -> int:
        """Delete outbox rows the broker already holds; returns how many went.

        The rows marked sent (before ``sent_before`` when given). With ``through`` (an event id
        the caller saw come back from the broker), also every row committed up to and including
        it, marked or not: the relay publishes in commit order, so all of them were published.
        Erasure uses this so that no copy of a person's data stays in the outbox.
        """

    @abstractmethod
    async def schema_version(self) -> int: ...

    @abstractmethod
    async def forget_deleted(self) -> None:
        """Make deleted and overwritten documents unrecoverable from the database's own files,
        as far as the database allows (after an erasure)."""

    async def iterate(self, collection: str, where: Where, batch: int = 500) -> AsyncIterator[Doc]:
        after: str | None = None
        while True:
            docs = await self.page(collection, where, after=after, limit=batch)
            for doc in docs:
                yield doc
            if len(docs) < batch:
                return
            after = docs[-1]["id"]

    def _collection(self, name: str) -> Collection:
        try:
            return self.collections[name]
        except KeyError:
            raise ValueError(f"unknown collection {name!r}") from None
