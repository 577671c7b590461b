"""Meetings as iCalendar: every file round-trips through a real parser (the icalendar package)
with a stable UID, SEQUENCE raised on every reschedule, METHOD:CANCEL once cancelled."""

from __future__ import annotations

from datetime import UTC, timedelta

from icalendar import Calendar

from services.meetings.domain import Meeting, Place, RescheduleMeeting
from services.meetings.ical import commune_feed, meeting_ics
from services.meetings.lifecycle import announce, cancel, reschedule
from tests.unit.test_meeting_rules import COUNCIL, NOW, at, planned, with_agenda


def parsed(body: bytes) -> Calendar:
    calendar = Calendar.from_ical(body)
    assert isinstance(calendar, Calendar)
    return calendar


def only_event(calendar: Calendar) -> object:
    [event] = calendar.walk("VEVENT")
    return event


def announced() -> Meeting:
    meeting = planned(
        days=20,
        languages=("jra",),
        interpreter_arranged=True,
        accessibility_notes="ផ្លូវរទេះរុញ ចូលពីខាងកើត",
        remote_link="https://t.me/malik_cip",
        venue=Place(
            village_code="16010101", place="សាលាវត្តម៉ាលិក", village_name_km="ម៉ាលិក", village_name_latin="Malik"
        ),
    )
    return announce(with_agenda(meeting), COUNCIL, NOW, 7)


def test_a_meeting_round_trips_with_its_uid_sequence_and_times() -> None:
    meeting = announced()
    calendar = parsed(meeting_ics(meeting, "km"))
    assert str(calendar["method"]) == "PUBLISH"
    event = only_event(calendar)
    assert str(event["uid"]) == f"{meeting.id}@meetings.khum"  # type: ignore[index]
    assert int(event["sequence"]) == 0  # type: ignore[index]
    assert event.decoded("dtstart") == meeting.starts_at  # type: ignore[attr-defined]
    assert event.decoded("dtend") == meeting.ends_at  # type: ignore[attr-defined]
    assert event.decoded("dtstart").utcoffset() == timedelta(0)  # type: ignore[attr-defined]
    assert str(event["status"]) == "CONFIRMED"  # type: ignore[index]
    assert str(event["summary"]) == "កិច្ចប្រជុំកំណត់អាទិភាពឃុំ: ការកំណត់អាទិភាពគម្រោងឆ្នាំ ២០២៨"  # type: ignore[index]
    assert str(event["location"]) == "សាលាវត្តម៉ាលិក, ម៉ាលិក"  # type: ignore[index]
    assert str(event["url"]) == "https://t.me/malik_cip"  # type: ignore[index]


def test_the_description_carries_the_agenda_with_time_boxes_languages_and_access() -> None:
    english = str(only_event(parsed(meeting_ics(announced(), "en")))["description"])  # type: ignore[index]
    assert "1. ផ្លូវលំភូមិកាតែខូចខាតខ្លាំង (30 min, ប្រធានភូមិកាតែ)" in english
    assert "3. Local development budget 2028 (30 min, Commune clerk)" in english
    assert "Languages: Khmer, Jarai (an interpreter is arranged)" in english
    assert "Accessibility: ផ្លូវរទេះរុញ ចូលពីខាងកើត" in english
    assert "Join from afar: https://t.me/malik_cip" in english
    khmer = str(only_event(parsed(meeting_ics(announced(), "km")))["description"])  # type: ignore[index]
    assert "របៀបវារៈ៖" in khmer and "30 នាទី" in khmer and "ខ្មែរ, ចារ៉ាយ (មានអ្នកបកប្រែ)" in khmer


def test_each_reschedule_keeps_the_uid_and_raises_the_sequence() -> None:
    meeting = announced()
    once = reschedule(meeting, RescheduleMeeting(at(21), at(21, 20), reason="ទឹកជំនន់"), COUNCIL, NOW, [])
    twice = reschedule(once, RescheduleMeeting(at(22), at(22, 20), reason="again"), COUNCIL, NOW, [])
    events = [only_event(parsed(meeting_ics(m, "km"))) for m in (meeting, once, twice)]
    assert {str(e["uid"]) for e in events} == {meeting.ics_uid}  # type: ignore[index]
    assert [int(e["sequence"]) for e in events] == [0, 1, 2]  # type: ignore[index]
    assert events[2].decoded("dtstart") == at(22)  # type: ignore[attr-defined]


def test_a_cancelled_meeting_is_a_cancel_with_a_higher_sequence_and_the_reason() -> None:
    meeting = announced()
    gone = cancel(meeting, "ទឹកជំនន់ធំ", COUNCIL, NOW)
    calendar = parsed(meeting_ics(gone, "en"))
    assert str(calendar["method"]) == "CANCEL"
    event = only_event(calendar)
    assert str(event["uid"]) == meeting.ics_uid  # type: ignore[index]
    assert int(event["sequence"]) == 1  # type: ignore[index]
    assert str(event["status"]) == "CANCELLED"  # type: ignore[index]
    assert "Cancelled: ទឹកជំនន់ធំ" in str(event["description"])  # type: ignore[index]
    assert "organizer" in event  # type: ignore[operator]


def test_the_commune_feed_lists_every_meeting_once_cancelled_ones_marked() -> None:
    kept = announced()
    gone = cancel(planned("m-2", days=30), "not needed", COUNCIL, NOW)
    calendar = parsed(commune_feed([gone, kept], "160101", "km"))
    assert str(calendar["method"]) == "PUBLISH"
    assert str(calendar["x-wr-calname"]) == "កិច្ចប្រជុំឃុំ 160101"
    events = calendar.walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [kept.ics_uid, gone.ics_uid]  # sorted by start
    assert [str(e["status"]) for e in events] == ["CONFIRMED", "CANCELLED"]
    assert calendar.decoded("refresh-interval") == timedelta(hours=6)


def test_a_planned_meeting_is_tentative() -> None:
    event = only_event(parsed(meeting_ics(planned(), "en")))
    assert str(event["status"]) == "TENTATIVE"  # type: ignore[index]
    assert event.decoded("dtstamp").tzinfo is not None  # type: ignore[attr-defined]
    assert event.decoded("dtstamp") == NOW.astimezone(UTC)  # type: ignore[attr-defined]
