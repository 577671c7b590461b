"""The runtime's one erasure protocol, on a real SQLite store and a real nats-server: it runs a
service's steps in one order (store in one transaction, files, outbox then streams, done with
the inbox mark), skips an erasure its inbox holds, finds again after a version conflict, and
refuses an eraser that lacks a step."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.client import Client
from nats.js.api import StreamConfig

from contracts.envelope import new_event, uuid7
from contracts.needs import PERSON_ERASED, PersonErasedV1
from contracts.subjects import NATIONAL
from services.runtime.erasure import DROP, KEEP, Scrubbed, Verdict
from services.runtime.erasure_protocol import (
    STEPS,
    PersonEraser,
    PersonErasure,
    StreamScrub,
    inbox_key,
)
from services.runtime.outbox import outbox_row
from services.runtime.stores import Collection, Store, Transaction
from services.runtime.stores.sqlite import SqliteStore

PEOPLE = Collection("people")
DIGEST = "a" * 64


class Committer:
    def __init__(self, store: Store) -> None:
        self.store = store

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[Transaction]:
        async with self.store.transaction() as tx:
            yield tx


class Recorder(PersonEraser[list[str]]):
    """Writes down each step as the runtime calls it, with what the store held at that moment."""

    consumer = "test-erasures"

    def __init__(self, store: Store, stream: str) -> None:
        self.store = store
        self.stream = stream
        self.calls: list[str] = []

    async def find(self, erased: PersonErasedV1) -> list[str]:
        self.calls.append("find")
        return [
            d["id"]
            async for d in self.store.iterate("people", {})
            if d.get("digest") in erased.contact_digests
        ]

    async def erase_stored(self, tx: Transaction, erased: PersonErasedV1, found: list[str]) -> None:
        self.calls.append("erase_stored")
        for doc_id in found:
            await tx.delete("people", doc_id)

    async def remove_files(self, erased: PersonErasedV1, found: list[str]) -> None:
        # The store's part is committed before the files go.
        left = [doc_id for doc_id in found if await self.store.get("people", doc_id)]
        self.calls.append(f"remove_files (left in store: {len(left)})")

    async def streams(self, erased: PersonErasedV1, found: list[str]) -> Sequence[StreamScrub]:
        self.calls.append("streams")

        def decide(subject: str, data: bytes) -> Verdict:
            if subject.startswith(f"{self.stream}."):
                self.calls.append(f"scrub {subject}")
            return DROP if DIGEST.encode() in data else KEEP

        return (StreamScrub(self.stream, (f"{self.stream}.>",), decide),)

    async def finish(
        self, tx: Transaction, erased: PersonErasedV1, found: list[str], scrubbed: Mapping[str, Scrubbed]
    ) -> None:
        # The runtime marked the erasure in this same transaction (so it is no news here).
        in_tx = not await tx.mark_processed(self.consumer, inbox_key(erased))
        self.calls.append(
            f"finish (deleted {scrubbed[self.stream].deleted}, inbox marked in this tx: {in_tx})"
        )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = SqliteStore(str(tmp_path / "erasure.db"), [PEOPLE])
    await store.open()
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[Client]:
    client = await nats.connect(nats_url)
    try:
        yield client
    finally:
        await client.drain()


def erasure() -> tuple[bytes, PersonErasedV1]:
    event = PersonErasedV1(
        erasure_id=uuid7(),
        contact_digests=[DIGEST],
        need_ids=[],
        commune_codes=[],
        requested_by="u-admin",
        erased_at=datetime(2026, 3, 10, 2, 0, tzinfo=UTC),
    )
    envelope = new_event(event, event_type=PERSON_ERASED, source="/khum/test", communecode=NATIONAL)
    return envelope.to_bytes(), event


async def test_the_steps_run_in_order_once_per_erasure(store: Store, nc: Client) -> None:
    js = nc.jetstream()
    stream = f"ERASE{uuid.uuid4().hex[:8].upper()}"
    await js.add_stream(StreamConfig(name=stream, subjects=[f"{stream}.>"]))
    await js.publish(f"{stream}.theirs", json.dumps({"who": DIGEST}).encode())
    await js.publish(f"{stream}.other", json.dumps({"who": "b" * 64}).encode())
    async with store.transaction() as tx:
        await tx.insert("people", {"id": "p-1", "digest": DIGEST})
        await tx.insert("people", {"id": "p-2", "digest": "b" * 64})
        # An unsent event naming the person: the relay must publish it before the scrub.
        await tx.add_outbox(
            outbox_row(
                new_event(
                    PersonErasedV1(
                        erasure_id=uuid7(), requested_by=DIGEST, erased_at=datetime(2026, 3, 10, tzinfo=UTC)
                    ),
                    event_type=PERSON_ERASED,
                    source="/khum/test",
                    communecode=NATIONAL,
                )
            )
        )
    recorder = Recorder(store, stream)
    woken = asyncio.Event()

    def wake_relay() -> None:
        if not woken.is_set():
            recorder.calls.append("relay woken")
        woken.set()

    async def relay() -> None:
        """Publishes the outbox when woken, as the runtime's relay does."""
        await woken.wait()
        await store.mark_sent([row.event_id for row in await store.pending_outbox(10)])

    handler = PersonErasure(
        recorder, store=store, committer=Committer(store), js=lambda: js, wake_relay=wake_relay
    )
    raw, event = erasure()
    publishing = asyncio.create_task(relay())
    await handler(raw)
    await publishing

    assert recorder.calls == [
        "find",
        "erase_stored",
        "remove_files (left in store: 0)",
        "streams",
        "relay woken",
        f"scrub {stream}.theirs",
        f"scrub {stream}.other",
        "finish (deleted 1, inbox marked in this tx: True)",
    ]
    assert await store.get("people", "p-1") is None and await store.get("people", "p-2") is not None
    assert await store.pending_outbox(10) == []
    assert (await js.stream_info(stream)).state.messages == 1
    assert await store.processed("test-erasures", inbox_key(event))

    # The same erasure again (redelivered, or sent anew under another envelope): nothing runs.
    recorder.calls.clear()
    await handler(raw)
    again = new_event(event, event_type=PERSON_ERASED, source="/khum/test", communecode=NATIONAL)
    await handler(again.to_bytes())
    assert recorder.calls == []


