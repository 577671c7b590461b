"""A council member's live screen through broker and gateway crashes: every new event exactly
once, in order, and no old one.

Dara (council, Malik 160101) holds notificationAdded, needStatusChanged and meetingChanged open
while needs are submitted and validated and meetings scheduled. Meanwhile nats-server is killed
(SIGKILL) and started again, paused (SIGSTOP) and resumed, and the gateway is killed and started
again; the screen reconnects as the PWA does, resubscribing with the cursor of the last event of
each subscription. What it received is compared with the streams themselves: exactly the
matching events stored after it subscribed, in stream order. Bounded in count and time.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from infra.stack import Stack, free_port
from services.runtime.identity import Identity, Role
from services.runtime.tokens import issue_token
from tests.conftest import SUBMIT_NEED, UNLIMITED, GraphQL
from tests.support.live import Screen, expected, quiet_positions

ROUNDS = int(os.environ.get("KHUM_LIVE_FAULT_ROUNDS", "60"))
PAUSE_SECONDS = 5.0
OFFLINE_NEEDS = 5
ROUND_PAUSE = 0.3  # the faults land while events are still being made
DEADLINE_SECONDS = 300.0
VALIDATE = "mutation($id: ID!) { validateNeed(id: $id) { id status } }"
SCHEDULE = "mutation($i: ScheduleMeetingInput!) { scheduleMeeting(input: $i) { id } }"


@pytest.fixture(scope="module")
def live_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    khum = Stack(
        var=tmp_path_factory.mktemp("live") / "var", port=free_port(), demo=True, extra_env=UNLIMITED
    )
    khum.start()
    yield khum
    khum.stop()


_FIRST_DAY = 60 + random.randint(0, 200) * 3  # spread runs apart


def _meeting(round_no: int) -> dict[str, Any]:
    day = _FIRST_DAY + round_no
    date = (datetime.now(UTC) + timedelta(days=day)).astimezone(ZoneInfo("Asia/Phnom_Penh")).date()
    starts = datetime(date.year, date.month, date.day, 18, tzinfo=ZoneInfo("Asia/Phnom_Penh"))
    return {
        "communeCode": "160101",
        "type": "COMMUNE_PRIORITISATION",
        "title": f"ប្រជុំ {round_no}",
        "venue": {"villageCode": "16010101", "place": "សាលាឃុំ"},
        "startsAt": starts.isoformat(),
        "endsAt": (starts + timedelta(hours=2)).isoformat(),
    }


class Producer:
    """Sophea submits, Dara validates, Dara schedules: what the events come from. Sloppy on
    purpose (a failed call is not retried exactly): the truth is what the streams stored."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.rounds = 0
        self.failures = 0
        self.refusals: list[Any] = []

    async def _call(self, client: GraphQL, query: str, variables: dict[str, Any]) -> dict[str, Any] | None:
        for _ in range(50):
            try:
                body: Any = await client.execute(query, variables)
                if "errors" not in body:
                    data: dict[str, Any] = body["data"]
                    return data
                code = str(body["errors"][0]["extensions"].get("code", ""))
                if code not in ("service.unavailable", "internal"):
                    self.refusals.append(body["errors"][0])
                    return None
            except (AssertionError, httpx.HTTPError):
                pass
            self.failures += 1
            await asyncio.sleep(0.3)
        return None

    async def run(self, stop_at: float) -> None:
        facilitator, council = GraphQL(self.stack.url), GraphQL(self.stack.url)
        await facilitator.login("sophea")
        await council.login("dara")
        try:
            while self.rounds < ROUNDS and time.monotonic() < stop_at:
                i = self.rounds
                need = {
                    "villageCode": "16010102",
                    "description": f"ស្រះទឹក {i}",
                    "idempotencyKey": uuid.uuid4().hex,
                }
                made = await self._call(facilitator, SUBMIT_NEED, {"i": need})
                if made and i % 2 == 0:
                    await self._call(council, VALIDATE, {"id": made["submitNeed"]["id"]})
                if i % 5 == 0:
                    await self._call(council, SCHEDULE, {"i": _meeting(i)})
                self.rounds += 1
                await asyncio.sleep(ROUND_PAUSE)
        finally:
            await facilitator.close()
            await council.close()


