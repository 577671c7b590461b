"""The storage port's contract: one abstract class of tests, subclassed once per adapter.

Every adapter must pass every test here unchanged; a behaviour one adapter has and another
lacks is a bug in one of them. SQLite runs always. MongoDB runs against ``MONGODB_URL`` or a
Docker container, and otherwise skips with the reason (see ``conftest.py``).
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from services.runtime.stores.mongo import MongoStore
from services.runtime.stores.port import (
    Collection,
    Contains,
    Doc,
    DuplicateKeyError,
    In,
    OutboxRow,
    Store,
    VersionConflictError,
)
from services.runtime.stores.sqlite import SqliteStore

NEEDS = Collection(
    "needs",
    unique=("tracking_code", "idempotency_key"),
    indexes=("village_code", "status"),
)
COLLECTIONS = (NEEDS,)
KHMER = "ផ្លូវលំ\u200bភូមិ\u200bត្រពាំង"  # "village dirt road, Trapeang", zero-width spaces kept
INJECTION = "x') OR 1=1 --"


def nid(n: int) -> str:
    """A UUIDv7-shaped id; a larger ``n`` sorts later, as a later UUIDv7 does."""
    return f"0190a8c0-0000-7000-8000-{n:012d}"


def need(n: int, **fields: object) -> Doc:
    return {"id": nid(n), "title": f"need {n}", **fields}


def row(event_id: str, payload: bytes = b"{}") -> OutboxRow:
    return OutboxRow(event_id, "khum.intake.need.submitted.v1", payload, {"Nats-Msg-Id": event_id})


class Boom(Exception):
    """Raised by a test to make a transaction fail."""


async def insert_all(store: Store, *docs: Doc) -> None:
    async with store.transaction() as tx:
        for doc in docs:
            await tx.insert("needs", doc)


def ids(docs: Sequence[Doc]) -> list[str]:
    return [doc["id"] for doc in docs]


class StoreContract(ABC):
    """What every adapter of ``Store`` must do. Subclasses say how to reach their database."""

    @abstractmethod
    def make_store(self, collections: Sequence[Collection] = COLLECTIONS) -> Store:
        """A new, unopened store on this test's database: every call reaches the same data."""

    @pytest.fixture
    async def store(self, database: None) -> AsyncIterator[Store]:
        store = self.make_store()
        await store.open()
        yield store
        await store.close()

    # Documents: insert and get

    async def test_an_inserted_document_comes_back_as_given_with_version_one(self, store: Store) -> None:
        doc = need(1, tracking_code="KH-0001", amount_riel=12_500_000, tags=["road", "water"])
        given = dict(doc)
        async with store.transaction() as tx:
            inserted = await tx.insert("needs", doc)
        assert inserted == {**given, "version": 1}
        assert await store.get("needs", nid(1)) == {**given, "version": 1}
        assert doc == given

    async def test_getting_an_unknown_id_gives_none(self, store: Store) -> None:
        assert await store.get("needs", nid(404)) is None

    async def test_inserting_a_taken_id_raises_duplicate_key_naming_the_id(self, store: Store) -> None:
        await insert_all(store, need(1))
        with pytest.raises(DuplicateKeyError) as caught:
            await insert_all(store, need(1, title="again"))
        assert (caught.value.collection, caught.value.field) == ("needs", "id")
        assert (await store.get("needs", nid(1)) or {})["title"] == "need 1"

    @pytest.mark.parametrize("field", ["tracking_code", "idempotency_key"])
    async def test_inserting_a_taken_unique_value_raises_duplicate_key_naming_that_field(
        self, store: Store, field: str
    ) -> None:
        await insert_all(store, need(1, **{field: "KH-0001"}))
        with pytest.raises(DuplicateKeyError) as caught:
            await insert_all(store, need(2, **{field: "KH-0001"}))
        assert (caught.value.collection, caught.value.field) == ("needs", field)
        assert await store.get("needs", nid(2)) is None
        assert await store.count("needs", {}) == 1

    async def test_documents_without_a_unique_value_never_clash(self, store: Store) -> None:
        await insert_all(
            store,
            need(1, tracking_code=None),
            need(2, tracking_code=None),
            need(3),
            need(4),
            need(5, tracking_code="KH-0005"),
        )
        assert await store.count("needs", {}) == 5

    # Documents: replace and upsert

    async def test_replacing_at_the_stored_version_bumps_the_version(self, store: Store) -> None:
        await insert_all(store, need(1, status="draft"))
        current = await store.get("needs", nid(1))
        assert current is not None
        async with store.transaction() as tx:
            approved = {**current, "status": "approved"}
            replaced = await tx.replace("needs", approved, expected_version=1)
        assert replaced["version"] == 2
        assert await store.get("needs", nid(1)) == {**current, "status": "approved", "version": 2}
        async with store.transaction() as tx:
            again = await tx.replace("needs", {**replaced, "status": "funded"}, expected_version=2)
        assert again["version"] == 3

    async def test_replacing_at_a_stale_version_raises_and_changes_nothing(self, store: Store) -> None:
        await insert_all(store, need(1, status="draft"))
        async with store.transaction() as tx:
            await tx.replace("needs", need(1, status="approved"), expected_version=1)
        with pytest.raises(VersionConflictError):
            async with store.transaction() as tx:
                await tx.replace("needs", need(1, status="rejected"), expected_version=1)
        assert await store.get("needs", nid(1)) == need(1, status="approved", version=2)

    async def test_replacing_a_missing_document_raises_version_conflict(self, store: Store) -> None:
        with pytest.raises(VersionConflictError):
            async with store.transaction() as tx:
                await tx.replace("needs", need(1), expected_version=1)
        assert await store.get("needs", nid(1)) is None

    async def test_replacing_onto_another_documents_unique_value_raises_duplicate_key(
        self, store: Store
    ) -> None:
        await insert_all(store, need(1, tracking_code="KH-0001"), need(2, tracking_code="KH-0002"))
        with pytest.raises(DuplicateKeyError) as caught:
            async with store.transaction() as tx:
                await tx.replace("needs", need(2, tracking_code="KH-0001"), expected_version=1)
        assert caught.value.field == "tracking_code"
        assert await store.get("needs", nid(2)) == need(2, tracking_code="KH-0002", version=1)

    async def test_replacing_a_document_may_keep_its_own_unique_value(self, store: Store) -> None:
        await insert_all(store, need(1, tracking_code="KH-0001"))
        async with store.transaction() as tx:
            await tx.replace("needs", need(1, tracking_code="KH-0001", x=1), expected_version=1)
        assert await store.get("needs", nid(1)) == need(1, tracking_code="KH-0001", x=1, version=2)

    async def test_upsert_inserts_then_overwrites_without_a_version_check(self, store: Store) -> None:
        async with store.transaction() as tx:
            await tx.upsert("needs", need(1, status="draft"))
        assert await store.get("needs", nid(1)) == need(1, status="draft", version=1)
        async with store.transaction() as tx:
            await tx.upsert("needs", need(1, status="approved"))
            await tx.upsert("needs", need(2, version=7))
        assert await store.get("needs", nid(1)) == need(1, status="approved", version=1)
        assert await store.get("needs", nid(2)) == need(2, version=7)

    async def test_upserting_onto_another_documents_unique_value_raises_duplicate_key(
        self, store: Store
    ) -> None:
        await insert_all(store, need(1, tracking_code="KH-0001"))
        with pytest.raises(DuplicateKeyError) as caught:
            async with store.transaction() as tx:
                await tx.upsert("needs", need(2, tracking_code="KH-0001"))
        assert (caught.value.collection, caught.value.field) == ("needs", "tracking_code")
        assert await store.get("needs", nid(2)) is None

    # Transactions

    async def test_a_failed_transaction_leaves_no_state_outbox_or_inbox_behind(self, store: Store) -> None:
        await insert_all(store, need(1, status="draft"))
        with pytest.raises(Boom):
            async with store.transaction() as tx:
                await tx.insert("needs", need(2))
                await tx.replace("needs", need(1, status="approved"), expected_version=1)
                await tx.upsert("needs", need(3))
                await tx.add_outbox(row("evt-1"))
                assert await tx.mark_processed("notify", "evt-0") is True
                raise Boom
        assert ids(await store.page("needs", {})) == [nid(1)]
        assert await store.get("needs", nid(1)) == need(1, status="draft", version=1)
        assert await store.pending_outbox(10) == []
        async with store.transaction() as tx:
            assert await tx.mark_processed("notify", "evt-0") is True

    async def test_a_transaction_reads_its_own_writes_and_others_see_them_only_after_commit(
        self, store: Store
    ) -> None:
        async with store.transaction() as tx:
            await tx.insert("needs", need(1, tracking_code="KH-0001"))
            assert await tx.get("needs", nid(1)) == need(1, tracking_code="KH-0001", version=1)
            assert (await tx.find_one("needs", {"tracking_code": "KH-0001"}) or {})["id"] == nid(1)
            assert await store.get("needs", nid(1)) is None
        assert await store.get("needs", nid(1)) is not None

    async def test_a_transaction_that_catches_a_duplicate_key_can_still_commit(self, store: Store) -> None:
        await insert_all(store, need(1, tracking_code="KH-0001"))
        async with store.transaction() as tx:
            with pytest.raises(DuplicateKeyError):
                await tx.insert("needs", need(2, tracking_code="KH-0001"))
            await tx.insert("needs", need(3, tracking_code="KH-0003"))
            await tx.add_outbox(row("evt-3"))
        assert ids(await store.page("needs", {})) == [nid(1), nid(3)]
        assert [r.event_id for r in await store.pending_outbox(10)] == ["evt-3"]

    async def test_a_deleted_document_is_gone_and_a_rolled_back_delete_is_not(self, store: Store) -> None:
        await insert_all(store, need(1), need(2))
        async with store.transaction() as tx:
            assert await tx.delete("needs", nid(1)) is True
            assert await tx.get("needs", nid(1)) is None
            assert await tx.delete("needs", nid(1)) is False
        with pytest.raises(RuntimeError):
            async with store.transaction() as tx:
                await tx.delete("needs", nid(2))
                raise RuntimeError("roll back")
        assert ids(await store.page("needs", {})) == [nid(2)]

    # Outbox and inbox

    async def test_outbox_rows_come_back_in_commit_order_until_marked_sent(self, store: Store) -> None:
        payload = b'\x00\xff{"title": "' + KHMER.encode() + b'"}'
        # Event ids sort against commit order, so only commit order can explain the result.
        async with store.transaction() as tx:
            await tx.add_outbox(row("evt-c", payload))
            await tx.add_outbox(row("evt-b"))
        async with store.transaction() as tx:
            await tx.add_outbox(row("evt-a"))
        pending = await store.pending_outbox(10)
        assert pending == [row("evt-c", payload), row("evt-b"), row("evt-a")]
        assert [r.event_id for r in await store.pending_outbox(2)] == ["evt-c", "evt-b"]
        await store.mark_sent(["evt-c", "evt-a"])
        await store.mark_sent([])
        assert await store.pending_outbox(10) == [row("evt-b")]
        await store.mark_sent(["evt-b"])
        assert await store.pending_outbox(10) == []

    async def test_pruning_drops_sent_rows_and_with_through_every_row_up_to_that_one(
        self, store: Store
    ) -> None:
        for event_id in ("evt-d", "evt-c", "evt-b", "evt-a", "evt-0"):
            async with store.transaction() as tx:
                await tx.add_outbox(row(event_id))
        await store.mark_sent(["evt-d", "evt-b"])
        assert await store.prune_outbox(sent_before=datetime.now(UTC) - timedelta(minutes=1)) == 0
        assert await store.prune_outbox(sent_before=datetime.now(UTC) + timedelta(minutes=1)) == 2
        assert [r.event_id for r in await store.pending_outbox(10)] == ["evt-c", "evt-a", "evt-0"]
        assert await store.prune_outbox(through="evt-unknown") == 0
        assert await store.prune_outbox(through="evt-a") == 2
        assert [r.event_id for r in await store.pending_outbox(10)] == ["evt-0"]
        await store.mark_sent(["evt-0"])
        assert await store.prune_outbox() == 1

    async def test_outbox_headers_and_payload_round_trip_unchanged(self, store: Store) -> None:
        sent = OutboxRow(
            "evt-1", "khum.notify.sms.v1", bytes(range(256)), {"title": KHMER, "Nats-Msg-Id": "1"}
        )
        async with store.transaction() as tx:
            await tx.add_outbox(sent)
        assert await store.pending_outbox(1) == [sent]

    async def test_mark_processed_is_true_the_first_time_and_false_after(self, store: Store) -> None:
        async with store.transaction() as tx:
            assert await tx.mark_processed("budget", "evt-1") is True
            assert await tx.mark_processed("budget", "evt-1") is False
        async with store.transaction() as tx:
            assert await tx.mark_processed("budget", "evt-1") is False
            assert await tx.mark_processed("notify", "evt-1") is True
            assert await tx.mark_processed("budget", "evt-2") is True

    async def test_processed_sees_only_committed_inbox_marks_of_that_consumer(self, store: Store) -> None:
        assert await store.processed("notify", "evt-1") is False
        with pytest.raises(RuntimeError):
            async with store.transaction() as tx:
                await tx.mark_processed("notify", "evt-1")
                raise RuntimeError("rolled back")
        assert await store.processed("notify", "evt-1") is False
        async with store.transaction() as tx:
            await tx.mark_processed("notify", "evt-1")
        assert await store.processed("notify", "evt-1") is True
        assert await store.processed("budget", "evt-1") is False
        assert await store.processed("notify", "evt-2") is False

    # Reading: page, find_one, count

    async def test_page_walks_in_id_order_from_the_after_cursor(self, store: Store) -> None:
        await insert_all(store, *(need(n) for n in (3, 1, 5, 2, 4)))
        assert ids(await store.page("needs", {}, limit=2)) == [nid(1), nid(2)]
        assert ids(await store.page("needs", {}, after=nid(2), limit=2)) == [nid(3), nid(4)]
        assert ids(await store.page("needs", {}, after=nid(4), limit=2)) == [nid(5)]
        assert await store.page("needs", {}, after=nid(5)) == []
        assert await store.page("needs", {}, limit=0) == []

    async def test_page_newest_first_walks_backwards_from_the_after_cursor(self, store: Store) -> None:
        await insert_all(store, *(need(n) for n in (3, 1, 5, 2, 4)))
        first = await store.page("needs", {}, limit=2, newest_first=True)
        assert ids(first) == [nid(5), nid(4)]
        rest = await store.page("needs", {}, after=nid(4), limit=10, newest_first=True)
        assert ids(rest) == [nid(3), nid(2), nid(1)]

    async def test_page_filters_by_equality_and_by_any_of_several_values(self, store: Store) -> None:
        await insert_all(
            store,
            need(1, status="draft", village_code="01020304"),
            need(2, status="approved", village_code="01020304"),
            need(3, status="rejected", village_code="01020304"),
            need(4, status="approved", village_code="01020305"),
            need(5, status="draft", village_code="01020305"),
        )
        approved = await store.page("needs", {"status": "approved"})
        assert approved == [
            need(2, status="approved", village_code="01020304", version=1),
            need(4, status="approved", village_code="01020305", version=1),
        ]
        open_here = {"status": In(("draft", "approved")), "village_code": "01020304"}
        assert ids(await store.page("needs", open_here)) == [nid(1), nid(2)]
        assert await store.count("needs", open_here) == 2
        some = In(("draft", "approved"))
        newest = await store.page("needs", {"status": some}, after=nid(5), newest_first=True)
        assert ids(newest) == [nid(4), nid(2), nid(1)]
        assert await store.page("needs", {"status": In(())}) == []
        assert await store.count("needs", {"status": In(())}) == 0

    async def test_a_contains_filter_finds_text_literally_in_khmer_and_any_case(self, store: Store) -> None:
        await insert_all(
            store,
            need(1, title="ផ្លូវលំភូមិកាតែ"),
            need(2, title="Road to Katae school"),
            need(3, title="អណ្តូងទឹក"),
            need(4, title="50% of (.*) costs"),
        )
        assert ids(await store.page("needs", {"title": Contains("ភូមិកាតែ")})) == [nid(1)]
        assert ids(await store.page("needs", {"title": Contains("katae")})) == [nid(2)]
        assert ids(await store.page("needs", {"title": Contains("(.*)")})) == [nid(4)]
        assert ids(await store.page("needs", {"title": Contains("%")})) == [nid(4)]
        assert await store.count("needs", {"title": Contains("' OR 1=1 --")}) == 0

    async def test_a_none_filter_matches_missing_and_null_fields(self, store: Store) -> None:
        await insert_all(store, need(1, status=None), need(2), need(3, status="draft"))
        assert ids(await store.page("needs", {"status": None})) == [nid(1), nid(2)]
        assert await store.count("needs", {"status": None}) == 2
        assert await store.get("needs", nid(1)) == need(1, status=None, version=1)
        assert "status" not in (await store.get("needs", nid(2)) or {})

    async def test_count_follows_the_filters_of_page(self, store: Store) -> None:
        await insert_all(store, *(need(n, status="approved" if n % 2 else "draft") for n in range(7)))
        assert await store.count("needs", {}) == 7
        assert await store.count("needs", {"status": "draft"}) == 4
        assert await store.count("needs", {"status": "funded"}) == 0

    async def test_find_one_gives_the_first_match_in_id_order_or_none(self, store: Store) -> None:
        await insert_all(store, need(3, status="draft"), need(2, status="draft"), need(1))
        found = await store.find_one("needs", {"status": "draft"})
        assert found == need(2, status="draft", version=1)
        assert await store.find_one("needs", {"status": "funded"}) is None

    async def test_iterate_walks_every_matching_document_in_batches(self, store: Store) -> None:
        await insert_all(store, *(need(n, status="draft") for n in range(7)), need(7))
        walked = [doc["id"] async for doc in store.iterate("needs", {"status": "draft"}, batch=2)]
        assert walked == [nid(n) for n in range(7)]

    async def test_khmer_text_round_trips_unchanged_and_can_be_filtered_on(self, store: Store) -> None:
        doc = need(1, title=KHMER, village_name="ភូមិត្រពាំង", tracking_code="ឃុំ-០០០១")
        await insert_all(store, doc)
        assert await store.get("needs", nid(1)) == {**doc, "version": 1}
        assert ids(await store.page("needs", {"title": KHMER})) == [nid(1)]
        assert await store.find_one("needs", {"village_name": "ភូមិត្រពាំង"}) is not None
        with pytest.raises(DuplicateKeyError):
            await insert_all(store, need(2, tracking_code="ឃុំ-០០០១"))

    # Refusals

    async def test_a_field_name_that_is_not_an_identifier_is_refused(self, store: Store) -> None:
        await insert_all(store, need(1))
        for where in ({INJECTION: 1}, {INJECTION: In((1,))}, {INJECTION: None}, {"Title": "x"}):
            with pytest.raises(ValueError, match="invalid field name"):
                await store.find_one("needs", where)
            with pytest.raises(ValueError, match="invalid field name"):
                await store.page("needs", where)
            with pytest.raises(ValueError, match="invalid field name"):
                await store.count("needs", where)
        with pytest.raises(ValueError, match="invalid field name"):
            async with store.transaction() as tx:
                await tx.find_one("needs", {INJECTION: 1})
        assert await store.count("needs", {}) == 1

    async def test_an_unknown_collection_is_refused(self, store: Store) -> None:
        with pytest.raises(ValueError, match="unknown collection"):
            await store.get("people", nid(1))
        with pytest.raises(ValueError, match="unknown collection"):
            async with store.transaction() as tx:
                await tx.insert("people", need(1))

    # Lifecycle

    async def test_an_open_store_answers_ping(self, store: Store) -> None:
        await store.ping()

    async def test_schema_version_is_one_after_open(self, store: Store) -> None:
        assert await store.schema_version() == 1

    async def test_reopening_the_same_database_keeps_documents_outbox_and_inbox(self, store: Store) -> None:
        async with store.transaction() as tx:
            await tx.insert("needs", need(1, title=KHMER, tracking_code="KH-0001"))
            await tx.add_outbox(row("evt-1"))
            await tx.mark_processed("budget", "evt-0")
        await store.close()

        reopened = self.make_store()
        await reopened.open()
        try:
            assert await reopened.schema_version() == 1
            got = await reopened.get("needs", nid(1))
            assert got == need(1, title=KHMER, tracking_code="KH-0001", version=1)
            assert await reopened.pending_outbox(10) == [row("evt-1")]
            async with reopened.transaction() as tx:
                assert await tx.mark_processed("budget", "evt-0") is False
            with pytest.raises(DuplicateKeyError):
                await insert_all(reopened, need(2, tracking_code="KH-0001"))
        finally:
            await reopened.close()


