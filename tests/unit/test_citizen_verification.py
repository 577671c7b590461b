"""Citizens verify completed works: every raiser answers once (the latest counts), by the track
page or by an SMS keyword in Khmer or English. Pure rules, no I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from contracts.budget import ProjectStage, ProjectStageSetV1
from contracts.needs import ContactChannel, ContactPoint
from contracts.notify import FeedbackMessageReceivedV1, InboundChannel
from services.intake import domain
from services.intake.verification import sent_by_its_people
from services.notify.domain.commands import parse_command
from services.notify.domain.rules import project_handed_over
from services.notify.domain.sms import sms_length
from services.notify.domain.verify import Verification, parse_verification
from services.notify.rendering import render
from services.runtime.errors import DomainError

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def _need(status: str) -> dict[str, Any]:
    return {"id": "n1", "status": status, "history": [], "feedback": []}


def test_the_first_answer_verifies_the_need_and_later_raisers_are_added_not_refused() -> None:
    first = domain.record_feedback(_need("completed"), True, "ល្អ", NOW, rating=5, key="AAAA-BBB")
    assert first["status"] == "verified"
    # Before the fix, a second raiser (a merged need's) hit need.transition_invalid here.
    second = domain.record_feedback(first, False, "ទឹកមិនស្អាត", NOW, rating=2, key="CCCC-DDD", channel="sms")
    assert second["status"] == "verified"
    assert [(f["key"], f["rating"], f["channel"]) for f in second["feedback"]] == [
        ("AAAA-BBB", 5, "track_page"),
        ("CCCC-DDD", 2, "sms"),
    ]
    assert len(second["history"]) == 1  # only the first answer moved the need


def test_the_same_raiser_answering_again_replaces_their_answer() -> None:
    first = domain.record_feedback(_need("completed"), True, None, NOW, rating=4, key="AAAA-BBB")
    again = domain.record_feedback(first, False, None, NOW, rating=1, key="AAAA-BBB")
    assert [(f["rating"], f["satisfied"]) for f in again["feedback"]] == [(1, False)]


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_a_rating_outside_one_to_five_is_refused_in_khmer_and_english(rating: int) -> None:
    with pytest.raises(DomainError) as refused:
        domain.record_feedback(_need("completed"), True, None, NOW, rating=rating)
    assert refused.value.code == "need.rating_invalid"
    assert "១" in refused.value.message("km")


@pytest.mark.parametrize("status", ["funded", "in_implementation", "merged", "rejected"])
def test_needs_not_completed_take_no_verification(status: str) -> None:
    with pytest.raises(DomainError) as refused:
        domain.record_feedback(_need(status), True, None, NOW, rating=5)
    assert refused.value.code == "need.transition_invalid"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("OK ABCD-EFG 5", Verification("ABCD-EFG", None, 5)),
        ("ok abcd efg 4", Verification("ABCD-EFG", None, 4)),
        ("OK ABCDEFG 123456 2", Verification("ABCD-EFG", "123456", 2)),
        ("យល់ព្រម ABCD-EFG ៣", Verification("ABCD-EFG", None, 3)),
        ("យល់ព្រម ABCD-EFG ១២៣៤៥៦ ១។", Verification("ABCD-EFG", "123456", 1)),
        ("/ok@KhumBot ABCD-EFG 5", Verification("ABCD-EFG", None, 5)),
    ],
)
def test_the_verification_keyword_is_read_in_khmer_and_english(text: str, expected: Verification) -> None:
    assert parse_verification(text) == expected
    assert parse_command(text) is None  # never mistaken for another keyword


@pytest.mark.parametrize(
    "text",
    ["OK", "OK ABCD-EFG", "OK ABCD-EFG 6", "OK ABCD-EFG 0", "ok the road is fine now 5", "the well is OK 5"],
)
def test_other_messages_are_not_verifications(text: str) -> None:
    assert parse_verification(text) is None


@pytest.mark.parametrize(
    ("kind", "channels"),
    [("project_verify", ("sms", "telegram", "email")), ("reply_verify", ("sms", "telegram"))],
)
def test_verification_messages_render_in_khmer_and_english_in_few_sms_segments(
    kind: str, channels: tuple[str, ...]
) -> None:
    context = {
        "title": "អណ្តូងទឹកស្អាតសម្រាប់ភូមិកាហាល",
        "on": "2026-05-25",
        "need": {"tracking_code": "ABCD-EFG"},
        "tracking_code": "ABCD-EFG",
        "rating": 4,
        "unsubscribe_url": None,
    }
    for channel in channels:
        km = render(kind, channel, "km", context).text
        en = render(kind, channel, "en", context).text
        assert "ABCD-EFG" in km and "ABCD-EFG" in en and km != en
        assert any("\u1780" <= ch <= "\u17ff" for ch in km), (kind, channel)
        if channel == "sms":
            assert sms_length(km).segments <= 2, (kind, len(km))
            assert sms_length(en).segments <= 2, (kind, len(en))


def test_a_handed_over_project_asks_each_of_its_needs_people_to_rate_it() -> None:
    stage = ProjectStageSetV1(
        project_id="p1",
        commune_code="160101",
        year=2026,
        title="អណ្តូង",
        need_ids=["n1", "n2"],
        stage=ProjectStage.HANDED_OVER,
        on=date(2026, 5, 25),
        set_by="chief-1",
        set_at=NOW,
    )
    notices = project_handed_over(stage)
    assert [(n.kind, n.need_id) for n in notices] == [("project_verify", "n1"), ("project_verify", "n2")]
    # Works started and completed reach people as need statuses: no second message then.
    assert project_handed_over(stage.model_copy(update={"stage": ProjectStage.COMPLETED})) == []


def _message(address: str, channel: str = "sms") -> FeedbackMessageReceivedV1:
    return FeedbackMessageReceivedV1(
        message_id="m1",
        commune_code="160101",
        channel=InboundChannel(channel),
        sender=ContactPoint(channel=ContactChannel(channel), address=address),
        tracking_code="ABCD-EFG",
        rating=4,
        received_at=NOW,
    )


def test_an_sms_rating_counts_from_a_phone_the_needs_people_gave_however_it_was_written() -> None:
    need = {
        "raised_by": [
            {"contact": {"channel": "sms", "address": "012 400 603"}, "consent": {"method": "verbal"}}
        ],
        "supporters": [{"contact": {"channel": "sms", "address": "+85512999999"}, "consent": None}],
    }
    assert sent_by_its_people(need, _message("+85512400603"))
    assert not sent_by_its_people(need, _message("+85512400604"))
    assert not sent_by_its_people(need, _message("+85512999999"))  # no consent: not a contact to trust
    assert not sent_by_its_people(need, _message("12400603", "telegram"))
