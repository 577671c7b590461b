"""A meeting's life: scheduling, clashes, announcing with an agenda in advance, rescheduling,
cancelling. Each rule allowed and refused, with its stable code; a refusal changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts.meetings import AgendaItemKind, MeetingState, MeetingType
from contracts.needs import NeedStatus
from services.meetings.agenda import Candidate, ItemDraft, publish_agenda
from services.meetings.domain import (
    PHNOM_PENH,
    CalendarEntry,
    Meeting,
    MeetingError,
    Place,
    RescheduleMeeting,
    ScheduleMeeting,
)
from services.meetings.lifecycle import (
    announce,
    calendar_entries,
    cancel,
    reschedule,
    schedule,
    updated_calendar,
)
from services.runtime.identity import Identity, Role

# Monday 1 March 2027, 10:00 in Phnom Penh.
NOW = datetime(2027, 3, 1, 3, 0, tzinfo=UTC)
COUNCIL = Identity("council-1", Role.COUNCIL_MEMBER, ("160101",))
OTHER_COUNCIL = Identity("council-2", Role.COUNCIL_MEMBER, ("210103",))
FACILITATOR = Identity("facilitator-1", Role.FACILITATOR, ("160101", "210103"))
HALL = Place(village_code="16010101", place="Malik pagoda hall")


def at(days: float, hour: int = 18, minute: int = 0) -> datetime:
    """A local time ``days`` after NOW's date, as UTC."""
    day = (NOW.astimezone(PHNOM_PENH) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PHNOM_PENH).astimezone(UTC)


def command(
    days: float = 20,
    hour: int = 18,
    hours: float = 2,
    venue: Place = HALL,
    commune: str = "160101",
    **changes: object,
) -> ScheduleMeeting:
    start = at(days, hour)
    fields: dict[str, object] = {
        "commune_code": commune,
        "type": MeetingType.COMMUNE_PRIORITISATION,
        "venue": venue,
        "starts_at": start,
        "ends_at": start + timedelta(hours=hours),
        "title": "ការកំណត់អាទិភាពគម្រោងឆ្នាំ ២០២៨",
        **changes,
    }
    return ScheduleMeeting(**fields)  # type: ignore[arg-type]


def planned(meeting_id: str = "m-1", calendar: list[CalendarEntry] | None = None, **kw: object) -> Meeting:
    return schedule(command(**kw), COUNCIL, NOW, calendar or [], meeting_id=meeting_id)  # type: ignore[arg-type]


NEEDS = {
    "need-road": Candidate(
        "need-road", "160101", "16010102", "ABCD-EFG", "ផ្លូវលំភូមិកាតែខូចខាតខ្លាំង", NeedStatus.VALIDATED
    ),
    "need-well": Candidate(
        "need-well", "160101", "16010104", "HJKL-MNP", "អណ្តូងទឹកស្អាតសម្រាប់សាលារៀន", NeedStatus.SUBMITTED
    ),
    "need-merged": Candidate("need-merged", "160101", "16010104", "QRST-UVW", "អណ្តូង", NeedStatus.MERGED),
    "need-takeo": Candidate("need-takeo", "210103", "21010301", "XYZ2-345", "ស្ពាន", NeedStatus.VALIDATED),
}
ITEMS = [
    ItemDraft(AgendaItemKind.NEED, 30, "ប្រធានភូមិកាតែ", need_id="need-road"),
    ItemDraft(AgendaItemKind.NEED, 20, "Facilitator Sophea", need_id="need-well"),
    ItemDraft(AgendaItemKind.BUDGET, 30, "Commune clerk", title="Local development budget 2028"),
]


def with_agenda(meeting: Meeting, now: datetime = NOW) -> Meeting:
    return publish_agenda(meeting, ITEMS, NEEDS, COUNCIL, now, notice_days=7)


