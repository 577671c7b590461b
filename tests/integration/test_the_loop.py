"""The thin loop, end to end on real processes and a real nats-server:
PWA/GraphQL submitNeed -> intake -> NeedSubmitted -> notify -> council's notifications,
live on the notificationAdded subscription; meetings keeps the need as an agenda candidate."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import websockets

from gateway.graphql.ids import raw_id
from infra.stack import Stack
from services.runtime.identity import Identity, Role
from services.runtime.tokens import issue_token
from tests.conftest import NOTIFICATIONS, SUBMIT_NEED, GraphQL, wait_for

LIVE_QUERY = 'subscription { notificationAdded { id kind ref text(lang: "en") communeCode } }'


def _need(village: str = "16010102", description: str = "ផ្លូវលំ​ភូមិ​កាតែ ខូចខាតខ្លាំង") -> dict[str, object]:
    return {
        "villageCode": village,
        "description": description,
        "sector": "ECONOMIC",
        "idempotencyKey": uuid.uuid4().hex,
    }


async def test_a_submitted_need_reaches_the_council_inbox(facilitator: GraphQL, council: GraphQL) -> None:
    body = await facilitator.execute(SUBMIT_NEED, {"i": _need()})
    assert "errors" not in body, body
    need = body["data"]["submitNeed"]
    assert need["communeCode"] == "160101"
    assert need["status"] == "SUBMITTED"
    assert need["description"] == "ផ្លូវលំ​ភូមិ​កាតែ ខូចខាតខ្លាំង"

    async def arrived() -> dict[str, object] | None:
        result = await council.execute(NOTIFICATIONS, {"n": 50})
        for edge in result["data"]["notifications"]["edges"]:
            if edge["node"]["ref"] == need["trackingCode"]:
                return edge["node"]
        return None

    node = await wait_for(arrived)
    assert node["kind"] == "need_submitted"
    assert node["communeCode"] == "160101"
    assert need["trackingCode"] in node["text"]
    assert "តម្រូវការថ្មី" in node["text"]  # Khmer by default
    assert "ភូមិកាតែ" in node["text"]


async def test_a_council_of_another_commune_does_not_see_the_need(stack: Stack, facilitator: GraphQL) -> None:
    need = (await facilitator.execute(SUBMIT_NEED, {"i": _need()}))["data"]["submitNeed"]
    takeo = GraphQL(stack.url)
    await takeo.login("chenda")  # council of Kouk Thlok (210103), not Malik
    dara = GraphQL(stack.url)
    await dara.login("dara")
    try:

        async def seen_by_dara() -> bool:
            result = await dara.execute(NOTIFICATIONS, {"n": 100})
            return any(
                e["node"]["ref"] == need["trackingCode"] for e in result["data"]["notifications"]["edges"]
            )

        await wait_for(seen_by_dara)
        result = await takeo.execute(NOTIFICATIONS, {"n": 100})
        refs = [e["node"]["ref"] for e in result["data"]["notifications"]["edges"]]
        assert need["trackingCode"] not in refs
    finally:
        await takeo.close()
        await dara.close()


async def test_an_open_subscription_receives_the_notification(
    stack: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    cookie = f"khum_session={council.http.cookies.get('khum_session')}"
    url = stack.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(
        url, subprotocols=["graphql-transport-ws"], additional_headers={"cookie": cookie}
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "s1",
                    "type": "subscribe",
                    "payload": {"query": LIVE_QUERY},
                }
            )
        )
        await asyncio.sleep(0.3)  # let the subscription register before the event is made
        need = (await facilitator.execute(SUBMIT_NEED, {"i": _need("16010103")}))["data"]["submitNeed"]
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 15))
            if message["type"] == "ping":
                await ws.send(json.dumps({"type": "pong"}))
                continue
            assert message["type"] == "next", message
            added = message["payload"]["data"]["notificationAdded"]
            if added["ref"] == need["trackingCode"]:
                break
        assert added["kind"] == "need_submitted"
        assert added["text"].startswith("New need")
        assert "Ka Hal village" in added["text"]  # the village by name, not by code
        assert added["communeCode"] == "160101"


async def test_the_legacy_graphql_ws_protocol_is_refused(stack: Stack) -> None:
    url = stack.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-ws"]) as ws:
        try:
            await asyncio.wait_for(ws.recv(), 5)
        except websockets.exceptions.ConnectionClosed as closed:
            assert closed.rcvd is not None
            assert closed.rcvd.code == 4406  # "Subprotocol not acceptable"
        else:
            raise AssertionError("a legacy graphql-ws connection was served")


async def test_a_subscription_without_a_session_is_refused(stack: Stack) -> None:
    url = stack.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        query = "subscription { notificationAdded { id } }"
        await ws.send(json.dumps({"id": "s1", "type": "subscribe", "payload": {"query": query}}))
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        # The resolver refuses before its first event: graphql-transport-ws sends the errors
        # as a result ("next" with errors), then completes.
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert message["payload"].get("data") is None if message["type"] == "next" else True
        assert [e["extensions"]["code"] for e in errors] == ["auth.unauthenticated"]


async def test_meetings_keeps_the_need_as_an_agenda_candidate(stack: Stack, facilitator: GraphQL) -> None:
    need = (await facilitator.execute(SUBMIT_NEED, {"i": _need("16010104", "អណ្តូងទឹកស្អាតសម្រាប់សាលារៀន")}))[
        "data"
    ]["submitNeed"]
    token = issue_token(Identity("u-council", Role.COUNCIL_MEMBER, ("160101",)), stack.secrets["identity"])
    async with httpx.AsyncClient(base_url=stack.processes["meetings"].url or "") as http:

        async def candidate() -> dict[str, object] | None:
            response = await http.get(
                "/agenda-candidates",
                params={"commune": "160101"},
                headers={"authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200
            return next((c for c in response.json() if c["id"] == raw_id("Need", need["id"])), None)

        found = await wait_for(candidate)
    assert found["tracking_code"] == need["trackingCode"]
    assert found["description"] == "អណ្តូងទឹកស្អាតសម្រាប់សាលារៀន"


async def test_every_process_reports_healthy_and_ready(stack: Stack) -> None:
    async with httpx.AsyncClient() as http:
        for name, process in stack.processes.items():
            if name == "nats":
                continue
            assert (await http.get(f"{process.url}/healthz")).json() == {"status": "ok"}
            ready = await http.get(f"{process.url}/readyz")
            assert ready.status_code == 200, (name, ready.text)
            assert ready.json()["checks"] == {"store": "ok", "nats": "ok"}
