"""The PWA's live notifications resume from their cursor after the gateway dies.

Dara has the notifications page open in Chromium. A need arrives live; then the gateway is
killed (SIGKILL), three needs are recorded straight at intake while it is down, and the gateway
is started again. The page reconnects by itself and subscribes with the cursor of the last
notification it showed (seen on the wire); the three arrive through that subscription, each
once (the page does not reload the list when it has a cursor).
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Page

from infra.stack import Stack, free_port
from services.runtime.identity import Identity, Role
from services.runtime.tokens import issue_token
from tests.conftest import SUBMIT_NEED, UNLIMITED, GraphQL
from tests.e2e.conftest import sign_in

OFFLINE_NEEDS = 3


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    khum = Stack(
        var=tmp_path_factory.mktemp("pwa-live") / "var", port=free_port(), demo=True, extra_env=UNLIMITED
    )
    khum.start()
    yield khum
    khum.stop()


async def _ids(page: Page) -> list[str]:
    ids: list[str] = await page.eval_on_selector_all(
        "#notification-list li", "els => els.map(e => e.dataset.id)"
    )
    return ids


async def _until(page: Page, count: int, seconds: float = 60) -> list[str]:
    deadline = time.monotonic() + seconds
    while True:
        ids = await _ids(page)
        if len(ids) >= count or time.monotonic() > deadline:
            return ids
        await asyncio.sleep(0.2)


async def test_the_notifications_page_resumes_from_its_cursor_after_the_gateway_dies(
    page: Page, own_stack: Stack
) -> None:
    stack = own_stack
    subscribes: list[dict[str, Any]] = []

    def on_socket(ws: Any) -> None:
        def sent(frame: Any) -> None:
            message = json.loads(frame) if isinstance(frame, str) else {}
            if message.get("type") == "subscribe":
                subscribes.append(message["payload"].get("variables") or {})

        ws.on("framesent", sent)

    page.on("websocket", on_socket)
    await sign_in(page, stack, "dara")
    await page.goto(f"{stack.url}/notifications")
    live = await page.get_attribute("#live-status", "data-live")
    deadline = time.monotonic() + 20
    while await page.text_content("#live-status") != live and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # the subscription registers on the gateway
    before = await _ids(page)

    facilitator = GraphQL(stack.url)
    await facilitator.login("sophea")
    need = {"villageCode": "16010101", "description": "ផ្លូវទៅសាលារៀន", "idempotencyKey": uuid.uuid4().hex}
    assert "errors" not in await facilitator.execute(SUBMIT_NEED, {"i": need})
    await facilitator.close()
    with_live = await _until(page, len(before) + 1)
    assert len(with_live) == len(before) + 1, "the live notification did not arrive"

    stack.processes["gateway"].signal(signal.SIGKILL)
    await asyncio.to_thread(stack.processes["gateway"].popen.wait, 10)  # type: ignore[union-attr]
    token = issue_token(Identity("pwa-live", Role.FACILITATOR, ("160101",)), stack.secrets["identity"])
    async with httpx.AsyncClient(base_url=stack.processes["intake"].url, timeout=15) as intake:
        for i in range(OFFLINE_NEEDS):
            body = {
                "village_code": "16010102",
                "description": f"អណ្តូងទឹក {i}",
                "idempotency_key": uuid.uuid4().hex,
            }
            answer = await intake.post("/needs", json=body, headers={"authorization": f"Bearer {token}"})
            assert answer.status_code == 201, answer.text
    await asyncio.to_thread(stack.restart, "gateway")

    await _until(page, len(with_live) + OFFLINE_NEEDS)
    await asyncio.sleep(1.0)  # a duplicate or an old one would show now
    after = await _ids(page)
    assert len(after) == len(with_live) + OFFLINE_NEEDS, (len(with_live), after)
    assert len(set(after)) == len(after)
    assert subscribes[0].get("after") is None
    assert subscribes[-1].get("after"), subscribes  # the reconnect carried the cursor