def refused(code: str, call: object, *args: object, **kwargs: object) -> MeetingError:
    with pytest.raises(MeetingError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    assert caught.value.code == code, caught.value.messages
    assert caught.value.messages["en"] and caught.value.messages["km"]
    return caught.value


# ---------- scheduling ----------


def test_a_council_member_schedules_a_planned_meeting_with_khmer_first() -> None:
    meeting = planned(languages=("jra",), interpreter_arranged=True, remote_link="https://t.me/malik_cip")
    assert meeting.state is MeetingState.PLANNED
    assert meeting.sequence == 0
    assert meeting.languages == ["km", "jra"]
    assert meeting.ics_uid == "m-1@meetings.khum"
    assert meeting.starts_at.tzinfo is not None
    assert meeting.history[-1].to_state is MeetingState.PLANNED


@pytest.mark.parametrize("caller", [FACILITATOR, OTHER_COUNCIL], ids=["facilitator", "other-commune"])
def test_only_the_communes_council_schedules(caller: Identity) -> None:
    error = refused("meeting.not_allowed", schedule, command(), caller, NOW, [], meeting_id="m")
    assert error.status == 403


def test_a_meeting_that_ends_before_it_starts_is_refused() -> None:
    start = at(20)
    error = refused(
        "meeting.end_before_start",
        schedule,
        command(ends_at=start - timedelta(minutes=30)),
        COUNCIL,
        NOW,
        [],
        meeting_id="m",
    )
    assert error.field == "endsAt"
    refused("meeting.end_before_start", schedule, command(ends_at=start), COUNCIL, NOW, [], meeting_id="m")


def test_a_meeting_in_the_past_is_refused() -> None:
    error = refused("meeting.in_the_past", schedule, command(days=-1), COUNCIL, NOW, [], meeting_id="m")
    assert error.field == "startsAt"
    assert "ពេលវេលានេះបានកន្លងផុតហើយ" in error.messages["km"]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"hours": 0.2}, "meeting.too_short"),
        ({"hours": 13}, "meeting.too_long"),
        ({"days": 800}, "meeting.too_far_ahead"),
    ],
)
def test_meetings_have_sensible_lengths_and_horizons(changes: dict[str, float], code: str) -> None:
    refused(code, schedule, command(**changes), COUNCIL, NOW, [], meeting_id="m")  # type: ignore[arg-type]


def test_times_without_a_time_zone_are_refused() -> None:
    naive = datetime(2027, 3, 21, 18, 0)
    refused(
        "meeting.time_zone_missing",
        schedule,
        command(starts_at=naive, ends_at=naive + timedelta(hours=2)),
        COUNCIL,
        NOW,
        [],
        meeting_id="m",
    )


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"remote_link": "http://t.me/malik"}, "meeting.remote_link_invalid", "remoteLink"),
        ({"remote_link": "t.me/malik"}, "meeting.remote_link_invalid", "remoteLink"),
        ({"languages": ("Jarai!",)}, "meeting.language_invalid", "languages"),
        ({"title": "x" * 201}, "meeting.text_too_long", "title"),
        ({"venue": Place(village_code="16010101", place="   ")}, "meeting.text_required", "venue.place"),
        ({"venue": Place(village_code="1601", place="Hall")}, "meeting.village_invalid", "venue.villageCode"),
    ],
)
def test_bad_details_are_refused_with_the_field(changes: dict[str, object], code: str, field: str) -> None:
    error = refused(code, schedule, command(**changes), COUNCIL, NOW, [], meeting_id="m")  # type: ignore[arg-type]
    assert error.field == field


def test_an_overlapping_meeting_in_the_same_commune_clashes() -> None:
    first = planned("m-1", venue=Place(village_code="16010103", place="Ka Hal school"))
    calendar = calendar_entries(first)
    error = refused("meeting.clash", schedule, command(hour=19), COUNCIL, NOW, calendar, meeting_id="m-2")
    assert error.status == 409
    assert "18:00–20:00" in error.messages["en"]


def test_back_to_back_meetings_do_not_clash() -> None:
    first = planned("m-1")
    second = schedule(command(hour=20), COUNCIL, NOW, calendar_entries(first), meeting_id="m-2")
    assert second.starts_at == first.ends_at


def test_another_commune_at_the_same_venue_clashes_whatever_the_spelling() -> None:
    ours = planned("m-1")
    district = Identity("admin", Role.PROVINCE_ADMIN, ("16",))
    same_hall = Place(village_code="16010101", place="  MALIK   Pagoda hall ")
    refused(
        "meeting.clash",
        schedule,
        command(commune="160102", venue=same_hall),
        district,
        NOW,
        calendar_entries(ours),
        meeting_id="m-2",
    )
    elsewhere = Place(village_code="16010201", place="Commune office")
    other = schedule(
        command(commune="160102", venue=elsewhere), district, NOW, calendar_entries(ours), meeting_id="m-3"
    )
    assert other.commune_code == "160102"


def test_a_cancelled_meeting_frees_its_slot() -> None:
    first = planned("m-1")
    calendar = updated_calendar([], first, NOW)
    cancelled = cancel(first, "ភ្លៀងធ្លាក់ខ្លាំង ទឹកជំនន់", COUNCIL, NOW)
    calendar = updated_calendar(calendar, cancelled, NOW)
    assert calendar == []
    again = schedule(command(), COUNCIL, NOW, calendar, meeting_id="m-2")
    assert again.state is MeetingState.PLANNED


