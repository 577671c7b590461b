"""The meetings contract holds on both sides: what meetings' views answer reads back into the
models of contracts/api/meetings/ (as the gateway's client reads it, and as GraphQL shows it), and
every endpoint the gateway's MeetingsClient calls is a route that declares its answer and its body
with those same models."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any, get_args

import pytest
from fastapi.routing import APIRoute

from contracts.api.meetings.changes import MeetingCreate, PlaceIn, RsvpIn
from contracts.api.meetings.meeting import MeetingPublic
from contracts.api.meetings.scheduling import AgendaCandidate
from contracts.meetings import DecisionKind, MeetingType, RsvpResponse
from contracts.privacy import SUPPRESSED
from gateway.clients.meetings import MeetingsClient
from gateway.clients.typed import Caller, adapter, plain
from gateway.graphql.ids import to_global
from gateway.graphql.meetings.meeting import Meeting as MeetingNode
from services.meetings import api, calendar_api, intentions_api, planning_api
from services.meetings.attendance import RsvpCommand, record_attendance, rsvp
from services.meetings.decisions import RecordDecision, record_decision
from services.meetings.domain import Meeting
from services.meetings.intentions import intention_counts, record_intention
from services.meetings.lifecycle import announce
from services.meetings.views import show
from services.runtime.identity import Identity, Role
from tests.unit.test_meeting_attendance import GOOD, OPENS
from tests.unit.test_meeting_rules import COUNCIL, FACILITATOR, NOW, planned, with_agenda

CONTRACTS = "contracts.api.meetings."
OUTSIDER = Identity("p1", Role.PROVINCE_ADMIN, ("16",))


def full_meeting() -> Meeting:
    """A prioritisation meeting with everything a meeting can carry: agenda, an RSVP, an
    intention, attendance (small counts in sensitive groups), a decision and its history."""
    meeting = announce(
        with_agenda(planned(days=20, type=MeetingType.COMMUNE_PRIORITISATION)), COUNCIL, NOW, 7
    )
    counts = {"people": 12, "women": 7, "disability": 2}
    meeting = rsvp(meeting, RsvpCommand(RsvpResponse.ATTENDING, counts, "Savings group"), FACILITATOR, NOW)
    meeting = record_intention(meeting, "intention-0001", "web", ["women", "migrant"], NOW)
    meeting = record_attendance(meeting, GOOD, ["Sok Dara"], COUNCIL, meeting.starts_at, OPENS)
    decision = RecordDecision(DecisionKind.PRIORITISATION, 2028, [("need-well", 2), ("need-road", 1)], "Road")
    decided_at = meeting.starts_at + timedelta(hours=1)
    meeting, _, _ = record_decision(meeting, decision, COUNCIL, decided_at, decision_id="d-1")
    return meeting


def answered(meeting: Meeting, caller: Identity | None) -> MeetingPublic:
    """What the gateway's client reads: the service's view as JSON, parsed by the client's adapter."""
    parsed: MeetingPublic = adapter(MeetingPublic).validate_json(show(meeting, caller).model_dump_json())
    return parsed


@pytest.mark.parametrize("caller", [COUNCIL, FACILITATOR, OUTSIDER, None])
def test_a_meeting_as_meetings_answers_it_reads_back_whole(caller: Identity | None) -> None:
    meeting = full_meeting()
    view = show(meeting, caller)
    assert answered(meeting, caller) == view
    assert [d.id for d in view.decisions] == ["d-1"] and view.attendance is not None
    assert view.intentions.total == intention_counts(meeting).total == 1


def test_graphql_reads_the_model_with_hidden_counts_as_null() -> None:
    meeting = full_meeting()
    node = MeetingNode.of(answered(meeting, FACILITATOR))
    assert node.attendance is not None and node.attendance.disability is None
    assert node.attendance.total == GOOD["total"] and node.attendance.names == []
    assert show(meeting, FACILITATOR).attendance.counts.disability == SUPPRESSED  # type: ignore[union-attr]
    assert node.rsvps.attending.disability is None and node.rsvps.attending.people == 12
    [group] = node.rsvps.groups
    assert (group.label, group.response, group.people) == ("Savings group", RsvpResponse.ATTENDING, 12)
    assert node.starts_at == meeting.starts_at and node.starts_at.tzinfo is not None
    ranked = [(n.need_id, n.rank) for n in node.decisions[0].needs]
    assert ranked == [(to_global("Need", "need-road"), 1), (to_global("Need", "need-well"), 2)]
    council = MeetingNode.of(answered(meeting, COUNCIL))
    assert council.attendance is not None and council.attendance.disability == GOOD["disability"]
    assert council.attendance.names == ["Sok Dara"]


def test_an_agenda_candidate_as_stored_reads_with_the_needs_vocabulary() -> None:
    stored = {
        "id": "need-1",
        "commune_code": "160101",
        "village_code": "16010101",
        "tracking_code": "KH-7Q2M",
        "description": "A well",
        "sector": "social",
        "submitted_at": NOW.isoformat(),
        "status": "validated",
        "status_changed_at": NOW.isoformat(),
        "village_name": {"km": "ភូមិ", "latin": "Phum"},
        "version": 3,
    }
    served = AgendaCandidate.model_validate(stored).model_dump_json()
    [read] = adapter(list[AgendaCandidate]).validate_json(f"[{served}]")
    assert (read.status, read.sector, read.submitted_at) == ("validated", "social", NOW)
    assert read.village_name is not None and read.village_name.latin == "Phum"


