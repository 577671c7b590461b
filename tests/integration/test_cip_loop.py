"""Issue 20's whole loop for one need, as Malik commune would live it, on `make run`'s own stack
(the demo's SMS, Telegram and mail stand-ins on loopback, so every message is read where
`make run` shows it: `/demo/messages`).

Dalin, a woman with a disability, asks Sophea (facilitator) for a well; she gives her phone. Srey
follows the commune's news by SMS (JOIN), Vanna on Telegram (/start). The council validates the
need, puts it on an agenda and announces the meeting; it is moved; it is held; the need is
prioritised; the CIP is approved; the budget funds a project; it is built and completed; Dalin
rates it by SMS; a community check scores it by group; the transparency page shows it all.

Each step goes through what its actor would use: GraphQL for the roles, the citizens' SMS and
Telegram through notify's signed webhooks, the public pages over HTTP. Meetings runs with a
notice period of 0 days so that a meeting can be announced and held within the test.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from gateway.graphql.ids import raw_id
from infra.run import DEMO_CHANNELS, start_demo_channels
from infra.stack import Stack, free_port
from tests.conftest import UNLIMITED, GraphQL, wait_for
from tests.integration.test_meetings_api import AGENDA, ANNOUNCE, RESCHEDULE, data_of, schedule

MALIK = "160101"
VILLAGE = "16010103"
YEAR = 2029
DALIN = "+85512300002"  # raised the need
SREY = "+85512300001"  # follows the commune's news by SMS
VANNA = 555_001  # follows it on Telegram
SMS_SECRET = secrets.token_hex(32)
TELEGRAM_SECRET = secrets.token_hex(24)
_ids = itertools.count(1)

SUBMIT = (
    "mutation($i: SubmitNeedInput!) { submitNeed(input: $i) "
    "{ id trackingCode feedbackCode status communeCode } }"
)
VALIDATE = "mutation($id: ID!) { validateNeed(id: $id) { id status } }"
NEED = "query($id: ID!) { need(id: $id) { status rank } }"
ATTEND = (
    "mutation($id: ID!, $a: AttendanceInput!) { recordAttendance(meetingId: $id, attendance: $a) { state } }"
)
DECIDE = "mutation($i: RecordDecisionInput!) { recordDecision(input: $i) { decisions { id kind } } }"
SET_LINE = "mutation($i: SetBudgetLineInput!) { setBudgetLine(input: $i) { kind amount } }"
CREATE_PROJECT = "mutation($i: CreateProjectInput!) { createProject(input: $i) { id status expectedMonth } }"
ALLOCATE = "mutation($i: AllocateInput!) { allocate(input: $i) { id amount projectStatus } }"
STAGE = "mutation($i: SetProjectStageInput!) { setProjectStage(input: $i) { id status stage } }"
CHECK = (
    "mutation($i: RecordCommunityCheckInput!) { recordCommunityCheck(input: $i) "
    "{ id verification { latestCheck { built works used } } } }"
)
MEETING_CODE = "query($id: ID!) { meeting(id: $id) { code intentions { total } } }"
NOTIFICATIONS = "query { notifications(first: 50) { edges { node { kind text } } } }"
TITLE = "អាទិភាពគម្រោង ឃុំម៉ាលិក"
TRANSPARENCY = """query($c: String!, $y: Int!) { transparency(communeCode: $c, year: $y) {
  implementation { title stage verification { citizenAnswers citizenSatisfied latestCheck { built } } } } }"""
COUNTS = {
    "total": 48,
    "inPerson": 48,
    "remote": 0,
    "women": 27,
    "men": 21,
    "disability": 4,
    "idpoor": 11,
    "indigenous": 30,
    "migrant": 6,
    "youth": 9,
    "councilPresent": 4,
    "councilTotal": 5,
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """`make run`'s stack: Stack(demo=True) with the demo channels, as infra/run.py starts it."""
    stack = Stack(
        var=tmp_path_factory.mktemp("cip-loop") / "var",
        port=free_port(),
        demo=True,
        extra_env={
            **UNLIMITED,
            "meetings": {"AGENDA_NOTICE_DAYS": "0"},
            "notify": {"SMS_WEBHOOK_SECRET": SMS_SECRET, "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET},
        },
    )
    channels = start_demo_channels(stack)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        channels.stop()


@pytest.fixture(scope="module")
async def people(demo: Stack) -> AsyncIterator[dict[str, GraphQL]]:
    clients = {"facilitator": GraphQL(demo.url), "council": GraphQL(demo.url), "public": GraphQL(demo.url)}
    await clients["facilitator"].login("sophea")
    await clients["council"].login("dara")
    yield clients
    for client in clients.values():
        await client.close()


async def sms_from(stack: Stack, sender: str, text: str) -> dict[str, Any]:
    """A citizen's SMS, posted by the provider to notify's webhook, signed as the provider signs."""
    body = json.dumps({"id": f"MO{next(_ids):08d}", "from": sender, "to": "1234", "text": text}).encode()
    stamp = int(time.time())
    digest = hmac.new(SMS_SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    async with httpx.AsyncClient(base_url=stack.processes["notify"].url or "") as http:
        response = await http.post(
            "/webhooks/sms/inbound",
            content=body,
            headers={"content-type": "application/json", "x-khum-signature": f"t={stamp},v1={digest}"},
        )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def telegram_from(stack: Stack, chat: int, text: str) -> dict[str, Any]:
    n = next(_ids)
    update = {
        "update_id": n,
        "message": {
            "message_id": n,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private"},
            "text": text,
        },
    }
    async with httpx.AsyncClient(base_url=stack.processes["notify"].url or "") as http:
        response = await http.post(
            "/webhooks/telegram", json=update, headers={"x-telegram-bot-api-secret-token": TELEGRAM_SECRET}
        )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def received(stack: Stack) -> list[dict[str, Any]]:
    """What the demo channels received, oldest first."""
    async with httpx.AsyncClient(base_url=stack.processes[DEMO_CHANNELS].url or "") as http:
        found: list[dict[str, Any]] = (await http.get("/messages")).json()["items"]
    return list(reversed(found))


async def message_to(stack: Stack, to: str, *needles: str, after: int = 0) -> dict[str, Any]:
    """The first message to ``to`` (after the first ``after`` ones) containing every needle."""

    async def found() -> dict[str, Any] | None:
        mine = [m for m in await received(stack) if m["to"] == to][after:]
        return next((m for m in mine if all(n in m["text"] for n in needles)), None)

    message: dict[str, Any] = await wait_for(found, timeout=30)
    return message


async def notified(client: GraphQL, kind: str, *needles: str) -> dict[str, Any]:
    """An in-app notification of ``kind`` holding every needle, in the account's list."""

    async def found() -> dict[str, Any] | None:
        edges = (await data_of(client, NOTIFICATIONS))["edges"]
        nodes = [e["node"] for e in edges if e["node"]["kind"] == kind]
        return next((n for n in nodes if all(x in n["text"] for x in needles)), None)

    note: dict[str, Any] = await wait_for(found, timeout=30)
    return note


async def loudspeaker_reads(client: GraphQL, *needles: str) -> str:
    """A script on the council's loudspeaker list (venue village) holding every needle."""

    async def found() -> str | None:
        listed = await client.http.get("/loudspeaker", params={"village": "16010101"})
        assert listed.status_code == 200
        for script in dict.fromkeys(re.findall(r'href="/loudspeaker/([0-9a-f-]+)"', listed.text)):
            text = (await client.http.get(f"/loudspeaker/{script}")).text
            if all(n in text for n in needles):
                return text
        return None

    script: str = await wait_for(found, timeout=30)
    return script


async def status_of(client: GraphQL, need_id: str, wanted: str) -> dict[str, Any] | None:
    need: dict[str, Any] = await data_of(client, NEED, {"id": need_id})
    return need if need["status"] == wanted else None


def soon(minutes: int) -> dict[str, str]:
    """A half-hour meeting ``minutes`` from now (attendance opens an hour before the start)."""
    start = (datetime.now(UTC) + timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    return {"startsAt": start.isoformat(), "endsAt": (start + timedelta(minutes=30)).isoformat()}


async def announced_with(
    council: GraphQL, kind: str, need: dict[str, Any], minutes: int, title: str | None = None
) -> dict[str, Any]:
    meeting = await schedule(council, type=kind, title=title, **soon(minutes))
    items = [{"kind": "NEED", "needId": need["id"], "minutes": 15, "owner": "ប្រធានភូមិ"}]
    await data_of(council, AGENDA, {"id": meeting["id"], "items": items})
    announced: dict[str, Any] = await data_of(council, ANNOUNCE, {"id": meeting["id"]})
    assert announced["state"] == "ANNOUNCED"
    return announced


async def test_one_need_goes_round_the_whole_cip_loop_and_every_citizen_hears_it(
    demo: Stack, people: dict[str, GraphQL]
) -> None:
    facilitator, council, public = people["facilitator"], people["council"], people["public"]

    # Srey and Vanna follow Malik's news; Dalin's need is recorded with her phone.
    assert (await sms_from(demo, SREY, f"JOIN {MALIK}"))["status"] == "accepted"
    assert (await telegram_from(demo, VANNA, f"/start {MALIK}"))["status"] == "accepted"
    await message_to(demo, SREY)  # the JOIN is answered
    await message_to(demo, str(VANNA))  # and so is /start
    need = await data_of(
        facilitator,
        SUBMIT,
        {
            "i": {
                "villageCode": VILLAGE,
                "description": "អណ្តូងទឹកស្អាតសម្រាប់គ្រួសារទំពួន នៅជិតផ្ទះជនមានពិការភាព",
                "sector": "SOCIAL",
                "idempotencyKey": uuid.uuid4().hex,
                "raisedBy": {
                    "kind": "person",
                    "consent": "verbal",
                    "contactChannel": "sms",
                    "contactAddress": DALIN,
                    "contactLanguage": "km",
                },
            }
        },
    )
    code = need["trackingCode"]
    await message_to(demo, DALIN, code)  # her receipt, with the tracking code

    # Validated by the council, on an agenda, announced: the commune's followers, the
    # facilitators, the village loudspeaker and Dalin (her need is on the agenda) are told.
    assert (await data_of(council, VALIDATE, {"id": need["id"]}))["status"] == "VALIDATED"
    meeting = announced = await announced_with(council, "COMMUNE_PRIORITISATION", need, 50, TITLE)
    come = (await data_of(council, MEETING_CODE, {"id": meeting["id"]}))["code"]
    invitation = await message_to(demo, SREY, TITLE, f"មក {come}")
    await message_to(demo, str(VANNA), TITLE)
    await message_to(demo, DALIN, TITLE)
    await notified(facilitator, "meeting_announced", TITLE)
    await loudspeaker_reads(council, TITLE)

    # Srey answers "I will come" by SMS; the count is public, her number is not.
    assert (await sms_from(demo, SREY, f"មក {come}"))["status"] == "accepted"

    async def counted() -> str | None:
        async with httpx.AsyncClient(base_url=demo.url, headers={"accept-language": "km"}) as web:
            page = (await web.get(f"/m/{raw_id('Meeting', meeting['id'])}")).text
        count = re.search(r'id="come-count">([^<]*)<', page)
        return page if count and re.search(r"(?<![០-៩])១(?![០-៩])", count[1]) else None

    assert SREY not in await wait_for(counted)

    # The road floods: the meeting moves, with less notice, for a reason everyone is told.
    flood = "ទឹកជំនន់ លិចផ្លូវទៅសាលាវត្ត"
    move = {"meetingId": meeting["id"], "reason": flood, "emergencyReason": flood, **soon(5)}
    moved = await data_of(council, RESCHEDULE, {"i": move})
    assert moved["sequence"] > announced["sequence"]
    for follower in (SREY, str(VANNA), DALIN):
        await message_to(demo, follower, "ប្តូរពេល", flood)
    await notified(facilitator, "meeting_rescheduled", TITLE)
    await loudspeaker_reads(council, flood)

    # Held: attendance by group, the need prioritised first, the CIP approved at its own meeting.
    held = await data_of(council, ATTEND, {"id": meeting["id"], "a": COUNTS})
    assert held["state"] == "HELD"
    ranked = [{"needId": need["id"], "rank": 1}]
    decide = {"meetingId": meeting["id"], "year": YEAR, "needs": ranked}
    await data_of(council, DECIDE, {"i": {**decide, "kind": "PRIORITISATION"}})
    prioritised = await wait_for(lambda: status_of(council, need["id"], "PRIORITISED"))
    assert prioritised["rank"] == 1
    await message_to(demo, DALIN, code, "១")  # she hears her need's rank, in Khmer digits
    approval = await announced_with(council, "CIP_APPROVAL", need, 40)
    assert (await data_of(council, ATTEND, {"id": approval["id"], "a": COUNTS}))["state"] == "HELD"
    approve = {**decide, "meetingId": approval["id"], "kind": "CIP_APPROVAL"}
    approved = await data_of(council, DECIDE, {"i": approve})
    decision = next(d["id"] for d in approved["decisions"] if d["kind"] == "CIP_APPROVAL")

    # Funded: a project in the budget, money allocated against the approval.
    line = {"communeCode": MALIK, "year": YEAR, "kind": "LOCAL_DEVELOPMENT", "amount": "60000000"}
    await data_of(council, SET_LINE, {"i": line})
    project = await data_of(
        council,
        CREATE_PROJECT,
        {
            "i": {
                "communeCode": MALIK,
                "year": YEAR,
                "title": "អណ្តូងស្នប់ ភូមិកាចាញ",
                "needIds": [need["id"]],
                "estimatedCost": "18500000",
                "expectedMonth": "២០២៩-០៥",  # typed in Khmer digits on the council's tablet
            }
        },
    )

    async def allocated() -> dict[str, Any] | None:
        body = await council.execute(
            ALLOCATE,
            {
                "i": {
                    "projectId": project["id"],
                    "lineKind": "LOCAL_DEVELOPMENT",
                    "amount": "18500000",
                    "decisionId": decision,
                }
            },
        )
        return None if body.get("errors") else body["data"]["allocate"]  # type: ignore[index]

    allocation = await wait_for(allocated, interval=0.5)  # once budget has heard the approval
    assert allocation["projectStatus"] == "FUNDED"
    await wait_for(lambda: status_of(council, need["id"], "FUNDED"))
    funded = await message_to(demo, DALIN, "អណ្តូងស្នប់ ភូមិកាចាញ", "១៨,៥០០,០០០ រៀល", "ខែឧសភា ឆ្នាំ២០២៩")
    assert code in funded["text"]

    assert project["expectedMonth"] == "2029-05"

    # Built and completed, by the commune chief's stages; Dalin is told.
    chief = GraphQL(demo.url)
    await chief.login("bopha")
    try:
        today = (datetime.now(UTC) + timedelta(hours=7)).date().isoformat()
        for stage in ("PROCUREMENT", "WORKS_STARTED", "COMPLETED"):
            set_stage = {"projectId": project["id"], "stage": stage, "on": today}
            assert (await data_of(chief, STAGE, {"i": set_stage}))["stage"] == stage
        await wait_for(lambda: status_of(council, need["id"], "COMPLETED"))
        await message_to(demo, DALIN, code, "បានបញ្ចប់")

        # Verified: Dalin by SMS from her own phone, then a community check by group.
        assert (await sms_from(demo, DALIN, f"OK {code} 5"))["status"] == "accepted"
        await wait_for(lambda: status_of(council, need["id"], "VERIFIED"))
        check = {
            "projectId": project["id"],
            "heldOn": today,
            "scores": [
                {"group": "all", "participants": 35, "built": 5, "works": 5, "used": 4},
                {"group": "women", "participants": 20, "built": 5, "works": 4, "used": 4},
                {"group": "indigenous", "participants": 24, "built": 5, "works": 5, "used": 5},
            ],
            "note": "ស្ត្រីចង់បានដៃស្នប់ទាបជាងនេះ",
        }
        checked = await data_of(facilitator, CHECK, {"i": check})
        assert checked["verification"]["latestCheck"]["built"] == 5
        handed = {"projectId": project["id"], "stage": "HANDED_OVER", "on": today}
        await data_of(chief, STAGE, {"i": handed})
    finally:
        await chief.close()

    # The public sees the works, the stages and what people said: through GraphQL and the page.
    async def verified() -> dict[str, Any] | None:
        found = await data_of(public, TRANSPARENCY, {"c": MALIK, "y": YEAR})
        works = next(w for w in found["implementation"] if w["title"] == "អណ្តូងស្នប់ ភូមិកាចាញ")
        return works if works["stage"] == "HANDED_OVER" else None

    works = await wait_for(verified)
    assert works["verification"]["citizenAnswers"] == 1 and works["verification"]["citizenSatisfied"] == 1
    assert works["verification"]["latestCheck"]["built"] == 5
    async with httpx.AsyncClient(base_url=demo.url, headers={"accept-language": "km"}) as web:

        async def page() -> str | None:
            found = await web.get(f"/communes/{MALIK}/budget/{YEAR}")
            assert found.status_code == 200
            return found.text if "បានប្រគល់ជូនសហគមន៍" in found.text else None

        transparency = await wait_for(page)
        assert "អណ្តូងស្នប់ ភូមិកាចាញ" in transparency
        assert "ពិន្ទុមធ្យម" in transparency
        track = await web.get("/track", params={"code": code})
        assert track.status_code == 200

        # And `make run`'s page shows each message that reached a citizen.
        shown = (await web.get("/demo/messages")).text
    for message in (invitation, funded):
        assert message["text"].split("\n")[0] in shown
    assert DALIN in shown and SREY in shown
