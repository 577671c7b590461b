"""The one privacy rule (contracts/privacy.py) on every route a caller outside the commune's
council can reach: meetings' attendance and RSVP counts by group through GraphQL (walked by
introspection), meetings' REST and public calendar, iCalendar; and needs of sensitive kinds,
whose text the public never sees (GraphQL, the track page)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from gateway.graphql.ids import raw_id
from infra.stack import Stack
from services.runtime.identity import ALL_COMMUNES, PUBLIC_IDENTITY_ID, Identity, Role
from services.runtime.tokens import issue_token
from tests.conftest import SUBMIT_NEED, GraphQL
from tests.integration.test_meetings_api import RSVP, announced, data_of
from tests.integration.test_privacy_walk import _selection, _walk

SENSITIVE = ("disability", "idpoor", "indigenous", "migrant")
SECRET_TEXT = "Khum-Private-Child ក្មេងស្រី ៩ឆ្នាំ"


def _group_counts(data: Any) -> dict[str, list[Any]]:
    """Every value of a sensitive group's count, wherever it sits in the answer."""
    found: dict[str, list[Any]] = {}
    for path, value in _walk(data):
        name = path.rsplit(".", 1)[-1]
        if name in SENSITIVE:
            found.setdefault(name, []).append(value)
    return found


def _no_small_counts(data: Any, hidden: object) -> int:
    counts = _group_counts(data)
    assert counts, data
    for name, values in counts.items():
        for value in values:
            assert value == hidden or (isinstance(value, int) and value >= 5), (name, value)
    return sum(len(v) for v in counts.values())


async def test_meeting_counts_by_group_under_5_are_hidden_outside_the_council(
    stack: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    meeting = await announced(council)
    answer = {
        "meetingId": meeting["id"],
        "response": "ATTENDING",
        "label": "ក្រុមស្ត្រី",
        "people": 12,
        "women": 9,
        "disability": 2,
        "idpoor": 3,
        "indigenous": 1,
        "migrant": 0,
    }
    await data_of(facilitator, RSVP, {"i": answer})
    mid = meeting["id"]

    fields = await _selection(council, "Meeting")
    query = f"query($id: ID!) {{ meeting(id: $id) {{ {fields} }} }}"
    own = await data_of(council, query, {"id": mid})
    assert own["rsvps"]["attending"]["disability"] == 2 and own["rsvps"]["attending"]["idpoor"] == 3

    province = GraphQL(stack.url)
    await province.login("sokha")  # a province admin is not the commune's council
    anonymous = GraphQL(stack.url)
    try:
        walked = 0
        for outsider in (facilitator, province):
            walked += _no_small_counts(await data_of(outsider, query, {"id": mid}), hidden=None)
        listing = f'{{ meetings(filter: {{communeCode: "160101"}}, first: 100) {{ edges {{ node {{ {fields} }} }} }} }}'
        walked += _no_small_counts(await data_of(facilitator, listing), hidden=None)
        body = await anonymous.execute(query, {"id": mid})
        if body.get("data") and body["data"].get("meeting"):  # type: ignore[union-attr]
            walked += _no_small_counts(body["data"], hidden=None)
        assert walked >= 12
    finally:
        await province.close()
        await anonymous.close()

    # The meetings service's own routes, as the public and as a facilitator.
    secret = stack.secrets["identity"]
    public = Identity(PUBLIC_IDENTITY_ID, Role.PUBLIC, (ALL_COMMUNES,))
    helper = Identity("f-privacy", Role.FACILITATOR, ("160101",))
    raw = raw_id("Meeting", mid)
    async with httpx.AsyncClient(base_url=stack.processes["meetings"].url) as http:
        for identity, path in ((public, f"/public/meetings/{raw}"), (helper, f"/meetings/{raw}")):
            response = await http.get(
                path, headers={"authorization": f"Bearer {issue_token(identity, secret)}"}
            )
            assert response.status_code == 200, (path, response.text)
            _no_small_counts(response.json()["rsvps"], hidden="<5")

    async with httpx.AsyncClient(base_url=stack.url) as http:
        ics = await http.get(f"/meetings/{mid}.ics")
    assert ics.status_code == 200, ics.text[:300]
    for word in ("disab", "IDPoor", "idpoor", "indigenous", "migrant"):
        assert word not in ics.text


async def test_a_sensitive_need_shows_the_public_its_category_never_its_text(
    stack: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    need = {
        "villageCode": "16010102",
        "description": SECRET_TEXT,
        "sector": "GENDER",
        "needType": "child_protection",
        "idempotencyKey": uuid.uuid4().hex,
    }
    created = (await facilitator.execute(SUBMIT_NEED, {"i": need}))["data"]["submitNeed"]  # type: ignore[index]
    assert created["description"] == SECRET_TEXT  # the facilitator who recorded it

    anonymous = GraphQL(stack.url)
    try:
        fields = await _selection(anonymous, "PublicNeed")
        body = await anonymous.execute(
            f"query($c: String!) {{ needByTrackingCode(code: $c) {{ {fields} }} }}",
            {"c": created["trackingCode"]},
        )
        shown = body["data"]["needByTrackingCode"]  # type: ignore[index]
        assert shown["private"] is True and shown["sector"] == "GENDER", shown
        assert SECRET_TEXT not in str(body) and "Khum-Private" not in str(body)
        page = await anonymous.http.get(f"/track?code={created['trackingCode']}")
        assert page.status_code == 200
        assert "Khum-Private" not in page.text and "ក្មេងស្រី" not in page.text
    finally:
        await anonymous.close()

    own = await council.execute("query($id: ID!) { need(id: $id) { description } }", {"id": created["id"]})
    assert own["data"]["need"]["description"] == SECRET_TEXT, own  # type: ignore[index]
    province = GraphQL(stack.url)
    await province.login("sokha")
    try:
        other = await province.execute(
            "query($id: ID!) { need(id: $id) { description needType } }", {"id": created["id"]}
        )
        assert "Khum-Private" not in str(other), other
    finally:
        await province.close()
