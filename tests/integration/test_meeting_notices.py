"""Meetings reach people, on the whole stack (processes, a real nats-server, a local SMS provider
and Telegram Bot API): announcing tells the commune's subscribers, its facilitators and the
loudspeakers, in Khmer, and queues reminders; citizens say "I will come" by SMS, Telegram and
the public page, and are counted; an announced meeting keeps its notice rules unless the council
gives an emergency reason, and then everyone told before (those who said they will come too)
hears of the move and of the cancellation, while the old reminders are withdrawn.

The steps build on each other, in order, on one stack for the module."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from gateway.graphql.ids import raw_id
from infra.stack import Stack, free_port
from services.runtime.identity import Identity, Role
from services.runtime.tokens import issue_token
from tests.conftest import NOTIFICATIONS, UNLIMITED, GraphQL, wait_for
from tests.support.http import serve
from tests.support.sms_provider import SmsProvider
from tests.support.telegram_api import TelegramBotApi

PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")
SMS_KEY, SMS_SECRET = "sms-key-meetings", "sms-webhook-secret-meetings-0123456789"
BOT_TOKEN, TELEGRAM_SECRET = "4343:khum-meetings-bot", "telegram_meetings_secret_0123456789"
COMMUNE_NUMBER = "+85523900101"
SUBSCRIBER, COMER = "+85512600101", "+85512600102"
CHAT = 8800101
FIELDS = """{ id code state sequence startsAt history { toState reason emergencyReason }
  intentions { total byGroup { women youth } } }"""
SCHEDULE = "mutation($i: ScheduleMeetingInput!) { scheduleMeeting(input: $i) " + FIELDS + " }"
AGENDA = (
    "mutation($id: ID!, $items: [AgendaItemInput!]!) { publishAgenda(meetingId: $id, items: $items) { id } }"
)
ANNOUNCE = "mutation($id: ID!) { announceMeeting(meetingId: $id) " + FIELDS + " }"
RESCHEDULE = "mutation($i: RescheduleMeetingInput!) { rescheduleMeeting(input: $i) " + FIELDS + " }"
CANCEL = (
    "mutation($id: ID!, $r: String!, $e: String) "
    "{ cancelMeeting(meetingId: $id, reason: $r, emergencyReason: $e) " + FIELDS + " }"
)
GET = "query($id: ID!) { meeting(id: $id) " + FIELDS + " }"
INTEND = (
    "mutation($i: MeetingIntentionInput!) { recordMeetingIntention(input: $i) { code intentions { total } } }"
)


@dataclass
class World:
    stack: Stack
    sms: SmsProvider
    telegram: TelegramBotApi
    council: GraphQL
    facilitator: GraphQL
    notify: httpx.AsyncClient
    meeting: dict[str, Any] = field(default_factory=dict)

    def texts(self, number: str) -> list[str]:
        return [str(m["text"]) for m in self.sms.to(number)]

    def chat(self) -> list[str]:
        return [str(m["text"]) for m in self.telegram.to(CHAT)]

    async def deliveries(self, **params: str) -> list[dict[str, Any]]:
        response = await self.notify.get(
            "/deliveries",
            params={"commune": "160101", "limit": "100", "meeting": self.meeting["raw"], **params},
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    sms = SmsProvider(SMS_KEY, SMS_SECRET)
    telegram = TelegramBotApi(token=BOT_TOKEN)
    async with serve(sms.app) as sms_url, serve(telegram.app) as telegram_url:
        notify_env = {
            "SMS_BASE_URL": sms_url,
            "SMS_API_KEY": SMS_KEY,
            "SMS_WEBHOOK_SECRET": SMS_SECRET,
            "SMS_NUMBERS": json.dumps({COMMUNE_NUMBER: "160101"}),
            "TELEGRAM_API_BASE": telegram_url,
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "TELEGRAM_DEFAULT_COMMUNE": "160101",
            "QUIET_CHANNELS": "[]",  # the test runs at any hour; quiet hours have their own tests
        }
        stack = Stack(
            var=tmp_path_factory.mktemp("meeting-notices") / "var",
            port=free_port(),
            demo=True,
            extra_env={**UNLIMITED, "notify": notify_env},
        )
        await asyncio.to_thread(stack.start)
        notify_url = stack.processes["notify"].url or ""
        sms.notify_url = notify_url
        telegram.webhook = {"url": f"{notify_url}/webhooks/telegram", "secret_token": TELEGRAM_SECRET}
        token = issue_token(Identity("u-dara", Role.COUNCIL_MEMBER, ("160101",)), stack.secrets["identity"])
        council, facilitator = GraphQL(stack.url), GraphQL(stack.url)
        await council.login("dara")
        await facilitator.login("sophea")
        async with httpx.AsyncClient(
            base_url=notify_url, headers={"authorization": f"Bearer {token}"}, timeout=15
        ) as notify:
            try:
                yield World(stack, sms, telegram, council, facilitator, notify)
            finally:
                await council.close()
                await facilitator.close()
                await asyncio.to_thread(stack.stop)


async def data_of(client: GraphQL, query: str, variables: dict[str, Any]) -> Any:
    body = await client.execute(query, variables)
    assert "errors" not in body, body
    data = body["data"]
    assert isinstance(data, dict)
    return next(iter(data.values()))


async def refused(client: GraphQL, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = await client.execute(query, variables)
    assert body.get("data") is None, body
    errors = body["errors"]
    assert isinstance(errors, list)
    first: dict[str, Any] = errors[0]
    return first


def local_day(days: int) -> datetime:
    """Midnight, Phnom Penh time, ``days`` from today."""
    today = datetime.now(UTC).astimezone(PHNOM_PENH).date() + timedelta(days=days)
    return datetime.combine(today, time(0, 0), tzinfo=PHNOM_PENH)


def at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return day.replace(hour=hour, minute=minute)


async def arrived(world: World, where: str, *needles: str) -> str:
    """The first message to ``where`` (a phone number, or ``chat``) holding every needle."""

    async def found() -> str | None:
        texts = world.chat() if where == "chat" else world.texts(where)
        return next((t for t in texts if all(n in t for n in needles)), None)

    text: str = await wait_for(found, timeout=30)
    return text


async def test_announcing_tells_subscribers_facilitators_and_loudspeakers_in_khmer(world: World) -> None:
    await world.sms.incoming(SUBSCRIBER, COMMUNE_NUMBER, "JOIN")
    await world.telegram.user_writes(CHAT, "/start 160101")
    await arrived(world, SUBSCRIBER, "ឃុំ")
    await arrived(world, "chat", "ឃុំ")

    day = local_day(10)
    starts, ends = at(day, 8), at(day, 10)
    meeting = await data_of(
        world.council,
        SCHEDULE,
        {
            "i": {
                "communeCode": "160101",
                "type": "COMMUNE_PRIORITISATION",
                "title": "អាទិភាពគម្រោងឆ្នាំក្រោយ",
                "venue": {"villageCode": "16010101", "place": "សាលាវត្តម៉ាលិក"},
                "startsAt": starts.isoformat(),
                "endsAt": ends.isoformat(),
            }
        },
    )
    items = [{"kind": "OTHER", "title": "ផ្លូវ និងអណ្តូង", "minutes": 60, "owner": "មេឃុំ"}]
    await data_of(world.council, AGENDA, {"id": meeting["id"], "items": items})
    announced = await data_of(world.council, ANNOUNCE, {"id": meeting["id"]})
    assert re.fullmatch(r"[A-HJKMNP-Z]{6}", announced["code"])
    world.meeting = {**announced, "raw": raw_id("Meeting", announced["id"]), "starts": starts}

    khmer_day = f"ទី{str(day.day).translate(str.maketrans('0123456789', '០១២៣៤៥៦៧៨៩'))}"
    sms = await arrived(world, SUBSCRIBER, "អាទិភាពគម្រោងឆ្នាំក្រោយ")
    assert khmer_day in sms and "ម៉ោង ០៨:០០–១០:០០" in sms and f"មក {announced['code']}" in sms
    telegram = await arrived(world, "chat", "អាទិភាពគម្រោងឆ្នាំក្រោយ")
    assert "ថ្ងៃ" in telegram and "ខែ" in telegram and "សាលាវត្តម៉ាលិក" in telegram

    async def facilitator_told() -> dict[str, Any] | None:
        body = await world.facilitator.execute(NOTIFICATIONS, {"n": 50})
        edges = body["data"]["notifications"]["edges"]  # type: ignore[index]
        return next((e["node"] for e in edges if e["node"]["kind"] == "meeting_announced"), None)

    note = await wait_for(facilitator_told)
    assert "អាទិភាពគម្រោងឆ្នាំក្រោយ" in note["text"]

    scripts = await world.deliveries(channel="loudspeaker", kind="meeting_announced")
    assert "village 16010101" in {s["recipient"] for s in scripts}
    assert all("ក្រុមប្រឹក្សាឃុំ" in s["text"] for s in scripts)

    reminders = await world.deliveries(kind="meeting_reminder", status="queued")
    due = {datetime.fromisoformat(r["next_attempt_at"]) for r in reminders}
    assert due == {at(day - timedelta(days=3), 7), at(day - timedelta(days=1), 7)}
    assert {r["recipient"] for r in reminders if r["channel"] == "sms"}  # the subscriber's, masked


async def test_citizens_say_they_will_come_by_sms_telegram_and_the_public_page(world: World) -> None:
    code, raw = world.meeting["code"], world.meeting["raw"]
    await world.sms.incoming(COMER, COMMUNE_NUMBER, f"COME {code.lower()}")
    await world.telegram.user_writes(CHAT, f"/come {code}")
    assert "សូមអរគុណ" in await arrived(world, COMER, "សូមអរគុណ", "អាទិភាពគម្រោងឆ្នាំក្រោយ")
    await arrived(world, "chat", "សូមអរគុណ")
    await world.sms.incoming(COMER, COMMUNE_NUMBER, f"មក {code}")  # again, in Khmer: counted once

    async with httpx.AsyncClient(base_url=world.stack.url, timeout=15, follow_redirects=False) as web:
        page = await web.get(f"/m/{raw}", headers={"accept-language": "km"})
        assert page.status_code == 200
        assert "ខ្ញុំនឹងមក" in page.text and f"មក {code}<" in page.text
        intention = re.search(r'name="intention_id" value="([0-9a-f]{32})"', page.text)
        assert intention is not None
        form = {"intention_id": intention.group(1), "groups": ["women", "youth"]}
        posted = await web.post(f"/m/{raw}/come", data=form)
        assert posted.status_code == 303 and "come=1" in posted.headers["location"]
        await web.post(f"/m/{raw}/come", data=form)  # a double tap counts once
        thanks = await web.get(posted.headers["location"], headers={"accept-language": "km"})
        assert "អ្នកត្រូវបានរាប់បញ្ចូលហើយ" in thanks.text

    anonymous = GraphQL(world.stack.url)  # the public page's GraphQL way, without an account
    try:
        answer = await data_of(
            anonymous,
            INTEND,
            {"i": {"meetingId": world.meeting["id"], "groups": ["youth"], "intentionId": "anon-0001-abcd"}},
        )
    finally:
        await anonymous.close()
    assert answer["code"] == code

    async def counted() -> dict[str, Any] | None:
        meeting = await data_of(world.council, GET, {"id": world.meeting["id"]})
        return meeting if meeting["intentions"]["total"] >= 4 else None

    meeting = await wait_for(counted, timeout=30)
    await asyncio.sleep(0.5)  # a wrongly double-counted COME would have landed by now
    meeting = await data_of(world.council, GET, {"id": world.meeting["id"]})
    assert meeting["intentions"]["total"] == 4  # SMS, Telegram, the page, GraphQL: once each
    assert meeting["intentions"]["byGroup"] == {"women": 1, "youth": 2}


async def test_an_announced_meeting_does_not_move_to_tonight_nor_into_the_night(world: World) -> None:
    soon = datetime.now(UTC) + timedelta(minutes=40)  # "21:45 tonight, 40 minutes ahead"
    error = await refused(
        world.council,
        RESCHEDULE,
        {
            "i": {
                "meetingId": world.meeting["id"],
                "startsAt": soon.isoformat(),
                "endsAt": (soon + timedelta(hours=1)).isoformat(),
                "reason": "ប្តូរពេល",
            }
        },
    )
    assert error["extensions"]["code"] == "meeting.reschedule_notice_too_short"
    assert "ថ្ងៃ" in error["message"]  # in Khmer, saying how many days of notice

    night = at(local_day(12), 21, 45)
    error = await refused(
        world.council,
        RESCHEDULE,
        {
            "i": {
                "meetingId": world.meeting["id"],
                "startsAt": night.isoformat(),
                "endsAt": (night + timedelta(hours=1)).isoformat(),
                "reason": "ប្តូរពេល",
            }
        },
    )
    assert error["extensions"]["code"] == "meeting.reschedule_at_night"
    meeting = await data_of(world.council, GET, {"id": world.meeting["id"]})
    assert meeting["sequence"] == world.meeting["sequence"]  # nothing changed


async def test_an_emergency_move_tells_everyone_again_and_moves_the_reminders(world: World) -> None:
    day = local_day(2)
    starts = at(day, 9)
    moved = await data_of(
        world.council,
        RESCHEDULE,
        {
            "i": {
                "meetingId": world.meeting["id"],
                "startsAt": starts.isoformat(),
                "endsAt": (starts + timedelta(hours=2)).isoformat(),
                "reason": "ភ្លៀងធ្លាក់ខ្លាំង",
                "emergencyReason": "ទឹកជំនន់ នៅសប្តាហ៍ក្រោយ",
            }
        },
    )
    assert moved["state"] == "RESCHEDULED"
    assert moved["history"][-1]["emergencyReason"] == "ទឹកជំនន់ នៅសប្តាហ៍ក្រោយ"
    for where in (SUBSCRIBER, COMER, "chat"):  # a subscriber, a COME sender, a Telegram chat
        text = await arrived(world, where, "ទឹកជំនន់")
        assert "ម៉ោង ០៩:០០" in text
    async with httpx.AsyncClient(base_url=world.stack.url, timeout=15) as web:
        page = await web.get(f"/m/{world.meeting['raw']}", headers={"accept-language": "km"})
    assert 'id="emergency-notice"' in page.text and "ទឹកជំនន់ នៅសប្តាហ៍ក្រោយ" in page.text

    async def withdrawn() -> list[dict[str, Any]] | None:
        failed = await world.deliveries(kind="meeting_reminder", status="failed")
        return (
            failed
            if failed and all(f["last_error"]["code"] == "reminder.rescheduled" for f in failed)
            else None
        )

    assert await wait_for(withdrawn)
    queued = await world.deliveries(kind="meeting_reminder", status="queued")
    assert {datetime.fromisoformat(r["next_attempt_at"]) for r in queued} == {at(day - timedelta(days=1), 7)}
    assert len({r["recipient"] for r in queued}) >= 3  # subscriber, COME sender, Telegram chat


async def test_cancelling_close_to_the_meeting_needs_the_emergency_reason_and_tells_everyone(
    world: World,
) -> None:
    error = await refused(world.council, CANCEL, {"id": world.meeting["id"], "r": "គ្មានបន្ទប់"})
    assert error["extensions"]["code"] == "meeting.cancel_notice_too_short"
    cancelled = await data_of(
        world.council, CANCEL, {"id": world.meeting["id"], "r": "គ្មានបន្ទប់", "e": "ស្ពានបាក់"}
    )
    assert cancelled["state"] == "CANCELLED"
    for where in (SUBSCRIBER, COMER, "chat"):
        assert "លុបចោល" in await arrived(world, where, "ស្ពានបាក់")

    async def none_left() -> bool:
        return not await world.deliveries(kind="meeting_reminder", status="queued")

    assert await wait_for(none_left)
    scripts = await world.deliveries(channel="loudspeaker", kind="meeting_cancelled")
    assert scripts and all("ស្ពានបាក់" in s["text"] for s in scripts)
