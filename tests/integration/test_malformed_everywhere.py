"""A malformed CloudEvent, and a well-formed one of a version nobody knows (``…v99``), on every
subject any consumer reads goes to KHUM_DLQ with a reason, and every service keeps running. The consumers are discovered from the broker, so a consumer
added later is covered without editing this test."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import nats
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy

from contracts.envelope import uuid7
from contracts.subjects import STREAMS
from infra.stack import SERVICES, Stack, free_port
from tests.conftest import UNLIMITED, wait_for


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Its own stack: the garbage stays in these streams, out of every other test's way."""
    khum = Stack(
        var=tmp_path_factory.mktemp("malformed") / "var", port=free_port(), demo=True, extra_env=UNLIMITED
    )
    khum.start()
    yield khum
    khum.stop()


async def test_garbage_on_every_consumed_subject_is_dead_lettered_and_services_stay_up(stack: Stack) -> None:
    nc = await nats.connect(stack.nats_url)
    js = nc.jetstream()
    try:
        consumed: dict[str, str] = {}
        unknown_versions: set[tuple[str, str]] = set()  # (durable, v99 subject)
        for spec in STREAMS:
            if spec.name == "KHUM_DLQ":
                continue
            for info in await js.consumers_info(spec.name):
                if not info.config.durable_name:
                    continue  # the gateway's ephemeral bridge consumers
                filters = info.config.filter_subjects or [info.config.filter_subject or ""]
                for subject in filters:
                    consumed[info.config.durable_name] = subject.replace("*", "160101").replace(">", "x")
                    event = ".".join(subject.split(".")[:3])
                    unknown_versions.add((info.config.durable_name, f"{event}.v99.160101"))
        assert len(consumed) >= 4, consumed
        assert ("notify-needs", "khum.needs.NeedSubmitted.v99.160101") in unknown_versions
        marker = uuid.uuid4().hex.encode()
        for durable, subject in consumed.items():
            await js.publish(
                subject,
                b"not a cloudevent " + marker,
                headers={"Nats-Msg-Id": f"{durable}-{marker.decode()}"},
            )
        for subject in sorted({subject for _, subject in unknown_versions}):
            envelope = {
                "specversion": "1.0",
                "id": uuid7(),
                "source": "/tests/newer-producer",
                "type": subject.rsplit(".", 1)[0],
                "time": datetime.now(UTC).isoformat(),
                "communecode": "160101",
                "datacontenttype": "application/json",
                "data": {"marker": marker.decode(), "ភូមិ": "ថ្មី"},
            }
            await js.publish(subject, json.dumps(envelope).encode(), headers={"Nats-Msg-Id": envelope["id"]})

        async def all_dead_lettered() -> bool:
            sub = await js.pull_subscribe(
                "khum.dlq.>", stream="KHUM_DLQ", config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
            )
            try:
                letters = await sub.fetch(1000, timeout=2)
            except nats.errors.TimeoutError:
                letters = []
            finally:
                await sub.unsubscribe()
            seen = {
                m.headers.get("Khum-Dlq-Consumer") for m in letters if marker in (m.data or b"") and m.headers
            }
            newer = {
                (m.headers["Khum-Dlq-Consumer"], m.headers["Khum-Dlq-Subject"])
                for m in letters
                if marker in (m.data or b"")
                and m.headers
                and "unknown event type or version" in m.headers.get("Khum-Dlq-Reason", "")
            }
            return set(consumed) <= seen and unknown_versions <= newer

        await wait_for(all_dead_lettered, timeout=30)
    finally:
        await nc.close()
    async with httpx.AsyncClient() as http:
        for name in (*SERVICES, "gateway"):
            assert (await http.get(f"{stack.processes[name].url}/readyz")).status_code == 200, name