async def _submit_past_the_gateway(stack: Stack, count: int) -> int:
    """Needs recorded straight at intake while the gateway is down: their notifications are
    stored with nobody connected, so only the screen's cursor can bring them."""
    token = issue_token(Identity("live-faults", Role.FACILITATOR, ("160101",)), stack.secrets["identity"])
    made = 0
    async with httpx.AsyncClient(base_url=stack.processes["intake"].url, timeout=15) as intake:
        for i in range(count):
            body = {
                "village_code": "16010103",
                "description": f"អណ្តូង {i}",
                "idempotency_key": uuid.uuid4().hex,
            }
            answer = await intake.post("/needs", json=body, headers={"authorization": f"Bearer {token}"})
            made += answer.status_code == 201
    return made


async def _wait_rounds(producer: Producer, n: int, stop_at: float) -> None:
    while producer.rounds < n and time.monotonic() < stop_at:
        await asyncio.sleep(0.1)


async def test_a_live_screen_gets_every_new_event_once_through_broker_and_gateway_crashes(
    live_stack: Stack,
) -> None:
    stack = live_stack
    stop_at = time.monotonic() + DEADLINE_SECONDS
    council = GraphQL(stack.url)
    account: Any = (await council.login("dara"))["account"]
    cookie = f"khum_session={council.http.cookies.get('khum_session')}"
    await council.close()

    await quiet_positions(stack.nats_url)
    screen = Screen(stack.url.replace("http://", "ws://") + "/graphql", cookie)
    stop = asyncio.Event()
    watching = asyncio.create_task(screen.run(stop))
    while screen.connections == 0 and time.monotonic() < stop_at:
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # the subscriptions register on the gateway
    start = await quiet_positions(stack.nats_url)

    producer = Producer(stack)
    producing = asyncio.create_task(producer.run(stop_at))
    faults: list[str] = []

    await _wait_rounds(producer, ROUNDS // 5, stop_at)
    nats_port = int(stack.nats_url.rsplit(":", 1)[1])
    stack.processes["nats"].signal(signal.SIGKILL)
    await asyncio.to_thread(stack.processes["nats"].popen.wait, 10)  # type: ignore[union-attr]
    await asyncio.to_thread(stack.start_nats, nats_port)
    faults.append(f"nats SIGKILL + start at round {producer.rounds}")

    await _wait_rounds(producer, 2 * ROUNDS // 5, stop_at)
    stack.processes["nats"].signal(signal.SIGSTOP)
    await asyncio.sleep(PAUSE_SECONDS)
    stack.processes["nats"].signal(signal.SIGCONT)
    faults.append(f"nats SIGSTOP {PAUSE_SECONDS:.0f} s + SIGCONT at round {producer.rounds}")

    await _wait_rounds(producer, 3 * ROUNDS // 4, stop_at)
    killed_at = producer.rounds
    stack.processes["gateway"].signal(signal.SIGKILL)
    await asyncio.to_thread(stack.processes["gateway"].popen.wait, 10)  # type: ignore[union-attr]
    behind_its_back = await _submit_past_the_gateway(stack, OFFLINE_NEEDS)
    await asyncio.to_thread(stack.restart, "gateway")
    faults.append(
        f"gateway SIGKILL at round {killed_at} + restart at round {producer.rounds} "
        f"({behind_its_back} needs past it while it was down)"
    )

    await producing
    await quiet_positions(stack.nats_url)
    want = await expected(stack.nats_url, start, str(account["role"]).lower(), account["communes"])
    while time.monotonic() < stop_at and any(len(screen.seen[k]) < len(want[k]) for k in want):
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)  # anything extra (a replay, a duplicate) would arrive now
    stop.set()
    await watching

    got = screen.seen
    print(
        f"\nlive faults: {producer.rounds} rounds ({producer.failures} failed calls), faults {faults}; "
        f"screen connected {screen.connections} times; refusals {producer.refusals[:2]}; "
        + ", ".join(f"{k}: expected {len(want[k])} got {len(got[k])}" for k in want)
    )
    assert producer.rounds == ROUNDS
    assert behind_its_back == OFFLINE_NEEDS
    assert all(want[k] for k in want), want  # every subscription type had events
    for key in want:
        old = [s for s in got[key] if s <= start[key]]
        assert not old, f"{key}: {len(old)} events from before the subscription"
        assert len(got[key]) == len(set(got[key])), f"{key}: duplicates"
        assert got[key] == want[key], f"{key}: missing {sorted(set(want[key]) - set(got[key]))[:10]}"
    assert screen.connections >= 2  # it did reconnect after the gateway restart
    assert not screen.errors, screen.errors[:3]
