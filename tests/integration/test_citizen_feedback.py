"""Citizen feedback proves it comes from the citizen: the tracking code is widely known (the
transparency page used to publish it), so anonymous feedback needs the need's feedback code,
given once at submission; wrong codes lock it after five tries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from contracts.budget import PROJECT_STATUS_CHANGED, ProjectStatus, ProjectStatusChangedV1
from contracts.meetings import DECISION_RECORDED, DecisionKind, DecisionRecordedV1, RankedNeed
from gateway.graphql.ids import raw_id
from infra.stack import Stack
from tests.conftest import GraphQL, wait_for
from tests.integration.test_intake_needs import _publish

SUBMIT = "mutation($i: SubmitNeedInput!) { submitNeed(input: $i) { id trackingCode feedbackCode status } }"
FEEDBACK = (
    "mutation($c: String!, $f: String) { recordNeedFeedback(trackingCode: $c, satisfied: true, "
    'comment: "ល្អ", feedbackCode: $f) { status } }'
)
TRACK = "query($c: String!) { needByTrackingCode(code: $c) { status } }"


async def _completed(stack: Stack, facilitator: GraphQL) -> list[dict[str, Any]]:
    """Two needs taken to COMPLETED through the events meetings and budget publish."""
    needs = []
    for _ in range(2):
        body = await facilitator.execute(
            SUBMIT,
            {
                "i": {
                    "villageCode": "16010101",
                    "description": "អណ្តូង",
                    "sector": "SOCIAL",
                    "idempotencyKey": uuid.uuid4().hex,
                }
            },
        )
        needs.append(body["data"]["submitNeed"])  # type: ignore[index]
    ids = [raw_id("Need", n["id"]) for n in needs]
    now = datetime.now(UTC)
    decision = DecisionRecordedV1(
        decision_id=str(uuid.uuid4()),
        meeting_id="m-feedback",
        commune_code="160101",
        kind=DecisionKind.PRIORITISATION,
        year=2027,
        needs=[RankedNeed(need_id=n, rank=i + 1) for i, n in enumerate(ids)],
        summary=None,
        decided_by="c1",
        decided_at=now,
    )
    await _publish(stack, decision, DECISION_RECORDED, "160101")
    anonymous = GraphQL(stack.url)

    async def status_of(status: str) -> bool:
        found = [
            (await anonymous.execute(TRACK, {"c": n["trackingCode"]}))["data"]["needByTrackingCode"]["status"]
            for n in needs
        ]  # type: ignore[index]
        return all(s == status for s in found)

    try:
        await wait_for(lambda: status_of("PRIORITISED"))
        for status in (ProjectStatus.FUNDED, ProjectStatus.IN_IMPLEMENTATION, ProjectStatus.COMPLETED):
            change = ProjectStatusChangedV1(
                project_id="p-feedback-" + needs[0]["id"][-6:],
                commune_code="160101",
                year=2027,
                need_ids=ids,
                status=status,
                reason=None,
                changed_by="clerk-1",
                changed_at=datetime.now(UTC),
            )
            await _publish(stack, change, PROJECT_STATUS_CHANGED, "160101")
        await wait_for(lambda: status_of("COMPLETED"))
    finally:
        await anonymous.close()
    return needs


async def test_anonymous_feedback_needs_the_citizens_feedback_code(
    stack: Stack, facilitator: GraphQL
) -> None:
    first, second = await _completed(stack, facilitator)
    assert first["feedbackCode"] and len(first["feedbackCode"]) == 6 and first["feedbackCode"].isdigit()
    anonymous = GraphQL(stack.url, lang="en")
    try:
        for code in (None, "", "000000" if first["feedbackCode"] != "000000" else "111111"):
            body = await anonymous.execute(FEEDBACK, {"c": first["trackingCode"], "f": code})
            assert body["errors"][0]["extensions"]["code"] == "need.feedback_code_invalid", body  # type: ignore[index]
            assert body["errors"][0]["extensions"]["field"] == "feedbackCode"  # type: ignore[index]
        done = await anonymous.execute(FEEDBACK, {"c": first["trackingCode"], "f": first["feedbackCode"]})
        assert done["data"]["recordNeedFeedback"]["status"] == "VERIFIED", done  # type: ignore[index]

        wrong = "123456" if second["feedbackCode"] != "123456" else "654321"
        codes = [
            (await anonymous.execute(FEEDBACK, {"c": second["trackingCode"], "f": wrong}))["errors"][0][
                "extensions"
            ]["code"]  # type: ignore[index]
            for _ in range(6)
        ]
        assert codes == ["need.feedback_code_invalid"] * 5 + ["need.feedback_locked"], codes
        locked = await anonymous.execute(FEEDBACK, {"c": second["trackingCode"], "f": second["feedbackCode"]})
        assert locked["errors"][0]["extensions"]["code"] == "need.feedback_locked", locked  # type: ignore[index]
        status = await anonymous.execute(TRACK, {"c": second["trackingCode"]})
        assert status["data"]["needByTrackingCode"]["status"] == "COMPLETED"  # type: ignore[index]
    finally:
        await anonymous.close()


async def test_the_feedback_code_is_shown_once(facilitator: GraphQL, council: GraphQL) -> None:
    need = {"villageCode": "16010101", "description": "ផ្លូវ", "idempotencyKey": uuid.uuid4().hex}
    first = (await facilitator.execute(SUBMIT, {"i": need}))["data"]["submitNeed"]  # type: ignore[index]
    assert first["feedbackCode"]
    again = await council.execute("query($id: ID!) { need(id: $id) { feedbackCode } }", {"id": first["id"]})
    assert again["data"]["need"]["feedbackCode"] is None  # type: ignore[index]
