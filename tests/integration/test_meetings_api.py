"""Meetings through the real system (GraphQL -> gateway -> meetings -> NATS): schedule, agenda
from needs, announce, reschedule, cancel, RSVPs, slot suggestions, iCalendar files and feed,
the live meetingChanged feed. Each rule allowed and refused; a refusal changes nothing and
publishes nothing."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import nats
import pytest
import websockets
from icalendar import Calendar
from nats.js.api import DeliverPolicy

from contracts.envelope import new_event
from contracts.needs import NEED_STATUS_CHANGED, NeedStatus, NeedStatusChangedV1
from gateway.graphql.ids import raw_id
from infra.stack import Stack
from services.meetings.holidays import official_holidays
from services.runtime.identity import Identity, Role
from services.runtime.tokens import issue_token
from tests.conftest import SUBMIT_NEED, GraphQL, wait_for

PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")
MEETING = """{ id communeCode type title state sequence wasAnnounced cancelReason icsUid startsAt endsAt
  startsAtLocal durationMinutes typeLabel stateLabel calendarUrl interpreterArranged remoteLink
  venue { villageCode place villageName } languages { code name }
  agenda { totalMinutes items { position kind title needId trackingCode minutes owner } }
  rsvps { answers maybePeople attending { people women youth } groups { label people } }
  attendance { total women quorumMet names } decisions { id kind year needs { needId rank } } minutes }"""
SCHEDULE = "mutation($i: ScheduleMeetingInput!) { scheduleMeeting(input: $i) " + MEETING + " }"
AGENDA = (
    "mutation($id: ID!, $items: [AgendaItemInput!]!) { publishAgenda(meetingId: $id, items: $items) "
    + MEETING
    + " }"
)
ANNOUNCE = "mutation($id: ID!) { announceMeeting(meetingId: $id) " + MEETING + " }"
RESCHEDULE = "mutation($i: RescheduleMeetingInput!) { rescheduleMeeting(input: $i) " + MEETING + " }"
CANCEL = "mutation($id: ID!, $r: String!) { cancelMeeting(meetingId: $id, reason: $r) " + MEETING + " }"
RSVP = "mutation($i: RsvpInput!) { rsvp(input: $i) " + MEETING + " }"
GET = "query($id: ID!) { meeting(id: $id) " + MEETING + " }"
CANDIDATES = "query($c: String!) { agendaCandidates(communeCode: $c) { id trackingCode description status } }"
LIST = (
    "query($f: MeetingFilter, $n: Int!, $a: String) { meetings(filter: $f, first: $n, after: $a) "
    "{ totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id state } } } }"
)
SUGGEST = (
    "query($c: String!, $f: Date!, $t: Date!, $d: Int!, $v: VenueInput) "
    "{ suggestMeetingSlots(communeCode: $c, fromDate: $f, toDate: $t, durationMinutes: $d, venue: $v, first: 5) "
    '{ missingHolidayYears slots { startsAt endsAt startsAtLocal score reasons { code points text en: text(lang: "en") } } } }'
)

# Far-future evening slots, one day apart, so the tests' meetings never clash with each other.
_DAYS = itertools.count(40 + random.randint(0, 30) * 7)


def evening(days: int | None = None, hour: int = 18, hours: int = 2) -> tuple[str, str]:
    """An evening ``days`` ahead (a fresh day each call by default), as offset-aware ISO times."""
    day = (
        (datetime.now(UTC) + timedelta(days=next(_DAYS) if days is None else days))
        .astimezone(PHNOM_PENH)
        .date()
    )
    start = datetime(day.year, day.month, day.day, hour, 0, tzinfo=PHNOM_PENH)
    return start.isoformat(), (start + timedelta(hours=hours)).isoformat()


def meeting_input(commune: str = "160101", village: str = "16010101", **changes: Any) -> dict[str, Any]:
    starts, ends = evening()
    fields: dict[str, Any] = {
        "communeCode": commune,
        "type": "COMMUNE_PRIORITISATION",
        "title": "ការកំណត់អាទិភាពគម្រោង",
        "venue": {"villageCode": village, "place": "សាលាវត្តម៉ាលិក"},
        "startsAt": starts,
        "endsAt": ends,
        "languages": ["jra"],
        "interpreterArranged": True,
        "remoteLink": "https://t.me/malik_cip",
        "accessibilityNotes": "ផ្លូវរទេះរុញ",
    }
    fields.update(changes)
    return fields


async def data_of(client: GraphQL, query: str, variables: dict[str, Any] | None = None) -> Any:
    body = await client.execute(query, variables)
    assert "errors" not in body, body
    data = body["data"]
    assert isinstance(data, dict)
    return next(iter(data.values()))


async def refusal(client: GraphQL, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body = await client.execute(query, variables)
    assert body.get("data") is None, body
    errors = body["errors"]
    assert isinstance(errors, list)
    error: dict[str, Any] = errors[0]
    return error


async def schedule(client: GraphQL, **changes: Any) -> dict[str, Any]:
    meeting: dict[str, Any] = await data_of(client, SCHEDULE, {"i": meeting_input(**changes)})
    return meeting


async def submitted_need(facilitator: GraphQL, council: GraphQL, village: str = "16010102") -> dict[str, Any]:
    """A need recorded by the facilitator, once meetings has it as an agenda candidate."""
    text = f"ផ្លូវលំភូមិ {uuid.uuid4().hex[:6]}"
    body = await facilitator.execute(
        SUBMIT_NEED,
        {
            "i": {
                "villageCode": village,
                "description": text,
                "sector": "ECONOMIC",
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
    )
    assert "errors" not in body, body
    need: dict[str, Any] = body["data"]["submitNeed"]  # type: ignore[index]

    async def known() -> bool:
        candidates = await data_of(council, CANDIDATES, {"c": need["communeCode"]})
        return any(c["id"] == need["id"] for c in candidates)

    await wait_for(known, interval=0.5)
    return need


def agenda_items(*needs: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [
        {"kind": "NEED", "needId": n["id"], "minutes": 10, "owner": "ប្រធានភូមិ"} for n in needs
    ]
    items.append({"kind": "OTHER", "title": "សំណួរពីប្រជាពលរដ្ឋ", "minutes": 5, "owner": "Clerk"})
    return items


async def announced(client: GraphQL, *needs: dict[str, Any], **changes: Any) -> dict[str, Any]:
    meeting = await schedule(client, **changes)
    await data_of(client, AGENDA, {"id": meeting["id"], "items": agenda_items(*needs)})
    result: dict[str, Any] = await data_of(client, ANNOUNCE, {"id": meeting["id"]})
    return result


async def stream_count(stack: Stack, stream: str = "KHUM_MEETINGS") -> int:
    nc = await nats.connect(stack.nats_url)
    try:
        return int((await nc.jetstream().stream_info(stream)).state.messages)
    finally:
        await nc.close()


async def events_about(stack: Stack, meeting_id: str) -> list[dict[str, Any]]:
    """Every event in KHUM_MEETINGS whose subject is the meeting (global or plain id), in order."""
    meeting_id = raw_id("Meeting", meeting_id)
    nc = await nats.connect(stack.nats_url)
    try:
        js = nc.jetstream()
        last = (await js.stream_info("KHUM_MEETINGS")).state.last_seq
        found: list[dict[str, Any]] = []
        if not last:
            return found
        sub = await js.subscribe(
            "khum.meetings.>", stream="KHUM_MEETINGS", ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
        )
        deadline = time.monotonic() + 15
        try:
            while time.monotonic() < deadline:
                msg = await sub.next_msg(timeout=5)
                envelope = json.loads(msg.data)
                if envelope.get("subject") == meeting_id:
                    found.append(envelope)
                if msg.metadata.sequence.stream >= last:
                    break
        finally:
            await sub.unsubscribe()
        return found
    finally:
        await nc.close()


async def published(stack: Stack, meeting_id: str, *names: str) -> list[dict[str, Any]]:
    """Waits until the meeting's events are exactly ``names`` (event names, in order)."""

    async def arrived() -> list[dict[str, Any]] | None:
        events = await events_about(stack, meeting_id)
        return events if [e["type"].split(".")[2] for e in events] == list(names) else None

    result: list[dict[str, Any]] = await wait_for(arrived, interval=0.3)
    return result


