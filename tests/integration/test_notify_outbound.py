"""Notify as a running service over a real nats-server, with a fixed clock and local channel
peers: who hears what, once; quiet hours; retries with backoff; dead letters; push removal."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
from services.runtime.identity import Role
from tests.conftest import wait_for
from tests.support.notify_harness import MORNING, Harness, notify_harness

_phones = itertools.count(10_000_000)
_codes = itertools.count(0)
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def phone() -> str:
    """A fresh Cambodian mobile number per test, so counts never mix."""
    return f"+85517{next(_phones) % 10**7:07d}"


def tracking_code() -> str:
    n = next(_codes) + uuid.uuid4().int % 10**6
    letters = "".join(ALPHABET[(n >> (5 * i)) % 32] for i in range(7))
    return f"{letters[:4]}-{letters[4:]}"


def need(contacts: list[ContactPoint], village: str = "16010102") -> NeedSubmittedV1:
    return NeedSubmittedV1(
        need_id=uuid7(),
        tracking_code=tracking_code(),
        commune_code="160101",
        village_code=village,
        village_name=PlaceName(km="កាតែ", latin="Ka Hal"),
        description="ផ្លូវលំភូមិកាតែ ខូចខាតខ្លាំង",
        collected_by="u-sophea",
        submitted_at=MORNING,
        contacts=contacts,
    )


def status_change(
    submitted: NeedSubmittedV1, status: NeedStatus, reason: str | None, at: datetime
) -> NeedStatusChangedV1:
    return NeedStatusChangedV1(
        need_id=submitted.need_id,
        tracking_code=submitted.tracking_code,
        commune_code=submitted.commune_code,
        village_code=submitted.village_code,
        previous=NeedStatus.SUBMITTED,
        status=status,
        reason=reason,
        actor="u-dara",
        changed_at=at,
    )


def sms(number: str, language: str = "km") -> ContactPoint:
    return ContactPoint(channel=ContactChannel.SMS, address=number, language=language)


@pytest.fixture(scope="module")
async def h(nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    async with notify_harness(nats_url, Path(tmp_path_factory.mktemp("notify-out"))) as harness:
        yield harness


@pytest.fixture(autouse=True)
def morning(h: Harness) -> None:
    h.clock.set(MORNING)


async def _sent_to(h: Harness, number: str, count: int = 1) -> list[dict[str, object]]:
    async def arrived() -> list[dict[str, object]] | None:
        await h.dispatch()
        found = h.sms.to(number)
        return found if len(found) >= count else None

    result: list[dict[str, object]] = await wait_for(arrived)
    return result


async def test_a_recorded_need_reaches_the_council_inbox_and_each_citizen_on_their_channel(
    h: Harness,
) -> None:
    number = phone()
    contacts = [
        sms(number),
        ContactPoint(channel=ContactChannel.TELEGRAM, address="900001", language="en"),
        ContactPoint(channel=ContactChannel.EMAIL, address="sokha@example.org", language="km"),
    ]
    submitted = need(contacts)
    await h.publish(submitted, NEED_SUBMITTED, "160101", subject=submitted.need_id)
    [text] = await _sent_to(h, number)
    assert submitted.tracking_code in str(text["text"])
    assert "លេខតាមដាន" in str(text["text"])

    await wait_for(lambda: _dispatched(h, lambda: bool(h.telegram.to(900001)) and bool(h.mail.to("sokha@"))))
    [telegram] = h.telegram.to(900001)
    assert f"Tracking code: {submitted.tracking_code}" in telegram["text"]  # English, as chosen
    [mail] = h.mail.to("sokha@example.org")
    assert mail["Subject"] == f"តម្រូវការរបស់អ្នកត្រូវបានកត់ត្រា៖ {submitted.tracking_code}"

    inbox = await h.store.find_one("notifications", {"ref": submitted.tracking_code})
    assert inbox is not None and inbox["audience"] == "council:160101"
    receipts = await _settled(h, ref=submitted.tracking_code, kind="need_receipt")
    assert sorted(d["channel"] for d in receipts) == ["email", "sms", "telegram"]
    assert all(d["status"] == "sent" and d["attempts"] == 1 for d in receipts)
    assert all(number not in d["recipient"] for d in receipts)  # masked


async def _settled(h: Harness, **where: object) -> list[dict[str, object]]:
    """The deliveries matching ``where`` once none is still queued or being sent (the peer may
    have a message a moment before notify has recorded its answer)."""

    async def done() -> list[dict[str, object]] | None:
        found = await h.deliveries(**where)
        return found if found and all(d["status"] not in ("queued", "sending") for d in found) else None

    result: list[dict[str, object]] = await wait_for(done)
    return result


async def _dispatched(h: Harness, done: object) -> bool:
    await h.dispatch()
    return bool(done())  # type: ignore[operator]


async def test_the_same_event_delivered_three_times_by_nats_sends_each_message_once(h: Harness) -> None:
    number = phone()
    submitted = need([sms(number)])
    envelope = await h.publish(submitted, NEED_SUBMITTED, "160101")
    await h.republish(envelope)
    await h.republish(envelope)
    await _sent_to(h, number)
    await wait_for(h.caught_up)
    await h.dispatch()
    assert len(h.sms.to(number)) == 1
    assert len(await h.deliveries(cause=envelope.id, channel="sms")) == 1
    assert await h.store.count("notifications", {"ref": submitted.tracking_code}) == 1


async def test_no_sms_at_night_it_waits_for_six_in_the_morning_while_telegram_goes_at_once(
    h: Harness,
) -> None:
    night = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)  # 22:30 in Phnom Penh
    h.clock.set(night)
    number = phone()
    submitted = need([sms(number), ContactPoint(channel=ContactChannel.TELEGRAM, address="900002")])
    await h.publish(submitted, NEED_SUBMITTED, "160101")
    await wait_for(lambda: _dispatched(h, lambda: bool(h.telegram.to(900002))))
    await wait_for(h.caught_up)
    await h.dispatch()
    assert h.sms.to(number) == []
    [waiting] = await h.deliveries(ref=submitted.tracking_code, channel="sms")
    assert waiting["status"] == "queued"
    assert waiting["next_attempt_at"] == datetime(2026, 3, 10, 23, 0, tzinfo=UTC).isoformat()  # 06:00 local

    h.clock.set(datetime(2026, 3, 10, 22, 59, tzinfo=UTC))  # 05:59: still quiet
    await h.dispatch()
    assert h.sms.to(number) == []
    h.clock.set(datetime(2026, 3, 10, 23, 0, tzinfo=UTC))
    await _sent_to(h, number)


async def test_a_provider_outage_is_retried_with_backoff_until_it_succeeds(h: Harness) -> None:
    number = phone()
    h.sms.fail_next(503, "maintenance", times=2)
    submitted = need([sms(number)])
    await h.publish(submitted, NEED_SUBMITTED, "160101")

    async def attempts() -> dict[str, object] | None:
        await h.dispatch()
        found = await h.deliveries(ref=submitted.tracking_code, channel="sms")
        return found[0] if found and found[0]["attempts"] >= 1 and found[0]["status"] == "queued" else None

    first = await wait_for(attempts)
    retry_at = datetime.fromisoformat(str(first["next_attempt_at"]))
    assert timedelta(seconds=0.5) <= retry_at - MORNING <= timedelta(seconds=1)  # base 1 s, jitter
    assert first["last_error"]["code"] == "sms.unavailable"  # type: ignore[index]
    await h.dispatch()
    assert h.sms.to(number) == []  # not yet due: the clock has not moved

    h.clock.advance(1)
    await wait_for(lambda: _dispatched(h, lambda: h.sms.requests and True))
    h.clock.advance(2)
    await _sent_to(h, number)
    [done] = await _settled(h, ref=submitted.tracking_code, channel="sms")
    assert done["status"] == "sent" and done["attempts"] == 3
    assert [step["status"] for step in done["history"]] == [
        "queued",
        "sending",
        "queued",
        "sending",
        "queued",
        "sending",
        "sent",
    ]


async def test_a_number_the_provider_refuses_is_a_dead_letter_with_its_reason(h: Harness) -> None:
    number = phone()
    h.sms.fail_next(400, "invalid_number")
    submitted = need([sms(number)])
    await h.publish(submitted, NEED_SUBMITTED, "160101")

    async def failed() -> dict[str, object] | None:
        await h.dispatch()
        found = await h.deliveries(ref=submitted.tracking_code, channel="sms", status="failed")
        return found[0] if found else None

    delivery = await wait_for(failed)
    assert delivery["dead_lettered"] is True and delivery["attempts"] == 1
    assert delivery["last_error"]["code"] == "sms.invalid_number"  # type: ignore[index]

    async def announced() -> list[dict[str, object]]:
        events = await h.events("khum.notify.NotificationFailed.v1.160101")
        return [e for e in events if e["event"].data["delivery_id"] == delivery["id"]]

    [failed_event] = await wait_for(announced)
    assert failed_event["event"].data["error_code"] == "sms.invalid_number"
    assert failed_event["event"].data["dead_lettered"] is True
    assert number not in str(failed_event["event"].data)

    async def dead_letter() -> list[dict[str, object]]:
        letters = await h.events("khum.dlq.notify-deliveries.>")
        return [d for d in letters if d["event"].data["delivery_id"] == delivery["id"]]

    [letter] = await wait_for(dead_letter)
    assert "invalid_number" in letter["headers"]["Khum-Dlq-Reason"]


async def test_when_retries_run_out_the_delivery_fails_for_good(h: Harness) -> None:
    number = phone()
    h.sms.fail_next(500, "boom", times=3)  # max_attempts is 3 in the harness
    submitted = need([sms(number)])
    await h.publish(submitted, NEED_SUBMITTED, "160101")

    async def final() -> dict[str, object] | None:
        await h.dispatch()
        h.clock.advance(10)  # past any backoff (cap 8 s)
        found = await h.deliveries(ref=submitted.tracking_code, channel="sms")
        return found[0] if found and found[0]["status"] == "failed" else None

    delivery = await wait_for(final)
    assert delivery["attempts"] == 3
    assert delivery["last_error"]["code"] == "retries_exhausted"  # type: ignore[index]
    assert delivery["dead_lettered"] is True
    assert h.sms.to(number) == []


async def test_an_invalid_contact_is_recorded_as_failed_and_the_others_still_hear(h: Harness) -> None:
    number = phone()
    submitted = need([sms("12345"), sms(number)])
    await h.publish(submitted, NEED_SUBMITTED, "160101")
    await _sent_to(h, number)
    failed = await h.deliveries(ref=submitted.tracking_code, status="failed")
    assert [(d["recipient"], d["last_error"]["code"]) for d in failed] == [
        ("(invalid address)", "contact.sms_invalid")
    ]
    assert failed[0]["dead_lettered"] is False


async def test_a_status_change_reaches_the_people_who_raised_the_need_with_the_reason(h: Harness) -> None:
    number = phone()
    submitted = need([sms(number, "en")])
    await h.publish(submitted, NEED_SUBMITTED, "160101")
    await _sent_to(h, number)
    change = status_change(submitted, NeedStatus.DEFERRED, "The budget was cut by two thirds", MORNING)
    await h.publish(change, NEED_STATUS_CHANGED, "160101")
    _, told = await _sent_to(h, number, 2)
    assert told["text"] == (
        f"Khum: need {submitted.tracking_code} is now deferred to a later year. "
        "Reason: The budget was cut by two thirds"
    )
    # and its village hears the outcome from the loudspeaker
    script = await h.store.find_one("loudspeaker_scripts", {"ref": submitted.tracking_code})
    assert script is not None and script["village_code"] == "16010102" and script["status"] == "pending"
    assert "ពន្យារទៅឆ្នាំក្រោយ" in script["text"]["km"]


async def test_a_status_change_for_a_need_notify_never_saw_tells_nobody_and_breaks_nothing(
    h: Harness,
) -> None:
    stranger = need([])
    change = status_change(stranger, NeedStatus.VALIDATED, None, MORNING)
    await h.publish(change, NEED_STATUS_CHANGED, "160101")
    await wait_for(h.caught_up)
    copy = await h.store.get("needs", stranger.need_id)
    assert copy is not None and copy["status"] == "validated" and copy["contacts"] == []
    assert await h.deliveries(ref=stranger.tracking_code) == []


async def _register_phone(h: Harness, user: str) -> dict[str, object]:
    sub = h.push.subscribe()
    response = await h.http.post(
        "/push/subscriptions",
        json={**sub.as_browser_json(h.push.base_url), "language": "en"},
        headers=h.token(Role.COUNCIL_MEMBER, ("160101",), user),
    )
    assert response.status_code == 201, response.text
    assert response.json()["audiences"] == ["council:160101"]
    return {"sub": sub, "id": response.json()["id"]}


async def test_the_council_gets_a_push_that_only_their_phone_can_decrypt(h: Harness) -> None:
    phone_ = await _register_phone(h, "u-dara")
    sub = phone_["sub"]
    submitted = need([])
    await h.publish(submitted, NEED_SUBMITTED, "160101")
    await wait_for(lambda: _dispatched(h, lambda: bool(sub.received)))  # type: ignore[attr-defined]
    [push] = sub.received  # type: ignore[attr-defined]
    assert (
        push["payload"]["body"]
        == f"New need {submitted.tracking_code} in Ka Hal village: ផ្លូវលំភូមិកាតែ ខូចខាតខ្លាំង"
    )
    assert push["payload"]["title"] == "Khum"
    assert push["vapid_key"] == h.vapid.public_key


async def test_a_phone_whose_subscription_is_gone_is_removed_and_not_tried_again(h: Harness) -> None:
    phone_ = await _register_phone(h, "u-chenda")
    sub = phone_["sub"]
    sub.answer = 410  # type: ignore[attr-defined]
    first = need([])
    await h.publish(first, NEED_SUBMITTED, "160101")

    async def gone() -> dict[str, object] | None:
        await h.dispatch()
        endpoint = await h.store.get("push_endpoints", str(phone_["id"]))
        return endpoint if endpoint and not endpoint["active"] else None

    endpoint = await wait_for(gone)
    assert endpoint["removed_because"] == "gone"
    [failed] = [
        d for d in await h.deliveries(ref=first.tracking_code, channel="push") if d["target"] == phone_["id"]
    ]
    assert failed["status"] == "failed" and failed["dead_lettered"] is False

    second = need([])
    await h.publish(second, NEED_SUBMITTED, "160101")
    await wait_for(h.caught_up)
    planned = [
        d for d in await h.deliveries(ref=second.tracking_code, channel="push") if d["target"] == phone_["id"]
    ]
    assert planned == []


async def test_every_email_carries_a_one_click_opt_out_that_is_honoured(h: Harness) -> None:
    address = f"vanna.{uuid.uuid4().hex[:8]}@example.org"
    submitted = need([ContactPoint(channel=ContactChannel.EMAIL, address=address, language="en")])
    await h.publish(submitted, NEED_SUBMITTED, "160101")
    await wait_for(lambda: _dispatched(h, lambda: bool(h.mail.to(address))))
    [mail] = h.mail.to(address)
    link = mail["List-Unsubscribe"].strip("<>")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"To get no more e-mails from Khum: {link}" in mail.get_content()

    forged = await h.http.post(link.replace(h.url, "")[:-3] + "AAA")
    assert forged.status_code == 404
    assert forged.json()["error"]["code"] == "unsubscribe.link_invalid"
    done = await h.http.post(link.replace(h.url, ""))
    assert done.status_code == 200 and done.text == "You will get no more e-mails from Khum."
    contact = await h.store.get("contacts", f"email:{address}")
    assert contact is not None and contact["opted_out"] is True

    await h.publish(
        status_change(submitted, NeedStatus.VALIDATED, None, MORNING), NEED_STATUS_CHANGED, "160101"
    )
    await wait_for(h.caught_up)
    await h.dispatch()
    assert len(h.mail.to(address)) == 1
