"""RSVPs by group and attendance counts: no negative counts, no group larger than everyone
present, remote and in person adding up; quorum; the counter opens shortly before the start."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.meetings import MeetingState
from services.meetings.attendance import (
    ATTENDANCE_FIELDS,
    RsvpCommand,
    RsvpResponse,
    check_counts,
    quorum_met,
    record_attendance,
    rsvp,
)
from services.meetings.domain import Meeting, MeetingError
from services.meetings.lifecycle import announce, cancel
from services.runtime.identity import Identity, Role
from tests.unit.test_meeting_rules import COUNCIL, FACILITATOR, NOW, planned, with_agenda

OPENS = timedelta(minutes=60)
GOOD = {
    "total": 40,
    "in_person": 34,
    "remote": 6,
    "women": 22,
    "men": 18,
    "disability": 3,
    "idpoor": 9,
    "indigenous": 25,
    "migrant": 5,
    "youth": 11,
    "council_present": 5,
    "council_total": 7,
}


def announced_meeting() -> Meeting:
    return announce(with_agenda(planned(days=20)), COUNCIL, NOW, 7)


def during(meeting: Meeting) -> datetime:
    return meeting.starts_at + timedelta(minutes=5)


def refused(code: str, call: object, *args: object) -> MeetingError:
    with pytest.raises(MeetingError) as caught:
        call(*args)  # type: ignore[operator]
    assert caught.value.code == code, caught.value.messages
    return caught.value


# ---------- RSVPs ----------


def test_a_facilitator_answers_for_a_group_and_a_repeat_replaces_it() -> None:
    meeting = announced_meeting()
    women_group = RsvpCommand(
        RsvpResponse.ATTENDING, {"people": 12, "women": 12, "migrant": 2}, "Laom savings group"
    )
    once = rsvp(meeting, women_group, FACILITATOR, NOW)
    again = rsvp(
        once,
        RsvpCommand(RsvpResponse.ATTENDING, {"people": 15, "women": 15}, "  laom SAVINGS group"),
        FACILITATOR,
        NOW,
    )
    assert len(again.rsvps) == 1
    assert again.rsvps[0].counts.people == 15
    youth = rsvp(
        again, RsvpCommand(RsvpResponse.MAYBE, {"people": 6, "youth": 6}, "Youth club"), FACILITATOR, NOW
    )
    assert len(youth.rsvps) == 2


@pytest.mark.parametrize(
    ("counts", "code", "field"),
    [
        ({"people": -1}, "rsvp.count_negative", "people"),
        ({"people": 5, "women": -2}, "rsvp.count_negative", "women"),
        ({"people": 0}, "rsvp.people_missing", "people"),
        ({"people": 5, "disability": 6}, "rsvp.exceeds_total", "disability"),
        ({"people": 5, "remote": 9}, "rsvp.exceeds_total", "remote"),
        ({"people": 5, "cats": 1}, "rsvp.group_unknown", "counts"),
    ],
)
def test_impossible_rsvp_counts_are_refused(counts: dict[str, int], code: str, field: str) -> None:
    meeting = announced_meeting()
    error = refused(
        code, rsvp, meeting, RsvpCommand(RsvpResponse.ATTENDING, counts, "group"), FACILITATOR, NOW
    )
    assert error.field == field


def test_rsvps_close_once_the_meeting_is_over_or_cancelled() -> None:
    meeting = announced_meeting()
    answer = RsvpCommand(RsvpResponse.ATTENDING, {"people": 3}, "x")
    held = record_attendance(meeting, GOOD, None, COUNCIL, during(meeting), OPENS)
    refused("rsvp.closed", rsvp, held, answer, FACILITATOR, NOW)
    refused("rsvp.closed", rsvp, cancel(meeting, "flood", COUNCIL, NOW), answer, FACILITATOR, NOW)


def test_someone_outside_the_commune_cannot_rsvp() -> None:
    outsider = Identity("f-2", Role.FACILITATOR, ("210103",))
    integrator = Identity("ngo", Role.INTEGRATOR, ("160101",))
    answer = RsvpCommand(RsvpResponse.ATTENDING, {"people": 3}, "x")
    for caller in (outsider, integrator):
        assert refused("meeting.not_allowed", rsvp, announced_meeting(), answer, caller, NOW).status == 403


# ---------- attendance ----------


def test_recording_attendance_at_the_meeting_marks_it_held_with_a_quorum() -> None:
    meeting = announced_meeting()
    held = record_attendance(meeting, GOOD, ["សុខា", " ", "Dara"], COUNCIL, during(meeting), OPENS)
    assert held.state is MeetingState.HELD
    assert held.attendance is not None
    assert held.attendance.counts.women == 22
    assert held.attendance.quorum_met
    assert held.attendance.names == ["សុខា", "Dara"]
    corrected = record_attendance(
        held, {**GOOD, "total": 41, "in_person": 35}, None, COUNCIL, during(meeting), OPENS
    )
    assert corrected.attendance is not None and corrected.attendance.counts.total == 41
    assert corrected.state is MeetingState.HELD
    assert [t.to_state for t in corrected.history].count(MeetingState.HELD) == 1


def test_the_counter_opens_an_hour_before_the_start() -> None:
    meeting = announced_meeting()
    early = meeting.starts_at - timedelta(minutes=61)
    refused("attendance.too_early", record_attendance, meeting, GOOD, None, COUNCIL, early, OPENS)
    ok = record_attendance(meeting, GOOD, None, COUNCIL, meeting.starts_at - timedelta(minutes=59), OPENS)
    assert ok.state is MeetingState.HELD


def test_attendance_needs_an_announced_meeting_that_is_not_closed() -> None:
    refused("attendance.not_announced", record_attendance, planned(), GOOD, None, COUNCIL, NOW, OPENS)
    gone = cancel(announced_meeting(), "storm", COUNCIL, NOW)
    refused("attendance.closed", record_attendance, gone, GOOD, None, COUNCIL, during(gone), OPENS)


def test_a_facilitator_cannot_record_attendance() -> None:
    meeting = announced_meeting()
    refused(
        "meeting.not_allowed", record_attendance, meeting, GOOD, None, FACILITATOR, during(meeting), OPENS
    )


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"women": -1}, "attendance.negative", "women"),
        ({"council_total": -7}, "attendance.negative", "councilTotal"),
        ({"remote": 7}, "attendance.split_mismatch", "inPerson"),
        ({"women": 30}, "attendance.exceeds_total", "women"),
        ({"disability": 41}, "attendance.exceeds_total", "disability"),
        ({"youth": 41}, "attendance.exceeds_total", "youth"),
        ({"council_present": 8}, "attendance.council_exceeds", "councilPresent"),
        (
            {
                "total": 4,
                "in_person": 4,
                "remote": 0,
                "women": 2,
                "men": 2,
                "disability": 0,
                "idpoor": 0,
                "indigenous": 0,
                "migrant": 0,
                "youth": 0,
            },
            "attendance.exceeds_total",
            "councilPresent",
        ),
        ({"total": 10**6, "in_person": 10**6}, "attendance.too_large", "total"),
    ],
)
def test_impossible_attendance_counts_are_refused_and_nothing_changes(
    changes: dict[str, int], code: str, field: str
) -> None:
    meeting = announced_meeting()
    error = refused(
        code, record_attendance, meeting, {**GOOD, **changes}, None, COUNCIL, during(meeting), OPENS
    )
    assert error.field == field
    assert error.messages["km"] != error.messages["en"]
    assert meeting.state is MeetingState.ANNOUNCED and meeting.attendance is None


def test_a_missing_count_is_refused() -> None:
    partial = {k: v for k, v in GOOD.items() if k != "youth"}
    assert refused("attendance.count_missing", check_counts, partial).field == "youth"


def test_more_names_than_people_are_refused() -> None:
    meeting = announced_meeting()
    small = {
        **GOOD,
        "total": 2,
        "in_person": 2,
        "remote": 0,
        "women": 1,
        "men": 1,
        "disability": 0,
        "idpoor": 0,
        "indigenous": 0,
        "migrant": 0,
        "youth": 0,
        "council_present": 2,
        "council_total": 3,
    }
    refused(
        "attendance.names_invalid",
        record_attendance,
        meeting,
        small,
        ["a", "b", "c"],
        COUNCIL,
        during(meeting),
        OPENS,
    )


@pytest.mark.parametrize(
    ("present", "members", "met"), [(4, 7, True), (3, 7, False), (2, 4, False), (0, 0, False)]
)
def test_quorum_is_more_than_half_of_the_council(present: int, members: int, met: bool) -> None:
    counts = check_counts({**GOOD, "council_present": present, "council_total": members})
    assert quorum_met(counts) is met


@settings(max_examples=300, deadline=None, database=None)
@given(st.fixed_dictionaries({name: st.integers(-3, 60) for name in ATTENDANCE_FIELDS}))
def test_any_counts_are_either_refused_with_a_code_or_consistent(raw: dict[str, int]) -> None:
    try:
        counts = check_counts(raw)
    except MeetingError as error:
        assert error.code.startswith("attendance.")
        assert error.field
        return
    values = counts.model_dump()
    assert all(v >= 0 for v in values.values())
    assert counts.in_person + counts.remote == counts.total
    assert counts.women + counts.men <= counts.total
    for group in ("disability", "idpoor", "indigenous", "migrant", "youth", "council_present"):
        assert values[group] <= counts.total
    assert counts.council_present <= counts.council_total