def parsed_calendar(body: bytes) -> Calendar:
    calendar = Calendar.from_ical(body)
    assert isinstance(calendar, Calendar)
    return calendar


@pytest.fixture
async def english_council(stack: Stack) -> Any:
    client = GraphQL(stack.url, lang="en")
    await client.login("dara")
    yield client
    await client.close()


@pytest.fixture
async def takeo_council(stack: Stack) -> Any:
    client = GraphQL(stack.url, lang="en")
    await client.login("chenda")
    yield client
    await client.close()


# ---------- the life of a meeting ----------


async def test_a_meeting_is_scheduled_given_an_agenda_from_needs_and_announced(
    stack: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    need = await submitted_need(facilitator, council)
    meeting = await schedule(council)
    assert meeting["state"] == "PLANNED"
    assert meeting["sequence"] == 0
    assert meeting["icsUid"] == f"{raw_id('Meeting', meeting['id'])}@meetings.khum"
    assert meeting["startsAtLocal"].endswith("+07:00") and meeting["startsAtLocal"][11:16] == "18:00"
    assert meeting["durationMinutes"] == 120
    assert meeting["venue"]["villageName"] == "ម៉ាលិក"  # from intake's gazetteer, in Khmer by default
    assert [lang["code"] for lang in meeting["languages"]] == ["km", "jra"]
    assert meeting["typeLabel"] == "កិច្ចប្រជុំកំណត់អាទិភាពឃុំ"

    error = await refusal(council, ANNOUNCE, {"id": meeting["id"]})
    assert error["extensions"]["code"] == "meeting.agenda_missing"
    assert (await data_of(council, GET, {"id": meeting["id"]}))["state"] == "PLANNED"

    with_agenda = await data_of(council, AGENDA, {"id": meeting["id"], "items": agenda_items(need)})
    items = with_agenda["agenda"]["items"]
    assert [i["position"] for i in items] == [1, 2]
    assert items[0]["trackingCode"] == need["trackingCode"] and items[0]["needId"] == need["id"]
    assert items[0]["title"] == need["description"]
    assert with_agenda["agenda"]["totalMinutes"] == 15

    done = await data_of(council, ANNOUNCE, {"id": meeting["id"]})
    assert done["state"] == "ANNOUNCED" and done["wasAnnounced"]
    events = await published(stack, meeting["id"], "MeetingScheduled", "AgendaPublished", "MeetingAnnounced")
    announcement = events[2]
    assert announcement["communecode"] == "160101"
    assert announcement["data"]["agenda"][0]["need_id"] == raw_id("Need", need["id"])
    assert announcement["data"]["details"]["languages"] == ["km", "jra"]
    assert announcement["data"]["ics_uid"] == meeting["icsUid"]

    seen_by_facilitator = await data_of(facilitator, GET, {"id": meeting["id"]})
    assert seen_by_facilitator["state"] == "ANNOUNCED"
    again = await refusal(council, ANNOUNCE, {"id": meeting["id"]})
    assert again["extensions"]["code"] == "meeting.already_announced"


BAD_MEETINGS = [
    pytest.param(
        {"endsAt": "PAST_END"},
        "meeting.end_before_start",
        "endsAt",
        "end after it starts",
        id="end-before-start",
    ),
    pytest.param(
        {"startsAt": "2020-01-01T18:00:00+07:00", "endsAt": "2020-01-01T20:00:00+07:00"},
        "meeting.in_the_past",
        "startsAt",
        "already passed",
        id="past",
    ),
    pytest.param(
        {"remoteLink": "t.me/malik"}, "meeting.remote_link_invalid", "remoteLink", "https://", id="bad-link"
    ),
    pytest.param(
        {"venue": {"villageCode": "16010101", "place": "  "}},
        "meeting.text_required",
        "venue.place",
        "fill this in",
        id="no-place",
    ),
    pytest.param(
        {"languages": ["Jarai!"]},
        "meeting.language_invalid",
        "languages",
        "Unknown language",
        id="bad-language",
    ),
    pytest.param({"communeCode": "1601"}, "commune.invalid", "communeCode", "6 digits", id="bad-commune"),
]


@pytest.mark.parametrize(("changes", "code", "field", "english"), BAD_MEETINGS)
async def test_bad_meetings_are_refused_in_english_and_nothing_is_kept(
    stack: Stack, english_council: GraphQL, changes: dict[str, Any], code: str, field: str, english: str
) -> None:
    fields = meeting_input(**changes)
    if fields["endsAt"] == "PAST_END":
        fields["endsAt"] = (datetime.fromisoformat(fields["startsAt"]) - timedelta(hours=1)).isoformat()
    before = (await data_of(english_council, LIST, {"f": {"communeCode": "160101"}, "n": 1}))["totalCount"]
    events = await stream_count(stack)
    error = await refusal(english_council, SCHEDULE, {"i": fields})
    assert error["extensions"]["code"] == code
    assert error["extensions"]["field"] == field
    assert english in error["message"]
    assert (await data_of(english_council, LIST, {"f": {"communeCode": "160101"}, "n": 1}))[
        "totalCount"
    ] == before
    assert await stream_count(stack) == events


async def test_errors_are_in_khmer_by_default(council: GraphQL) -> None:
    error = await refusal(council, SCHEDULE, {"i": meeting_input(startsAt="2020-01-01T18:00:00+07:00")})
    assert error["extensions"]["code"] == "meeting.in_the_past"
    assert error["message"] == "ពេលវេលានេះបានកន្លងផុតហើយ។ សូមជ្រើសរើសពេលវេលានាពេលអនាគត។"


async def test_times_without_an_offset_are_phnom_penh_time(council: GraphQL) -> None:
    starts, ends = evening()
    naive = {"startsAt": starts[:19], "endsAt": ends[:19]}
    meeting = await schedule(council, **naive)
    assert meeting["startsAtLocal"] == starts
    assert datetime.fromisoformat(meeting["startsAt"]) == datetime.fromisoformat(starts)


async def test_a_clash_in_the_commune_or_at_the_venue_is_refused(
    stack: Stack, english_council: GraphQL
) -> None:
    first = await schedule(english_council)
    start = datetime.fromisoformat(first["startsAt"])
    overlapping = {
        "startsAt": (start + timedelta(hours=1)).isoformat(),
        "endsAt": (start + timedelta(hours=3)).isoformat(),
    }
    events = await stream_count(stack)
    elsewhere = {"villageCode": "16010103", "place": "Ka Hal school"}
    error = await refusal(english_council, SCHEDULE, {"i": meeting_input(venue=elsewhere, **overlapping)})
    assert error["extensions"]["code"] == "meeting.clash"
    assert "Choose another time" in error["message"]
    assert await stream_count(stack) == events
    after = {"startsAt": first["endsAt"], "endsAt": (start + timedelta(hours=3)).isoformat()}
    assert (await schedule(english_council, **after))["state"] == "PLANNED"


async def test_a_facilitator_cannot_schedule_and_another_council_sees_nothing(
    facilitator: GraphQL, council: GraphQL, takeo_council: GraphQL
) -> None:
    error = await refusal(facilitator, SCHEDULE, {"i": meeting_input()})
    assert error["extensions"]["code"] == "meeting.not_allowed"
    meeting = await schedule(council)
    assert (await takeo_council.execute(GET, {"id": meeting["id"]}))["data"] == {"meeting": None}
    forbidden = await refusal(takeo_council, LIST, {"f": {"communeCode": "160101"}, "n": 5})
    assert forbidden["extensions"]["code"] == "auth.forbidden"
    assert (await refusal(takeo_council, SCHEDULE, {"i": meeting_input()}))["extensions"][
        "code"
    ] == "meeting.not_allowed"
    listed = await data_of(takeo_council, LIST, {"f": None, "n": 100})
    assert all(edge["node"]["id"] != meeting["id"] for edge in listed["edges"])


async def test_announcing_less_than_a_week_ahead_is_refused(english_council: GraphQL) -> None:
    starts, ends = evening(days=3, hour=19)
    meeting = await schedule(english_council, startsAt=starts, endsAt=ends)
    await data_of(english_council, AGENDA, {"id": meeting["id"], "items": agenda_items()})
    error = await refusal(english_council, ANNOUNCE, {"id": meeting["id"]})
    assert error["extensions"]["code"] == "meeting.notice_too_short"
    assert "at least 7 days" in error["message"]
    assert (await data_of(english_council, GET, {"id": meeting["id"]}))["state"] == "PLANNED"


async def test_bad_agendas_are_refused_and_the_agenda_stays_as_it_was(
    stack: Stack, facilitator: GraphQL, english_council: GraphQL, takeo_council: GraphQL
) -> None:
    takeo_need = await submitted_need(facilitator, takeo_council, village="21010301")
    meeting = await schedule(english_council)
    cases = [
        ([], "agenda.empty", "items"),
        (
            [{"kind": "NEED", "needId": takeo_need["id"], "minutes": 10, "owner": "x"}],
            "agenda.need_unknown",
            "items.0.needId",
        ),
        ([{"kind": "OTHER", "minutes": 10, "owner": "x"}], "agenda.title_required", "items.0.title"),
        (
            [{"kind": "OTHER", "title": "t", "minutes": 0, "owner": "x"}],
            "agenda.minutes_invalid",
            "items.0.minutes",
        ),
        ([{"kind": "OTHER", "title": "t", "minutes": 200, "owner": "x"}], "agenda.too_long", "items"),
    ]
    for items, code, field in cases:
        error = await refusal(english_council, AGENDA, {"id": meeting["id"], "items": items})
        assert (error["extensions"]["code"], error["extensions"]["field"]) == (code, field)
    assert (await data_of(english_council, GET, {"id": meeting["id"]}))["agenda"] is None
    await published(stack, meeting["id"], "MeetingScheduled")


async def test_rescheduling_raises_the_sequence_and_the_calendar_file_follows(
    stack: Stack, english_council: GraphQL
) -> None:
    meeting = await announced(english_council)
    starts, ends = evening()
    move = {"meetingId": meeting["id"], "startsAt": starts, "endsAt": ends}
    error = await refusal(english_council, RESCHEDULE, {"i": move})
    assert error["extensions"]["code"] == "meeting.reason_required"
    moved = await data_of(english_council, RESCHEDULE, {"i": {**move, "reason": "ទឹកជំនន់"}})
    assert moved["state"] == "RESCHEDULED" and moved["sequence"] == 1
    starts2, ends2 = evening()
    twice = await data_of(
        english_council, RESCHEDULE, {"i": {**move, "startsAt": starts2, "endsAt": ends2, "reason": "again"}}
    )
    assert twice["sequence"] == 2

    async with httpx.AsyncClient(base_url=stack.url) as anonymous:
        response = await anonymous.get(f"/meetings/{meeting['id']}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = parsed_calendar(response.content)
    assert str(calendar["method"]) == "PUBLISH"
    [event] = calendar.walk("VEVENT")
    assert str(event["uid"]) == meeting["icsUid"]
    assert int(event["sequence"]) == 2
    assert event.decoded("dtstart") == datetime.fromisoformat(starts2)
    assert str(event["summary"]).startswith("កិច្ចប្រជុំកំណត់អាទិភាពឃុំ")
    events = await published(
        stack,
        meeting["id"],
        "MeetingScheduled",
        "AgendaPublished",
        "MeetingAnnounced",
        "MeetingRescheduled",
        "MeetingRescheduled",
    )
    assert [e["data"]["sequence"] for e in events[3:]] == [1, 2]
    assert events[3]["data"]["reason"] == "ទឹកជំនន់"


async def test_cancelling_makes_a_cancel_calendar_and_the_feed_marks_it(
    stack: Stack, english_council: GraphQL
) -> None:
    kept = await announced(english_council)
    meeting = await announced(english_council)
    blank = await refusal(english_council, CANCEL, {"id": meeting["id"], "r": "   "})
    assert blank["extensions"]["code"] == "meeting.reason_required"
    gone = await data_of(english_council, CANCEL, {"id": meeting["id"], "r": "ទឹកជំនន់ធំ ផ្លូវដាច់"})
    assert gone["state"] == "CANCELLED" and gone["sequence"] == 1 and gone["cancelReason"] == "ទឹកជំនន់ធំ ផ្លូវដាច់"
    starts, ends = evening()
    move = {"meetingId": meeting["id"], "startsAt": starts, "endsAt": ends, "reason": "r"}
    assert (await refusal(english_council, RESCHEDULE, {"i": move}))["extensions"][
        "code"
    ] == "meeting.not_reschedulable"
    assert (await refusal(english_council, CANCEL, {"id": meeting["id"], "r": "x"}))["extensions"][
        "code"
    ] == "meeting.not_cancellable"

    async with httpx.AsyncClient(base_url=stack.url) as anonymous:
        single = parsed_calendar((await anonymous.get(f"/meetings/{meeting['id']}.ics")).content)
        feed_response = await anonymous.get("/communes/160101/meetings.ics", params={"lang": "en"})
    assert str(single["method"]) == "CANCEL"
    [event] = single.walk("VEVENT")
    assert (str(event["uid"]), int(event["sequence"]), str(event["status"])) == (
        meeting["icsUid"],
        1,
        "CANCELLED",
    )
    assert feed_response.status_code == 200
    feed = parsed_calendar(feed_response.content)
    assert str(feed["method"]) == "PUBLISH"
    by_uid = {str(e["uid"]): e for e in feed.walk("VEVENT")}
    assert str(by_uid[meeting["icsUid"]]["status"]) == "CANCELLED"
    assert str(by_uid[kept["icsUid"]]["status"]) == "CONFIRMED"
    assert str(by_uid[kept["icsUid"]]["summary"]).startswith("Commune prioritisation meeting")


async def test_the_public_sees_only_announced_meetings_and_no_personal_data(
    stack: Stack, council: GraphQL
) -> None:
    hidden = await schedule(council)
    public = await announced(council)
    async with httpx.AsyncClient(base_url=stack.url) as anonymous:
        feed = (await anonymous.get("/communes/160101/meetings.ics")).content.decode()
        planned_ics = await anonymous.get(f"/meetings/{hidden['id']}.ics")
        planned_page = await anonymous.get(f"/m/{hidden['id']}")
        public_page = await anonymous.get(f"/m/{public['id']}")
        wrong = await anonymous.get("/communes/16x101/meetings.ics")
    assert public["icsUid"] in feed and hidden["icsUid"] not in feed
    assert planned_ics.status_code == 404 and planned_page.status_code == 404
    assert public_page.status_code == 200
    assert "សំណួរពីប្រជាពលរដ្ឋ" in public_page.text and "សាលាវត្តម៉ាលិក" in public_page.text
    assert wrong.status_code == 404
    token = issue_token(Identity("anonymous", Role.INTEGRATOR, ("*",)), stack.secrets["identity"])
    async with httpx.AsyncClient(base_url=stack.processes["meetings"].url or "") as http:
        response = await http.get(
            f"/public/meetings/{raw_id('Meeting', public['id'])}",
            headers={"authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200
    assert response.json()["rsvps"]["groups"] == []


async def test_meetings_are_a_relay_connection_with_opaque_cursors(council: GraphQL) -> None:
    for _ in range(3):
        await schedule(council)
    first = await data_of(council, LIST, {"f": {"communeCode": "160101", "states": ["PLANNED"]}, "n": 2})
    assert len(first["edges"]) == 2 and first["pageInfo"]["hasNextPage"]
    assert first["totalCount"] >= 3
    assert all(e["node"]["state"] == "PLANNED" for e in first["edges"])
    second = await data_of(
        council,
        LIST,
        {"f": {"communeCode": "160101", "states": ["PLANNED"]}, "n": 2, "a": first["pageInfo"]["endCursor"]},
    )
    ids = [e["node"]["id"] for e in first["edges"] + second["edges"]]
    assert second["edges"] and len(ids) == len(set(ids))
    assert first["pageInfo"]["endCursor"] not in ids  # opaque, not the id
    assert second["totalCount"] == first["totalCount"]
    bad = await refusal(council, LIST, {"f": None, "n": 2, "a": "not-a-cursor"})
    assert bad["extensions"]["code"] == "page.cursor_invalid"


async def test_a_facilitator_answers_for_groups_of_citizens(facilitator: GraphQL, council: GraphQL) -> None:
    meeting = await announced(council)
    group = {
        "meetingId": meeting["id"],
        "response": "ATTENDING",
        "label": "ក្រុមសន្សំភូមិលោម",
        "people": 12,
        "women": 9,
        "youth": 3,
    }
    once = await data_of(facilitator, RSVP, {"i": group})
    assert once["rsvps"]["attending"]["people"] == 12
    again = await data_of(facilitator, RSVP, {"i": {**group, "people": 14}})
    assert again["rsvps"]["answers"] == 1 and again["rsvps"]["attending"]["people"] == 14
    maybe = await data_of(
        facilitator,
        RSVP,
        {"i": {**group, "label": "យុវជន", "response": "MAYBE", "people": 5, "women": 0, "youth": 5}},
    )
    assert maybe["rsvps"]["maybePeople"] == 5 and maybe["rsvps"]["answers"] == 2
    error = await refusal(facilitator, RSVP, {"i": {**group, "women": 20}})
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("rsvp.exceeds_total", "women")
    negative = await refusal(facilitator, RSVP, {"i": {**group, "youth": -1}})
    assert negative["extensions"]["code"] == "rsvp.count_negative"
    assert (await data_of(council, GET, {"id": meeting["id"]}))["rsvps"]["attending"]["people"] == 14


async def test_a_need_merged_away_can_no_longer_go_on_an_agenda(
    stack: Stack, facilitator: GraphQL, english_council: GraphQL
) -> None:
    need = await submitted_need(facilitator, english_council)
    change = NeedStatusChangedV1(
        need_id=raw_id("Need", need["id"]),
        tracking_code=need["trackingCode"],
        commune_code="160101",
        village_code=need["villageCode"],
        previous=NeedStatus.SUBMITTED,
        status=NeedStatus.MERGED,
        reason="duplicate",
        actor="council-test",
        changed_at=datetime.now(UTC),
    )
    envelope = new_event(change, event_type=NEED_STATUS_CHANGED, source="/khum/intake", communecode="160101")
    nc = await nats.connect(stack.nats_url)
    try:
        await nc.jetstream().publish(
            envelope.nats_subject, envelope.to_bytes(), headers={"Nats-Msg-Id": envelope.id}
        )
    finally:
        await nc.close()

    async def merged() -> bool:
        candidates = await data_of(english_council, CANDIDATES, {"c": "160101"})
        return any(c["id"] == need["id"] and c["status"] == "merged" for c in candidates)

    await wait_for(merged, interval=0.5)
    meeting = await schedule(english_council)
    items = [{"kind": "NEED", "needId": need["id"], "minutes": 10, "owner": "x"}]
    error = await refusal(english_council, AGENDA, {"id": meeting["id"], "items": items})
    assert error["extensions"]["code"] == "agenda.need_not_eligible"
    assert need["trackingCode"] in error["message"]


# ---------- slot suggestions ----------


async def _admin_sets_holidays(stack: Stack, year: int, holidays: list[dict[str, Any]]) -> None:
    token = issue_token(Identity("admin", Role.NATIONAL_ADMIN, ("*",)), stack.secrets["identity"])
    async with httpx.AsyncClient(base_url=stack.processes["meetings"].url or "") as http:
        response = await http.put(
            f"/holidays/{year}", json={"holidays": holidays}, headers={"authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200, response.text


async def test_around_khmer_new_year_and_on_evenings_suggestions_come_from_the_official_holidays(
    stack: Stack, council: GraphQL
) -> None:
    year = datetime.now(UTC).year + 1
    new_year = next(h for h in official_holidays(year) if h.kind == "khmer_new_year")
    await _admin_sets_holidays(
        stack,
        year,
        [
            {
                "kind": "other",
                "start": f"{year}-04-24",
                "end": f"{year}-04-24",
                "name_en": "Pagoda day",
                "name_km": "បុណ្យវត្ត",
            }
        ],
    )
    table = await data_of(
        council,
        "query($y: Int!) { holidayTable(year: $y) { holidays { kind start nameKm source } } }",
        {"y": year},
    )
    sources = {(h["kind"], h["source"]) for h in table["holidays"]}
    assert {("khmer_new_year", "official"), ("other", "local")} <= sources
    assert any("ចូលឆ្នាំ" in h["nameKm"] for h in table["holidays"])
    profile = (
        "mutation($c: String!, $p: SchedulingProfileInput!) { setCommuneSchedulingProfile(communeCode: $c, input: $p) "
        "{ migrantSharePercent dayWorkSharePercent busySeasons { label start end } isDefault } }"
    )
    saved = await data_of(
        council,
        profile,
        {
            "c": "160101",
            "p": {
                "migrantSharePercent": 45,
                "dayWorkSharePercent": 60,
                "busySeasons": [{"label": "ច្រូតស្រូវ", "start": "11-20", "end": "12-20"}],
            },
        },
    )
    assert (
        saved["migrantSharePercent"] == 45 and saved["dayWorkSharePercent"] == 60 and not saved["isDefault"]
    )
    window = {"c": "160101", "f": f"{year}-04-01", "t": f"{year}-04-30", "d": 120, "v": None}
    result = await data_of(council, SUGGEST, window)
    assert result["missingHolidayYears"] == []
    days = [date.fromisoformat(s["startsAtLocal"][:10]) for s in result["slots"]]
    assert not any(new_year.start <= d <= new_year.end for d in days), days
    assert any("weekday_evening" in [r["code"] for r in s["reasons"]] for s in result["slots"])
    first = result["slots"][0]
    why = next(r for r in first["reasons"] if r["code"] == "migrants_home")
    assert "ចូលឆ្នាំ" in why["text"] and "Khmer New Year" in why["en"] and "45%" in why["en"]

    taken = await schedule(council, startsAt=first["startsAt"], endsAt=first["endsAt"])
    again = await data_of(council, SUGGEST, window)
    start, end = datetime.fromisoformat(taken["startsAt"]), datetime.fromisoformat(taken["endsAt"])
    for slot in again["slots"]:
        s, e = datetime.fromisoformat(slot["startsAt"]), datetime.fromisoformat(slot["endsAt"])
        assert not (s < end and start < e), slot


async def test_bad_suggestion_requests_and_holiday_edits_are_refused(english_council: GraphQL) -> None:
    year = datetime.now(UTC).year + 1
    cases = [
        ({"f": f"{year}-03-10", "t": f"{year}-03-01", "d": 120}, "slots.window_invalid"),
        ({"f": f"{year}-01-01", "t": f"{year}-12-01", "d": 120}, "slots.window_too_long"),
        ({"f": f"{year}-03-01", "t": f"{year}-03-10", "d": 5}, "slots.duration_invalid"),
    ]
    for window, code in cases:
        error = await refusal(english_council, SUGGEST, {"c": "160101", "v": None, **window})
        assert error["extensions"]["code"] == code
    holidays = "mutation($y: Int!, $h: [HolidayInput!]!) { setHolidayTable(year: $y, holidays: $h) { year } }"
    error = await refusal(english_council, holidays, {"y": year, "h": []})
    assert error["extensions"]["code"] == "holidays.not_allowed"


# ---------- live changes ----------


async def _subscribe(stack: Stack, client: GraphQL, query: str) -> Any:
    cookie = f"khum_session={client.http.cookies.get('khum_session')}"
    url = stack.url.replace("http://", "ws://") + "/graphql"
    ws = await websockets.connect(
        url, subprotocols=["graphql-transport-ws"], additional_headers={"cookie": cookie}
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "m1", "type": "subscribe", "payload": {"query": query}}))
    return ws


async def _next(ws: Any) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 15))
        if message["type"] == "ping":
            await ws.send(json.dumps({"type": "pong"}))
            continue
        return message


async def test_meeting_changes_arrive_live_for_the_commune(stack: Stack, council: GraphQL) -> None:
    query = 'subscription { meetingChanged(communeCode: "160101") { event meetingId communeCode meeting { state title } } }'
    ws = await _subscribe(stack, council, query)
    try:
        await asyncio.sleep(0.5)  # let the subscription register before the change is made
        meeting = await schedule(council, title="ប្រជុំផ្ទាល់")
        for _ in range(20):
            message = await _next(ws)
            assert message["type"] == "next", message
            change = message["payload"]["data"]["meetingChanged"]
            if change["meetingId"] == meeting["id"]:
                break
        assert change["event"] == "MeetingScheduled"
        assert change["communeCode"] == "160101"
        assert change["meeting"] == {"state": "PLANNED", "title": "ប្រជុំផ្ទាល់"}
    finally:
        await ws.close()


async def test_meeting_changes_of_another_commune_are_refused(stack: Stack, council: GraphQL) -> None:
    ws = await _subscribe(stack, council, 'subscription { meetingChanged(communeCode: "210103") { event } }')
    try:
        message = await _next(ws)
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert [e["extensions"]["code"] for e in errors] == ["auth.forbidden"]
    finally:
        await ws.close()
