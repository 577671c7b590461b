"""Notify's contract holds on both sides: what notify's own code stores, its routes answer with
contracts/api/notify.py's models; those answers, as JSON, parse through the gateway's
NotifyClient and reach GraphQL and the pages; and every endpoint the client calls is a route that
declares a contracts.api.notify response model."""

from __future__ import annotations

import base64
import contextlib
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from contracts.api.notify import PushKeys, PushSubscriptionCreate, PushSubscriptionRemove
from contracts.needs import NeedStatus, NeedStatusChangedV1, NeedSubmittedV1, PlaceName
from contracts.notify import DeliveryChannel, DeliveryStatus
from gateway.clients import Caller, ServiceClient
from gateway.clients.notify import NotifyClient
from gateway.clients.typed import plain
from gateway.graphql.notifications import Delivery, Notification
from gateway.web.notify import delivery_row, script_card
from services.notify import api, api_deliveries, api_loudspeaker, api_push, voice
from services.notify.app import create_app
from services.notify.deliveries import Cause, insert, new_delivery
from services.notify.domain.rules import need_status_changed, need_submitted
from services.notify.local_channels import write_in_app, write_loudspeaker
from services.notify.recipients import save_push_subscription
from services.notify.store import COLLECTIONS
from services.runtime.identity import Identity, Role
from services.runtime.stores import Store
from services.runtime.stores.sqlite import SqliteStore
from tests.support.typed_wire import Transport, route_for

WHEN = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
NEED_ID = "0190c0de-0000-7000-8000-00000000000a"
KA_HAL = {"km": "កាតែ", "latin": "Ka Hal", "code": "16010102"}
COUNCIL = Identity("u-dara", Role.COUNCIL_MEMBER, ("160101",))
CHIEF = Identity("u-bopha", Role.COMMUNE_CHIEF, ("160101",))
AUDIO = b"OggS\x00\x02voice"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = SqliteStore(str(tmp_path / "notify.db"), [*COLLECTIONS, voice.VOICE_NOTES])
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


def _runtime(store: Store) -> Any:
    return SimpleNamespace(store=store, unit_of_work=store.transaction)


def _exchange() -> Any:
    return SimpleNamespace(
        settings=SimpleNamespace(sms_segment_cost_riel=150), clock=SimpleNamespace(now=lambda: WHEN)
    )


def _submitted() -> NeedSubmittedV1:
    return NeedSubmittedV1(
        need_id=NEED_ID,
        tracking_code="ABCD-EFG",
        commune_code="160101",
        village_code="16010102",
        village_name=PlaceName(km="កាតែ", latin="Ka Hal"),
        description="ផ្លូវលំភូមិកាតែ ខូចខាតខ្លាំង",
        collected_by="u-sophea",
        submitted_at=WHEN,
    )


def _funded() -> NeedStatusChangedV1:
    return NeedStatusChangedV1(
        need_id=NEED_ID,
        tracking_code="ABCD-EFG",
        commune_code="160101",
        village_code="16010102",
        previous=NeedStatus.IN_CIP,
        status=NeedStatus.FUNDED,
        actor="budget",
        changed_at=WHEN,
    )


async def _seed(store: Store) -> None:
    """What notify's consumers write when a need is recorded and later funded, an SMS that
    failed, and a voice note."""
    [council] = need_submitted(_submitted())
    _, village = need_status_changed(_funded())
    need = {"excerpt": "ផ្លូវលំភូមិកាតែ", "village": KA_HAL}
    sms = new_delivery(
        cause="evt-3",
        correlation_id=None,
        kind="need_receipt",
        channel=DeliveryChannel.SMS,
        target="sms:+85512345678",
        recipient="+85512•••678",
        commune_code="160101",
        language="km",
        text="លេខកូដ ABCD-EFG",
        now=WHEN,
        ref="ABCD-EFG",
        segments=2,
        error=("sms.invalid_number", "the network refused the number"),
    )
    async with store.transaction() as tx:
        await write_in_app(
            tx, Cause("evt-1"), council, "council:160101", {**council.context, "need": need}, WHEN
        )
        await write_loudspeaker(
            tx, Cause("evt-2"), village, "16010102", {**village.context, "need": need}, WHEN
        )
        await insert(tx, sms, WHEN)
        await tx.insert(
            "voice_notes",
            {
                "id": "audio-1",
                "provider_key": "telegram:42",
                "message_id": "m-1",
                "commune_code": "160101",
                "contact_id": "telegram:900001",
                "mime_type": "audio/ogg",
                "size_bytes": len(AUDIO),
                "duration_seconds": 12,
                "data_base64": base64.b64encode(AUDIO).decode(),
                "stored_at": WHEN.isoformat(),
            },
        )


