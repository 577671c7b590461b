"""Citizens verify completed works: every raiser answers once (the latest counts), by the track
page or by an SMS keyword in Khmer or English. Pure rules, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.intake import domain
from services.notify.domain.commands import parse_command
from services.notify.domain.verify import Verification, parse_verification
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
