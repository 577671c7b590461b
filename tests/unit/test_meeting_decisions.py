"""Decisions of a held meeting: a quorum, needs from the published agenda ranked 1..n, the
right kind at the right meeting; then the minutes close the record."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts.meetings import DecisionKind, MeetingState, MeetingType
from services.meetings.attendance import record_attendance
from services.meetings.decisions import RecordDecision, publish_minutes, record_decision
from services.meetings.domain import Meeting, MeetingError
from services.meetings.lifecycle import announce
from services.runtime.identity import Identity
from tests.unit.test_meeting_attendance import GOOD, OPENS
from tests.unit.test_meeting_rules import COUNCIL, FACILITATOR, NOW, planned, with_agenda

PRIORITIES = RecordDecision(DecisionKind.PRIORITISATION, 2028, [("need-well", 2), ("need-road", 1)], "ផ្លូវមុន")


def held(
    counts: dict[str, int] | None = None, type: MeetingType = MeetingType.COMMUNE_PRIORITISATION
) -> Meeting:
    meeting = announce(with_agenda(planned(days=20, type=type)), COUNCIL, NOW, 7)
    return record_attendance(meeting, counts or GOOD, None, COUNCIL, meeting.starts_at, OPENS)


def refused(code: str, meeting: Meeting, command: RecordDecision, caller: Identity = COUNCIL) -> MeetingError:
    with pytest.raises(MeetingError) as caught:
        record_decision(meeting, command, caller, meeting.starts_at + timedelta(hours=1), decision_id="d-x")
    assert caught.value.code == code, caught.value.messages
    return caught.value


def test_a_prioritisation_ranks_agenda_needs_in_order() -> None:
    meeting = held()
    after, decision, new = record_decision(meeting, PRIORITIES, COUNCIL, NOW, decision_id="d-1")
    assert new
    assert [(n.need_id, n.rank) for n in decision.needs] == [("need-road", 1), ("need-well", 2)]
    assert after.decisions == [decision]
    assert decision.summary == "ផ្លូវមុន"


def test_the_same_idempotency_key_records_a_decision_once() -> None:
    command = RecordDecision(
        DecisionKind.PRIORITISATION, 2028, [("need-road", 1)], idempotency_key="tablet-1-abc"
    )
    first, _, _ = record_decision(held(), command, COUNCIL, NOW, decision_id="d-1")
    again, same, new = record_decision(first, command, COUNCIL, NOW, decision_id="d-2")
    assert not new
    assert same.id == "d-1"
    assert again is first


def test_decisions_need_a_held_meeting() -> None:
    meeting = announce(with_agenda(planned(days=20)), COUNCIL, NOW, 7)
    assert refused("decision.meeting_not_held", meeting, PRIORITIES).status == 409


def test_decisions_need_a_quorum() -> None:
    meeting = held({**GOOD, "council_present": 3, "council_total": 7})
    assert "more than half" in refused("decision.no_quorum", meeting, PRIORITIES).messages["en"]


@pytest.mark.parametrize(
    ("needs", "code"),
    [
        ([], "decision.needs_missing"),
        ([("need-road", 1), ("need-well", 3)], "decision.ranks_invalid"),
        ([("need-road", 1), ("need-well", 1)], "decision.ranks_invalid"),
        ([("need-road", 0)], "decision.ranks_invalid"),
        ([("need-road", 1), ("need-road", 2)], "decision.need_twice"),
        ([("need-takeo", 1)], "decision.need_not_on_agenda"),
        ([("need-merged", 1)], "decision.need_not_on_agenda"),
    ],
)
def test_bad_rankings_are_refused(needs: list[tuple[str, int]], code: str) -> None:
    meeting = held()
    error = refused(code, meeting, RecordDecision(DecisionKind.PRIORITISATION, 2028, needs))
    assert error.field == "needs"
    assert meeting.decisions == []


def test_each_kind_of_decision_belongs_at_its_meeting() -> None:
    budget = held(type=MeetingType.BUDGET_DISCLOSURE)
    assert refused("decision.kind_not_for_meeting", budget, PRIORITIES).field == "kind"
    other = RecordDecision(DecisionKind.OTHER, 2028, [], "Publish the budget on the notice board")
    _, decision, _ = record_decision(budget, other, COUNCIL, NOW, decision_id="d-1")
    assert decision.kind is DecisionKind.OTHER


def test_the_cip_year_must_be_near_the_meeting() -> None:
    command = RecordDecision(DecisionKind.PRIORITISATION, 2040, [("need-road", 1)])
    assert refused("decision.year_invalid", held(), command).field == "year"


def test_a_facilitator_cannot_record_a_decision() -> None:
    assert refused("meeting.not_allowed", held(), PRIORITIES, FACILITATOR).status == 403


def test_publishing_the_minutes_closes_the_record() -> None:
    meeting, _, _ = record_decision(held(), PRIORITIES, COUNCIL, NOW, decision_id="d-1")
    with pytest.raises(MeetingError) as empty:
        publish_minutes(meeting, "   ", COUNCIL, NOW)
    assert empty.value.code == "meeting.text_required"
    done = publish_minutes(meeting, "កិច្ចប្រជុំបានសម្រេចអាទិភាព ២ គម្រោង។", COUNCIL, NOW)
    assert done.state is MeetingState.MINUTES_PUBLISHED
    refused("decision.minutes_published", done, PRIORITIES)
    with pytest.raises(MeetingError) as again:
        publish_minutes(done, "again", COUNCIL, NOW)
    assert again.value.code == "minutes.minutes_published"


def test_minutes_need_a_held_meeting() -> None:
    with pytest.raises(MeetingError) as caught:
        publish_minutes(planned(), "text", COUNCIL, NOW)
    assert caught.value.code == "minutes.meeting_not_held"
