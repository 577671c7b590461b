"""Channels where people already are, on the whole running system: a message to the commune's
Facebook Page and a Telegram voice note each become a need draft. The Page's answers go back
through the Send API (a local Messenger Platform on loopback); the voice note's audio is kept by
notify and played, through the gateway, only to the commune's facilitators and council.

The module restarts the stack's notify with Facebook and Telegram configured, and restores it.
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from infra.stack import Stack
from tests.conftest import GraphQL, wait_for
from tests.support.http import serve
from tests.support.messenger_api import MessengerPlatform
from tests.support.telegram_api import TelegramBotApi

PAGE = "104500000160101"
PAGE_TOKEN = "EAAKhumPageToken160101"
APP_SECRET = "0123456789abcdef0123456789abcdef"
VERIFY_TOKEN = secrets.token_hex(24)
BOT_TOKEN = "778:voice-bot"
TELEGRAM_SECRET = "voice_telegram_secret_0123456789abcdef"
DRAFTS = 'query { needDrafts(communeCode: "160101") { id text channel sender status audioUrl audioSeconds } }'


@dataclass
class Peers:
    messenger: MessengerPlatform
    telegram: TelegramBotApi
    notify_url: str


@pytest.fixture(scope="module")
async def peers(stack: Stack) -> AsyncIterator[Peers]:
    messenger = MessengerPlatform(app_secret=APP_SECRET, page_tokens={PAGE: PAGE_TOKEN})
    telegram = TelegramBotApi(token=BOT_TOKEN)
    async with serve(messenger.app) as graph_url, serve(telegram.app) as telegram_url:
        messenger.base_url = graph_url  # attachment URLs point at the Graph host, as configured
        stack.restart(
            "notify",
            {
                "QUIET_HOURS": "off",
                "DISPATCH_INTERVAL_SECONDS": "0.2",
                "FACEBOOK_GRAPH_BASE": graph_url,
                "FACEBOOK_APP_SECRET": APP_SECRET,
                "FACEBOOK_VERIFY_TOKEN": VERIFY_TOKEN,
                "FACEBOOK_PAGES": json.dumps({PAGE: "160101"}),
                "FACEBOOK_PAGE_TOKENS": json.dumps({PAGE: PAGE_TOKEN}),
                "TELEGRAM_API_BASE": telegram_url,
                "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
                "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
                "TELEGRAM_DEFAULT_COMMUNE": "160101",
            },
        )
        notify_url = stack.processes["notify"].url or ""
        messenger.webhook_url = f"{notify_url}/webhooks/facebook"
        telegram.webhook = {"url": f"{notify_url}/webhooks/telegram", "secret_token": TELEGRAM_SECRET}
        try:
            yield Peers(messenger, telegram, notify_url)
        finally:
            stack.restart("notify", {})


async def _draft(client: GraphQL, text_part: str) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        body = await client.execute(DRAFTS)
        assert "errors" not in body, body
        drafts: list[dict[str, Any]] = body["data"]["needDrafts"]  # type: ignore[index]
        return next((d for d in drafts if text_part in d["text"]), None)

    result: dict[str, Any] = await wait_for(found)
    return result


async def _signed_in(stack: Stack, username: str) -> GraphQL:
    client = GraphQL(stack.url)
    await client.login(username)
    return client


# ---------- Facebook ----------


async def test_the_webhook_answers_facebooks_verification_only_with_our_token(peers: Peers) -> None:
    async with httpx.AsyncClient(base_url=peers.notify_url, timeout=10) as http:
        ok = await http.get(
            "/webhooks/facebook",
            params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
        )
        assert ok.status_code == 200 and ok.text == "1158201444"
        wrong = await http.get(
            "/webhooks/facebook",
            params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"},
        )
        assert wrong.status_code == 403
        assert wrong.json()["error"]["code"] == "webhook.verify_token_invalid"
        assert "1158201444" not in wrong.text


async def test_a_message_to_the_communes_page_becomes_a_draft_and_the_answers_go_back_by_messenger(
    peers: Peers, facilitator: GraphQL
) -> None:
    psid = str(7_000_000_000 + int(uuid.uuid4().int % 10**9))
    forged_text = f"ផ្លូវក្លែងក្លាយ {uuid.uuid4().hex[:6]}"
    forged = await peers.messenger.deliver(
        peers.messenger.event(PAGE, psid, forged_text), secret="not-the-secret"
    )
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "webhook.signature_invalid"

    text = f"ស្ពានឈើនៅភូមិកាចាញបាក់ហើយ {uuid.uuid4().hex[:6]}"
    response = await peers.messenger.user_writes(PAGE, psid, text)
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1
    again = await peers.messenger.deliver(peers.messenger.event(PAGE, psid, text, mid="mid.repeat.1"))
    repeat = await peers.messenger.deliver(peers.messenger.event(PAGE, psid, text, mid="mid.repeat.1"))
    assert again.json()["accepted"] == 1 and repeat.json()["duplicates"] == 1

    draft = await _draft(facilitator, text)
    assert draft["channel"] == "facebook" and draft["status"] == "open" and draft["audioUrl"] is None
    assert psid not in draft["sender"]  # masked for a facilitator
    body = await facilitator.execute(DRAFTS)
    assert not any(forged_text in d["text"] for d in body["data"]["needDrafts"])  # type: ignore[index]

    # The acknowledgement leaves from the same Page, as an answer to the person's message.
    async def acknowledged() -> list[dict[str, Any]] | None:
        sent = peers.messenger.to(PAGE, psid)
        return sent or None

    ack = (await wait_for(acknowledged))[0]
    assert ack["messaging_type"] == "RESPONSE" and ack["recipient"] == {"id": psid}
    assert "សូមអរគុណ" in ack["message"]["text"]

    confirmed = await facilitator.execute(
        "mutation($id: ID!, $i: ConfirmNeedDraftInput!) { confirmNeedDraft(id: $id, input: $i) { trackingCode } }",
        {"id": draft["id"], "i": {"villageCode": "16010101", "idempotencyKey": uuid.uuid4().hex}},
    )
    assert "errors" not in confirmed, confirmed
    code = confirmed["data"]["confirmNeedDraft"]["trackingCode"]  # type: ignore[index]

    async def receipt() -> str | None:
        texts = [m["message"]["text"] for m in peers.messenger.to(PAGE, psid)]
        return next((t for t in texts if code in t), None)

    assert "ឃុំ" in await wait_for(receipt)


async def test_a_voice_message_to_the_page_becomes_a_draft_with_its_audio(
    peers: Peers, facilitator: GraphQL
) -> None:
    psid = str(8_000_000_000 + int(uuid.uuid4().int % 10**9))
    audio = b"\x00\x00\x00\x20ftypM4A " + os.urandom(20_000)
    # The CDN labels it loosely, as video: the bytes say what it is.
    response = await peers.messenger.deliver(peers.messenger.voice_event(PAGE, psid, audio, "video/mp4"))
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1

    async def drafted() -> dict[str, Any] | None:
        body = await facilitator.execute(DRAFTS)
        drafts: list[dict[str, Any]] = body["data"]["needDrafts"]  # type: ignore[index]
        return next(
            (
                d
                for d in drafts
                if d["channel"] == "facebook" and d["audioUrl"] and d["sender"].endswith(psid[-3:])
            ),
            None,
        )

    draft = await wait_for(drafted)
    assert draft["text"].startswith("🎤 សារសំឡេង")
    played = await facilitator.http.get(draft["audioUrl"])
    assert played.status_code == 200 and played.content == audio
    assert played.headers["content-type"] == "audio/mp4"

    elsewhere = peers.messenger.voice_event(PAGE, psid, audio)
    elsewhere["entry"][0]["messaging"][0]["message"]["attachments"][0]["payload"]["url"] = (
        "http://169.254.169.254/x"
    )
    refused = await peers.messenger.deliver(elsewhere)
    assert refused.status_code == 200 and refused.json()["ignored"] == 1  # not fetched from anywhere


# ---------- voice notes ----------


async def test_a_telegram_voice_note_becomes_a_draft_whose_audio_only_the_commune_can_play(
    stack: Stack, peers: Peers, facilitator: GraphQL
) -> None:
    audio = b"OggS\x00\x02" + os.urandom(30_000)
    chat = 900_000 + int(uuid.uuid4().int % 90_000)
    update = peers.telegram.voice_update(chat, audio, duration=12)
    response = await peers.telegram.deliver(update)
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "need_message"
    repeated = await peers.telegram.deliver(update)
    assert repeated.json()["status"] == "duplicate"
    assert peers.telegram.file_downloads == 1  # a repeated update is not fetched again

    draft = await _draft(facilitator, "សារសំឡេង 12")
    assert draft["channel"] == "telegram" and draft["audioSeconds"] == 12
    played = await facilitator.http.get(draft["audioUrl"])
    assert played.status_code == 200
    assert played.content == audio
    assert played.headers["content-type"] == "audio/ogg"
    assert "no-store" in played.headers["cache-control"]
    page = await facilitator.http.get("/needs/drafts")
    assert f'src="{draft["audioUrl"]}"' in page.text

    council = await _signed_in(stack, "dara")
    other_commune = await _signed_in(stack, "chenda")
    province = await _signed_in(stack, "sokha")
    try:
        assert (await council.http.get(draft["audioUrl"])).content == audio
        for outsider in (other_commune, province):
            refused = await outsider.http.get(draft["audioUrl"])
            assert refused.status_code == 404 and audio[:64] not in refused.content
    finally:
        for client in (council, other_commune, province):
            await client.close()
    async with httpx.AsyncClient(base_url=stack.url) as anonymous:
        nobody = await anonymous.get(draft["audioUrl"])
        assert nobody.status_code == 303 and audio[:64] not in nobody.content


async def test_a_voice_note_that_is_not_audio_is_refused_the_sender_is_told_and_nothing_is_kept(
    peers: Peers, facilitator: GraphQL
) -> None:
    chat = 990_000 + int(uuid.uuid4().int % 9_000)
    update = peers.telegram.voice_update(chat, b"<html>not audio</html>", 3)
    response = await peers.telegram.deliver(update)
    assert response.status_code == 200  # a refusal another try cannot change: Telegram must not resend
    assert response.json()["outcome"] == "voice.type_invalid"
    assert (await peers.telegram.deliver(update)).json()["status"] == "duplicate"

    async def told() -> list[dict[str, Any]] | None:
        return peers.telegram.to(chat) or None

    [reply] = await wait_for(told)
    assert reply["text"].startswith("ឃុំ៖ យើងមិនអាចទទួលសារសំឡេងនេះបានទេ")
    body = await facilitator.execute(DRAFTS)
    assert not any("សារសំឡេង 3 " in d["text"] for d in body["data"]["needDrafts"])  # type: ignore[index]