async def test_a_version_conflict_in_the_store_step_finds_again(store: Store, nc: Client) -> None:
    async with store.transaction() as tx:
        await tx.insert("people", {"id": "p-1", "digest": DIGEST})

    class Racing(Recorder):
        async def erase_stored(self, tx: Transaction, erased: PersonErasedV1, found: list[str]) -> None:
            if self.calls.count("find") == 1:
                # A save at a version someone else already moved past: it must lose.
                doc = await tx.get("people", "p-1")
                assert doc is not None
                await tx.replace("people", doc, expected_version=doc["version"] - 1)
            await super().erase_stored(tx, erased, found)

        async def streams(self, erased: PersonErasedV1, found: list[str]) -> Sequence[StreamScrub]:
            self.calls.append("streams")
            return ()

        async def finish(
            self, tx: Transaction, erased: PersonErasedV1, found: list[str], scrubbed: Mapping[str, Scrubbed]
        ) -> None:
            self.calls.append(f"finish {dict(scrubbed)}")

    racing = Racing(store, "unused")
    handler = PersonErasure(
        racing, store=store, committer=Committer(store), js=lambda: nc.jetstream(), wake_relay=lambda: None
    )
    await handler(erasure()[0])
    assert racing.calls == [
        "find",  # the first erase lost its save, so nothing of it is recorded
        "find",
        "erase_stored",
        "remove_files (left in store: 0)",
        "streams",
        "finish {}",
    ]
    assert await store.get("people", "p-1") is None


class NoFiles(PersonEraser[None]):
    """Every step but one: files."""

    consumer = "incomplete"

    async def find(self, erased: PersonErasedV1) -> None: ...

    async def erase_stored(self, tx: Transaction, erased: PersonErasedV1, found: None) -> None: ...

    async def streams(self, erased: PersonErasedV1, found: None) -> Sequence[StreamScrub]:
        return ()

    async def finish(
        self, tx: Transaction, erased: PersonErasedV1, found: None, scrubbed: Mapping[str, Scrubbed]
    ) -> None: ...


def test_an_eraser_missing_a_step_cannot_be_registered(store: Store) -> None:
    def register(eraser: Any) -> None:
        PersonErasure(
            eraser, store=store, committer=Committer(store), js=lambda: None, wake_relay=lambda: None
        )  # type: ignore[arg-type]

    # The step left abstract: the class cannot even be made.
    with pytest.raises(TypeError, match="remove_files"):
        NoFiles()  # type: ignore[abstract]

    # A step "given" as something that is no step.
    class FilesIsNoStep(NoFiles):
        remove_files = None  # type: ignore[assignment]

    with pytest.raises(TypeError, match=r"\['remove_files'\]"):
        register(FilesIsNoStep())

    # A look-alike that is no PersonEraser, and one without its consumer name.
    class LookAlike:
        consumer = "look-alike"

    with pytest.raises(TypeError, match="no PersonEraser"):
        register(LookAlike())

    class Nameless(NoFiles):
        consumer = ""

        async def remove_files(self, erased: PersonErasedV1, found: None) -> None: ...

    with pytest.raises(TypeError, match="names no consumer"):
        register(Nameless())

    class Complete(Nameless):
        consumer = "complete"

    register(Complete())
    assert STEPS == ("find", "erase_stored", "remove_files", "streams", "finish")