def test_the_calendar_forgets_meetings_long_past() -> None:
    old = CalendarEntry(
        "m-old", "160101", HALL.key, NOW - timedelta(days=3), NOW - timedelta(days=3, hours=-2)
    )
    meeting = planned("m-1")
    assert [e.meeting_id for e in updated_calendar([old], meeting, NOW)] == ["m-1"]


# ---------- agenda and announcement ----------


def test_the_agenda_is_built_from_the_communes_needs_in_the_chosen_order() -> None:
    meeting = with_agenda(planned())
    assert meeting.agenda is not None
    items = meeting.agenda.items
    assert [i.position for i in items] == [1, 2, 3]
    assert items[0].need_id == "need-road"
    assert items[0].tracking_code == "ABCD-EFG"
    assert items[0].title == "ផ្លូវលំភូមិកាតែខូចខាតខ្លាំង"
    assert items[2].title == "Local development budget 2028"
    assert meeting.agenda.total_minutes == 80
    assert meeting.state is MeetingState.PLANNED


@pytest.mark.parametrize(
    ("items", "code", "field"),
    [
        ([], "agenda.empty", "items"),
        ([ItemDraft(AgendaItemKind.NEED, 10, "x", need_id="nope")], "agenda.need_unknown", "items.0.needId"),
        (
            [ItemDraft(AgendaItemKind.NEED, 10, "x", need_id="need-takeo")],
            "agenda.need_unknown",
            "items.0.needId",
        ),
        (
            [ItemDraft(AgendaItemKind.NEED, 10, "x", need_id="need-merged")],
            "agenda.need_not_eligible",
            "items.0.needId",
        ),
        (
            [
                ItemDraft(AgendaItemKind.NEED, 10, "x", need_id="need-road"),
                ItemDraft(AgendaItemKind.NEED, 10, "y", need_id="need-road"),
            ],
            "agenda.need_twice",
            "items.1.needId",
        ),
        (
            [ItemDraft(AgendaItemKind.OTHER, 0, "x", title="Opening")],
            "agenda.minutes_invalid",
            "items.0.minutes",
        ),
        (
            [ItemDraft(AgendaItemKind.OTHER, 241, "x", title="Opening")],
            "agenda.minutes_invalid",
            "items.0.minutes",
        ),
        (
            [ItemDraft(AgendaItemKind.OTHER, 10, " ", title="Opening")],
            "meeting.text_required",
            "items.0.owner",
        ),
        ([ItemDraft(AgendaItemKind.OTHER, 10, "Chief")], "agenda.title_required", "items.0.title"),
        ([ItemDraft(AgendaItemKind.OTHER, 121, "Chief", title="Everything")], "agenda.too_long", "items"),
    ],
)
def test_bad_agendas_are_refused(items: list[ItemDraft], code: str, field: str) -> None:
    meeting = planned()
    error = refused(code, publish_agenda, meeting, items, NEEDS, COUNCIL, NOW, 7)
    assert error.field == field
    assert meeting.agenda is None


def test_a_facilitator_cannot_publish_an_agenda() -> None:
    refused("meeting.not_allowed", publish_agenda, planned(), ITEMS, NEEDS, FACILITATOR, NOW, 7)


def test_announcing_without_an_agenda_is_refused() -> None:
    error = refused("meeting.agenda_missing", announce, planned(), COUNCIL, NOW, 7)
    assert error.status == 409


def test_announcing_later_than_the_notice_period_is_refused() -> None:
    meeting = with_agenda(planned(days=5))
    error = refused("meeting.notice_too_short", announce, meeting, COUNCIL, NOW, 7)
    assert "7 days" in error.messages["en"]
    assert announce(meeting, COUNCIL, NOW, 3).state is MeetingState.ANNOUNCED  # a shorter notice setting


def test_a_meeting_with_its_agenda_in_time_is_announced() -> None:
    meeting = announce(with_agenda(planned(days=7.5)), COUNCIL, NOW, 7)
    assert meeting.state is MeetingState.ANNOUNCED
    assert meeting.was_announced
    refused("meeting.already_announced", announce, meeting, COUNCIL, NOW, 7)


