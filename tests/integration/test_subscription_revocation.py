"""Open subscriptions end with their right (issue 16, item 1): revoking a token, deactivating
an account and signing out close the affected WebSockets with code 4403, and nothing more
arrives on them; other people's sockets stay open."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import websockets

from gateway.identity.revocation import CLOSE_CODE
from infra.stack import Process, Stack, free_port
from tests.conftest import SUBMIT_NEED, GraphQL
from tests.integration.test_gateway_accounts import CREATE, SET_PASSWORD

VALIDATE = "mutation($id: ID!) { validateNeed(id: $id) { status } }"
STATUS = 'subscription { needStatusChanged(communeCode: "160101") { trackingCode status } }'
NOTIFICATIONS = "subscription { notificationAdded { ref } }"
MEETINGS = 'subscription { meetingChanged(communeCode: "160101") { __typename } }'


class Subscriber:
    """One graphql-transport-ws connection: subscribes, then records what arrives and how it closes."""

    def __init__(self, stack: Stack, headers: dict[str, str], base_url: str | None = None) -> None:
        self.url = (base_url or stack.url).replace("http://", "ws://") + "/graphql"
        self.headers = headers
        self.received: list[dict[str, Any]] = []
        self.close_code: int | None = None
        self.closed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def open(self, *queries: str) -> None:
        ready = asyncio.Event()
        self._task = asyncio.create_task(self._run(queries, ready))
        await asyncio.wait_for(ready.wait(), 10)
        await asyncio.sleep(0.3)  # the subscriptions reach the bridge before anything is sent

    async def _run(self, queries: tuple[str, ...], ready: asyncio.Event) -> None:
        async with websockets.connect(
            self.url,
            subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
            additional_headers=self.headers,
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            for i, query in enumerate(queries):
                await ws.send(json.dumps({"id": str(i), "type": "subscribe", "payload": {"query": query}}))
            ready.set()
            try:
                async for raw in ws:
                    assert isinstance(raw, str), "graphql-transport-ws sends text frames"
                    message = json.loads(raw)
                    if message["type"] == "ping":
                        await ws.send(json.dumps({"type": "pong"}))
                    else:
                        self.received.append(message)
            except websockets.ConnectionClosed:
                pass
            self.close_code = ws.close_code
            self.closed.set()

    async def wait_closed(self) -> int | None:
        await asyncio.wait_for(self.closed.wait(), 10)
        return self.close_code

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


async def _submit(client: GraphQL | httpx.AsyncClient, village: str = "16010101") -> dict[str, Any]:
    need = {"villageCode": village, "description": "ផ្លូវខូច", "idempotencyKey": uuid.uuid4().hex}
    if isinstance(client, GraphQL):
        body = await client.execute(SUBMIT_NEED, {"i": need})
    else:
        body = (await client.post("/graphql", json={"query": SUBMIT_NEED, "variables": {"i": need}})).json()
    assert "errors" not in body, body
    created: dict[str, Any] = body["data"]["submitNeed"]
    return created


async def _until(check: Any, seconds: float = 10) -> None:
    async with asyncio.timeout(seconds):
        while not check():
            await asyncio.sleep(0.05)


async def test_a_revoked_token_closes_its_subscriptions_and_nothing_arrives_after(stack: Stack) -> None:
    admin, council, facilitator = GraphQL(stack.url), GraphQL(stack.url), GraphQL(stack.url)
    await admin.login("visal")
    await council.login("dara")
    await facilitator.login("sophea")
    body = await admin.execute(
        "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret apiToken { id } } }",
        {"i": {"name": "watcher", "scopes": ["read"], "communes": ["160101"]}},
    )
    secret, token_id = (
        body["data"]["createApiToken"]["secret"],
        body["data"]["createApiToken"]["apiToken"]["id"],
    )
    watcher = Subscriber(stack, {"authorization": f"Bearer {secret}"})
    bystander = Subscriber(stack, {"cookie": f"khum_session={council.http.cookies.get('khum_session')}"})
    try:
        await watcher.open(STATUS, MEETINGS)
        await bystander.open(STATUS)
        first = await _submit(facilitator)
        await council.execute(VALIDATE, {"id": first["id"]})
        await _until(lambda: any(m.get("type") == "next" for m in watcher.received))

        revoked = await admin.execute(
            "mutation($id: ID!) { revokeApiToken(id: $id) { revoked } }", {"id": token_id}
        )
        assert revoked["data"]["revokeApiToken"]["revoked"] is True
        assert await watcher.wait_closed() == CLOSE_CODE
        seen = len(watcher.received)

        second = await _submit(facilitator)
        await council.execute(VALIDATE, {"id": second["id"]})
        await _until(
            lambda: any(
                m.get("type") == "next"
                and m["payload"]["data"]["needStatusChanged"]["trackingCode"] == second["trackingCode"]
                for m in bystander.received
            )
        )
        assert len(watcher.received) == seen
        assert not bystander.closed.is_set()
    finally:
        await watcher.close()
        await bystander.close()
        for client in (admin, council, facilitator):
            await client.close()


async def test_a_deactivated_council_member_s_notification_socket_is_closed(stack: Stack) -> None:
    admin, facilitator = GraphQL(stack.url), GraphQL(stack.url)
    await admin.login("visal")
    await facilitator.login("sophea")
    name = f"cm{uuid.uuid4().hex[:8]}"
    created = (
        await admin.execute(
            CREATE,
            {"i": {"username": name, "displayName": "សុខា", "role": "COUNCIL_MEMBER", "communes": ["160101"]}},
        )
    )["data"]["createAccount"]
    member = GraphQL(stack.url)
    await member.execute(SET_PASSWORD, {"l": name, "c": created["setupCode"], "p": "council-password-1"})
    await member.login(name, "council-password-1")
    subscriber = Subscriber(stack, {"cookie": f"khum_session={member.http.cookies.get('khum_session')}"})
    try:
        await subscriber.open(NOTIFICATIONS, STATUS, MEETINGS)
        # The session's shared stack may send the commune's other news while she is active:
        # that was hers to see. Nothing may come once the deactivation is made.
        active = len(subscriber.received)
        done = await admin.execute(
            "mutation($id: ID!) { deactivateAccount(id: $id) { id } }", {"id": created["account"]["id"]}
        )
        assert "errors" not in done, done
        assert await subscriber.wait_closed() == CLOSE_CODE
        seen = len(subscriber.received)
        await _submit(facilitator)
        await asyncio.sleep(0.5)
        assert len(subscriber.received) == seen
        assert not any(m.get("type") == "next" for m in subscriber.received[active:])
    finally:
        await subscriber.close()
        for client in (admin, facilitator, member):
            await client.close()


async def test_signing_out_closes_that_session_s_sockets_only(stack: Stack) -> None:
    leaving, staying = GraphQL(stack.url), GraphQL(stack.url)
    await leaving.login("dara")
    await staying.login("dara")  # the same person on another phone: a second session
    cookie = leaving.http.cookies.get("khum_session")
    gone = Subscriber(stack, {"cookie": f"khum_session={cookie}"})
    kept = Subscriber(stack, {"cookie": f"khum_session={staying.http.cookies.get('khum_session')}"})
    try:
        await gone.open(NOTIFICATIONS, MEETINGS)
        await kept.open(NOTIFICATIONS)
        signed_out = await leaving.http.post(
            "/logout", data={"csrf_token": leaving.csrf or ""}, headers={"origin": stack.url}
        )
        assert signed_out.status_code == 303
        assert await gone.wait_closed() == CLOSE_CODE
        await asyncio.sleep(0.3)
        assert not kept.closed.is_set()
        assert (await staying.execute("{ me { username } }"))["data"]["me"]["username"] == "dara"
    finally:
        await gone.close()
        await kept.close()
        await leaving.close()
        await staying.close()


async def test_a_revocation_reaches_every_gateway_replica(stack: Stack) -> None:
    """A second gateway on the same store and NATS: a token revoked through the first one stops
    working on the second (its cache forgets it) and the second's sockets close."""
    env = stack.env_for("gateway")
    port = free_port()
    env["KHUM_GATEWAY_PORT"] = str(port)
    env["KHUM_GATEWAY_DEMO"] = "false"
    other = Process(
        "gateway-2",
        [*stack.processes["gateway"].argv],
        env,
        stack.var / "log" / "gateway-2.log",
        url=f"http://127.0.0.1:{port}",
    )
    other.start()
    stack.processes["gateway-2"] = other
    admin = GraphQL(stack.url)
    watcher: Subscriber | None = None
    try:
        stack.wait_ready(["gateway-2"])
        await admin.login("visal")
        body = await admin.execute(
            "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret apiToken { id } } }",
            {"i": {"name": "two replicas", "scopes": ["read"], "communes": ["160101"]}},
        )
        created = body["data"]["createApiToken"]
        bearer = {"authorization": f"Bearer {created['secret']}"}
        query = {"query": "{ needs(first: 1) { totalCount } }"}
        async with httpx.AsyncClient(base_url=other.url or "", headers=bearer) as integrator:
            first = await integrator.post("/graphql", json=query)  # the second gateway caches it
            assert first.status_code == 200 and "errors" not in first.json(), first.text
            watcher = Subscriber(stack, bearer, base_url=other.url)
            await watcher.open(STATUS)
            revoked = await admin.execute(
                "mutation($id: ID!) { revokeApiToken(id: $id) { revoked } }",
                {"id": created["apiToken"]["id"]},
            )
            assert revoked["data"]["revokeApiToken"]["revoked"] is True
            assert await watcher.wait_closed() == CLOSE_CODE
            after = await integrator.post("/graphql", json=query)
            assert after.status_code == 401
    finally:
        if watcher is not None:
            await watcher.close()
        await admin.close()
        other.stop()
        del stack.processes["gateway-2"]