class TestSqliteStore(StoreContract):
    @pytest.fixture
    def database(self, tmp_path: Path) -> None:
        self.path = tmp_path / "khum.db"

    def make_store(self, collections: Sequence[Collection] = COLLECTIONS) -> Store:
        return SqliteStore(str(self.path), collections)


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest.mark.mongo
class TestMongoStore(StoreContract):
    @pytest.fixture
    async def database(self, mongo_url: str) -> AsyncIterator[None]:
        from pymongo import AsyncMongoClient

        name = f"khum_contract_{uuid.uuid4().hex[:16]}"
        self.url = with_database(mongo_url, name)
        yield
        client: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_url)
        try:
            await client.drop_database(name)
        finally:
            await client.close()

    def make_store(self, collections: Sequence[Collection] = COLLECTIONS) -> Store:
        store = MongoStore(self.url, collections)
        assert store.database_name == urlsplit(self.url).path.lstrip("/")
        return store


async def test_sqlite_forgets_deleted_documents_in_its_files_too(tmp_path: Path) -> None:
    """After forget_deleted, neither the database file nor its write-ahead log holds the text."""
    path = tmp_path / "forget.db"
    store = SqliteStore(str(path), [NEEDS])
    await store.open()
    try:
        secret = "ស្រីនាង +85512345678"
        await insert_all(store, need(1, description=secret), need(2, description="ស្ពាន"))
        async with store.transaction() as tx:
            await tx.delete("needs", nid(1))
        files = [p for p in tmp_path.iterdir() if p.name.startswith("forget.db")]
        assert any(secret.encode() in p.read_bytes() for p in files), "the log holds it until then"
        await store.forget_deleted()
        assert not any(secret.encode() in p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
        assert ids(await store.page("needs", {})) == [nid(2)]
    finally:
        await store.close()
