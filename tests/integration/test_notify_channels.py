"""Each channel adapter against a local peer that speaks its real protocol on 127.0.0.1:
an SMS provider's HTTP API, the Telegram Bot API, a Web Push service that checks VAPID and
decrypts the payload with the subscription's private key, and an SMTP server (aiosmtpd)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from contracts.notify import DeliveryChannel
from services.notify.channels import Outbound, SendError
from services.notify.channels.email import EmailAdapter
from services.notify.channels.sms import SmsAdapter
from services.notify.channels.telegram import TelegramAdapter
from services.notify.channels.webpush import WebPushAdapter
from services.notify.channels.webpush_crypto import VapidKey
from services.notify.domain.quiet import SystemClock
from tests.support.http import serve
from tests.support.push_service import PushService
from tests.support.sms_provider import SmsProvider
from tests.support.smtp import smtp_server
from tests.support.telegram_api import TelegramBotApi

KHMER_RECEIPT = "ឃុំ៖ តម្រូវការរបស់អ្នកត្រូវបានកត់ត្រា។ លេខតាមដាន ABCD-EFG។"


def _message(channel: DeliveryChannel, address: str, text: str = KHMER_RECEIPT, **extra: object) -> Outbound:
    return Outbound(
        delivery_id="0190c0de-0000-7000-8000-000000000001",
        channel=channel,
        address=address,
        text=text,
        **extra,
    )  # type: ignore[arg-type]


# ---------- SMS ----------


@pytest.fixture
async def sms() -> AsyncIterator[tuple[SmsProvider, SmsAdapter]]:
    provider = SmsProvider(api_key="test-key", webhook_secret="s" * 32)
    async with serve(provider.app) as url:
        adapter = SmsAdapter(url, "test-key", "Khum")
        yield provider, adapter
        await adapter.close()


async def test_an_sms_reaches_the_provider_with_its_key_and_khmer_text_intact(
    sms: tuple[SmsProvider, SmsAdapter],
) -> None:
    provider, adapter = sms
    sent = await adapter.send(_message(DeliveryChannel.SMS, "+85512345678"))
    [message] = provider.messages
    assert message["to"] == "+85512345678"
    assert message["text"] == KHMER_RECEIPT
    assert message["from"] == "Khum"
    assert sent.provider_id == message["id"]
    assert sent.parts == 1  # 58 Khmer characters: one UCS-2 message


async def test_a_resent_sms_with_the_same_reference_reaches_the_phone_once(
    sms: tuple[SmsProvider, SmsAdapter],
) -> None:
    provider, adapter = sms
    first = await adapter.send(_message(DeliveryChannel.SMS, "+85512345678"))
    again = await adapter.send(_message(DeliveryChannel.SMS, "+85512345678"))
    assert first.provider_id == again.provider_id
    assert len(provider.messages) == 1


async def test_an_invalid_number_is_a_permanent_failure(sms: tuple[SmsProvider, SmsAdapter]) -> None:
    _, adapter = sms
    with pytest.raises(SendError) as failure:
        await adapter.send(_message(DeliveryChannel.SMS, "12345"))
    assert failure.value.permanent
    assert failure.value.code == "sms.invalid_number"


async def test_a_busy_provider_is_a_transient_failure_with_its_retry_after(
    sms: tuple[SmsProvider, SmsAdapter],
) -> None:
    provider, adapter = sms
    provider.fail_next(429, "throttled", retry_after=7)
    provider.fail_next(503, "maintenance")
    for expected_retry in (7.0, None):
        with pytest.raises(SendError) as failure:
            await adapter.send(_message(DeliveryChannel.SMS, "+85512345678"))
        assert not failure.value.permanent
        assert failure.value.retry_after == expected_retry
    assert (await adapter.send(_message(DeliveryChannel.SMS, "+85512345678"))).provider_id


async def test_wrong_credentials_are_a_permanent_failure() -> None:
    provider = SmsProvider(api_key="right", webhook_secret="s" * 32)
    async with serve(provider.app) as url:
        adapter = SmsAdapter(url, "wrong", "Khum")
        try:
            with pytest.raises(SendError) as failure:
                await adapter.send(_message(DeliveryChannel.SMS, "+85512345678"))
        finally:
            await adapter.close()
    assert failure.value.code == "sms.credentials"
    assert failure.value.permanent
    assert provider.messages == []


async def test_an_unreachable_provider_is_a_transient_failure() -> None:
    adapter = SmsAdapter("http://127.0.0.1:9", "key", "Khum", timeout=2)  # port 9: discard, closed
    try:
        with pytest.raises(SendError) as failure:
            await adapter.send(_message(DeliveryChannel.SMS, "+85512345678"))
    finally:
        await adapter.close()
    assert failure.value.code == "sms.unreachable"
    assert not failure.value.permanent


# ---------- Telegram ----------


@pytest.fixture
async def telegram() -> AsyncIterator[tuple[TelegramBotApi, TelegramAdapter]]:
    api = TelegramBotApi(token="123:ABC")
    async with serve(api.app) as url:
        adapter = TelegramAdapter(
            url, "123:ABC", webhook_url="http://127.0.0.1:1/hook", webhook_secret="sekret_1"
        )
        yield api, adapter
        await adapter.close()


async def test_a_telegram_message_is_sent_with_send_message(
    telegram: tuple[TelegramBotApi, TelegramAdapter],
) -> None:
    api, adapter = telegram
    sent = await adapter.send(_message(DeliveryChannel.TELEGRAM, "777001"))
    [message] = api.to(777001)
    assert message["text"] == KHMER_RECEIPT
    assert sent.provider_id == f"777001:{message['message_id']}"


async def test_a_text_over_telegrams_limit_is_split_at_line_breaks_and_nothing_is_lost(
    telegram: tuple[TelegramBotApi, TelegramAdapter],
) -> None:
    api, adapter = telegram
    lines = [f"{n:04d} ផ្លូវលំភូមិកាតែ ខូចខាតខ្លាំងណាស់ ត្រូវការជួសជុលជាបន្ទាន់" for n in range(120)]
    text = "\n".join(lines)
    assert len(text) > 4096
    sent = await adapter.send(_message(DeliveryChannel.TELEGRAM, "777002", text))
    parts = api.to(777002)
    assert sent.parts == len(parts) == 2
    assert all(len(p["text"]) <= 4096 for p in parts)
    assert "\n".join(p["text"] for p in parts) == text


async def test_a_blocked_bot_is_a_permanent_failure_that_forgets_the_address(
    telegram: tuple[TelegramBotApi, TelegramAdapter],
) -> None:
    api, adapter = telegram
    api.blocked.add(777003)
    with pytest.raises(SendError) as failure:
        await adapter.send(_message(DeliveryChannel.TELEGRAM, "777003"))
    assert failure.value.permanent and failure.value.gone
    assert failure.value.code == "telegram.blocked"


async def test_telegram_flood_control_is_retried_after_the_time_it_asks(
    telegram: tuple[TelegramBotApi, TelegramAdapter],
) -> None:
    api, adapter = telegram
    api.flood_wait.append(11)
    with pytest.raises(SendError) as failure:
        await adapter.send(_message(DeliveryChannel.TELEGRAM, "777004"))
    assert not failure.value.permanent
    assert failure.value.retry_after == 11


async def test_starting_the_adapter_sets_the_webhook_with_its_secret_token(
    telegram: tuple[TelegramBotApi, TelegramAdapter],
) -> None:
    api, adapter = telegram
    await adapter.start()
    assert api.webhook == {"url": "http://127.0.0.1:1/hook", "secret_token": "sekret_1"}


# ---------- Web Push ----------


@pytest.fixture
async def push() -> AsyncIterator[tuple[PushService, WebPushAdapter, VapidKey]]:
    service = PushService()
    async with serve(service.app) as url:
        service.base_url = url
        vapid = VapidKey.generate()
        adapter = WebPushAdapter(vapid, "mailto:ops@khum.example", SystemClock())
        yield service, adapter, vapid
        await adapter.close()


async def test_a_push_payload_is_encrypted_so_only_the_subscription_can_read_it(
    push: tuple[PushService, WebPushAdapter, VapidKey],
) -> None:
    service, adapter, vapid = push
    sub = service.subscribe()
    browser = sub.as_browser_json(service.base_url)
    message = _message(
        DeliveryChannel.PUSH,
        browser["endpoint"],
        "តម្រូវការថ្មី ABCD-EFG នៅភូមិកាតែ",
        keys=browser["keys"],
        data={"url": "/notifications", "tag": "ABCD-EFG"},
    )
    sent = await adapter.send(message)
    assert service.rejected == []
    [received] = sub.received
    assert received["payload"] == {
        "title": "ឃុំ",
        "body": "តម្រូវការថ្មី ABCD-EFG នៅភូមិកាតែ",
        "lang": "km",
        "url": "/notifications",
        "tag": "ABCD-EFG",
    }
    assert received["vapid_key"] == vapid.public_key
    assert sent.provider_id and sent.provider_id.startswith(service.base_url)


async def test_a_push_to_a_subscription_that_is_gone_says_so(
    push: tuple[PushService, WebPushAdapter, VapidKey],
) -> None:
    service, adapter, _ = push
    for status in (410, 404):
        sub = service.subscribe()
        sub.answer = status
        browser = sub.as_browser_json(service.base_url)
        with pytest.raises(SendError) as failure:
            await adapter.send(_message(DeliveryChannel.PUSH, browser["endpoint"], keys=browser["keys"]))
        assert failure.value.gone and failure.value.permanent
        assert failure.value.code == "push.subscription_gone"


async def test_a_push_with_another_subscriptions_keys_cannot_be_read(
    push: tuple[PushService, WebPushAdapter, VapidKey],
) -> None:
    service, adapter, _ = push
    mine, other = service.subscribe(), service.subscribe()
    endpoint = mine.as_browser_json(service.base_url)["endpoint"]
    wrong_keys = other.as_browser_json(service.base_url)["keys"]
    with pytest.raises(SendError) as failure:
        await adapter.send(_message(DeliveryChannel.PUSH, endpoint, keys=wrong_keys))
    assert failure.value.code == "push.refused"
    assert mine.received == [] and service.rejected


async def test_a_very_long_push_text_is_shortened_to_fit_one_record(
    push: tuple[PushService, WebPushAdapter, VapidKey],
) -> None:
    service, adapter, _ = push
    sub = service.subscribe()
    browser = sub.as_browser_json(service.base_url)
    await adapter.send(_message(DeliveryChannel.PUSH, browser["endpoint"], "ក" * 3000, keys=browser["keys"]))
    [received] = sub.received
    body = received["payload"]["body"]
    assert body.endswith("…") and body.startswith("ក" * 100)


# ---------- E-mail ----------


async def test_an_email_in_khmer_reaches_a_real_smtp_server() -> None:
    with smtp_server() as inbox:
        adapter = EmailAdapter(inbox.host, inbox.port, "Khum <notify@khum.example>", security="none")
        message = _message(
            DeliveryChannel.EMAIL, "sokha@example.org", subject="តម្រូវការរបស់អ្នកត្រូវបានកត់ត្រា៖ ABCD-EFG"
        )
        sent = await adapter.send(message)
    [mail] = inbox.to("sokha@example.org")
    assert mail["Subject"] == "តម្រូវការរបស់អ្នកត្រូវបានកត់ត្រា៖ ABCD-EFG"
    assert mail.get_content().strip() == KHMER_RECEIPT
    assert mail["Message-ID"] == sent.provider_id


async def test_a_refused_email_recipient_is_a_permanent_failure() -> None:
    with smtp_server() as inbox:
        inbox.refuse.add("nobody@example.org")
        adapter = EmailAdapter(inbox.host, inbox.port, "notify@khum.example", security="none")
        with pytest.raises(SendError) as failure:
            await adapter.send(_message(DeliveryChannel.EMAIL, "nobody@example.org"))
    assert failure.value.permanent
    assert failure.value.code == "email.address_refused"
    assert inbox.messages == []


async def test_an_smtp_server_that_is_down_is_a_transient_failure() -> None:
    adapter = EmailAdapter("127.0.0.1", 9, "notify@khum.example", security="none", timeout=2)
    with pytest.raises(SendError) as failure:
        await adapter.send(_message(DeliveryChannel.EMAIL, "sokha@example.org"))
    assert not failure.value.permanent
