"""Citizens verify completed works by SMS (issue 20): ``OK <code> [feedback code] <1-5>`` sent to
the commune's number becomes a FeedbackMessageReceived event for intake (which decides whether it
counts) and a thank-you reply in the sender's language; a handed-over project asks the people
who raised its needs to rate it. Notify runs as a real service against a local SMS provider."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from contracts.budget import PROJECT_STAGE_SET, ProjectStage, ProjectStageSetV1
from contracts.envelope import uuid7
from contracts.needs import NEED_SUBMITTED, ContactChannel, ContactPoint, NeedSubmittedV1, PlaceName
from tests.conftest import wait_for
from tests.support.notify_harness import COMMUNE_NUMBER, MORNING, Harness, notify_harness

_numbers = itertools.count(31_000_000)


def phone() -> str:
    return f"+85517{next(_numbers) % 10**7:07d}"


@pytest.fixture(scope="module")
async def h(nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    async with notify_harness(nats_url, Path(tmp_path_factory.mktemp("notify-verify"))) as harness:
        harness.clock.set(MORNING)
        yield harness


async def _sms_to(h: Harness, number: str, count: int) -> list[dict[str, Any]]:
    async def arrived() -> list[dict[str, Any]] | None:
        await h.dispatch()
        found = h.sms.to(number)
        return found if len(found) >= count else None

    result: list[dict[str, Any]] = await wait_for(arrived)
    return result


async def _feedback_events(h: Harness, sender: str) -> list[dict[str, Any]]:
    events = await h.events("khum.notify.FeedbackMessageReceived.v1.*")
    return [e["event"].data for e in events if e["event"].data["sender"]["address"] == sender]


async def test_an_ok_keyword_becomes_a_feedback_event_and_is_thanked_in_khmer(h: Harness) -> None:
    sender = phone()
    response = await h.sms.incoming(sender, COMMUNE_NUMBER, "OK abcd efg ៤")
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "command:verify"
    [event] = await wait_for(lambda: _feedback_events(h, sender))
    assert event["tracking_code"] == "ABCD-EFG" and event["rating"] == 4 and event["feedback_code"] is None
    assert event["commune_code"] == "160101"
    [reply] = await _sms_to(h, sender, 1)
    assert "សូមអរគុណ" in reply["text"] and "ABCD-EFG" in reply["text"]


async def test_a_keyword_with_the_feedback_code_carries_it_and_an_english_speaker_is_thanked_in_english(
    h: Harness,
) -> None:
    sender = phone()
    await h.sms.incoming(sender, COMMUNE_NUMBER, "LANG EN")
    await h.sms.incoming(sender, COMMUNE_NUMBER, "ok WXYZ-234 123456 2")
    [event] = await wait_for(lambda: _feedback_events(h, sender))
    assert (event["feedback_code"], event["rating"]) == ("123456", 2)
    replies = await _sms_to(h, sender, 2)
    assert "Thank you" in replies[-1]["text"]


async def test_a_message_that_only_mentions_ok_is_a_need_not_a_rating(h: Harness) -> None:
    sender = phone()
    response = await h.sms.incoming(sender, COMMUNE_NUMBER, "OK the pump is broken again 5")
    assert response.json()["outcome"] == "need_message"
    assert await _feedback_events(h, sender) == []


async def test_a_handed_over_project_asks_its_needs_people_to_rate_it_by_sms(h: Harness) -> None:
    sender = phone()
    need = NeedSubmittedV1(
        need_id=uuid7(),
        tracking_code="KHVR-2A3",
        commune_code="160101",
        village_code="16010103",
        village_name=PlaceName(km="កាចាញ", latin="Ka Chanh"),
        description="អណ្តូងទឹកស្អាត",
        collected_by="u-sophea",
        submitted_at=MORNING,
        contacts=[ContactPoint(channel=ContactChannel.SMS, address=sender, language="km")],
    )
    await h.publish(need, NEED_SUBMITTED, "160101")
    receipt = await _sms_to(h, sender, 1)
    stage = ProjectStageSetV1(
        project_id=uuid7(),
        commune_code="160101",
        year=2026,
        title="អណ្តូងទឹកស្អាត ភូមិកាចាញ",
        need_ids=[need.need_id],
        stage=ProjectStage.HANDED_OVER,
        previous=ProjectStage.COMPLETED,
        on=date(2026, 3, 9),
        set_by="chief-1",
        set_at=MORNING,
    )
    await h.publish(stage, PROJECT_STAGE_SET, "160101")
    messages = await _sms_to(h, sender, len(receipt) + 1)
    ask = messages[-1]["text"]
    assert "OK KHVR-2A3" in ask and "១-៥" in ask, ask
    # Other stages send nothing here: works started and completed reach people as need statuses.
    await h.publish(stage.model_copy(update={"stage": ProjectStage.COMPLETED}), PROJECT_STAGE_SET, "160101")
    await wait_for(lambda: h.caught_up("notify-budget", "KHUM_BUDGET"))
    await h.dispatch()
    assert len(h.sms.to(sender)) == len(receipt) + 1


async def test_a_rating_sent_to_a_number_of_no_commune_is_routed_by_its_tracking_code(h: Harness) -> None:
    # The need's people gave their phone to a facilitator and never wrote to the commune's
    # number: the tracking code says which commune the rating is for.
    sender = phone()
    need = NeedSubmittedV1(
        need_id=uuid7(),
        tracking_code="KHRT-3B4",
        commune_code="160101",
        village_code="16010103",
        village_name=PlaceName(km="កាចាញ", latin="Ka Chanh"),
        description="អណ្តូងទឹកស្អាត",
        collected_by="u-sophea",
        submitted_at=MORNING,
        contacts=[ContactPoint(channel=ContactChannel.SMS, address=sender, language="km")],
    )
    await h.publish(need, NEED_SUBMITTED, "160101")
    await wait_for(lambda: h.store.get("needs", need.need_id))
    response = await h.sms.incoming(sender, "+85599000000", "OK KHRT-3B4 5")
    assert response.json()["outcome"] == "command:verify", response.text
    [event] = await wait_for(lambda: _feedback_events(h, sender))
    assert (event["commune_code"], event["rating"]) == ("160101", 5)
    unknown = await h.sms.incoming(phone(), "+85599000000", "OK ZZZZ-999 5")
    assert unknown.json()["outcome"] == "command:verify:unrouted"