def test_a_request_built_unvalidated_on_the_gateway_is_what_the_service_accepts() -> None:
    body = MeetingCreate.model_construct(
        commune_code="160101",
        type=MeetingType.VILLAGE_NEEDS,
        venue=PlaceIn.model_construct(village_code="16010101", place="Pagoda hall"),
        starts_at=NOW,
        ends_at=NOW + timedelta(hours=2),
        title=None,
    )
    sent = plain(body)
    assert "village_name_km" not in sent["venue"] and "languages" not in sent  # the service's defaults
    accepted = MeetingCreate.model_validate(sent)
    assert accepted.starts_at == NOW and accepted.languages == ["km"]
    rsvp_body = plain(RsvpIn.model_construct(response=RsvpResponse.MAYBE, counts={"people": 3}, label=None))
    assert rsvp_body == {"response": "maybe", "counts": {"people": 3}, "label": None}


# ---------- every client method hits a route that declares the contract ----------


class Sent(Exception):
    def __init__(self, method: str, path: str, body: Any) -> None:
        super().__init__(f"{method} {path}")
        self.method, self.path, self.body = method, path, body


class Recorder:
    """Stands in for the HTTP transport: notes the request and stops there."""

    async def exchange(self, method: str, path: str, identity: Identity, **kwargs: Any) -> tuple[int, bytes]:
        raise Sent(method, path, kwargs.get("json"))


CALLS: dict[str, Callable[[MeetingsClient, Caller], Any]] = {
    "meetings": lambda c, who: c.meetings(who, commune="160101", states=("held",), limit=5),
    "meeting": lambda c, who: c.meeting(who, "m-1"),
    "schedule_meeting": lambda c, who: c.schedule_meeting(who, _body("MeetingCreate")),
    "publish_agenda": lambda c, who: c.publish_agenda(who, "m-1", _body("AgendaIn")),
    "announce": lambda c, who: c.announce(who, "m-1"),
    "reschedule": lambda c, who: c.reschedule(who, "m-1", _body("RescheduleIn")),
    "cancel": lambda c, who: c.cancel(who, "m-1", _body("CancelIn")),
    "rsvp": lambda c, who: c.rsvp(who, "m-1", _body("RsvpIn")),
    "record_attendance": lambda c, who: c.record_attendance(who, "m-1", _body("AttendanceIn")),
    "record_decision": lambda c, who: c.record_decision(who, "m-1", _body("DecisionIn")),
    "publish_minutes": lambda c, who: c.publish_minutes(who, "m-1", _body("MinutesIn")),
    "meeting_calendar": lambda c, who: c.meeting_calendar(who, "m-1", "en"),
    "public_meeting": lambda c, who: c.public_meeting(who, "m-1"),
    "record_intention": lambda c, who: c.record_intention(who, "m-1", _body("IntentionIn")),
    "public_meeting_calendar": lambda c, who: c.public_meeting_calendar(who, "m-1", "km"),
    "public_commune_calendar": lambda c, who: c.public_commune_calendar(who, "160101", "km"),
    "public_commune_meetings": lambda c, who: c.public_commune_meetings(who, "160101", 50),
    "suggest_slots": lambda c, who: c.suggest_slots(who, "160101", date(2027, 4, 1), date(2027, 4, 9), 90),
    "agenda_candidates": lambda c, who: c.agenda_candidates(who, "160101", 100),
    "holidays": lambda c, who: c.holidays(who, 2027),
    "set_holidays": lambda c, who: c.set_holidays(who, 2027, _body("HolidayTableIn", "scheduling")),
    "scheduling_profile": lambda c, who: c.scheduling_profile(who, "160101"),
    "set_scheduling_profile": lambda c, who: c.set_scheduling_profile(
        who, "160101", _body("ProfileIn", "scheduling")
    ),
    "my_availability": lambda c, who: c.my_availability(who, "160101"),
    "set_my_availability": lambda c, who: c.set_my_availability(
        who, "160101", _body("AvailabilityIn", "scheduling")
    ),
    "facilitators_availability": lambda c, who: c.facilitators_availability(who, "160101"),
}


def _body(name: str, module: str = "changes") -> Any:
    contracts = __import__(f"contracts.api.meetings.{module}", fromlist=[name])
    return getattr(contracts, name).model_construct()


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router
            yield from _routes(route.original_router.routes)


def _route(method: str, path: str) -> APIRoute:
    routers = (api.router, planning_api.router, calendar_api.router, intentions_api.router)
    found = [
        r
        for router in routers
        for r in _routes(router.routes)
        if method in (r.methods or ()) and re.fullmatch(r.path_regex.pattern.rstrip("$"), path)
    ]
    assert len(found) == 1, f"{method} {path}: {[r.path for r in found]}"
    return found[0]


def _contract_models(kind: Any) -> list[type]:
    return [kind] if isinstance(kind, type) else [k for k in get_args(kind) if isinstance(k, type)]


def test_the_client_has_a_checked_call_for_each_of_its_methods() -> None:
    methods = {
        name
        for name, member in inspect.getmembers(MeetingsClient, inspect.iscoroutinefunction)
        if not name.startswith("_") and name not in ("call", "send", "close")
    }
    assert methods == set(CALLS)


@pytest.mark.parametrize("name", sorted(CALLS))
async def test_each_endpoint_the_client_calls_declares_the_contract(name: str) -> None:
    client = MeetingsClient(Recorder())  # type: ignore[arg-type]
    with pytest.raises(Sent) as sent:
        await CALLS[name](client, Caller(COUNCIL, "en"))
    route = _route(sent.value.method, sent.value.path.split("?")[0])
    models = _contract_models(route.response_model)
    assert models and all(m.__module__.startswith(CONTRACTS) for m in models), route.path
    if sent.value.body is not None:
        assert route.body_field is not None, route.path
        body_type = route.body_field.field_info.annotation
        assert isinstance(body_type, type) and body_type.__module__.startswith(CONTRACTS), route.path
