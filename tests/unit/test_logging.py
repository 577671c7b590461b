"""What the services' logging setup lets through."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from services.runtime.logs import configure_logging

BOT_TOKEN = "123456789:AAH-secret-bot-token-do-not-log"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("httpx").level)
    configure_logging("notify", "info", "json")
    out = io.StringIO()
    root.handlers[0].setStream(out)  # type: ignore[attr-defined]
    yield out
    root.handlers[:], root.level = saved[0], saved[1]
    logging.getLogger("httpx").setLevel(saved[2])


def test_request_urls_with_a_bot_token_never_reach_the_logs(captured: io.StringIO) -> None:
    """httpx logs each request's URL at INFO; Telegram's Bot API URLs carry the token."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": True})

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        client.post(f"http://127.0.0.1:9/bot{BOT_TOKEN}/sendMessage", json={"chat_id": 1})
    logging.getLogger("services.notify").info("sent a message on telegram")
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    assert [line["msg"] for line in lines] == ["sent a message on telegram"]
    assert BOT_TOKEN not in captured.getvalue()
