"""A council member's screen, as the PWA keeps it: one graphql-transport-ws connection with the
three live subscriptions, reconnecting after any drop and resubscribing from the cursor of the
last event of each; and the truth to compare with, read from the streams themselves."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import nats
import websockets
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from contracts.notify import audiences_for

COMMUNE = "160101"
SUBSCRIPTIONS: dict[str, tuple[str, str]] = {
    # id: (field, document)
    "n": (
        "notificationAdded",
        "subscription($a: String) { notificationAdded(after: $a) { id text cursor } }",
    ),
    "s": (
        "needStatusChanged",
        f'subscription($a: String) {{ needStatusChanged(communeCode: "{COMMUNE}", after: $a) '
        "{ needId status cursor } }",
    ),
    "m": (
        "meetingChanged",
        f'subscription($a: String) {{ meetingChanged(communeCode: "{COMMUNE}", after: $a) '
        "{ event meetingId cursor } }",
    ),
}
STREAMS = {
    "n": ("KHUM_NOTIFY", "khum.notify.NotificationQueued.v1.*"),
    "s": ("KHUM_NEEDS", f"khum.needs.NeedStatusChanged.v1.{COMMUNE}"),
    "m": ("KHUM_MEETINGS", f"khum.meetings.*.*.{COMMUNE}"),
}


def sequence_of(cursor: str) -> int:
    """The stream sequence inside a live cursor (opaque to clients; a test may look)."""
    return int(base64.urlsafe_b64decode(cursor.encode()).decode().rpartition(":")[2])


@dataclass
class Screen:
    ws_url: str
    cookie: str
    read_delay: float = 0.0
    """Seconds to wait before reading each message: a phone too slow to keep up."""
    stall: float = 0.0
    """Seconds to stop reading after the first event (once): a phone gone quiet in a burst."""
    receive_buffer: int | None = None
    """A small kernel receive buffer (bytes), so a slow reader's socket fills soon."""
    cursors: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(SUBSCRIPTIONS))
    seen: dict[str, list[int]] = field(default_factory=lambda: {k: [] for k in SUBSCRIPTIONS})
    connections: int = 0
    close_codes: list[int] = field(default_factory=list)
    errors: list[Any] = field(default_factory=list)
    only: tuple[str, ...] = tuple(SUBSCRIPTIONS)

    async def run(self, stop: asyncio.Event, max_connections: int = 200) -> None:
        while not stop.is_set() and self.connections < max_connections:
            try:
                await self._connection(stop)
            except (OSError, TimeoutError, websockets.exceptions.WebSocketException) as exc:
                if isinstance(exc, websockets.exceptions.ConnectionClosed) and exc.rcvd is not None:
                    self.close_codes.append(exc.rcvd.code)
            await asyncio.sleep(0.3)

    async def _socket(self) -> socket.socket | None:
        if self.receive_buffer is None:
            return None
        host, _, port = self.ws_url.removeprefix("ws://").partition("/")[0].partition(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
        return sock

    async def _connection(self, stop: asyncio.Event) -> None:
        async with websockets.connect(
            self.ws_url,
            sock=await self._socket(),
            subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
            additional_headers={"cookie": self.cookie},
            open_timeout=5,
            max_queue=4,
            compression=None,  # as a phone's browser may: what it is sent is what it must read
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
            self.connections += 1
            for key in self.only:
                document = SUBSCRIPTIONS[key][1]
                payload = {"query": document, "variables": {"a": self.cursors[key]}}
                await ws.send(json.dumps({"id": key, "type": "subscribe", "payload": payload}))
            while not stop.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), 0.5)
                except TimeoutError:
                    continue
                if self.read_delay:
                    await asyncio.sleep(self.read_delay)
                if self.stall and any(self.seen.values()):
                    await asyncio.sleep(self.stall)
                    self.stall = 0.0
                message = json.loads(raw)
                if message["type"] == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                elif message["type"] == "next":
                    payload = message["payload"]
                    if payload.get("errors"):
                        self.errors.append(payload["errors"])
                        continue
                    item = payload["data"][SUBSCRIPTIONS[message["id"]][0]]
                    self.seen[message["id"]].append(sequence_of(item["cursor"]))
                    self.cursors[message["id"]] = item["cursor"]
                elif message["type"] in ("error", "complete"):
                    self.errors.append(message)
                    return


async def quiet_positions(nats_url: str, settle: float = 1.0, rounds: int = 60) -> dict[str, int]:
    """Each stream's last sequence once nothing has been added for ``settle`` seconds."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        last: dict[str, int] = {}
        for _ in range(rounds):
            now = {k: (await js.stream_info(stream)).state.last_seq for k, (stream, _) in STREAMS.items()}
            if now == last:
                return now
            last = now
            await asyncio.sleep(settle)
        raise AssertionError("the streams did not go quiet")
    finally:
        await nc.close()


async def expected(
    nats_url: str, after: dict[str, int], role: str, communes: Iterable[str]
) -> dict[str, list[int]]:
    """The stream sequences each subscription should have delivered: what matched after ``after``."""
    audiences = set(audiences_for(role, communes))
    nc = await nats.connect(nats_url)
    result: dict[str, list[int]] = {}
    try:
        js = nc.jetstream()
        for key, (stream, subject) in STREAMS.items():
            config = ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=after[key] + 1,
                ack_policy=AckPolicy.NONE,
            )
            sub = await js.pull_subscribe(subject, stream=stream, config=config)
            found: list[int] = []
            try:
                while True:
                    try:
                        msgs = await sub.fetch(500, timeout=2)
                    except (nats.errors.TimeoutError, TimeoutError):
                        break
                    for msg in msgs:
                        if key == "n" and json.loads(msg.data)["data"]["audience"] not in audiences:
                            continue
                        found.append(msg.metadata.sequence.stream)
            finally:
                await sub.unsubscribe()
            result[key] = found
    finally:
        await nc.close()
    return result
