"""A meeting that is held: attendance counted at the meeting, quorum, decisions from the
published agenda, minutes; and over a real nats-server, recordDecision makes intake mark the
needs prioritised with their ranks.

A held meeting must have been announced with its agenda at least N days ahead, and attendance
opens an hour before the start. To hold a meeting within a test, meetings runs here with the
notice setting at 0 days (KHUM_MEETINGS_AGENDA_NOTICE_DAYS), and is restored afterwards.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.graphql.ids import raw_id
from infra.stack import Stack
from tests.conftest import GraphQL, wait_for
from tests.integration.test_meetings_api import (
    AGENDA,
    ANNOUNCE,
    CANCEL,
    GET,
    MEETING,
    RESCHEDULE,
    RSVP,
    data_of,
    evening,
    events_about,
    published,
    refusal,
    schedule,
    stream_count,
    submitted_need,
)

ATTEND = (
    "mutation($id: ID!, $a: AttendanceInput!) { recordAttendance(meetingId: $id, attendance: $a) "
    + MEETING
    + " }"
)
DECIDE = "mutation($i: RecordDecisionInput!) { recordDecision(input: $i) " + MEETING + " }"
MINUTES = "mutation($id: ID!, $m: String!) { publishMinutes(meetingId: $id, minutes: $m) " + MEETING + " }"
NEED = "query($id: ID!) { need(id: $id) { status rank } }"

COUNTS = {
    "total": 36,
    "inPerson": 30,
    "remote": 6,
    "women": 20,
    "men": 16,
    "disability": 2,
    "idpoor": 8,
    "indigenous": 24,
    "migrant": 7,
    "youth": 9,
    "councilPresent": 2,
    "councilTotal": 5,
}
# Each held meeting takes its own half hour, starting within the hour, so none clash.
_SOON = itertools.count()


@pytest.fixture(scope="module")
def short_notice(stack: Stack) -> Iterator[Stack]:
    stack.restart("meetings", {"AGENDA_NOTICE_DAYS": "0"})
    try:
        yield stack
    finally:
        stack.restart("meetings", {})


def soon() -> dict[str, str]:
    start = (datetime.now(UTC) + timedelta(minutes=3 + 32 * next(_SOON))).replace(second=0, microsecond=0)
    return {"startsAt": start.isoformat(), "endsAt": (start + timedelta(minutes=30)).isoformat()}


async def announced_soon(council: GraphQL, *needs: dict[str, Any]) -> dict[str, Any]:
    meeting = await schedule(council, **soon())
    items = [{"kind": "NEED", "needId": n["id"], "minutes": 8, "owner": "ប្រធានភូមិ"} for n in needs]
    await data_of(council, AGENDA, {"id": meeting["id"], "items": items})
    result: dict[str, Any] = await data_of(council, ANNOUNCE, {"id": meeting["id"]})
    return result


async def test_a_held_meeting_counts_attendance_decides_from_its_agenda_and_publishes_minutes(
    short_notice: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    stack = short_notice
    road = await submitted_need(facilitator, council)
    well = await submitted_need(facilitator, council, village="16010104")
    other = await submitted_need(facilitator, council)
    meeting = await announced_soon(council, road, well)
    mid = meeting["id"]
    assert meeting["state"] == "ANNOUNCED"
    await published(stack, mid, "MeetingScheduled", "AgendaPublished", "MeetingAnnounced")

    early = await refusal(
        council, DECIDE, {"i": {"meetingId": mid, "kind": "PRIORITISATION", "year": 2027, "needs": []}}
    )
    assert early["extensions"]["code"] == "decision.meeting_not_held"

    events = await stream_count(stack)
    for changes, code, field in [
        ({"women": -1}, "attendance.negative", "women"),
        ({"women": 30}, "attendance.exceeds_total", "women"),
        ({"disability": 40}, "attendance.exceeds_total", "disability"),
        ({"remote": 5}, "attendance.split_mismatch", "inPerson"),
        ({"councilPresent": 6}, "attendance.council_exceeds", "councilPresent"),
    ]:
        error = await refusal(council, ATTEND, {"id": mid, "a": {**COUNTS, **changes}})
        assert (error["extensions"]["code"], error["extensions"]["field"]) == (code, field)
    unchanged = await data_of(council, GET, {"id": mid})
    assert unchanged["state"] == "ANNOUNCED" and unchanged["attendance"] is None
    assert await stream_count(stack) == events

    held = await data_of(council, ATTEND, {"id": mid, "a": COUNTS})
    assert held["state"] == "HELD"
    assert held["attendance"]["total"] == 36 and held["attendance"]["women"] == 20
    assert held["attendance"]["quorumMet"] is False
    no_quorum = await refusal(
        council,
        DECIDE,
        {
            "i": {
                "meetingId": mid,
                "kind": "PRIORITISATION",
                "year": 2027,
                "needs": [{"needId": road["id"], "rank": 1}],
            }
        },
    )
    assert no_quorum["extensions"]["code"] == "decision.no_quorum"

    starts, ends = evening()
    move = {"meetingId": mid, "startsAt": starts, "endsAt": ends, "reason": "late"}
    assert (await refusal(council, RESCHEDULE, {"i": move}))["extensions"][
        "code"
    ] == "meeting.not_reschedulable"
    assert (await refusal(council, CANCEL, {"id": mid, "r": "x"}))["extensions"][
        "code"
    ] == "meeting.not_cancellable"
    rsvp = {"meetingId": mid, "response": "ATTENDING", "people": 3}
    assert (await refusal(facilitator, RSVP, {"i": rsvp}))["extensions"]["code"] == "rsvp.closed"

    quorum = await data_of(council, ATTEND, {"id": mid, "a": {**COUNTS, "councilPresent": 4}})
    assert quorum["attendance"]["quorumMet"] is True
    for needs, code in [
        ([{"needId": road["id"], "rank": 1}, {"needId": well["id"], "rank": 3}], "decision.ranks_invalid"),
        ([{"needId": other["id"], "rank": 1}], "decision.need_not_on_agenda"),
        ([], "decision.needs_missing"),
    ]:
        error = await refusal(
            council, DECIDE, {"i": {"meetingId": mid, "kind": "PRIORITISATION", "year": 2027, "needs": needs}}
        )
        assert error["extensions"]["code"] == code
    ranked = [{"needId": well["id"], "rank": 1}, {"needId": road["id"], "rank": 2}]
    decided = await data_of(
        council,
        DECIDE,
        {
            "i": {
                "meetingId": mid,
                "kind": "PRIORITISATION",
                "year": 2027,
                "needs": ranked,
                "summary": "អណ្តូងមុន",
            }
        },
    )
    [decision] = decided["decisions"]
    assert [(n["needId"], n["rank"]) for n in decision["needs"]] == [(well["id"], 1), (road["id"], 2)]

    done = await data_of(council, MINUTES, {"id": mid, "m": "ក្រុមប្រឹក្សាបានសម្រេចអាទិភាពអណ្តូងទឹក។"})
    assert done["state"] == "MINUTES_PUBLISHED"
    closed = await refusal(
        council, DECIDE, {"i": {"meetingId": mid, "kind": "OTHER", "year": 2027, "needs": []}}
    )
    assert closed["extensions"]["code"] == "decision.minutes_published"
    assert (await refusal(council, ATTEND, {"id": mid, "a": COUNTS}))["extensions"][
        "code"
    ] == "attendance.closed"

    trail = await published(
        stack,
        mid,
        "MeetingScheduled",
        "AgendaPublished",
        "MeetingAnnounced",
        "AttendanceRecorded",
        "AttendanceRecorded",
        "DecisionRecorded",
        "MinutesPublished",
    )
    counted = trail[3]["data"]
    assert counted["counts"]["in_person"] == 30 and counted["quorum_met"] is False
    recorded = trail[5]["data"]
    assert recorded["kind"] == "prioritisation" and recorded["year"] == 2027
    assert [(n["need_id"], n["rank"]) for n in recorded["needs"]] == [
        (raw_id("Need", well["id"]), 1),
        (raw_id("Need", road["id"]), 2),
    ]
    assert trail[6]["data"]["decision_ids"] == [raw_id("Decision", decision["id"])]


async def test_recording_a_prioritisation_makes_intake_mark_the_needs_prioritised_with_their_ranks(
    short_notice: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    first = await submitted_need(facilitator, council)
    second = await submitted_need(facilitator, council, village="16010103")
    meeting = await announced_soon(council, first, second)
    await data_of(council, ATTEND, {"id": meeting["id"], "a": {**COUNTS, "councilPresent": 3}})
    ranked = [{"needId": second["id"], "rank": 1}, {"needId": first["id"], "rank": 2}]
    await data_of(
        council,
        DECIDE,
        {"i": {"meetingId": meeting["id"], "kind": "PRIORITISATION", "year": 2027, "needs": ranked}},
    )

    async def decided() -> bool:
        events = await events_about(short_notice, meeting["id"])
        return bool(events) and events[-1]["type"].endswith("DecisionRecorded.v1")

    assert await wait_for(decided, interval=0.3)

    async def prioritised() -> bool:
        states = [await data_of(council, NEED, {"id": n["id"]}) for n in (second, first)]
        return [(str(s["status"]).lower(), s["rank"]) for s in states] == [
            ("prioritised", 1),
            ("prioritised", 2),
        ]

    assert await wait_for(prioritised, timeout=20, interval=0.5)
