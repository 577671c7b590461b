"""Messages that can never succeed go to KHUM_DLQ with the reason; the consumer goes on.
Transient failures are retried with backoff, a bounded number of times."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import nats
import pytest
from nats.aio.client import Client
from nats.js.api import ConsumerConfig, DeliverPolicy

from contracts.envelope import uuid7
from contracts.needs import NEED_SUBMITTED
from infra.stack import Stack, free_port
from services.runtime.bus import Bus
from services.runtime.consumer import Consumer, ConsumerSpec
from tests.conftest import NOTIFICATIONS, SUBMIT_NEED, UNLIMITED, GraphQL, wait_for


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Its own stack: the malformed messages stay in these streams, out of other tests' way."""
    khum = Stack(var=tmp_path_factory.mktemp("dlq") / "var", port=free_port(), demo=True, extra_env=UNLIMITED)
    khum.start()
    yield khum
    khum.stop()


async def _dead_letters(nc: Client, subject: str) -> list[tuple[bytes, dict[str, str]]]:
    js = nc.jetstream()
    sub = await js.pull_subscribe(
        subject, stream="KHUM_DLQ", config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
    )
    try:
        msgs = await sub.fetch(100, timeout=1)
    except nats.errors.TimeoutError:
        return []
    finally:
        await sub.unsubscribe()
    return [(m.data, dict(m.headers or {})) for m in msgs]


