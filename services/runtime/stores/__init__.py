"""The storage port and its adapters, chosen by URL (``sqlite:///...`` or ``mongodb://...``)."""

from services.runtime.stores.port import (
    Collection,
    Contains,
    DuplicateKeyError,
    In,
    OutboxRow,
    Store,
    StoreUnavailable,
    Transaction,
    VersionConflictError,
)


def open_store(url: str, collections: tuple[Collection, ...]) -> Store:
    """Build the adapter a URL names. The store still has to be opened with ``await store.open()``."""
    if url.startswith("sqlite:///"):
        from services.runtime.stores.sqlite import SqliteStore

        return SqliteStore(url.removeprefix("sqlite:///"), collections)
    if url.startswith(("mongodb://", "mongodb+srv://")):
        from services.runtime.stores.mongo import MongoStore

        return MongoStore(url, collections)
    raise ValueError(f"unsupported store URL {url!r}: use sqlite:///path or mongodb://host/db")


__all__ = [
    "Collection",
    "Contains",
    "DuplicateKeyError",
    "In",
    "OutboxRow",
    "Store",
    "StoreUnavailable",
    "Transaction",
    "VersionConflictError",
    "open_store",
]
