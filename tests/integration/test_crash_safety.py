"""A crash anywhere between commit and publish loses nothing and duplicates nothing.

Intake commits a need and its event in one transaction; the relay publishes later. Here intake
is killed (SIGKILL) after committing but before its relay ran; on restart the event goes out
and notify queues exactly one notification. Then the crash after publish but before "sent" is
marked: the re-publish is absorbed by the broker's dedup window; and an event that reaches the
stream twice is absorbed by notify's inbox.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest

from infra.stack import Stack, free_port
from tests.conftest import NOTIFICATIONS, SUBMIT_NEED, GraphQL, wait_for


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    khum = Stack(var=tmp_path_factory.mktemp("crash") / "var", port=free_port(), demo=True)
    khum.start()
    yield khum
    khum.stop()


@pytest.fixture
async def clients(own_stack: Stack) -> AsyncIterator[tuple[GraphQL, GraphQL]]:
    facilitator, council = GraphQL(own_stack.url), GraphQL(own_stack.url)
    await facilitator.login("sophea")
    await council.login("dara")
    yield facilitator, council
    await facilitator.close()
    await council.close()


def _unsent(stack: Stack) -> list[str]:
    with sqlite3.connect(stack.var / "intake.db") as db:
        return [row[0] for row in db.execute("SELECT event_id FROM outbox WHERE sent_at IS NULL")]


def _kill(stack: Stack, name: str) -> None:
    process = stack.processes[name]
    process.signal(signal.SIGKILL)
    assert process.popen is not None
    process.popen.wait(10)


async def _notifications_for(council: GraphQL, code: str) -> int:
    body = await council.execute(NOTIFICATIONS, {"n": 100})
    return sum(1 for e in body["data"]["notifications"]["edges"] if e["node"]["ref"] == code)


async def _subject_count(stack: Stack, subject: str) -> int:
    nc = await nats.connect(stack.nats_url)
    try:
        info = await nc.jetstream().stream_info("KHUM_NEEDS", subjects_filter=subject)
        return int((info.state.subjects or {}).get(subject, 0))
    finally:
        await nc.close()


async def _notify_caught_up(stack: Stack) -> bool:
    nc = await nats.connect(stack.nats_url)
    try:
        js = nc.jetstream()
        stream = await js.stream_info("KHUM_NEEDS")
        consumer = await js.consumer_info("KHUM_NEEDS", "notify-needs")
        return bool(consumer.delivered.stream_seq >= stream.state.last_seq and consumer.num_ack_pending == 0)
    finally:
        await nc.close()


async def test_a_need_committed_before_a_crash_is_published_once_after_restart(
    own_stack: Stack, clients: tuple[GraphQL, GraphQL]
) -> None:
    facilitator, council = clients
    own_stack.restart("intake", {"RELAY_ENABLED": "false"})
    body = await facilitator.execute(
        SUBMIT_NEED,
        {
            "i": {
                "villageCode": "16010101",
                "description": "ស្ពានឈើបាក់",
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
    )
    need = body["data"]["submitNeed"]
    subject = "khum.needs.NeedSubmitted.v1.160101"
    assert len(_unsent(own_stack)) == 1
    assert await _subject_count(own_stack, subject) == 0

    _kill(own_stack, "intake")
    own_stack.restart("intake", {})

    await wait_for(lambda: _notifications_for(council, need["trackingCode"]))
    await wait_for(lambda: _notify_caught_up(own_stack))
    assert _unsent(own_stack) == []
    assert await _subject_count(own_stack, subject) == 1
    assert await _notifications_for(council, need["trackingCode"]) == 1

    # A crash after the broker stored the event but before the row was marked sent.
    _kill(own_stack, "intake")
    with sqlite3.connect(own_stack.var / "intake.db") as db:
        db.execute("UPDATE outbox SET sent_at = NULL")
    own_stack.restart("intake", {})
    await wait_for(lambda: asyncio.sleep(0, result=_unsent(own_stack) == []))
    assert await _subject_count(own_stack, subject) == 1, "the broker's dedup window absorbs it"
    assert await _notifications_for(council, need["trackingCode"]) == 1


async def test_an_event_delivered_twice_queues_one_notification(
    own_stack: Stack, clients: tuple[GraphQL, GraphQL]
) -> None:
    facilitator, council = clients
    body = await facilitator.execute(
        SUBMIT_NEED,
        {
            "i": {
                "villageCode": "16010104",
                "description": "អណ្តូងទឹក",
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
    )
    code = body["data"]["submitNeed"]["trackingCode"]
    await wait_for(lambda: _notifications_for(council, code))
    nc = await nats.connect(own_stack.nats_url)
    try:
        js = nc.jetstream()
        stream = await js.stream_info("KHUM_NEEDS")
        original = await js.get_msg("KHUM_NEEDS", stream.state.last_seq)
        # Same event, new message id: past the broker's dedup, as after a long outage.
        for attempt in range(2):
            await js.publish(
                original.subject or "",
                original.data or b"",
                headers={"Nats-Msg-Id": f"replay-{attempt}-{uuid.uuid4()}"},
            )
    finally:
        await nc.close()
    await wait_for(lambda: _notify_caught_up(own_stack))
    assert await _notifications_for(council, code) == 1


def test_the_store_files_live_under_the_data_folder(own_stack: Stack) -> None:
    for name in ("intake", "meetings", "budget", "notify", "oversight", "gateway"):
        assert Path(own_stack.var / f"{name}.db").exists()
    assert (own_stack.var / "nats" / "jetstream").is_dir()