def test_an_announced_agenda_can_change_only_before_the_notice_period() -> None:
    meeting = announce(with_agenda(planned(days=20)), COUNCIL, NOW, 7)
    shorter = [ITEMS[0]]
    assert publish_agenda(meeting, shorter, NEEDS, COUNCIL, NOW + timedelta(days=5), 7).agenda is not None
    refused("agenda.too_late", publish_agenda, meeting, shorter, NEEDS, COUNCIL, NOW + timedelta(days=15), 7)


# ---------- rescheduling and cancelling ----------


def announced(days: float = 20) -> Meeting:
    return announce(with_agenda(planned(days=days)), COUNCIL, NOW, 7)


def test_rescheduling_an_announced_meeting_raises_its_sequence_and_needs_a_reason() -> None:
    meeting = announced()
    move = RescheduleMeeting(at(21, 8), at(21, 10))
    refused("meeting.reason_required", reschedule, meeting, move, COUNCIL, NOW, [])
    moved = reschedule(
        meeting,
        RescheduleMeeting(at(21, 8), at(21, 10), reason="ទឹកជំនន់"),
        COUNCIL,
        NOW,
        calendar_entries(meeting),
    )
    assert moved.state is MeetingState.RESCHEDULED
    assert moved.sequence == 1
    assert moved.ics_uid == meeting.ics_uid
    again = reschedule(moved, RescheduleMeeting(at(22, 8), at(22, 10), reason="again"), COUNCIL, NOW, [])
    assert again.state is MeetingState.RESCHEDULED
    assert again.sequence == 2


def test_a_planned_meeting_moves_without_a_reason_and_stays_planned() -> None:
    moved = reschedule(planned(), RescheduleMeeting(at(21), at(21, 20)), COUNCIL, NOW, [])
    assert moved.state is MeetingState.PLANNED
    assert moved.sequence == 1


def test_a_meeting_may_move_over_its_own_old_slot() -> None:
    meeting = planned()
    moved = reschedule(
        meeting, RescheduleMeeting(at(20, 19), at(20, 21)), COUNCIL, NOW, calendar_entries(meeting)
    )
    assert moved.starts_at == at(20, 19)


def test_rescheduling_into_a_clash_the_past_or_nowhere_is_refused() -> None:
    other = planned("m-other", days=21)
    meeting = announced()
    busy = calendar_entries(other) + calendar_entries(meeting)
    cases = [
        ("meeting.clash", RescheduleMeeting(at(21, 19), at(21, 21), reason="r")),
        ("meeting.in_the_past", RescheduleMeeting(at(-2), at(-2, 20), reason="r")),
        ("meeting.end_before_start", RescheduleMeeting(at(22, 20), at(22, 18), reason="r")),
        ("meeting.reschedule_unchanged", RescheduleMeeting(meeting.starts_at, meeting.ends_at, reason="r")),
        ("agenda.too_long", RescheduleMeeting(at(23, 18), at(23, 19), reason="r")),
    ]
    for code, move in cases:
        refused(code, reschedule, meeting, move, COUNCIL, NOW, busy)


def test_a_held_or_cancelled_meeting_cannot_be_rescheduled() -> None:
    held = announced().moved(MeetingState.HELD, "council-1", NOW)
    error = refused(
        "meeting.not_reschedulable",
        reschedule,
        held,
        RescheduleMeeting(at(30), at(30, 20), reason="r"),
        COUNCIL,
        NOW,
        [],
    )
    assert error.status == 409
    gone = cancel(planned(), "no longer needed", COUNCIL, NOW)
    refused(
        "meeting.not_reschedulable", reschedule, gone, RescheduleMeeting(at(30), at(30, 20)), COUNCIL, NOW, []
    )


def test_cancelling_needs_a_reason_and_raises_the_sequence() -> None:
    meeting = announced()
    refused("meeting.reason_required", cancel, meeting, "  ", COUNCIL, NOW)
    gone = cancel(meeting, "ទឹកជំនន់ធំ ផ្លូវដាច់", COUNCIL, NOW)
    assert gone.state is MeetingState.CANCELLED
    assert gone.cancel_reason == "ទឹកជំនន់ធំ ផ្លូវដាច់"
    assert gone.sequence == meeting.sequence + 1
    assert gone.was_announced
    refused("meeting.not_cancellable", cancel, gone, "again", COUNCIL, NOW)
    refused("meeting.state_invalid", announce, gone, COUNCIL, NOW, 7)


def test_a_held_meeting_cannot_be_cancelled() -> None:
    held = announced().moved(MeetingState.HELD, "council-1", NOW)
    refused("meeting.not_cancellable", cancel, held, "too late", COUNCIL, NOW)
