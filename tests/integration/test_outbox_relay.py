"""The outbox relay against a real nats-server and a real SQLite store: each row is marked sent
as its own ack arrives, the others are retried alone, and a resend the broker already stored is
dropped by its dedup window (``Nats-Msg-Id``) and marked sent."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.runtime.bus import Bus
from services.runtime.outbox import OutboxRelay
from services.runtime.stores import Store, open_store
from services.runtime.stores.port import OutboxRow


@pytest.fixture
async def relay(nats_url: str, tmp_path: Path) -> AsyncIterator[tuple[OutboxRelay, Store, Bus]]:
    store = open_store(f"sqlite:///{tmp_path / 'relay.db'}", ())
    await store.open()
    bus = Bus(nats_url, "test-relay")
    await bus.connect()
    await bus.ensure_streams()
    try:
        yield OutboxRelay(store, bus, process="test", ack_timeout=1.0), store, bus
    finally:
        await bus.close()
        await store.close()


async def _stored(bus: Bus, subject: str) -> int:
    info = await bus.js.stream_info("KHUM_BUDGET", subjects_filter=subject)
    return sum((info.state.subjects or {}).values())


async def _add(store: Store, rows: list[OutboxRow]) -> None:
    async with store.transaction() as tx:
        for row in rows:
            await tx.add_outbox(row)


async def test_each_row_is_marked_as_its_ack_arrives_and_only_the_unacknowledged_go_again(
    relay: tuple[OutboxRelay, Store, Bus],
) -> None:
    relay_, store, bus = relay
    subject = f"khum.budget.RelayProbe.v1.{uuid.uuid4().int % 10**6:06d}"
    good = [OutboxRow(f"evt-{uuid.uuid4().hex}", subject, b'{"n": %d}' % i) for i in range(40)]
    # No stream holds this subject: the broker answers "no responders", the row stays pending.
    orphan = OutboxRow(f"evt-{uuid.uuid4().hex}", f"khum.nowhere.Probe.v1.{uuid.uuid4().hex[:6]}", b"{}")
    await _add(store, [*good[:20], orphan, *good[20:]])

    assert await relay_.flush_once() == 40
    assert await store.pending_outbox(100) == [orphan]
    assert relay_.unacked == 0, "the orphan failed at once: nothing was left waiting for an ack"
    assert await relay_.flush_once() == 0
    assert await _stored(bus, subject) == 40, "the acknowledged rows were not sent again"


async def test_a_row_the_broker_stored_before_its_ack_was_lost_is_dropped_as_a_duplicate_and_marked(
    relay: tuple[OutboxRelay, Store, Bus],
) -> None:
    relay_, store, bus = relay
    subject = f"khum.budget.RelayProbe.v1.{uuid.uuid4().int % 10**6:06d}"
    row = OutboxRow(f"evt-{uuid.uuid4().hex}", subject, b'{"lost": "ack"}')
    # What a relay whose ack never came back has done: the message is in the stream, the row unsent.
    await bus.js.publish(subject, row.payload, headers={"Nats-Msg-Id": row.event_id})
    await _add(store, [row])

    assert await relay_.flush_once() == 1
    assert await store.pending_outbox(10) == []
    assert await _stored(bus, subject) == 1


async def test_without_acks_the_pass_gives_up_after_the_ack_timeout_and_keeps_every_row(
    relay: tuple[OutboxRelay, Store, Bus], nats_url: str
) -> None:
    relay_, store, bus = relay
    subject = f"khum.budget.RelayProbe.v1.{uuid.uuid4().int % 10**6:06d}"
    rows = [OutboxRow(f"evt-{uuid.uuid4().hex}", subject, b"{}") for _ in range(5)]
    await _add(store, rows)
    # Acks go to the bus's reply inbox; with its subscription gone, none comes back.
    js = bus.js
    await js._init_async_reply()
    assert js._async_reply_prefix is not None
    for sub in list(bus.nc._subs.values()):
        if sub.subject.startswith(js._async_reply_prefix.decode()):
            await sub.unsubscribe()
    started = time.monotonic()
    assert await relay_.flush_once() == 0
    assert time.monotonic() - started >= relay_.ack_timeout
    assert relay_.unacked == 5
    assert [r.event_id for r in await store.pending_outbox(10)] == [r.event_id for r in rows]
    assert await _stored(bus, subject) == 5, "the broker stored them; only the acks were lost"