async def test_malformed_events_go_to_the_dead_letter_stream_and_good_ones_still_flow(
    stack: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    nc = await nats.connect(stack.nats_url)
    try:
        js = nc.jetstream()
        subject = f"{NEED_SUBMITTED}.160101"
        garbage = b"{not json at all"
        bad_payload = json.dumps(
            {
                "specversion": "1.0",
                "id": uuid7(),
                "source": "/somewhere",
                "type": NEED_SUBMITTED,
                "time": datetime.now(UTC).isoformat(),
                "communecode": "160101",
                "data": {"need_id": "n1", "tracking_code": "lowercase!"},
            }
        ).encode()
        await js.publish(subject, garbage, headers={"Nats-Msg-Id": str(uuid.uuid4())})
        await js.publish(subject, bad_payload, headers={"Nats-Msg-Id": str(uuid.uuid4())})

        body = await facilitator.execute(
            SUBMIT_NEED,
            {
                "i": {
                    "villageCode": "16010101",
                    "description": "មណ្ឌលសុខភាព",
                    "idempotencyKey": uuid.uuid4().hex,
                }
            },
        )
        code = body["data"]["submitNeed"]["trackingCode"]

        async def notified() -> bool:
            result = await council.execute(NOTIFICATIONS, {"n": 100})
            return any(e["node"]["ref"] == code for e in result["data"]["notifications"]["edges"])

        await wait_for(notified)

        async def both_dead_lettered(consumer: str) -> list[tuple[bytes, dict[str, str]]] | None:
            letters = await _dead_letters(nc, f"khum.dlq.{consumer}.>")
            payloads = {data for data, _ in letters}
            return letters if {garbage, bad_payload} <= payloads else None

        letters = await wait_for(lambda: both_dead_lettered("notify-needs"))
        reasons = {data: headers["Khum-Dlq-Reason"] for data, headers in letters}
        assert reasons[garbage].startswith("invalid envelope")
        assert "tracking_code" in reasons[bad_payload]
        for _, headers in letters:
            assert headers["Khum-Dlq-Consumer"] == "notify-needs"
            assert headers["Khum-Dlq-Subject"] == subject
        # meetings consumes the same subject and dead-letters the same messages on its own.
        assert await wait_for(lambda: both_dead_lettered("meetings-needs"))
    finally:
        await nc.close()


async def test_a_failing_handler_is_retried_with_backoff_then_dead_lettered(nats_url: str) -> None:
    bus = Bus(nats_url, "test-retries")
    await bus.connect()
    await bus.ensure_streams()
    attempts: dict[str, int] = {}

    async def flaky(raw: bytes) -> None:
        key = json.loads(raw)["key"]
        attempts[key] = attempts.get(key, 0) + 1
        if key == "recovers" and attempts[key] < 3:
            raise ConnectionError("store briefly unavailable")
        if key == "never":
            raise ConnectionError("always down")

    durable = f"retry-{uuid.uuid4().hex[:8]}"
    subject = f"khum.budget.Probe.v1.{uuid.uuid4().int % 10**6:06d}"
    spec = ConsumerSpec(durable, "KHUM_BUDGET", (subject,), flaky, max_deliver=3, backoff=(0.1, 0.2))
    consumer = Consumer(bus, spec)
    await consumer.start()
    never = json.dumps({"type": "khum.budget.Probe.v1", "key": "never"}).encode()
    try:
        await bus.js.publish(
            subject, json.dumps({"type": "khum.budget.Probe.v1", "key": "recovers"}).encode()
        )
        await bus.js.publish(subject, never)
        await wait_for(lambda: asyncio.sleep(0, result=consumer.handled == 1 and consumer.dead_lettered == 1))
        assert attempts == {"recovers": 3, "never": 3}
        letters = await _dead_letters(bus.nc, f"khum.dlq.{durable}.>")
        [(data, headers)] = letters
        assert data == never
        assert headers["Khum-Dlq-Reason"].startswith("gave up after 3 attempts")
    finally:
        await consumer.stop()
        await bus.close()


async def test_stream_provisioning_is_idempotent(nats_url: str) -> None:
    bus = Bus(nats_url, "test-provision")
    await bus.connect()
    try:
        await bus.ensure_streams()
        await bus.ensure_streams()
        names = {info.config.name for info in await bus.js.streams_info()}
        assert {"KHUM_NEEDS", "KHUM_MEETINGS", "KHUM_BUDGET", "KHUM_NOTIFY", "KHUM_DLQ"} <= names
    finally:
        await bus.close()


async def test_a_consumer_dead_letters_every_type_or_version_it_does_not_name(nats_url: str) -> None:
    """The runtime, not the handler, refuses what a consumer did not list: no consumer can skip."""
    bus = Bus(nats_url, "test-unknown")
    await bus.connect()
    await bus.ensure_streams()
    seen: list[bytes] = []

    async def handler(raw: bytes) -> None:
        seen.append(raw)

    durable = f"known-{uuid.uuid4().hex[:8]}"
    commune = f"{uuid.uuid4().int % 10**6:06d}"
    spec = ConsumerSpec(durable, "KHUM_BUDGET", (f"khum.budget.Probe.v1.{commune}",), handler)
    consumer = Consumer(bus, spec)
    await consumer.start()
    known = json.dumps({"type": "khum.budget.Probe.v1"}).encode()
    newer = json.dumps({"type": "khum.budget.Probe.v99"}).encode()
    mislabelled = json.dumps({"type": "khum.budget.Other.v1"}).encode()
    try:
        await bus.js.publish(f"khum.budget.Probe.v1.{commune}", known)
        await bus.js.publish(f"khum.budget.Probe.v99.{commune}", newer)
        await bus.js.publish(f"khum.budget.Probe.v1.{commune}", mislabelled)
        await wait_for(lambda: asyncio.sleep(0, result=consumer.handled == 1 and consumer.dead_lettered == 2))
        assert seen == [known]
        reasons = {
            data: h["Khum-Dlq-Reason"] for data, h in await _dead_letters(bus.nc, f"khum.dlq.{durable}.>")
        }
        assert reasons[newer] == f"unknown event type or version 'khum.budget.Probe.v99' for {durable}"
        assert "khum.budget.Other.v1" in reasons[mislabelled]
    finally:
        await consumer.stop()
        await bus.close()


def test_a_consumer_that_names_no_event_type_is_refused() -> None:
    async def handler(raw: bytes) -> None:
        return None

    with pytest.raises(ValueError, match="names no event type"):
        ConsumerSpec("wide", "KHUM_NEEDS", ("khum.needs.>",), handler)


async def test_a_handler_slower_than_the_ack_wait_is_kept_alive_not_redelivered(nats_url: str) -> None:
    """Progress acknowledgements hold a batch while a live process works on it: with a 1 s ack
    wait, a 2.5 s handler still sees its message once, and the one queued behind it too."""
    bus = Bus(nats_url, "test-progress")
    await bus.connect()
    await bus.ensure_streams()
    calls: list[str] = []

    async def slow(raw: bytes) -> None:
        calls.append(json.loads(raw)["key"])
        await asyncio.sleep(2.5)

    durable = f"slow-{uuid.uuid4().hex[:8]}"
    subject = f"khum.budget.Slow.v1.{uuid.uuid4().int % 10**6:06d}"
    consumer = Consumer(bus, ConsumerSpec(durable, "KHUM_BUDGET", (subject,), slow, ack_wait=1.0))
    await consumer.start()
    try:
        for key in ("first", "second"):
            await bus.js.publish(subject, json.dumps({"type": "khum.budget.Slow.v1", "key": key}).encode())
        await wait_for(lambda: asyncio.sleep(0, result=consumer.handled == 2), timeout=30)
        assert calls == ["first", "second"]
        info = await bus.js.consumer_info("KHUM_BUDGET", durable)
        assert info.num_redelivered == 0
    finally:
        await consumer.stop()
        await bus.close()
