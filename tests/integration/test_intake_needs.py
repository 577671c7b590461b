"""Intake through the gateway: the whole story of a need, with who raised it, kept safe."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import nats

from contracts.budget import PROJECT_STATUS_CHANGED, ProjectStatus, ProjectStatusChangedV1
from contracts.envelope import new_event
from contracts.meetings import DECISION_RECORDED, DecisionKind, DecisionRecordedV1, RankedNeed
from gateway.graphql.ids import raw_id
from infra.stack import Stack
from tests.conftest import SUBMIT_NEED, GraphQL, wait_for

NEED_FIELDS = (
    "id trackingCode status statusReason rank year people personalDataVisible "
    "groups { group count } raisedBy { name people consent groups { group count } } "
    "history { fromStatus toStatus reason source }"
)
GET_NEED = f"query($id: ID!) {{ need(id: $id) {{ {NEED_FIELDS} }} }}"
TRACK = (
    "query($c: String!) { needByTrackingCode(code: $c) { trackingCode status statusReason people "
    "history { toStatus reason } mergedInto { trackingCode status } } }"
)


def raiser(**extra: Any) -> dict[str, Any]:
    person: dict[str, Any] = {
        "name": "ស្រីមុំ",
        "sex": "female",
        "ageBand": "youth",
        "disability": "severe",
        "idpoorLevel": 1,
        "indigenousGroup": "Tampuan",
        "consent": "verbal",
        "contactChannel": "sms",
        "contactAddress": "012999888",
    }
    person.update(extra)
    return person


async def submit(client: GraphQL, village: str = "16010101", **extra: Any) -> dict[str, Any]:
    need = {
        "villageCode": village,
        "description": "ផ្លូវលំទៅសាលារៀន",
        "idempotencyKey": uuid.uuid4().hex,
        "sector": "ECONOMIC",
        "needType": "road",
        "beneficiaries": 240,
        "channel": "home_visit",
        **extra,
    }
    body = await client.execute(SUBMIT_NEED, {"i": need})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["submitNeed"]
    return result


async def test_the_council_sees_who_raised_a_need_and_others_see_only_hidden_counts(
    facilitator: GraphQL, council: GraphQL, stack: Stack
) -> None:
    need = await submit(facilitator, raisedBy=raiser())
    seen = (await council.execute(GET_NEED, {"id": need["id"]}))["data"]["need"]
    assert seen["personalDataVisible"] is True
    assert seen["raisedBy"] == [
        {
            "name": "ស្រីមុំ",
            "people": 1,
            "consent": "verbal",
            "groups": [
                {"group": g, "count": "1"} for g in ("women", "youth", "disability", "idpoor", "indigenous")
            ],
        }
    ]
    outsider = (await facilitator.execute(GET_NEED, {"id": need["id"]}))["data"]["need"]
    assert outsider["personalDataVisible"] is False
    assert outsider["raisedBy"] is None
    assert {g["count"] for g in outsider["groups"]} == {"<5"}
    chenda = GraphQL(stack.url)
    await chenda.login("chenda")
    try:
        other = await chenda.execute(GET_NEED, {"id": need["id"]})
        assert other["errors"][0]["extensions"]["code"] == "need.not_found"
    finally:
        await chenda.close()


async def test_personal_details_without_consent_are_refused_and_nothing_is_stored(
    stack: Stack, facilitator: GraphQL
) -> None:
    before = (await facilitator.execute("{ needs(first: 1) { totalCount } }"))["data"]["needs"]["totalCount"]
    need = {
        "villageCode": "16010101",
        "description": "ទឹក",
        "idempotencyKey": uuid.uuid4().hex,
        "raisedBy": raiser(consent=None),
    }
    body = await facilitator.execute(SUBMIT_NEED, {"i": need})
    assert body["errors"][0]["extensions"]["code"] == "need.consent_missing"
    after = (await facilitator.execute("{ needs(first: 1) { totalCount } }"))["data"]["needs"]["totalCount"]
    assert after == before


async def test_validation_by_the_council_is_recorded_with_who_and_why(
    facilitator: GraphQL, council: GraphQL
) -> None:
    need = await submit(facilitator)
    refused = await facilitator.execute(
        "mutation($id: ID!) { validateNeed(id: $id) { status } }", {"id": need["id"]}
    )
    assert refused["errors"][0]["extensions"]["code"] == "need.council_only"
    body = await council.execute(
        "mutation($id: ID!, $r: String) { validateNeed(id: $id, reason: $r) "
        "{ status history { toStatus reason source } } }",
        {"id": need["id"], "r": "មេភូមិបានបញ្ជាក់"},
    )
    validated = body["data"]["validateNeed"]
    assert validated["status"] == "VALIDATED"
    assert validated["history"][-1] == {
        "toStatus": "validated",
        "reason": "មេភូមិបានបញ្ជាក់",
        "source": "council",
    }
    again = await council.execute(
        "mutation($id: ID!) { validateNeed(id: $id) { status } }", {"id": need["id"]}
    )
    assert again["errors"][0]["extensions"]["code"] == "need.transition_invalid"


async def test_merged_duplicates_keep_both_tracking_codes_working(
    facilitator: GraphQL, council: GraphQL
) -> None:
    first = await submit(facilitator, raisedBy=raiser())
    second = await submit(facilitator, raisedBy={"kind": "group", "people": 6, "women": 4})
    merge = "mutation($s: ID!, $m: ID!) { mergeNeeds(survivorId: $s, mergedId: $m) { id people } }"
    kept = (await council.execute(merge, {"s": first["id"], "m": second["id"]}))["data"]["mergeNeeds"]
    assert kept["people"] == 7
    anonymous = GraphQL(council.http.base_url.__str__())
    try:
        old = (await anonymous.execute(TRACK, {"c": second["trackingCode"]}))["data"]["needByTrackingCode"]
        assert old["status"] == "MERGED"
        assert old["mergedInto"]["trackingCode"] == first["trackingCode"]
        survivor = (await anonymous.execute(TRACK, {"c": first["trackingCode"]}))["data"][
            "needByTrackingCode"
        ]
        assert survivor["people"] == 7
    finally:
        await anonymous.close()
    merged_again = await council.execute(merge, {"s": first["id"], "m": second["id"]})
    assert merged_again["errors"][0]["extensions"]["code"] == "need.transition_invalid"


async def test_needs_of_different_communes_cannot_be_merged(facilitator: GraphQL, stack: Stack) -> None:
    malik = await submit(facilitator, "16010101")
    takeo = await submit(facilitator, "21010301")
    admin_like = GraphQL(stack.url)
    await admin_like.login("dara")
    try:
        body = await admin_like.execute(
            "mutation($s: ID!, $m: ID!) { mergeNeeds(survivorId: $s, mergedId: $m) { id } }",
            {"s": malik["id"], "m": takeo["id"]},
        )
        # dara cannot even see the Takeo need: another commune's need is "not found"
        assert body["errors"][0]["extensions"]["code"] == "need.not_found"
    finally:
        await admin_like.close()


async def test_a_malformed_tracking_code_gets_a_clear_error(stack: Stack) -> None:
    anonymous = GraphQL(stack.url, lang="en")
    try:
        for code in ("0000-000", "ABC", "../../needs", "ABCD-EFG'; DROP TABLE needs; --"):
            body = await anonymous.execute(TRACK, {"c": code})
            [error] = body["errors"]
            assert error["extensions"]["code"] == "need.tracking_code_invalid", (code, error)
            assert "ABCD-EFG" in error["message"]
    finally:
        await anonymous.close()


async def test_supporters_are_added_and_counted(facilitator: GraphQL, council: GraphQL) -> None:
    need = await submit(facilitator, raisedBy=raiser())
    support = "mutation($id: ID!, $p: PersonInput!) { supportNeed(id: $id, supporter: $p) { people } }"
    body = await facilitator.execute(
        support, {"id": need["id"], "p": {"kind": "group", "people": 30, "women": 18, "migrant": 9}}
    )
    assert body["data"]["supportNeed"]["people"] == 31
    seen = (await council.execute(GET_NEED, {"id": need["id"]}))["data"]["need"]
    counts = {g["group"]: g["count"] for g in seen["groups"]}
    assert counts["women"] == "19" and counts["migrant"] == "9"


async def test_filters_find_needs_by_village_sector_status_group_and_text(facilitator: GraphQL) -> None:
    marker = uuid.uuid4().hex[:8]
    need = await submit(
        facilitator,
        "16010104",
        description=f"អណ្តូងទឹក {marker}",
        sector="SOCIAL",
        needType="water",
        raisedBy=raiser(),
    )
    query = "query($f: NeedFilter) { needs(filter: $f, first: 50) { totalCount edges { node { id } } } }"
    for chosen in (
        {"text": marker},
        {
            "text": marker,
            "village": "16010104",
            "sector": "SOCIAL",
            "status": "SUBMITTED",
            "group": "disability",
        },
        {"text": marker, "mine": True},
    ):
        body = await facilitator.execute(query, {"f": chosen})
        assert [e["node"]["id"] for e in body["data"]["needs"]["edges"]] == [need["id"]], chosen
    none = await facilitator.execute(query, {"f": {"text": marker, "group": "migrant"}})
    assert none["data"]["needs"]["totalCount"] == 0


async def test_a_village_outside_the_callers_communes_is_refused_in_the_filter(facilitator: GraphQL) -> None:
    body = await facilitator.execute('{ needs(filter: {village: "01020101"}) { totalCount } }')
    assert body["errors"][0]["extensions"]["code"] == "auth.forbidden"


async def _publish(stack: Stack, payload: Any, event_type: str, commune: str) -> None:
    envelope = new_event(payload, event_type=event_type, source="/tests/fixtures", communecode=commune)
    nc = await nats.connect(stack.nats_url)
    try:
        await nc.jetstream().publish(
            envelope.nats_subject, envelope.to_bytes(), headers={"Nats-Msg-Id": envelope.id}
        )
    finally:
        await nc.close()


async def test_decisions_and_budget_events_move_needs_with_ranks_and_reasons(
    stack: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    needs = [await submit(facilitator) for _ in range(3)]
    now = datetime.now(UTC)
    decision = DecisionRecordedV1(
        decision_id=str(uuid.uuid4()),
        meeting_id="m1",
        commune_code="160101",
        kind=DecisionKind.PRIORITISATION,
        year=2027,
        needs=[RankedNeed(need_id=raw_id("Need", n["id"]), rank=i + 1) for i, n in enumerate(needs)],
        summary="អាទិភាពឆ្នាំ ២០២៧",
        decided_by="c1",
        decided_at=now,
    )
    await _publish(stack, decision, DECISION_RECORDED, "160101")

    async def prioritised() -> list[dict[str, Any]] | None:
        found = [(await council.execute(GET_NEED, {"id": n["id"]}))["data"]["need"] for n in needs]
        return found if all(f["status"] == "PRIORITISED" for f in found) else None

    ranked = await wait_for(prioritised)
    assert [(f["rank"], f["year"]) for f in ranked] == [(1, 2027), (2, 2027), (3, 2027)]
    assert ranked[0]["history"][-1]["source"] == "meetings"

    for status, need, reason in (
        (ProjectStatus.FUNDED, needs[0], None),
        (ProjectStatus.DEFERRED, needs[2], "ថវិកាត្រូវបានកាត់បន្ថយ COVID-19"),
    ):
        change = ProjectStatusChangedV1(
            project_id=str(uuid.uuid4()),
            commune_code="160101",
            year=2027,
            need_ids=[raw_id("Need", need["id"])],
            status=status,
            reason=reason,
            changed_by="clerk-1",
            changed_at=now,
        )
        await _publish(stack, change, PROJECT_STATUS_CHANGED, "160101")

    anonymous = GraphQL(stack.url)
    try:

        async def deferred() -> dict[str, Any] | None:
            seen = (await anonymous.execute(TRACK, {"c": needs[2]["trackingCode"]}))["data"][
                "needByTrackingCode"
            ]
            return seen if seen["status"] == "DEFERRED" else None

        public = await wait_for(deferred)
        assert public["statusReason"] == "ថវិកាត្រូវបានកាត់បន្ថយ COVID-19"
        funded = await wait_for(lambda: _status_is(anonymous, needs[0]["trackingCode"], "FUNDED"))
        assert funded
    finally:
        await anonymous.close()


async def _status_is(client: GraphQL, code: str, status: str) -> bool:
    body = await client.execute(TRACK, {"c": code})
    return bool(body["data"]["needByTrackingCode"]["status"] == status)


async def test_a_citizen_can_verify_only_a_completed_need(stack: Stack, facilitator: GraphQL) -> None:
    fields = {"villageCode": "16010101", "description": "ផ្លូវ", "idempotencyKey": uuid.uuid4().hex}
    made = await facilitator.execute(
        "mutation($i: SubmitNeedInput!) { submitNeed(input: $i) { trackingCode feedbackCode } }",
        {"i": fields},
    )
    need = made["data"]["submitNeed"]  # type: ignore[index]
    anonymous = GraphQL(stack.url, lang="en")
    try:
        body = await anonymous.execute(
            "mutation($c: String!, $f: String) "
            "{ recordNeedFeedback(trackingCode: $c, satisfied: true, feedbackCode: $f) { status } }",
            {"c": need["trackingCode"], "f": need["feedbackCode"]},
        )
        assert body["errors"][0]["extensions"]["code"] == "need.transition_invalid"
    finally:
        await anonymous.close()


async def test_a_repeat_submission_returns_the_first_need_even_after_intake_restarts(
    stack: Stack, facilitator: GraphQL
) -> None:
    need = {"villageCode": "21010303", "description": "ស្ពាន", "idempotencyKey": uuid.uuid4().hex}
    first = (await facilitator.execute(SUBMIT_NEED, {"i": need}))["data"]["submitNeed"]
    stack.restart("intake")
    again = (await facilitator.execute(SUBMIT_NEED, {"i": need}))["data"]["submitNeed"]
    assert again["id"] == first["id"] and again["trackingCode"] == first["trackingCode"]
