"""Notify configured for "SMS Gateway for Android" (an Android phone with a local SIM, as NGOs run
them), end to end against a local peer speaking the app's documented API on 127.0.0.1. Out: a
citizen's receipt reaches the phone, Khmer intact, and its delivery report marks it delivered.
In: a citizen's SMS, signed the app's way, becomes a message for the commune and is answered
through the phone; a forged or stale one is refused and leaves nothing behind. (Its own module:
one notify consumes the shared nats-server's durable at a time.)"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.envelope import uuid7
from contracts.needs import NEED_SUBMITTED, ContactChannel, ContactPoint, NeedSubmittedV1, PlaceName
from contracts.notify import DeliveryChannel
from services.notify.channels import Outbound, SendError
from services.notify.channels.sms_android import AndroidSmsAdapter
from tests.conftest import wait_for
from tests.support.android_sms_gateway import AndroidSmsGateway
from tests.support.http import serve
from tests.support.notify_harness import MORNING, Harness, notify_harness

SIGNING_KEY = "android-signing-key-0123456789abcdef"
KHMER = "ផ្លូវទៅសាលារៀនខូចខ្លាំង សូមជួសជុល"
_numbers = itertools.count(1)


def phone() -> str:
    return f"+85510{next(_numbers) + 7_000_000:07d}"


def tracking_code() -> str:
    letters = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    n = uuid.uuid4().int
    code = "".join(letters[(n >> (5 * i)) % 32] for i in range(7))
    return f"{code[:4]}-{code[4:]}"


async def raised(h: Harness, number: str) -> NeedSubmittedV1:
    need = NeedSubmittedV1(
        need_id=uuid7(),
        tracking_code=tracking_code(),
        commune_code="160101",
        village_code="16010102",
        village_name=PlaceName(km="កាតែ", latin="Ka Hal"),
        description=KHMER,
        collected_by="u-sophea",
        submitted_at=MORNING,
        contacts=[ContactPoint(channel=ContactChannel.SMS, address=number)],
    )
    await h.publish(need, NEED_SUBMITTED, "160101")
    return need


async def settled(h: Harness, **where: Any) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        await h.dispatch()
        found = await h.deliveries(**where)
        return found[0] if found and found[0]["status"] not in ("queued", "sending") else None

    result: dict[str, Any] = await wait_for(done)
    return result


# ---------- SMS Gateway for Android ----------


@pytest.fixture(scope="module")
async def android(
    nats_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Harness, AndroidSmsGateway]]:
    phone_app = AndroidSmsGateway(username="sms", password="phone-password", signing_key=SIGNING_KEY)
    async with (
        serve(phone_app.app) as url,
        notify_harness(
            nats_url,
            Path(tmp_path_factory.mktemp("notify-android")),
            sms_provider="android",
            sms_android_url=url,
            sms_android_username="sms",
            sms_android_password="phone-password",
            sms_android_signing_key=SIGNING_KEY,
            sms_default_commune="160101",
        ) as h,
    ):
        phone_app.clock = lambda: h.clock.now().timestamp()
        phone_app.webhook_url = f"{h.url}/webhooks/sms/android"
        yield h, phone_app


async def test_a_receipt_goes_out_through_the_android_phone_and_its_delivery_report_lands(
    android: tuple[Harness, AndroidSmsGateway],
) -> None:
    h, gateway = android
    number = phone()
    need = await raised(h, number)
    sent = await settled(h, ref=need.tracking_code, channel="sms")
    assert sent["status"] == "sent" and sent["provider_id"] == sent["id"]  # our id is the app's id
    [message] = gateway.to(number)
    assert need.tracking_code in message["text"] and "លេខតាមដាន" in message["text"]
    assert message["body"]["withDeliveryReport"] is True

    answer = await gateway.delivered(message["id"], number)
    assert answer.status_code == 200 and answer.json()["status"] == "applied"
    assert (await h.store.get("deliveries", sent["id"]))["status"] == "delivered"  # type: ignore[index]


async def test_a_citizens_sms_to_the_android_phone_is_taken_in_once_and_answered_through_it(
    android: tuple[Harness, AndroidSmsGateway],
) -> None:
    h, gateway = android
    sender = phone()
    first = await gateway.received(sender, KHMER, event_id="ev-khmer-1")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "accepted" and first.json()["outcome"] == "need_message"
    again = await gateway.received(sender, KHMER, event_id="ev-khmer-1")  # the app retrying
    assert again.json()["status"] == "duplicate"
    stored = [m async for m in h.store.iterate("inbound_messages", {"commune_code": "160101"})]
    assert sum(m.get("text") == KHMER for m in stored) == 1

    async def answered() -> list[dict[str, Any]] | None:
        await h.dispatch()
        return gateway.to(sender) or None

    [ack] = await wait_for(answered)
    assert "ឃុំបានទទួលសាររបស់អ្នក" in ack["text"]


async def test_a_forged_or_stale_android_webhook_is_refused_and_nothing_is_stored(
    android: tuple[Harness, AndroidSmsGateway],
) -> None:
    h, gateway = android
    before = await h.store.count("inbound_messages", {})
    forged = await gateway.received(phone(), "STOP", key="not-the-key-0123456789abcdef")
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "webhook.signature_invalid"
    old = int((h.clock.now() - timedelta(hours=1)).timestamp())
    stale = await gateway.received(phone(), "STOP", timestamp=old)
    assert stale.status_code == 401
    assert await h.store.count("inbound_messages", {}) == before


async def test_an_android_phone_that_refuses_the_password_is_a_permanent_failure() -> None:
    gateway = AndroidSmsGateway(username="sms", password="right", signing_key=SIGNING_KEY)
    async with serve(gateway.app) as url:
        adapter = AndroidSmsAdapter(url, "sms", "wrong")
        outbound = Outbound(
            "0190c0de-0000-7000-8000-0000000000a1", DeliveryChannel.SMS, "+85512345678", KHMER
        )
        with pytest.raises(SendError) as refused:
            await adapter.send(outbound)
        assert refused.value.code == "sms.credentials" and refused.value.permanent
        await adapter.close()
        gateway.fail_with.append(503)
        adapter = AndroidSmsAdapter(url, "sms", "right")
        with pytest.raises(SendError) as busy:
            await adapter.send(outbound)
        assert not busy.value.permanent
        assert (await adapter.send(outbound)).provider_id == outbound.delivery_id
        assert (await adapter.send(outbound)).provider_id == outbound.delivery_id  # retried: one message
        assert len(gateway.messages) == 1
        await adapter.close()


async def test_a_signed_but_malformed_android_webhook_is_refused_clearly(
    android: tuple[Harness, AndroidSmsGateway],
) -> None:
    h, gateway = android
    before = await h.store.count("inbound_messages", {})
    body = b'{"event": "sms:received", "payload": {"message": "hi"}}'  # no id, no messageId
    stamp = str(int(h.clock.now().timestamp()))
    async with httpx.AsyncClient(timeout=15) as http:
        answer = await http.post(
            gateway.webhook_url,
            content=body,
            headers={"x-signature": gateway.sign(body, stamp), "x-timestamp": stamp, "accept-language": "km"},
        )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "webhook.payload_invalid"
    assert await h.store.count("inbound_messages", {}) == before
