"""Meeting notices as pure rules: who hears an announcement, a move, a cancellation, the minutes,
and when the reminders are due; the notice rules an announced meeting keeps; COME <code>; the
"I will come" count; the Khmer dates the messages say."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from contracts.meetings import (
    AgendaItem,
    AgendaItemKind,
    MeetingAnnouncedV1,
    MeetingCancelledV1,
    MeetingDetails,
    MeetingRescheduledV1,
    MeetingState,
    MeetingType,
    MinutesPublishedV1,
    Venue,
)
from services.meetings.domain import Meeting, MeetingError, Place, meeting_code
from services.meetings.intentions import intention_counts, record_intention
from services.meetings.notice_rules import check_cancel, check_reschedule
from services.notify.domain.commands import Command, CommandName, parse_command
from services.notify.domain.meeting_rules import (
    meeting_announced,
    meeting_cancelled,
    meeting_rescheduled,
    minutes_published,
    reminder_times,
)
from services.notify.domain.notice import (
    ToAudience,
    ToLoudspeakers,
    ToMeetingPeople,
    ToSubscribers,
)
from services.notify.rendering import clock, long_date, render

# Sunday 14 March 2027, 08:00-10:00 in Phnom Penh; announced Monday 1 March, 10:00.
STARTS = datetime(2027, 3, 14, 1, 0, tzinfo=UTC)
ENDS = STARTS + timedelta(hours=2)
ANNOUNCED_AT = datetime(2027, 3, 1, 3, 0, tzinfo=UTC)
VENUE = Venue(village_code="16010105", place="សាលាវត្តម៉ាលិក")


def announced(kind: MeetingType = MeetingType.COMMUNE_PRIORITISATION) -> MeetingAnnouncedV1:
    return MeetingAnnouncedV1(
        meeting_id="m-1",
        commune_code="160101",
        details=MeetingDetails(
            type=kind,
            title="អាទិភាពគម្រោង",
            venue=VENUE,
            starts_at=STARTS,
            ends_at=ENDS,
            languages=["km"],
            interpreter_arranged=False,
        ),
        agenda=[AgendaItem(position=1, kind=AgendaItemKind.OTHER, title="ផ្លូវ", minutes=30, owner="មេឃុំ")],
        ics_uid="m-1@meetings.khum",
        sequence=0,
        announced_by="u-dara",
        announced_at=ANNOUNCED_AT,
        code="ABCDEF",
    )


def meeting(**changes: object) -> Meeting:
    fields: dict[str, object] = {
        "id": "m-1",
        "commune_code": "160101",
        "type": MeetingType.COMMUNE_PRIORITISATION,
        "title": None,
        "venue": Place(village_code="16010105", place="hall"),
        "starts_at": STARTS,
        "ends_at": ENDS,
        "languages": ["km"],
        "interpreter_arranged": False,
        "accessibility_notes": None,
        "remote_link": None,
        "state": MeetingState.ANNOUNCED,
        "was_announced": True,
        "created_by": "u-dara",
        "created_at": ANNOUNCED_AT,
        "updated_at": ANNOUNCED_AT,
    }
    fields.update(changes)
    return Meeting.model_validate(fields)


def test_an_announcement_reaches_subscribers_facilitators_and_every_village_loudspeaker() -> None:
    notices = [n for n in meeting_announced(announced()) if n.kind == "meeting_announced"]
    targets = {type(n.target): n.target for n in notices}
    assert targets[ToSubscribers] == ToSubscribers("160101")
    assert targets[ToAudience] == ToAudience("facilitator:160101")
    assert targets[ToLoudspeakers] == ToLoudspeakers(("16010105",), whole_commune="160101")
    assert all(n.meeting_id == "m-1" and n.ref == "m-1" and n.not_before is None for n in notices)


def test_a_village_meeting_goes_on_its_own_village_loudspeaker_only() -> None:
    notices = meeting_announced(announced(MeetingType.VILLAGE_NEEDS))
    loud = [n.target for n in notices if isinstance(n.target, ToLoudspeakers)]
    assert loud == [ToLoudspeakers(("16010105",))]


def test_reminders_are_due_three_days_before_and_the_morning_before_at_seven() -> None:
    reminders = [n for n in meeting_announced(announced()) if n.kind == "meeting_reminder"]
    due = {(n.tag, n.not_before) for n in reminders}
    assert due == {
        ("reminder-3d", datetime(2027, 3, 11, 0, 0, tzinfo=UTC)),  # 07:00 Phnom Penh
        ("reminder-1d", datetime(2027, 3, 13, 0, 0, tzinfo=UTC)),
    }
    assert {type(n.target) for n in reminders} == {ToSubscribers, ToMeetingPeople}


def test_a_reminder_already_past_or_too_close_is_not_queued() -> None:
    assert [tag for tag, _ in reminder_times(STARTS, datetime(2027, 3, 12, 3, 0, tzinfo=UTC))] == ["1d"]
    assert reminder_times(STARTS, datetime(2027, 3, 12, 23, 30, tzinfo=UTC)) == []


def _moved(was_announced: bool = True, emergency: str | None = None) -> MeetingRescheduledV1:
    return MeetingRescheduledV1(
        meeting_id="m-1",
        commune_code="160101",
        previous_starts_at=STARTS,
        previous_ends_at=ENDS,
        starts_at=STARTS + timedelta(days=7),
        ends_at=ENDS + timedelta(days=7),
        venue=VENUE,
        reason="ភ្លៀង",
        was_announced=was_announced,
        ics_uid="m-1@meetings.khum",
        sequence=1,
        rescheduled_by="u-dara",
        rescheduled_at=ANNOUNCED_AT,
        emergency_reason=emergency,
        answered_by=["u-sophea"],
    )


def test_a_move_tells_everyone_told_before_those_coming_and_who_answered_for_a_group() -> None:
    notices = meeting_rescheduled(_moved(emergency="ទឹកជំនន់"))
    moved = [n for n in notices if n.kind == "meeting_rescheduled"]
    targets = [n.target for n in moved]
    assert ToMeetingPeople("m-1") in targets and ToSubscribers("160101") in targets
    assert ToAudience("person:u-sophea") in targets and ToAudience("facilitator:160101") in targets
    assert all(n.context["emergency_reason"] == "ទឹកជំនន់" for n in moved)
    assert {n.tag for n in notices if n.kind == "meeting_reminder"} == {"reminder-3d", "reminder-1d"}


def test_a_meeting_nobody_was_told_of_tells_nobody_when_it_moves_or_is_cancelled() -> None:
    assert meeting_rescheduled(_moved(was_announced=False)) == []
    cancelled = MeetingCancelledV1(
        meeting_id="m-1",
        commune_code="160101",
        reason="x",
        was_announced=False,
        ics_uid="u",
        sequence=1,
        cancelled_by="u",
        cancelled_at=ANNOUNCED_AT,
    )
    assert meeting_cancelled(cancelled) == []


def test_the_messages_say_the_day_in_khmer_with_khmer_digits_and_phnom_penh_time() -> None:
    assert long_date(STARTS, "km") == "ថ្ងៃអាទិត្យ ទី១៤ ខែមីនា ឆ្នាំ២០២៧"
    assert long_date(STARTS, "en") == "Sunday 14 March 2027"
    assert clock(STARTS, "km") == "០៨:០០" and clock(STARTS, "en") == "08:00"
    context = {**meeting_announced(announced())[0].context, "need": None, "meeting_url": None}
    text = render("meeting_announced", "sms", "km", context).text
    assert "ថ្ងៃអាទិត្យ ទី១៤ ខែមីនា ឆ្នាំ២០២៧ ម៉ោង ០៨:០០–១០:០០" in text and "មក ABCDEF" in text


def test_an_announced_meeting_moving_forty_minutes_ahead_or_into_the_night_is_refused() -> None:
    now = datetime(2027, 3, 14, 13, 55, tzinfo=UTC)  # Sunday 20:55; the meeting was at 08:00
    tonight = datetime(2027, 3, 14, 14, 45, tzinfo=UTC)  # 21:45
    with pytest.raises(MeetingError) as notice:
        check_reschedule(meeting(), tonight, tonight + timedelta(hours=1), now, 7, None)
    assert notice.value.code == "meeting.reschedule_notice_too_short"
    late = tonight + timedelta(days=14)
    with pytest.raises(MeetingError) as night:
        check_reschedule(meeting(), late, late + timedelta(hours=1), now, 7, None)
    assert night.value.code == "meeting.reschedule_at_night"
    assert "២០:៣០" in night.value.messages["km"]
    dawn = datetime(2027, 4, 1, 22, 0, tzinfo=UTC)  # 05:00 local
    with pytest.raises(MeetingError):
        check_reschedule(meeting(), dawn, dawn + timedelta(hours=2), now, 7, None)


def test_an_emergency_reason_lets_it_move_and_a_meeting_never_announced_moves_freely() -> None:
    now = datetime(2027, 3, 14, 13, 55, tzinfo=UTC)
    tonight = datetime(2027, 3, 14, 14, 45, tzinfo=UTC)
    assert check_reschedule(meeting(), tonight, tonight, now, 7, "  ទឹកជំនន់ ") == "ទឹកជំនន់"
    planned = meeting(state=MeetingState.PLANNED, was_announced=False)
    assert check_reschedule(planned, tonight, tonight + timedelta(hours=1), now, 7, None) is None


def test_cancelling_inside_the_notice_period_needs_the_emergency_reason() -> None:
    close = STARTS - timedelta(days=2)
    with pytest.raises(MeetingError) as caught:
        check_cancel(meeting(), close, 7, None)
    assert caught.value.code == "meeting.cancel_notice_too_short"
    assert check_cancel(meeting(), close, 7, "ស្ពានបាក់") == "ស្ពានបាក់"
    assert check_cancel(meeting(), STARTS - timedelta(days=8), 7, None) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("COME ABCDEF", Command(CommandName.COME, "ABCDEF")),
        ("come abc def", Command(CommandName.COME, "ABCDEF")),
        ("មក ABCDEF", Command(CommandName.COME, "ABCDEF")),
        ("/come@khum_bot abcdef", Command(CommandName.COME, "ABCDEF")),
        ("COME", Command(CommandName.COME)),
        ("មក ជួយជីកអណ្តូង", None),  # "come help dig a well": a message, not a command
        ("come to the meeting please", None),
    ],
)
def test_come_with_a_meeting_code_is_understood_in_english_khmer_and_on_telegram(
    text: str, expected: Command | None
) -> None:
    assert parse_command(text) == expected


def test_a_meeting_code_is_six_unambiguous_characters_and_stable() -> None:
    code = meeting_code("0190c0de-0000-7000-8000-000000000001")
    assert re.fullmatch(r"[A-HJKMNP-Z]{6}", code)
    assert code == meeting_code("0190c0de-0000-7000-8000-000000000001")
    assert parse_command(f"COME {code}") == Command(CommandName.COME, code)


def test_intentions_count_once_each_by_group_and_only_while_the_meeting_is_open() -> None:
    now = ANNOUNCED_AT
    m = record_intention(meeting(), "i-1", "sms", [], now)
    m = record_intention(m, "i-2", "web", ["women", "youth"], now)
    assert record_intention(m, "i-2", "web", ["women"], now) is m
    counts = intention_counts(m)
    assert counts.total == 2 and counts.by_group["women"] == 1 and counts.by_group["youth"] == 1
    with pytest.raises(MeetingError) as unknown:
        record_intention(m, "i-3", "web", ["rich"], now)
    assert unknown.value.code == "intention.group_unknown"
    with pytest.raises(MeetingError) as closed:
        record_intention(meeting(state=MeetingState.CANCELLED), "i-4", "sms", [], now)
    assert closed.value.code == "intention.closed"


def test_the_minutes_reach_everyone_told_and_every_loudspeaker_of_the_commune() -> None:
    published = MinutesPublishedV1(
        meeting_id="m-1",
        commune_code="160101",
        minutes="ក្រុមប្រឹក្សាបានជ្រើសផ្លូវ " * 30,
        decision_ids=["d-1"],
        published_by="u-dara",
        published_at=ANNOUNCED_AT,
    )
    notices = minutes_published(published)
    assert {type(n.target) for n in notices} == {ToSubscribers, ToMeetingPeople, ToAudience, ToLoudspeakers}
    assert all(n.kind == "meeting_minutes" and len(n.context["minutes"]) <= 200 for n in notices)


def test_facilitators_read_a_short_in_app_notice_without_the_agenda() -> None:
    context = {**meeting_announced(announced())[0].context, "need": None, "meeting_url": None}
    text = render("meeting_announced", "in_app", "km", context).text
    assert "ថ្ងៃអាទិត្យ ទី១៤ ខែមីនា ឆ្នាំ២០២៧" in text and "ផ្លូវ" not in text and "(មក ABCDEF)" in text
