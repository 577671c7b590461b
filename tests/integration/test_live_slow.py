"""A subscriber too slow to keep up is closed with 4420, never dropped silently, and resumes
from its cursor without a gap.

The gateway runs with a backlog of 20 live events per subscriber. A burst of notifications for
Dara's council is stored straight into KHUM_NOTIFY (as notify would queue them, only faster);
the screen stops reading for a few seconds after the first one and lets its socket fill. It must see the close code, come
back with its last cursor, and end with exactly the burst, in stream order, each once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import nats
import pytest

from contracts.envelope import new_event, uuid7
from contracts.notify import NOTIFICATION_QUEUED, Channel, NotificationQueuedV1, council_audience
from contracts.subjects import subject_for
from gateway.bridge import CLOSE_TOO_SLOW
from infra.stack import Stack, free_port
from tests.conftest import UNLIMITED, GraphQL
from tests.support.live import Screen, quiet_positions

BURST = 1500
# Long messages (Khmer, JSON-escaped to 6 bytes a letter): the burst outgrows the kernel's
# socket buffers (up to 4 MB on loopback), so the gateway's sends really wait on the phone.
LONG_TEXT = "ស្នើសុំជួសជុលផ្លូវលំភូមិដែលខូចខាតក្នុងរដូវវស្សា " * 25
BACKLOG = 20
STALL_SECONDS = 4.0


@pytest.fixture(scope="module")
def slow_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {"gateway": {**UNLIMITED["gateway"], "LIVE_BACKLOG": str(BACKLOG)}}
    khum = Stack(var=tmp_path_factory.mktemp("slow") / "var", port=free_port(), demo=True, extra_env=env)
    khum.start()
    yield khum
    khum.stop()


async def _burst(nats_url: str) -> list[int]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    sequences: list[int] = []
    try:
        for start in range(0, BURST, 100):
            envelopes = [
                new_event(
                    NotificationQueuedV1(
                        notification_id=uuid7(),
                        audience=council_audience("160101"),
                        channel=Channel.IN_APP,
                        kind="need_submitted",
                        text={"km": f"{i} {LONG_TEXT}", "en": f"New need {i}"},
                        ref=f"T-{i:05d}",
                        commune_code="160101",
                        queued_at=datetime.now(UTC),
                    ),
                    event_type=NOTIFICATION_QUEUED,
                    source="/tests/burst",
                    communecode="160101",
                )
                for i in range(start, min(start + 100, BURST))
            ]
            acks = await asyncio.gather(
                *(
                    js.publish(
                        subject_for(NOTIFICATION_QUEUED, "160101"),
                        e.model_dump_json().encode(),
                        headers={"Nats-Msg-Id": e.id},
                    )
                    for e in envelopes
                )
            )
            sequences.extend(ack.seq for ack in acks)
    finally:
        await nc.close()
    return sorted(sequences)


async def test_a_slow_subscriber_is_closed_with_4420_and_resumes_from_its_cursor_without_a_gap(
    slow_stack: Stack,
) -> None:
    stack = slow_stack
    council = GraphQL(stack.url)
    await council.login("dara")
    cookie = f"khum_session={council.http.cookies.get('khum_session')}"
    await council.close()
    await quiet_positions(stack.nats_url)

    screen = Screen(
        stack.url.replace("http://", "ws://") + "/graphql",
        cookie,
        stall=STALL_SECONDS,
        receive_buffer=4096,
        only=("n",),
    )
    stop = asyncio.Event()
    watching = asyncio.create_task(screen.run(stop))
    deadline = time.monotonic() + 120
    while screen.connections == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # the subscription registers on the gateway

    burst = await _burst(stack.nats_url)
    while len(screen.seen["n"]) < BURST and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    await asyncio.sleep(0.5)  # a duplicate would arrive now
    stop.set()
    await watching

    print(
        f"\nslow subscriber: burst {BURST}, backlog {BACKLOG}; closed with {screen.close_codes}, "
        f"connected {screen.connections} times, received {len(screen.seen['n'])}"
    )
    assert CLOSE_TOO_SLOW in screen.close_codes
    assert screen.connections >= 2
    assert screen.seen["n"] == burst
    assert not screen.errors, screen.errors[:3]
