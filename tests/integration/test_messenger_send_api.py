"""The Messenger channel adapter against a local Send API on loopback: the answer leaves from the
Page the person wrote to, long texts are split at Messenger's 2,000 characters, and the
platform's refusals become permanent or transient failures as the dispatcher needs them."""

from __future__ import annotations

import pytest

from contracts.notify import DeliveryChannel
from services.notify.channels.base import Outbound, SendError
from services.notify.channels.facebook import FacebookAdapter
from tests.support.http import serve
from tests.support.messenger_api import MessengerPlatform

PAGES = {"111000000160101": "token-malik", "222000000210103": "token-other"}


def outbound(address: str, text: str) -> Outbound:
    return Outbound("d-1", DeliveryChannel.FACEBOOK, address, text)


async def test_answers_leave_from_the_page_written_to_and_long_texts_are_split() -> None:
    platform = MessengerPlatform(app_secret="s" * 32, page_tokens=PAGES)
    async with serve(platform.app) as url:
        adapter = FacebookAdapter(url, "v21.0", PAGES)
        try:
            sent = await adapter.send(outbound("222000000210103:7001", "សួស្តី " * 500))
        finally:
            await adapter.close()
    assert sent.parts == 2 and sent.provider_id and sent.provider_id.count(",") == 1
    messages = platform.to("222000000210103", "7001")
    assert len(messages) == 2 and all(len(m["message"]["text"]) <= 2000 for m in messages)
    assert all(m["messaging_type"] == "RESPONSE" for m in messages)
    assert "".join(m["message"]["text"] for m in messages).replace(" ", "") == ("សួស្តី" * 500)
    assert platform.to("111000000160101", "7001") == []


@pytest.mark.parametrize(
    ("address", "tokens", "code", "permanent", "gone"),
    [
        ("111000000160101:7999", PAGES, "facebook.unavailable_person", True, True),
        ("111000000160101:7002", {"111000000160101": "revoked"}, "facebook.credentials", True, False),
        ("333000000000000:7002", PAGES, "facebook.no_page", True, False),
    ],
)
async def test_the_platforms_refusals_are_told_apart(
    address: str, tokens: dict[str, str], code: str, permanent: bool, gone: bool
) -> None:
    platform = MessengerPlatform(app_secret="s" * 32, page_tokens=PAGES, unavailable={"7999"})
    async with serve(platform.app) as url:
        adapter = FacebookAdapter(url, "v21.0", tokens)
        try:
            with pytest.raises(SendError) as caught:
                await adapter.send(outbound(address, "ជម្រាបសួរ"))
        finally:
            await adapter.close()
    assert (caught.value.code, caught.value.permanent, caught.value.gone) == (code, permanent, gone)
    assert platform.sent == []


async def test_an_unreachable_platform_is_tried_again_later() -> None:
    adapter = FacebookAdapter("http://127.0.0.1:9", "v21.0", PAGES, timeout=2)
    try:
        with pytest.raises(SendError) as caught:
            await adapter.send(outbound("111000000160101:7001", "ជម្រាបសួរ"))
    finally:
        await adapter.close()
    assert caught.value.code == "facebook.unreachable" and not caught.value.permanent
