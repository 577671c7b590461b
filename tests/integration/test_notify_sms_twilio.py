"""Notify configured for Twilio, end to end against a local peer speaking Twilio's documented
Messages API and webhooks on 127.0.0.1: a receipt goes out form-encoded with basic auth and its
status callback lands; an invalid number is a dead letter with Twilio's reason; a citizen's SMS,
signed with X-Twilio-Signature, is taken in once and answered; a forged one is refused."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from contracts.envelope import uuid7
from contracts.needs import NEED_SUBMITTED, ContactChannel, ContactPoint, NeedSubmittedV1, PlaceName
from services.notify.domain.signatures import twilio_signature
from tests.conftest import wait_for
from tests.support.http import serve
from tests.support.notify_harness import COMMUNE_NUMBER, MORNING, Harness, notify_harness
from tests.support.twilio_api import TwilioApi

TWILIO_SID = "AC" + "0" * 31 + "1"
TWILIO_TOKEN = "f" * 32
TWILIO_FROM = "+85523900199"
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


# ---------- Twilio ----------


@pytest.fixture(scope="module")
async def twilio(
    nats_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Harness, TwilioApi]]:
    api = TwilioApi(account_sid=TWILIO_SID, auth_token=TWILIO_TOKEN)
    async with (
        serve(api.app) as url,
        notify_harness(
            nats_url,
            Path(tmp_path_factory.mktemp("notify-twilio")),
            sms_provider="twilio",
            sms_twilio_api_base=url,
            sms_twilio_account_sid=TWILIO_SID,
            sms_twilio_auth_token=TWILIO_TOKEN,
            sms_twilio_from=TWILIO_FROM,
            sms_numbers={TWILIO_FROM: "160101", COMMUNE_NUMBER: "160101"},
        ) as h,
    ):
        yield h, api


def test_the_twilio_signature_matches_twilios_documented_example() -> None:
    # The example request in Twilio's webhook-security guide, with its published signature.
    fields = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    assert twilio_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", fields) == (
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    )


async def test_a_receipt_goes_out_through_twilio_and_its_status_callback_lands(
    twilio: tuple[Harness, TwilioApi],
) -> None:
    h, api = twilio
    number = phone()
    need = await raised(h, number)
    sent = await settled(h, ref=need.tracking_code, channel="sms")
    [message] = api.to(number)
    assert sent["status"] == "sent" and sent["provider_id"] == message["sid"]
    assert message["From"] == TWILIO_FROM and need.tracking_code in message["Body"]
    assert "លេខតាមដាន" in message["Body"]  # Khmer intact through form encoding
    assert message["StatusCallback"] == f"{h.url}/webhooks/sms/twilio/status"

    assert (await api.status(message, "sent")).json()["status"] == "ignored"
    delivered = await api.status(message, "delivered")
    assert delivered.status_code == 200 and delivered.json()["status"] == "applied"
    assert (await h.store.get("deliveries", sent["id"]))["status"] == "delivered"  # type: ignore[index]


async def test_a_number_twilio_calls_invalid_is_a_dead_letter_with_twilios_reason(
    twilio: tuple[Harness, TwilioApi],
) -> None:
    h, api = twilio
    api.fail_with.append((400, 21211))
    need = await raised(h, phone())
    failed = await settled(h, ref=need.tracking_code, channel="sms")
    assert failed["status"] == "failed" and failed["attempts"] == 1
    assert failed["last_error"]["code"] == "sms.invalid_number" and "21211" in failed["last_error"]["reason"]


async def test_a_citizens_sms_through_twilio_is_taken_in_and_answered(
    twilio: tuple[Harness, TwilioApi],
) -> None:
    h, api = twilio
    sender = phone()
    url = f"{h.url}/webhooks/sms/twilio"
    answer = await api.incoming(url, sender, TWILIO_FROM, KHMER, sid="SMkhmer0001")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/xml")
    assert "<Response>" in answer.text
    again = await api.incoming(url, sender, TWILIO_FROM, KHMER, sid="SMkhmer0001")
    assert '"duplicate"' in again.headers["x-khum-result"]

    async def answered() -> list[dict[str, str]] | None:
        await h.dispatch()
        return api.to(sender) or None

    [ack] = await wait_for(answered)
    assert "ឃុំបានទទួលសាររបស់អ្នក" in ack["Body"]

    before = await h.store.count("inbound_messages", {})
    forged = await api.incoming(url, phone(), TWILIO_FROM, "STOP", token="0" * 32)
    assert forged.status_code == 401
    assert await h.store.count("inbound_messages", {}) == before


async def test_a_signed_twilio_post_without_its_fields_is_refused_clearly(
    twilio: tuple[Harness, TwilioApi],
) -> None:
    h, api = twilio
    before = await h.store.count("inbound_messages", {})
    answer = await api.post(f"{h.url}/webhooks/sms/twilio", {"Body": "STOP"})  # no MessageSid, no From
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "webhook.payload_invalid"
    assert "MessageSid" in answer.json()["error"]["message"]
    assert await h.store.count("inbound_messages", {}) == before
