"""Messages coming in: citizens' SMS and Telegram messages, SMS delivery receipts. Webhooks
are authenticated by signature or secret (401 and nothing stored otherwise); commands are
answered from notify's own data; anything else becomes an InboundMessageReceived event."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from contracts.envelope import uuid7
from contracts.needs import (
    NEED_STATUS_CHANGED,
    NEED_SUBMITTED,
    ContactChannel,
    ContactPoint,
    NeedStatus,
    NeedStatusChangedV1,
    NeedSubmittedV1,
    PlaceName,
)
from tests.conftest import wait_for
from tests.support.notify_harness import COMMUNE_NUMBER, MORNING, TELEGRAM_SECRET, Harness, notify_harness

_numbers = itertools.count(20_000_000)
_chats = itertools.count(800_000)


def phone() -> str:
    return f"+85516{next(_numbers) % 10**7:07d}"


@pytest.fixture(scope="module")
async def h(nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    async with notify_harness(nats_url, Path(tmp_path_factory.mktemp("notify-in"))) as harness:
        yield harness


@pytest.fixture(autouse=True)
def morning(h: Harness) -> None:
    h.clock.set(MORNING)


async def _replies(h: Harness, number: str, count: int) -> list[dict[str, Any]]:
    async def arrived() -> list[dict[str, Any]] | None:
        await h.dispatch()
        found = h.sms.to(number)
        return found if len(found) >= count else None

    result: list[dict[str, Any]] = await wait_for(arrived)
    return result


async def _inbound_events(h: Harness, sender: str) -> list[dict[str, Any]]:
    events = await h.events("khum.notify.InboundMessageReceived.v1.*")
    return [e["event"].data for e in events if e["event"].data["sender"]["address"] == sender]


async def _known_need(h: Harness, code: str, contacts: list[ContactPoint] | None = None) -> NeedSubmittedV1:
    submitted = NeedSubmittedV1(
        need_id=uuid7(),
        tracking_code=code,
        commune_code="160101",
        village_code="16010103",
        village_name=PlaceName(km="កាចាញ", latin="Ka Chanh"),
        description="អណ្តូងទឹកស្អាតសម្រាប់សាលារៀន",
        collected_by="u-sophea",
        submitted_at=MORNING,
        contacts=contacts or [],
    )
    await h.publish(submitted, NEED_SUBMITTED, "160101")
    await wait_for(lambda: h.store.find_one("needs", {"tracking_code": code}))
    return submitted


# ---------- SMS in ----------


async def test_a_citizens_sms_becomes_an_inbound_message_event_and_is_acknowledged(h: Harness) -> None:
    sender = phone()
    response = await h.sms.incoming(sender, COMMUNE_NUMBER, "ផ្លូវទៅសាលារៀនខូច សូមជួសជុល")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted" and response.json()["outcome"] == "need_message"

    [event] = await wait_for(lambda: _inbound_events(h, sender))
    assert event["commune_code"] == "160101"
    assert event["channel"] == "sms"
    assert event["text"] == "ផ្លូវទៅសាលារៀនខូច សូមជួសជុល"
    assert event["sender"] == {"channel": "sms", "address": sender, "language": "km"}
    assert event["message_id"] == response.json()["message_id"]

    [ack] = await _replies(h, sender, 1)
    assert "ឃុំបានទទួលសាររបស់អ្នក" in ack["text"]


async def test_the_provider_retrying_an_sms_makes_no_second_event_or_reply(h: Harness) -> None:
    sender = phone()
    first = await h.sms.incoming(sender, COMMUNE_NUMBER, "ត្រូវការអណ្តូងទឹក", message_id="MO-retry-1")
    again = await h.sms.incoming(sender, COMMUNE_NUMBER, "ត្រូវការអណ្តូងទឹក", message_id="MO-retry-1")
    assert again.json() == {**first.json(), "status": "duplicate"}
    await _replies(h, sender, 1)
    await h.dispatch()
    assert len(h.sms.to(sender)) == 1
    assert len(await _inbound_events(h, sender)) == 1


@pytest.mark.parametrize("problem", ["wrong secret", "no signature", "stale", "tampered"])
async def test_an_sms_webhook_with_a_bad_signature_gets_401_and_nothing_is_stored(
    h: Harness, problem: str
) -> None:
    sender = phone()
    payload = {"id": f"MO-bad-{problem}", "from": sender, "to": COMMUNE_NUMBER, "text": "ផ្លូវខូច"}
    body = json.dumps(payload).encode()
    signature = {
        "wrong secret": h.sms.signature(body, secret="not-the-secret-0123456789abcdef"),
        "no signature": "",
        "stale": h.sms.signature(body, timestamp=int(MORNING.timestamp()) - 3600),
        "tampered": h.sms.signature(body.replace(b"\\u1795", b"x")),
    }[problem]
    before = await h.store.count("inbound_messages", {})
    headers = {"content-type": "application/json", "x-khum-signature": signature}
    if problem == "tampered":
        signature = h.sms.signature(json.dumps({**payload, "text": "other"}).encode())
        headers["x-khum-signature"] = signature
    response = await h.http.post("/webhooks/sms/inbound", content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "webhook.signature_invalid"
    assert await h.store.count("inbound_messages", {}) == before
    assert await h.store.get("contacts", f"sms:{sender}") is None


@pytest.mark.parametrize(
    "payload",
    [
        {"id": "MO-x", "to": COMMUNE_NUMBER, "text": "no sender"},
        {"from": "+85512000000"},
        ["not", "an", "object"],
    ],
)
async def test_a_malformed_sms_webhook_gets_a_clear_400(h: Harness, payload: object) -> None:
    response = await h.sms.post("/webhooks/sms/inbound", payload)  # type: ignore[arg-type]
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "webhook.payload_invalid"
    assert "ទិន្នន័យ webhook មិនត្រឹមត្រូវ" in error["message"]  # Khmer unless asked otherwise


async def test_an_sms_from_a_number_that_is_not_a_phone_is_refused_clearly_and_not_stored(h: Harness) -> None:
    before = await h.store.count("inbound_messages", {})
    response = await h.sms.incoming("SHORTCODE", COMMUNE_NUMBER, "hello")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "contact.sms_invalid"
    assert await h.store.count("inbound_messages", {}) == before


async def test_stop_ends_messages_on_that_number_and_start_brings_them_back(h: Harness) -> None:
    sender = phone()
    need = await _known_need(h, "HJKM-NPQ", [ContactPoint(channel=ContactChannel.SMS, address=sender)])
    await _replies(h, sender, 1)  # the receipt

    stop = await h.sms.incoming(sender, COMMUNE_NUMBER, "STOP")
    assert stop.json()["outcome"] == "command:stop"
    _, confirmation = await _replies(h, sender, 2)
    assert confirmation["text"] == "អ្នកនឹងមិនទទួលសារពីឃុំទៀតទេ។ ផ្ញើ START ដើម្បីទទួលម្តងទៀត។"
    contact = await h.store.get("contacts", f"sms:{sender}")
    assert contact is not None and contact["opted_out"] is True

    change = NeedStatusChangedV1(
        need_id=need.need_id,
        tracking_code=need.tracking_code,
        commune_code="160101",
        village_code="16010103",
        previous=NeedStatus.SUBMITTED,
        status=NeedStatus.VALIDATED,
        actor="u-dara",
        changed_at=MORNING,
    )
    await h.publish(change, NEED_STATUS_CHANGED, "160101")
    await wait_for(h.caught_up)
    await h.dispatch()
    assert len(h.sms.to(sender)) == 2  # nothing more after STOP
    assert await h.deliveries(ref=need.tracking_code, kind="need_status_changed") == []

    await h.sms.incoming(sender, COMMUNE_NUMBER, "START")
    await _replies(h, sender, 3)
    contact = await h.store.get("contacts", f"sms:{sender}")
    assert contact is not None and contact["opted_out"] is False


async def test_status_with_a_tracking_code_answers_from_notifys_copy_with_the_reason(h: Harness) -> None:
    need = await _known_need(h, "JKMN-PQR")
    change = NeedStatusChangedV1(
        need_id=need.need_id,
        tracking_code=need.tracking_code,
        commune_code="160101",
        village_code="16010103",
        previous=NeedStatus.IN_CIP,
        status=NeedStatus.DEFERRED,
        reason="ថវិកាឆ្នាំនេះមិនគ្រប់គ្រាន់",
        actor="budget",
        changed_at=MORNING,
    )
    await h.publish(change, NEED_STATUS_CHANGED, "160101")
    await wait_for(lambda: _status_is(h, need.tracking_code, "deferred"))
    sender = phone()
    response = await h.sms.incoming(sender, COMMUNE_NUMBER, "status jkmn pqr")
    assert response.json()["outcome"] == "command:status"
    [answer] = await _replies(h, sender, 1)
    assert answer["text"] == "តម្រូវការ JKMN-PQR៖ ពន្យារទៅឆ្នាំក្រោយ។ មូលហេតុ៖ ថវិកាឆ្នាំនេះមិនគ្រប់គ្រាន់"
    assert await _inbound_events(h, sender) == []  # a question, not a need


async def _status_is(h: Harness, code: str, status: str) -> bool:
    doc = await h.store.find_one("needs", {"tracking_code": code})
    return bool(doc and doc["status"] == status)


async def test_status_with_an_unknown_code_says_so(h: Harness) -> None:
    sender = phone()
    await h.sms.incoming(sender, COMMUNE_NUMBER, "STATUS ZZZZ-ZZZ")
    [answer] = await _replies(h, sender, 1)
    assert answer["text"].startswith("រកមិនឃើញតម្រូវការដែលមានលេខ ZZZZ-ZZZ ទេ។")


async def test_lang_en_switches_the_replies_to_english(h: Harness) -> None:
    sender = phone()
    await h.sms.incoming(sender, COMMUNE_NUMBER, "LANG EN")
    [answer] = await _replies(h, sender, 1)
    assert answer["text"] == "From now on we will write to you in English."
    await h.sms.incoming(sender, COMMUNE_NUMBER, "HELP")
    _, help_text = await _replies(h, sender, 2)
    assert help_text["text"].startswith("Khum: write your need")


# ---------- delivery receipts ----------


async def _sent_receipt(h: Harness) -> tuple[str, dict[str, Any]]:
    sender = phone()
    await h.sms.incoming(sender, COMMUNE_NUMBER, "HELP")
    [message] = await _replies(h, sender, 1)
    # The provider has it; wait until notify has recorded the send with the provider's id.
    await wait_for(lambda: h.deliveries(provider_id=message["id"]))
    return sender, message


async def test_a_delivery_receipt_marks_the_sms_delivered(h: Harness) -> None:
    _, message = await _sent_receipt(h)
    response = await h.sms.receipt(message["id"], "delivered")
    assert response.json()["status"] == "applied"
    [delivery] = await h.deliveries(provider_id=message["id"])
    assert delivery["status"] == "delivered"
    again = await h.sms.receipt(message["id"], "delivered")
    assert again.json()["status"] == "ignored"  # already final: nothing moves twice


async def test_a_failed_receipt_fails_the_delivery_for_good(h: Harness) -> None:
    _, message = await _sent_receipt(h)
    await h.sms.receipt(message["id"], "undelivered", error="handset unreachable for 48 h")
    [delivery] = await h.deliveries(provider_id=message["id"])
    assert delivery["status"] == "failed"
    assert delivery["last_error"] == {"code": "sms.undelivered", "reason": "handset unreachable for 48 h"}


async def test_a_receipt_that_arrives_before_the_send_is_recorded_is_kept_and_applied_later(
    h: Harness,
) -> None:
    early = await h.sms.receipt("SM-not-yet-known", "delivered")
    assert early.json()["status"] == "pending"
    pending = await h.store.get("pending_receipts", "SM-not-yet-known")
    assert pending is not None and pending["status"] == "delivered" and pending["applied"] is False


async def test_a_receipt_that_beats_the_send_is_applied_once_the_send_is_recorded(h: Harness) -> None:
    h.sms.receipt_first = True
    try:
        sender = phone()
        await h.sms.incoming(sender, COMMUNE_NUMBER, "HELP")
        [message] = await _replies(h, sender, 1)
    finally:
        h.sms.receipt_first = False
    assert message["early_receipt"]["status"] == "pending"

    async def delivered() -> bool:
        found = await h.deliveries(provider_id=message["id"])
        return bool(found and found[0]["status"] == "delivered")

    await wait_for(delivered)
    pending = await h.store.get("pending_receipts", message["id"])
    assert pending is not None and pending["applied"] is True


async def test_a_receipt_with_a_wrong_signature_changes_nothing(h: Harness) -> None:
    _, message = await _sent_receipt(h)
    body = json.dumps({"id": message["id"], "status": "failed"}).encode()
    response = await h.http.post(
        "/webhooks/sms/receipts",
        content=body,
        headers={"x-khum-signature": h.sms.signature(body, secret="forged-secret-0123456789abcdef0")},
    )
    assert response.status_code == 401
    [delivery] = await h.deliveries(provider_id=message["id"])
    assert delivery["status"] == "sent"


# ---------- Telegram in ----------


async def test_a_telegram_update_with_a_wrong_secret_token_gets_401_and_nothing_is_stored(h: Harness) -> None:
    chat = next(_chats)
    before = await h.store.count("inbound_messages", {})
    for secret in ("wrong", ""):
        response = await h.telegram.deliver(h.telegram.update(chat, "ផ្លូវខូច"), secret=secret or "x")
        assert response.status_code == 401
    assert await h.store.count("inbound_messages", {}) == before
    assert await h.store.get("contacts", f"telegram:{chat}") is None


async def test_the_communes_telegram_link_binds_the_chat_then_messages_become_events(h: Harness) -> None:
    chat = next(_chats)
    unknown = await h.telegram.user_writes(chat, "ត្រូវការស្ពាន")
    assert unknown.json()["outcome"] == "unrouted"  # which commune? asked, and kept

    start = await h.telegram.user_writes(chat, "/start 160101")
    assert start.json()["outcome"] == "command:start"
    subscription = await h.store.get("subscriptions", f"telegram:{chat}|160101")
    assert subscription is not None and subscription["active"]

    message = await h.telegram.user_writes(chat, "ត្រូវការស្ពានឆ្លងអូរ")
    assert message.json()["outcome"] == "need_message"
    [event] = await wait_for(lambda: _inbound_events(h, str(chat)))
    assert event["channel"] == "telegram" and event["commune_code"] == "160101"
    assert event["text"] == "ត្រូវការស្ពានឆ្លងអូរ"

    async def replied() -> list[dict[str, Any]] | None:
        await h.dispatch()
        found = h.telegram.to(chat)
        return found if len(found) >= 3 else None

    no_commune, welcome, ack = await wait_for(replied)
    assert "យើងមិនទាន់ដឹងពីឃុំរបស់អ្នក" in no_commune["text"]
    assert welcome["text"].startswith("សូមស្វាគមន៍មកកាន់ឃុំ")
    assert ack["text"].startswith("សូមអរគុណ")


async def test_telegram_updates_without_text_are_acknowledged_and_ignored(h: Harness) -> None:
    chat = next(_chats)
    response = await h.telegram.deliver(h.telegram.update(chat, None))
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    malformed = await h.telegram.deliver({"message": {"text": "no update id"}})
    assert malformed.status_code == 400
    assert malformed.json()["error"]["code"] == "webhook.payload_invalid"


async def test_a_citizen_who_blocked_the_bot_is_treated_as_opted_out(h: Harness) -> None:
    chat = next(_chats)
    await h.telegram.user_writes(chat, "/start 160101")
    await wait_for(lambda: _dispatched(h, lambda: bool(h.telegram.to(chat))))
    h.telegram.blocked.add(chat)
    await h.telegram.user_writes(chat, "HELP")

    async def opted_out() -> bool:
        await h.dispatch()
        contact = await h.store.get("contacts", f"telegram:{chat}")
        return bool(contact and contact["opted_out"])

    await wait_for(opted_out)


async def _dispatched(h: Harness, done: Any) -> bool:
    await h.dispatch()
    return bool(done())


def test_the_telegram_secret_in_the_harness_is_one_telegram_accepts() -> None:
    assert all(c.isalnum() or c in "_-" for c in TELEGRAM_SECRET)


async def test_an_sms_to_a_number_no_commune_uses_is_kept_and_answered(h: Harness) -> None:
    sender = phone()
    response = await h.sms.incoming(sender, "+85523999999", "ត្រូវការផ្លូវ")
    assert response.json()["outcome"] == "unrouted"
    stored = await h.store.get("inbound_messages", response.json()["message_id"])
    assert stored is not None and stored["text"] == "ត្រូវការផ្លូវ" and stored["commune_code"] is None
    [answer] = await _replies(h, sender, 1)
    assert answer["text"].startswith("យើងមិនអាចដឹងថាលេខនេះជារបស់ឃុំណាទេ")
    assert await _inbound_events(h, sender) == []