async def test_the_inbox_and_deliveries_notify_answers_reach_graphql_and_the_pages(store: Store) -> None:
    await _seed(store)
    wire = Transport()
    client = NotifyClient(cast(ServiceClient, wire))
    caller = Caller(COUNCIL, "en")

    wire.answer("GET", "/notifications", await api.list_notifications(COUNCIL, _runtime(store), None, 20))
    page = await client.notifications(caller, limit=20)
    [notification] = [Notification.of(item) for item in page.items]
    assert page.total == 1 and notification.created_at == WHEN and notification.read is False
    assert notification.kind == "need_submitted" and notification.texts["km"]

    path = f"/notifications/{notification.id}/read"
    wire.answer("POST", path, await api.mark_read(str(notification.id), COUNCIL, _runtime(store)))
    assert (await client.mark_read(caller, str(notification.id))).read is True

    served = await api_deliveries.list_deliveries(
        COUNCIL, _runtime(store), _exchange(), None, None, None, None, None, None, None, limit=50
    )
    wire.answer("GET", "/deliveries", served)
    deliveries = await client.deliveries(caller, limit=50)
    assert wire.sent[-1][2] == {"limit": 50}
    by_channel = {d.channel: d for d in deliveries.items}
    sms = by_channel[DeliveryChannel.SMS]
    assert sms.cost_riel == 300 and sms.encoding == "ucs2" and sms.last_error is not None
    assert Delivery.of(sms).next_attempt_at == WHEN and Delivery.of(sms).status is DeliveryStatus.QUEUED
    assert delivery_row(sms, "en")["cost"] == "2 SMS parts (Khmer/Unicode) · about 300 riel"
    assert Delivery.of(by_channel[DeliveryChannel.IN_APP]).next_attempt_at is None  # delivered already
    loudspeaker = by_channel[DeliveryChannel.LOUDSPEAKER]
    assert delivery_row(loudspeaker, "en")["status_label"] == "To announce"


async def test_loudspeaker_push_and_voice_answers_parse_through_the_client(store: Store) -> None:
    await _seed(store)
    wire = Transport()
    client = NotifyClient(cast(ServiceClient, wire))
    caller = Caller(CHIEF)

    listed = await api_loudspeaker.list_scripts(
        CHIEF, _runtime(store), None, "16010102", "pending", None, 100
    )
    wire.answer("GET", "/loudspeaker", listed)
    [script] = (await client.scripts(caller, village="16010102", status="pending", limit=100)).items
    card = script_card(script, "en")
    assert card["village"] == "Ka Hal" and card["quoted"] == ["ផ្លូវលំភូមិកាតែ"] and card["status"] == "pending"

    announced = await api_loudspeaker.mark_announced(script.id, CHIEF, _runtime(store), _exchange(), None)
    wire.answer("GET", f"/loudspeaker/{script.id}", announced)
    again = await client.script(caller, script.id)
    assert again.status == "announced" and again.announced_at == WHEN and again.announced_by == "u-bopha"

    async with store.transaction() as tx:
        await save_push_subscription(
            tx,
            endpoint="https://push.example/abc",
            p256dh="key",
            auth="secret",
            user_id=CHIEF.user_id,
            audiences=("council:160101",),
            language="en",
            now=WHEN,
        )
    removal = PushSubscriptionRemove(endpoint="https://push.example/abc")
    wire.answer(
        "POST",
        "/push/subscriptions/remove",
        await api_push.remove(removal, CHIEF, _runtime(store), _exchange()),
    )
    removed = await client.remove_push(caller, "https://push.example/abc")
    assert removed.active is False and removed.audiences == ["council:160101"]
    assert wire.sent[-1][3] == {"endpoint": "https://push.example/abc"}

    wire.answer(
        "GET", "/voice-notes/audio-1", await voice.voice_note("audio-1", CHIEF, _runtime(store), _exchange())
    )
    audio = await client.voice_note(caller, "audio-1")
    assert audio.data == AUDIO and audio.content_type == "audio/ogg"


def test_a_push_subscription_the_gateway_builds_is_what_notify_reads() -> None:
    """The gateway builds it without checking (model_construct); notify validates what it sends."""
    sent = PushSubscriptionCreate.model_construct(
        endpoint="https://push.example/abc",
        keys=PushKeys.model_construct(p256dh="k", auth="a"),
        language="en",
    )
    read = PushSubscriptionCreate.model_validate(plain(sent))
    assert read.keys.p256dh == "k" and read.language == "en"


CALLS: dict[str, Callable[[NotifyClient, Caller], Awaitable[object]]] = {
    "push_config": lambda c, who: c.push_config(who),
    "register_push": lambda c, who: c.register_push(
        who, PushSubscriptionCreate.model_construct(endpoint="e")
    ),
    "remove_push": lambda c, who: c.remove_push(who, "e"),
    "notifications": lambda c, who: c.notifications(who),
    "mark_read": lambda c, who: c.mark_read(who, "n-1"),
    "deliveries": lambda c, who: c.deliveries(who),
    "scripts": lambda c, who: c.scripts(who),
    "script": lambda c, who: c.script(who, "s-1"),
    "mark_announced": lambda c, who: c.mark_announced(who, "s-1", "Sok"),
    "voice_note": lambda c, who: c.voice_note(who, "a-1"),
}


async def test_every_endpoint_the_client_calls_declares_a_contracts_model() -> None:
    methods = {
        name
        for name, member in inspect.getmembers(NotifyClient, inspect.iscoroutinefunction)
        if not name.startswith("_") and name not in ("call", "send", "close")
    }
    assert methods == set(CALLS), "a NotifyClient method without a line in CALLS"
    for name, call in CALLS.items():
        wire = Transport()
        with contextlib.suppress(ValueError):  # the empty answer may not parse: the path is what counts
            await call(NotifyClient(cast(ServiceClient, wire)), Caller(COUNCIL))
        [(method, path, _, _)] = wire.sent
        model = route_for(create_app(), method, path).response_model
        assert isinstance(model, type) and model.__module__ == "contracts.api.notify", (name, model)
