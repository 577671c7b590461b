"""The runtime's unit of work on a real SQLite store: a lost race runs again on the newer state,
a race lost every time is one stable 409, and an event's effect commits once with its inbox mark."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from contracts.envelope import Envelope, new_event
from contracts.needs import NEED_SUBMITTED, NeedSubmittedV1
from services.runtime.application import (
    CONFLICT_ATTEMPTS,
    BusyError,
    UnitOfWork,
    emit,
    inbox_handler,
    save,
)
from services.runtime.stores import Collection, DuplicateKeyError, Store, Transaction
from services.runtime.stores.sqlite import SqliteStore

TALLIES = Collection("tallies", unique=("code",))


class Committer:
    """A running service's transaction, minus the relay: counts what committed."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.commits = 0

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[Transaction]:
        async with self.store.transaction() as tx:
            yield tx
        self.commits += 1


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = SqliteStore(str(tmp_path / "uow.db"), [TALLIES])
    await store.open()
    async with store.transaction() as tx:
        await tx.insert("tallies", {"id": "t1", "code": "ក-1", "count": 0})
    try:
        yield store
    finally:
        await store.close()


def tallied(doc: dict[str, Any]) -> Envelope:
    """Any event will do to watch the outbox; a NeedSubmitted is at hand."""
    return need_submitted(f"tally {doc['id']} at {doc['count']}")


def need_submitted(description: str) -> Envelope:
    payload = NeedSubmittedV1(
        need_id="n-1",
        tracking_code="ABCD-EFG",
        commune_code="160101",
        village_code="16010101",
        description=description,
        collected_by="u-1",
        submitted_at=datetime(2026, 3, 10, 2, 0, tzinfo=UTC),
    )
    return new_event(payload, event_type=NEED_SUBMITTED, source="/khum/test", communecode="160101")


async def rival_adds(store: Store, amount: int) -> None:
    async with store.transaction() as tx:
        doc = await tx.get("tallies", "t1")
        assert doc is not None
        await tx.replace("tallies", {**doc, "count": doc["count"] + amount}, expected_version=doc["version"])


async def test_a_change_that_lost_the_race_runs_again_on_the_newer_state(store: Store) -> None:
    stale = await store.get("tallies", "t1")
    assert stale is not None
    await rival_adds(store, 10)  # saved between our load and our save
    seen: list[int] = []

    async def add_one(tx: Transaction) -> dict[str, Any]:
        before = stale if not seen else await tx.get("tallies", "t1")
        assert before is not None
        seen.append(before["version"])
        await emit(tx, [tallied(before)])
        return await save(tx, "tallies", before, {**before, "count": before["count"] + 1})

    committer = Committer(store)
    stored = await UnitOfWork(committer, lambda: BusyError("tally")).run(add_one)

    assert seen == [1, 2]
    assert stored["count"] == 11 and stored["version"] == 3
    assert committer.commits == 1
    outbox = await store.pending_outbox(10)
    assert len(outbox) == 1  # the lost attempt's event went with it
    assert Envelope.from_bytes(outbox[0].payload).data["description"] == "tally t1 at 10"


async def test_a_race_lost_every_time_is_one_409_and_stores_nothing(store: Store) -> None:
    stale = await store.get("tallies", "t1")
    assert stale is not None
    await rival_adds(store, 10)
    attempts = 0

    async def add_one_to_stale(tx: Transaction) -> dict[str, Any]:
        nonlocal attempts
        attempts += 1
        await emit(tx, [tallied(stale)])
        return await save(tx, "tallies", stale, {**stale, "count": stale["count"] + 1})

    with pytest.raises(BusyError) as refused:
        await UnitOfWork(Committer(store), lambda: BusyError("tally")).run(add_one_to_stale)

    assert attempts == CONFLICT_ATTEMPTS
    assert refused.value.code == "tally.busy"
    assert refused.value.status == 409
    assert refused.value.message("km").endswith("សូមព្យាយាមម្តងទៀត។")
    assert refused.value.message("en") == "Someone else changed this at the same moment. Please try again."
    current = await store.get("tallies", "t1")
    assert current is not None and current["count"] == 10 and current["version"] == 2
    assert await store.pending_outbox(10) == []


async def test_a_duplicate_the_caller_names_is_looked_at_again_and_any_other_is_raised(store: Store) -> None:
    codes = iter(["ក-1", "ក-2"])  # the first code is taken: draw again

    async def insert_coded(tx: Transaction) -> dict[str, Any]:
        code = next(codes)
        return await tx.insert("tallies", {"id": f"t-{code}", "code": code, "count": 0})

    uow = UnitOfWork(Committer(store), lambda: BusyError("tally"))
    stored = await uow.run(insert_coded, again=lambda exc: exc.field == "code")
    assert stored["code"] == "ក-2"

    async def clash(tx: Transaction) -> dict[str, Any]:
        return await tx.insert("tallies", {"id": "t-other", "code": "ក-1", "count": 0})

    with pytest.raises(DuplicateKeyError):
        await uow.run(clash)
    assert await store.get("tallies", "t-other") is None


async def test_an_event_changes_state_once_however_often_it_comes(store: Store) -> None:
    committer = Committer(store)
    uow = UnitOfWork(committer, lambda: BusyError("tally"))

    @inbox_handler(uow, "tally-needs", NeedSubmittedV1)
    async def on_need(tx: Transaction, envelope: Envelope, need: NeedSubmittedV1) -> None:
        doc = await tx.get("tallies", "t1")
        assert doc is not None
        await save(tx, "tallies", doc, {**doc, "count": doc["count"] + 1, "last": need.description})

    event = need_submitted("ផ្លូវលំទៅសាលារៀន").to_bytes()
    await on_need(event)
    await on_need(event)  # redelivered
    await on_need(need_submitted("another need").to_bytes())

    doc = await store.get("tallies", "t1")
    assert doc is not None and doc["count"] == 2 and doc["last"] == "another need"
    assert committer.commits == 3  # the repeat committed its no-op read, nothing else


async def test_once_says_when_the_event_was_already_handled(store: Store) -> None:
    uow = UnitOfWork(Committer(store), lambda: BusyError("tally"))

    async def effect(tx: Transaction) -> str:
        return "done"

    assert await uow.once("tally-needs", "evt-1", effect) == "done"
    assert await uow.once("tally-needs", "evt-1", effect) is None
    await uow.record_handled("tally-needs", "evt-2")
    assert await uow.once("tally-needs", "evt-2", effect) is None


async def test_a_change_planned_before_the_transaction_plans_again_after_a_conflict(store: Store) -> None:
    uow = UnitOfWork(Committer(store), lambda: BusyError("tally"))
    plans: list[int] = []
    rival_done = False

    async def plan() -> Any:
        nonlocal rival_done
        before = await store.get("tallies", "t1")  # read outside the write transaction
        assert before is not None
        plans.append(before["version"])
        if not rival_done:
            rival_done = True
            await rival_adds(store, 5)  # saves after our read, before our commit

        async def commit(tx: Transaction) -> dict[str, Any]:
            return await save(tx, "tallies", before, {**before, "count": before["count"] + 1})

        return commit

    stored = await uow.plan_then_commit(plan, inbox=("tally-plans", "evt-9"))
    assert plans == [1, 2]
    assert stored is not None and stored["count"] == 6
    assert await uow.plan_then_commit(plan, inbox=("tally-plans", "evt-9")) is None
    current = await store.get("tallies", "t1")
    assert current is not None and current["count"] == 6
