"""Intake's inclusion migration on each storage adapter: needs stored before the standard
questions (a disability severity, a typed indigenous group, counts with no ``known``) are
brought forward at start, once. SQLite always; MongoDB where ``MONGODB_URL`` or Docker is."""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from services.intake.migrations import INCLUSION_SCHEMA, INCLUSION_VERSION, migrate
from services.intake.store import COLLECTIONS
from services.runtime.stores import Store
from services.runtime.stores.mongo import MongoStore
from services.runtime.stores.sqlite import SqliteStore

CONSENT = {"method": "verbal", "recorded_by": "f-1", "recorded_at": "2025-03-01T02:00:00+00:00"}


def legacy_need(n: int, raised_by: list[dict[str, Any]], **flags: bool) -> dict[str, Any]:
    return {
        "id": f"0190-{n:04d}",
        "tracking_code": f"KH{n:02d}-ABC",
        "idempotency_key": f"f-1:key-{n}",
        "commune_code": "160101",
        "village_code": "16010101",
        "status": "submitted",
        "raised_by": raised_by,
        "supporters": [],
        "history": [],
        **{f"g_{g}": v for g, v in flags.items()},
    }


LEGACY = [
    legacy_need(
        1,
        [
            {
                "kind": "person",
                "people": 1,
                "groups": {"women": 1, "disability": 1, "indigenous": 1},
                "name": "ស្រីនាង",
                "attributes": {"sex": "female", "disability": "medium", "indigenous_group": "Tompuon"},
                "consent": CONSENT,
                "contact": None,
            }
        ],
        women=True,
        disability=True,
        indigenous=True,
    ),
    legacy_need(
        2,
        [
            {
                "kind": "person",
                "people": 1,
                "groups": {"disability": 1, "indigenous": 1},
                "name": None,
                "attributes": {"disability": "mild", "indigenous_group": "ជនជាតិគ្រឹង"},
                "consent": CONSENT,
                "contact": None,
            }
        ],
        disability=True,
        indigenous=True,
    ),
    legacy_need(
        3,
        [
            {
                "kind": "group",
                "people": 20,
                "groups": {"migrant": 4},
                "name": None,
                "attributes": None,
                "consent": None,
            }
        ],
        migrant=True,
    ),
]


class MigrationContract(ABC):
    @abstractmethod
    def make_store(self) -> Store: ...

    @pytest.fixture
    async def store(self, database: None) -> AsyncIterator[Store]:
        store = self.make_store()
        await store.open()
        async with store.transaction() as tx:
            for doc in LEGACY:
                await tx.insert("needs", doc)
        yield store
        await store.close()

    async def test_stored_needs_are_mapped_to_the_standard_questions_once(self, store: Store) -> None:
        assert await migrate(store) == 3
        medium = await store.get("needs", "0190-0001")
        assert medium is not None
        person = medium["raised_by"][0]
        assert person["attributes"] == {
            "sex": "female",
            "wg_any_domain": "a_lot_of_difficulty",
            "indigenous_group": "tampuan",
        }
        assert person["groups"] == {"women": 1, "disability": 1, "indigenous": 1}
        assert person["known"] == {"women": 1, "disability": 1, "indigenous": 1}
        assert person["name"] == "ស្រីនាង" and medium["version"] == 2

        mild = await store.get("needs", "0190-0002")
        assert mild is not None
        assert mild["raised_by"][0]["attributes"] == {
            "wg_any_domain": "some_difficulty",
            "indigenous_group": "kreung",
        }
        assert mild["raised_by"][0]["known"] == {"indigenous": 1}  # disability: unknown, not "no"
        assert "g_disability" not in mild and mild["g_indigenous"] is True

        group = await store.get("needs", "0190-0003")
        assert group is not None and group["raised_by"][0]["known"] == {"migrant": 20}

        assert (await store.get("meta", INCLUSION_SCHEMA) or {})["value"] == INCLUSION_VERSION
        assert await migrate(store) == 0  # recorded: the next start reads nothing
        assert (await store.get("needs", "0190-0001") or {})["version"] == 2

    async def test_an_interrupted_migration_finishes_without_rewriting_what_it_did(
        self, store: Store
    ) -> None:
        assert await migrate(store) == 3
        async with store.transaction() as tx:  # as if the start died before recording the version
            meta = await tx.get("meta", INCLUSION_SCHEMA)
            assert meta is not None
            await tx.delete("meta", INCLUSION_SCHEMA)
        assert await migrate(store) == 0
        assert (await store.get("needs", "0190-0002") or {})["version"] == 2


class TestSqliteMigration(MigrationContract):
    @pytest.fixture
    def database(self, tmp_path: Path) -> None:
        self.path = tmp_path / "intake.db"

    def make_store(self) -> Store:
        return SqliteStore(str(self.path), COLLECTIONS)


@pytest.mark.mongo
class TestMongoMigration(MigrationContract):
    @pytest.fixture
    async def database(self, mongo_url: str) -> AsyncIterator[None]:
        from pymongo import AsyncMongoClient

        name = f"khum_migration_{uuid.uuid4().hex[:16]}"
        self.url = urlunsplit(urlsplit(mongo_url)._replace(path=f"/{name}"))
        yield
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
        try:
            await client.drop_database(name)
        finally:
            await client.close()

    def make_store(self) -> Store:
        return MongoStore(self.url, COLLECTIONS)
