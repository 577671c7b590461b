"""Notify's API for the gateway: what was sent to whom (council only, masked), loudspeaker
scripts for the villages a person covers, push opt-in with its checks, read marks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
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
from services.notify.deliveries import Cause
from services.notify.domain.rules import need_submitted
from services.runtime.identity import Role
from tests.conftest import wait_for
from tests.support.notify_harness import MORNING, Harness, notify_harness

COUNCIL = (Role.COUNCIL_MEMBER, ("160101",))
OTHER_COUNCIL = (Role.COUNCIL_MEMBER, ("210103",))


@pytest.fixture(scope="module")
async def h(nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    async with notify_harness(nats_url, Path(tmp_path_factory.mktemp("notify-api"))) as harness:
        yield harness


def _need(code: str, number: str, village: str = "16010104") -> NeedSubmittedV1:
    return NeedSubmittedV1(
        need_id=uuid7(),
        tracking_code=code,
        commune_code="160101",
        village_code=village,
        village_name=PlaceName(km="ត្រពាំងក្រហម", latin="Trapeang Kraham"),
        description="ស្ពានឈើបាក់ កុមារមិនអាចទៅសាលារៀន",
        collected_by="u-sophea",
        submitted_at=MORNING,
        contacts=[ContactPoint(channel=ContactChannel.SMS, address=number)],
    )


@pytest.fixture(scope="module")
async def funded(h: Harness) -> dict[str, Any]:
    """A need with an SMS contact, then funded: a receipt, a status SMS and a loudspeaker script."""
    need = _need("MNPQ-RST", "+85515000001")
    await h.publish(need, NEED_SUBMITTED, "160101")
    change = NeedStatusChangedV1(
        need_id=need.need_id,
        tracking_code=need.tracking_code,
        commune_code="160101",
        village_code=need.village_code,
        previous=NeedStatus.IN_CIP,
        status=NeedStatus.FUNDED,
        actor="budget",
        changed_at=MORNING,
    )
    await h.publish(change, NEED_STATUS_CHANGED, "160101")

    async def done() -> dict[str, Any] | None:
        await h.dispatch()
        script = await h.store.find_one("loudspeaker_scripts", {"ref": need.tracking_code})
        sent = await h.deliveries(ref=need.tracking_code, channel="sms", status="sent")
        return script if script and len(sent) == 2 else None

    script = await wait_for(done)
    return {"need": need, "script": script}


async def test_the_council_sees_what_was_sent_to_whom_with_addresses_masked(
    h: Harness, funded: dict[str, Any]
) -> None:
    response = await h.http.get(
        "/deliveries", params={"commune": "160101", "ref": "mnpq-rst"}, headers=h.token(*COUNCIL)
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    kinds = sorted((d["kind"], d["channel"], d["status"]) for d in items)
    assert kinds == [
        ("need_outcome", "loudspeaker", "queued"),  # "to announce" until read aloud
        ("need_receipt", "sms", "sent"),
        ("need_status_changed", "sms", "sent"),
        ("need_submitted", "in_app", "delivered"),
    ]
    assert all("+85515000001" not in d["recipient"] for d in items)
    assert "+85515•••001" in {d["recipient"] for d in items}


async def test_deliveries_can_be_filtered_by_status(h: Harness, funded: dict[str, Any]) -> None:
    response = await h.http.get(
        "/deliveries", params={"status": "delivered", "ref": "MNPQ-RST"}, headers=h.token(*COUNCIL)
    )
    assert [d["channel"] for d in response.json()["items"]] == ["in_app"]


@pytest.mark.parametrize(
    ("role", "communes", "params", "code"),
    [
        (Role.FACILITATOR, ("160101",), {}, "auth.forbidden"),
        (Role.COUNCIL_MEMBER, ("210103",), {"commune": "160101"}, "auth.forbidden"),
        (Role.PROVINCE_ADMIN, ("16",), {}, "deliveries.commune_required"),
    ],
)
async def test_only_the_communes_council_and_admins_see_deliveries(
    h: Harness, role: Role, communes: tuple[str, ...], params: dict[str, str], code: str
) -> None:
    response = await h.http.get("/deliveries", params=params, headers=h.token(role, communes))
    assert response.json()["error"]["code"] == code
    assert response.status_code in (403, 422)


async def test_another_communes_council_sees_none_of_these_deliveries(
    h: Harness, funded: dict[str, Any]
) -> None:
    response = await h.http.get("/deliveries", headers=h.token(*OTHER_COUNCIL))
    assert response.status_code == 200
    assert all(d["commune_code"] == "210103" for d in response.json()["items"])


async def test_a_province_admin_sees_a_commune_they_cover(h: Harness, funded: dict[str, Any]) -> None:
    response = await h.http.get(
        "/deliveries",
        params={"commune": "160101", "ref": "MNPQ-RST"},
        headers=h.token(Role.PROVINCE_ADMIN, ("16",)),
    )
    assert len(response.json()["items"]) == 4


async def test_the_village_loudspeaker_list_has_the_script_until_it_is_announced(
    h: Harness, funded: dict[str, Any]
) -> None:
    facilitator = h.token(Role.FACILITATOR, ("160101",), "u-sophea")
    listed = await h.http.get("/loudspeaker", params={"village": "16010104"}, headers=facilitator)
    assert listed.status_code == 200
    [script] = [s for s in listed.json()["items"] if s["ref"] == "MNPQ-RST"]
    assert script["status"] == "pending"
    assert script["village_name"] == {"km": "ត្រពាំងក្រហម", "latin": "Trapeang Kraham"}
    assert script["text"]["km"].count("ទទួលបានថវិកា") == 2

    [delivery] = await h.deliveries(ref="MNPQ-RST", channel="loudspeaker")
    assert delivery["status"] == "queued"  # to announce: nobody has read it out yet
    refused = await h.http.post(f"/loudspeaker/{script['id']}/announced", headers=facilitator)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "loudspeaker.chief_only"
    assert (await h.store.get("loudspeaker_scripts", script["id"]))["status"] == "pending"

    chief = h.token(Role.FACILITATOR, ("16010104",), "u-village-chief")
    announced = await h.http.post(
        f"/loudspeaker/{script['id']}/announced", json={"name": "លោក សុខ Sok"}, headers=chief
    )
    assert announced.status_code == 200, announced.text
    body = announced.json()
    assert body["status"] == "announced" and body["announced_by"] == "u-village-chief"
    assert (
        body["announced_by_name"] == "លោក សុខ Sok" and datetime.fromisoformat(body["announced_at"]) == MORNING
    )
    commune_chief = h.token(Role.COMMUNE_CHIEF, ("160101",), "u-bopha")
    again = await h.http.post(f"/loudspeaker/{script['id']}/announced", headers=commune_chief)
    assert again.json()["announced_by"] == "u-village-chief"  # the first announcement stands

    [delivery] = await h.deliveries(ref="MNPQ-RST", channel="loudspeaker")
    assert delivery["status"] == "delivered"
    assert [step["status"] for step in delivery["history"]][-3:] == ["sending", "sent", "delivered"]
    pending = await h.http.get("/loudspeaker", params={"status": "pending"}, headers=facilitator)
    assert script["id"] not in {s["id"] for s in pending.json()["items"]}


async def test_a_village_chief_scoped_to_one_village_sees_only_that_village(
    h: Harness, funded: dict[str, Any]
) -> None:
    chief = h.token(Role.FACILITATOR, ("16010104",), "u-chief")
    mine = await h.http.get("/loudspeaker", headers=chief)
    assert {s["village_code"] for s in mine.json()["items"]} == {"16010104"}
    other = h.token(Role.FACILITATOR, ("16010101",), "u-other-chief")
    assert (await h.http.get(f"/loudspeaker/{funded['script']['id']}", headers=other)).status_code == 404
    refused = await h.http.post(f"/loudspeaker/{funded['script']['id']}/announced", headers=other)
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "loudspeaker.not_found"


async def test_a_council_member_marks_a_notification_read_for_themselves_only(
    h: Harness, funded: dict[str, Any]
) -> None:
    dara, vanna = h.token(*COUNCIL, "u-dara"), h.token(*COUNCIL, "u-vanna")
    inbox = (await h.http.get("/notifications", headers=dara)).json()["items"]
    [item] = [n for n in inbox if n["ref"] == "MNPQ-RST"]
    assert item["read"] is False
    marked = await h.http.post(f"/notifications/{item['id']}/read", headers=dara)
    assert marked.status_code == 200 and marked.json()["read"] is True
    assert (await h.http.post(f"/notifications/{item['id']}/read", headers=dara)).status_code == 200
    dara_view = [
        n for n in (await h.http.get("/notifications", headers=dara)).json()["items"] if n["id"] == item["id"]
    ]
    vanna_view = [
        n
        for n in (await h.http.get("/notifications", headers=vanna)).json()["items"]
        if n["id"] == item["id"]
    ]
    assert dara_view[0]["read"] is True and vanna_view[0]["read"] is False

    outsider = await h.http.post(f"/notifications/{item['id']}/read", headers=h.token(*OTHER_COUNCIL))
    assert outsider.status_code == 404
    assert outsider.json()["error"]["code"] == "notification.not_found"


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"endpoint": "ftp://push.example/abc"}, "push.endpoint_invalid", "endpoint"),
        ({"keys": {"p256dh": "AAAA", "auth": "BTBZMqHH6r4Tts7J_aSIgg"}}, "push.keys_invalid", "keys"),
        ({"keys": {"p256dh": None, "auth": "x"}}, "request.invalid", None),
        ({"language": "fr"}, "request.invalid", None),
    ],
)
async def test_a_bad_push_subscription_is_refused_clearly_and_nothing_is_stored(
    h: Harness, change: dict[str, Any], code: str, field: str | None
) -> None:
    sub = h.push.subscribe()
    body = {**sub.as_browser_json(h.push.base_url), **change}
    before = await h.store.count("push_endpoints", {})
    response = await h.http.post(
        "/push/subscriptions", json=body, headers={**h.token(*COUNCIL), "accept-language": "en"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    if field:
        assert response.json()["error"]["field"] == field
    assert await h.store.count("push_endpoints", {}) == before


async def test_a_person_turns_push_off_and_only_they_can(h: Harness) -> None:
    sub = h.push.subscribe()
    body = sub.as_browser_json(h.push.base_url)
    dara = h.token(*COUNCIL, "u-dara")
    assert (await h.http.post("/push/subscriptions", json=body, headers=dara)).status_code == 201
    config = await h.http.get("/push/config", headers=dara)
    assert config.json()["public_key"] == h.vapid.public_key
    stranger = await h.http.post(
        "/push/subscriptions/remove", json={"endpoint": body["endpoint"]}, headers=h.token(*COUNCIL, "u-x")
    )
    assert stranger.status_code == 404
    removed = await h.http.post(
        "/push/subscriptions/remove", json={"endpoint": body["endpoint"]}, headers=dara
    )
    assert removed.status_code == 200 and removed.json()["active"] is False


async def test_the_dedup_key_alone_stops_a_second_message_for_the_same_event(h: Harness) -> None:
    """Even past the inbox (a replayed event under a new consumer), one message per recipient."""
    need = _need("NPQR-STU", "+85515000002")
    for _ in range(2):
        async with h.store.transaction() as tx:
            await h.collaborators.planner.plan(tx, Cause("evt-replayed", None), need_submitted(need), MORNING)
    deliveries = await h.deliveries(cause="evt-replayed")
    assert sorted(d["channel"] for d in deliveries) == ["in_app", "sms"]
    assert await h.store.count("notifications", {"ref": "NPQR-STU"}) == 1


async def test_a_notice_for_later_waits_until_its_time_then_goes(h: Harness) -> None:
    """How meeting reminders (3 days and 1 day before) will be sent: queued now, due later."""
    number = "+85515000003"
    later = MORNING + timedelta(days=3)
    [receipt] = [n for n in need_submitted(_need("PQRS-TUV", number)) if n.kind == "need_receipt"]
    reminder = replace(receipt, not_before=later)
    async with h.store.transaction() as tx:
        await h.collaborators.planner.plan(tx, Cause("evt-reminder", None), [reminder], MORNING)
    [queued] = await h.deliveries(cause="evt-reminder")
    assert queued["next_attempt_at"] == later.isoformat()
    await h.dispatch()
    assert h.sms.to(number) == []
    h.clock.set(later)
    try:
        await wait_for(lambda: _sms_arrived(h, number))
    finally:
        h.clock.set(MORNING)


async def _sms_arrived(h: Harness, number: str) -> bool:
    await h.dispatch()
    return bool(h.sms.to(number))
