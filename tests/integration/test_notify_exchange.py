"""The notifications exchange on the whole running system (real processes, real nats-server),
with notify's channels pointed at local peers: a citizen's SMS comes in, a facilitator records
it, the citizen gets the tracking code by SMS; the council sees what was sent to whom, gets
push alerts on their phone, and marks notifications read, all through GraphQL.

The module restarts the stack's notify with its channels configured, and restores it after.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import nats
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy

from contracts.envelope import Envelope, new_event
from contracts.needs import NEED_STATUS_CHANGED, NeedStatus, NeedStatusChangedV1
from gateway.graphql.ids import raw_id
from infra.stack import Stack
from services.notify.channels.webpush_crypto import VapidKey
from tests.conftest import SUBMIT_NEED, GraphQL, wait_for
from tests.support.http import serve
from tests.support.push_service import PushService
from tests.support.sms_provider import SmsProvider
from tests.support.telegram_api import TelegramBotApi

COMMUNE_NUMBER = "+85523900101"
SMS_SECRET = "exchange-sms-webhook-secret-0123456789"
TELEGRAM_SECRET = "exchange_telegram_secret_0123456789"
BOT_TOKEN = "777:exchange-bot"

DELIVERIES = (
    "query($f: DeliveryFilter) { deliveries(filter: $f, first: 50) "
    "{ edges { node { kind channel status recipient ref text attempts lastError { code } } } } }"
)


@dataclass
class Peers:
    sms: SmsProvider
    telegram: TelegramBotApi
    push: PushService
    notify_url: str


@pytest.fixture(scope="module")
async def peers(stack: Stack) -> AsyncIterator[Peers]:
    sms = SmsProvider(api_key="exchange-sms-key", webhook_secret=SMS_SECRET)
    telegram = TelegramBotApi(token=BOT_TOKEN)
    push = PushService()
    async with serve(sms.app) as sms_url, serve(telegram.app) as telegram_url, serve(push.app) as push_url:
        push.base_url = push_url
        stack.restart(
            "notify",
            {
                "QUIET_HOURS": "off",  # the real clock may say night: quiet hours have their own tests
                "DISPATCH_INTERVAL_SECONDS": "0.2",
                "VAPID_PRIVATE_KEY": VapidKey.generate().private_setting(),
                "PUSH_ALLOW_INSECURE_ENDPOINTS": "true",
                "SMS_BASE_URL": sms_url,
                "SMS_API_KEY": "exchange-sms-key",
                "SMS_WEBHOOK_SECRET": SMS_SECRET,
                "SMS_NUMBERS": json.dumps({COMMUNE_NUMBER: "160101"}),
                "TELEGRAM_API_BASE": telegram_url,
                "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
                "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            },
        )
        notify_url = stack.processes["notify"].url or ""
        sms.notify_url = notify_url
        telegram.webhook = {"url": f"{notify_url}/webhooks/telegram", "secret_token": TELEGRAM_SECRET}
        try:
            yield Peers(sms, telegram, push, notify_url)
        finally:
            stack.restart("notify", {})


async def _inbound_for(stack: Stack, sender: str, since: datetime) -> dict[str, Any] | None:
    """The sender's InboundMessageReceived, read from ``since``: by then the session's stream
    holds thousands of notify events, and a filtered read from its start can outlast a fetch."""
    nc = await nats.connect(stack.nats_url)
    try:
        sub = await nc.jetstream().pull_subscribe(
            "khum.notify.InboundMessageReceived.v1.>",
            stream="KHUM_NOTIFY",
            config=ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_TIME, opt_start_time=since),
        )
        try:
            for _ in range(20):
                try:
                    msgs = await sub.fetch(100, timeout=2)
                except (nats.errors.TimeoutError, TimeoutError):
                    return None
                for msg in msgs:
                    event = Envelope.from_bytes(msg.data)
                    if event.data["sender"]["address"] == sender:
                        return event.data
            return None
        finally:
            await sub.unsubscribe()
    finally:
        await nc.close()


def _texts_to(sms: SmsProvider, number: str) -> list[str]:
    return [str(m["text"]) for m in sms.to(number)]


async def test_a_citizens_sms_becomes_a_need_and_the_citizen_gets_its_tracking_code_by_sms(
    stack: Stack, peers: Peers, facilitator: GraphQL
) -> None:
    citizen = "+85512777001"
    since = datetime.now(UTC) - timedelta(seconds=5)
    response = await peers.sms.incoming(citizen, COMMUNE_NUMBER, "ផ្លូវទៅសាលាបឋមសិក្សាខូចខាតខ្លាំង")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["status"], answer["outcome"]) == ("accepted", "need_message"), answer  # not a repeat
    event = await wait_for(lambda: _inbound_for(stack, citizen, since))
    assert event["commune_code"] == "160101"
    assert event["sender"] == {"channel": "sms", "address": citizen, "language": "km"}
    await wait_for(lambda: _async(bool(peers.sms.to(citizen))))  # the acknowledgement

    # Intake keeps the message as a need draft; a facilitator of the commune confirms it.
    async def drafted() -> dict[str, Any] | None:
        found = await facilitator.execute(
            'query { needDrafts(communeCode: "160101") { id text channel sender status } }'
        )
        return next((d for d in found["data"]["needDrafts"] if d["text"] == event["text"]), None)

    draft = await wait_for(drafted)
    assert draft["channel"] == "sms" and draft["status"] == "open"
    assert draft["sender"].endswith("001") and citizen not in draft["sender"]  # masked for a facilitator
    body = await facilitator.execute(
        "mutation($id: ID!, $i: ConfirmNeedDraftInput!) { confirmNeedDraft(id: $id, input: $i) "
        "{ trackingCode description } }",
        {"id": draft["id"], "i": {"villageCode": "16010101", "idempotencyKey": uuid.uuid4().hex}},
    )
    assert "errors" not in body, body
    assert body["data"]["confirmNeedDraft"]["description"] == event["text"]
    code = body["data"]["confirmNeedDraft"]["trackingCode"]
    again = await facilitator.execute(
        "mutation($id: ID!, $i: ConfirmNeedDraftInput!) { confirmNeedDraft(id: $id, input: $i) { trackingCode } }",
        {"id": draft["id"], "i": {"villageCode": "16010101", "idempotencyKey": uuid.uuid4().hex}},
    )
    assert again["errors"][0]["extensions"]["code"] == "draft.closed"

    async def receipt() -> str | None:
        return next((t for t in _texts_to(peers.sms, citizen) if code in t), None)

    text = await wait_for(receipt)
    assert text.startswith("ឃុំ៖ តម្រូវការរបស់អ្នកត្រូវបានកត់ត្រា។")

    await peers.sms.incoming(citizen, COMMUNE_NUMBER, f"STATUS {code}")

    async def answered() -> str | None:
        return next((t for t in _texts_to(peers.sms, citizen) if t.startswith(f"តម្រូវការ {code}៖")), None)

    assert await wait_for(answered) == f"តម្រូវការ {code}៖ បានកត់ត្រា។"


async def _async(value: Any) -> Any:
    return value


async def _need_with_contact(facilitator: GraphQL, number: str, language: str = "km") -> dict[str, Any]:
    body = await facilitator.execute(
        SUBMIT_NEED,
        {
            "i": {
                "villageCode": "16010102",
                "description": "អណ្តូងទឹកស្អាតសម្រាប់ភូមិកាតែ",
                "idempotencyKey": uuid.uuid4().hex,
                "raisedBy": {
                    "consent": "verbal",
                    "contactChannel": "sms",
                    "contactAddress": number,
                    "contactLanguage": language,
                },
            }
        },
    )
    assert "errors" not in body, body
    need: dict[str, Any] = body["data"]["submitNeed"]
    return need


async def test_the_council_validates_a_need_and_its_citizen_hears_it(
    peers: Peers, facilitator: GraphQL, council: GraphQL
) -> None:
    number = "+85512777002"
    need = await _need_with_contact(facilitator, number, "en")
    await wait_for(lambda: _async(len(peers.sms.to(number)) >= 1))
    validated = await council.execute(
        'mutation($id: ID!) { validateNeed(id: $id, reason: "Seen by the council") { status } }',
        {"id": need["id"]},
    )
    assert "errors" not in validated, validated

    async def told() -> str | None:
        return next((t for t in _texts_to(peers.sms, number) if "checked by the commune" in t), None)

    assert await wait_for(told) == (
        f"Khum: need {need['trackingCode']} is now checked by the commune. Reason: Seen by the council"
    )


async def test_the_council_sees_what_was_sent_to_whom_and_a_facilitator_does_not(
    peers: Peers, facilitator: GraphQL, council: GraphQL
) -> None:
    number = "+85512777003"
    need = await _need_with_contact(facilitator, number)
    await wait_for(lambda: _async(bool(peers.sms.to(number))))

    async def listed() -> list[dict[str, Any]] | None:
        body = await council.execute(DELIVERIES, {"f": {"ref": need["trackingCode"], "channel": "SMS"}})
        assert "errors" not in body, body
        nodes = [e["node"] for e in body["data"]["deliveries"]["edges"]]
        return nodes if nodes and nodes[0]["status"] in ("SENT", "DELIVERED") else None

    [sent] = await wait_for(listed)
    assert sent["kind"] == "need_receipt"
    assert sent["recipient"] == "+85512•••003"
    assert need["trackingCode"] in sent["text"]

    refused = await facilitator.execute(DELIVERIES, {"f": None})
    assert refused["errors"][0]["extensions"]["code"] == "auth.forbidden"


async def test_a_council_members_phone_gets_a_push_alert_for_a_new_need(
    peers: Peers, facilitator: GraphQL, council: GraphQL
) -> None:
    key = await council.execute("query { pushPublicKey }")
    assert key["data"]["pushPublicKey"]
    phone = peers.push.subscribe()
    browser = phone.as_browser_json(peers.push.base_url)
    registered = await council.execute(
        "mutation($i: PushSubscriptionInput!) { registerPushSubscription(input: $i) { id active language } }",
        {"i": {"endpoint": browser["endpoint"], **browser["keys"], "language": "en"}},
    )
    assert registered["data"]["registerPushSubscription"]["active"] is True

    body = await facilitator.execute(
        SUBMIT_NEED,
        {"i": {"villageCode": "16010103", "description": "ស្ពានឈើបាក់", "idempotencyKey": uuid.uuid4().hex}},
    )
    code = body["data"]["submitNeed"]["trackingCode"]

    async def alerted() -> dict[str, Any] | None:
        return next((r["payload"] for r in phone.received if code in r["payload"]["body"]), None)

    payload = await wait_for(alerted)
    assert payload["title"] == "Khum"
    assert payload["body"].startswith(f"New need {code}")
    assert peers.push.rejected == []


async def test_a_council_member_marks_a_notification_read(facilitator: GraphQL, council: GraphQL) -> None:
    body = await facilitator.execute(
        SUBMIT_NEED,
        {"i": {"villageCode": "16010104", "description": "មណ្ឌលសុខភាព", "idempotencyKey": uuid.uuid4().hex}},
    )
    code = body["data"]["submitNeed"]["trackingCode"]

    async def unread() -> dict[str, Any] | None:
        result = await council.execute(
            "query { notifications(first: 50) { edges { node { id ref read } } } }"
        )
        return next(
            (e["node"] for e in result["data"]["notifications"]["edges"] if e["node"]["ref"] == code), None
        )

    node = await wait_for(unread)
    assert node["read"] is False
    marked = await council.execute(
        "mutation($id: ID!) { markNotificationRead(id: $id) { id read } }", {"id": node["id"]}
    )
    assert marked["data"]["markNotificationRead"] == {"id": node["id"], "read": True}
    assert (await unread())["read"] is True
    stranger = await facilitator.execute(
        "mutation($id: ID!) { markNotificationRead(id: $id) { id } }", {"id": node["id"]}
    )
    assert stranger["errors"][0]["extensions"]["code"] == "notification.not_found"


# ---------- pages (gateway/web/notify.py) ----------


async def _publish_outcome(stack: Stack, need: dict[str, Any], status: str, reason: str) -> None:
    """The status change intake publishes when budget decides (here published as intake would)."""
    event = new_event(
        NeedStatusChangedV1(
            need_id=raw_id("Need", need["id"]),
            tracking_code=need["trackingCode"],
            commune_code="160101",
            village_code="16010102",
            previous=NeedStatus.IN_CIP,
            status=NeedStatus(status),
            reason=reason,
            actor="budget",
            changed_at=datetime.now(UTC),
        ),
        event_type=NEED_STATUS_CHANGED,
        source="/khum/intake",
        communecode="160101",
        subject=raw_id("Need", need["id"]),
    )
    nc = await nats.connect(stack.nats_url)
    try:
        await nc.jetstream().publish(event.nats_subject, event.to_bytes(), headers={"Nats-Msg-Id": event.id})
    finally:
        await nc.close()


async def test_a_village_chief_reads_out_an_outcome_and_marks_it_announced(
    stack: Stack, peers: Peers, facilitator: GraphQL
) -> None:
    need = await _need_with_contact(facilitator, "+85512777004")
    await _publish_outcome(stack, need, "rejected", "ភូមិផ្សេងមានអាទិភាពខ្ពស់ជាង")
    http = facilitator.http

    async def listed() -> str | None:
        page = await http.get("/loudspeaker", headers={"accept": "text/html"})
        assert page.status_code == 200, page.text
        match = re.search(
            r'data-id="([0-9a-f-]+)">\s*<p><strong>[^<]*</strong> · <span class="code">'
            + need["trackingCode"],
            page.text,
        )
        return match.group(1) if match else None

    script_id = await wait_for(listed)
    script = await http.get(f"/loudspeaker/{script_id}")
    assert script.status_code == 200
    assert script.text.count("មិនត្រូវបានទទួលយក") == 2  # the answer, said twice
    assert "ភូមិផ្សេងមានអាទិភាពខ្ពស់ជាង" in script.text
    assert "data-print" in script.text

    # The facilitator reads the list but does not read it out: no button, and the post is refused.
    assert "Mark as announced" not in script.text and "សម្គាល់ថាបានប្រកាសរួច" not in script.text
    not_chief = await http.post(f"/loudspeaker/{script_id}/announced", data={"csrf_token": facilitator.csrf})
    assert not_chief.status_code == 403

    chief = GraphQL(stack.url)
    try:
        await chief.login("bopha")  # the commune chief
        page = await chief.http.get(f"/loudspeaker/{script_id}")
        assert "សម្គាល់ថាបានប្រកាសរួច" in page.text or "Mark as announced" in page.text
        refused = await chief.http.post(f"/loudspeaker/{script_id}/announced", data={"csrf_token": "forged"})
        assert refused.status_code == 400
        done = await chief.http.post(
            f"/loudspeaker/{script_id}/announced", data={"csrf_token": chief.csrf}, follow_redirects=False
        )
        assert done.status_code == 303 and done.headers["location"] == "/loudspeaker"
        after = await chief.http.get(f"/loudspeaker/{script_id}")
        assert "Mark as announced" not in after.text and "សម្គាល់ថាបានប្រកាសរួច" not in after.text
        assert "បុប្ផា Bopha" in after.text  # who read it aloud
    finally:
        await chief.close()


async def test_the_council_page_lists_messages_sent_and_a_facilitator_is_refused(
    peers: Peers, facilitator: GraphQL, council: GraphQL
) -> None:
    number = "+85512777005"
    need = await _need_with_contact(facilitator, number)
    await wait_for(lambda: _async(bool(peers.sms.to(number))))

    async def shown() -> str | None:
        page = await council.http.get("/notify/deliveries", params={"channel": "sms"})
        assert page.status_code == 200, page.text
        return page.text if need["trackingCode"] in page.text else None

    html = await wait_for(shown)
    assert "+85512•••005" in html and number not in html
    assert "សារដែលបានផ្ញើ" in html  # Khmer page by default
    # Each SMS says its parts, its alphabet (Khmer: UCS-2) and its cost in riel, in Khmer digits.
    assert re.search(r'class="sms-cost">សារ SMS [០-៩]+ ផ្នែក \(ខ្មែរ/យូនីកូដ\) · ប្រហែល [០-៩,]+ រៀល<', html), html
    refused = await facilitator.http.get("/notify/deliveries")
    assert refused.status_code == 403
