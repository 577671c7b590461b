"""Issue 20, part 2: a funded project goes through procurement, works started, completed and
handed over; its needs follow to completed; the people who raised them verify it (track page,
GraphQL, SMS keyword) and a facilitator-led community check scores it by group; the council and
the public see the results.

Driven through GraphQL and the pages on the real stack (nats-server, four services, gateway).
The CIP approval is published as meetings publishes it, and the SMS keyword as notify publishes
it after parsing (FeedbackMessageReceived); notify's own parsing and reply are tested against a
local SMS provider in test_verify_by_sms.py. Year 2063.
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from contracts.envelope import uuid7
from contracts.needs import ContactChannel, ContactPoint
from contracts.notify import FEEDBACK_MESSAGE_RECEIVED, FeedbackMessageReceivedV1, InboundChannel
from gateway.graphql.ids import raw_id
from infra.stack import Stack
from tests.conftest import GraphQL, wait_for
from tests.integration.test_budget_support import (
    ALLOCATE,
    CREATE_PROJECT,
    MALIK,
    SET_LINE,
    approve,
    approved_and_known,
    data,
    error_of,
)
from tests.integration.test_intake_needs import _publish
from tests.unit.test_stage_photos import GPS, png, png_chunk

YEAR = 2063
SUBMIT = "mutation($i: SubmitNeedInput!) { submitNeed(input: $i) { id trackingCode feedbackCode } }"
STAGE = (
    "mutation($i: SetProjectStageInput!) { setProjectStage(input: $i) "
    "{ id status stage nextStage stages { stage on note photoRef photoUrl } } }"
)
CHECK = (
    "mutation($i: RecordCommunityCheckInput!) { recordCommunityCheck(input: $i) { id verification { "
    "checks { participants scores { group participants built works used } } latestCheck { built works used } } } }"
)
FEEDBACK = (
    "mutation($c: String!, $f: String, $r: Int) { recordNeedFeedback(trackingCode: $c, satisfied: true, "
    "feedbackCode: $f, rating: $r) { status } }"
)
TRACK = "query($c: String!) { needByTrackingCode(code: $c) { status } }"
PROJECT = """query($id: ID!) { project(id: $id) { status stage verification {
  citizenAnswers citizenSatisfied citizenRating
  checks { scores { group participants built } }
} } }"""
TRANSPARENCY = """query($c: String!, $y: Int!) { transparency(communeCode: $c, year: $y) {
  fundedNeeds { stage status }
  implementation { title stage stages { stage }
    verification { citizenAnswers citizenSatisfied citizenRating
      checks { participants scores { group participants built works used } }
      latestCheck { built works used } } }
} }"""
PHONES = ("+85512400601", "+85512400602", "+85512400603")


async def _needs(facilitator: GraphQL) -> list[dict[str, Any]]:
    needs = []
    for i, phone in enumerate(PHONES):
        body = await facilitator.execute(
            SUBMIT,
            {
                "i": {
                    "villageCode": "16010103",
                    "description": f"អណ្តូងទឹកស្អាតសម្រាប់គ្រួសារព្នង {i + 1}",
                    "sector": "SOCIAL",
                    "idempotencyKey": uuid.uuid4().hex,
                    "raisedBy": {
                        "kind": "person",
                        "consent": "verbal",
                        "contactChannel": "sms",
                        "contactAddress": phone,
                        "contactLanguage": "km",
                    },
                }
            },
        )
        needs.append(data(body, "submitNeed"))
    return needs


async def _funded_project(stack: Stack, council: GraphQL, needs: list[dict[str, Any]]) -> str:
    decision = await approve(stack, MALIK, YEAR, [raw_id("Need", n["id"]) for n in needs])
    await approved_and_known(council, YEAR, decision, [n["id"] for n in needs])
    line = {"communeCode": MALIK, "year": YEAR, "kind": "LOCAL_DEVELOPMENT", "amount": "40000000"}
    data(await council.execute(SET_LINE, {"i": line}), "setBudgetLine")
    project = data(
        await council.execute(
            CREATE_PROJECT,
            {
                "i": {
                    "communeCode": MALIK,
                    "year": YEAR,
                    "title": "អណ្តូងទឹកស្អាត ភូមិកាចាញ",
                    "needIds": [n["id"] for n in needs],
                    "estimatedCost": "24000000",
                }
            },
        ),
        "createProject",
    )
    allocation = {"projectId": project["id"], "lineKind": "LOCAL_DEVELOPMENT", "amount": "24000000"}
    done = data(await council.execute(ALLOCATE, {"i": {**allocation, "decisionId": decision}}), "allocate")
    assert done["projectStatus"] == "FUNDED"
    return str(project["id"])


async def _statuses(client: GraphQL, needs: list[dict[str, Any]], wanted: str) -> bool:
    found = [
        data(await client.execute(TRACK, {"c": n["trackingCode"]}), "needByTrackingCode")["status"]
        for n in needs
    ]
    return all(s == wanted for s in found)


async def test_a_funded_project_is_built_completed_handed_over_and_verified_by_citizens_and_community(
    stack: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    needs = await _needs(facilitator)
    project_id = await _funded_project(stack, council, needs)
    today = (datetime.now(UTC) + timedelta(hours=7)).date()
    anonymous = GraphQL(stack.url)
    chief = GraphQL(stack.url, lang="en")
    await chief.login("bopha")
    try:
        # Out of order: refused with its code, in Khmer for Dara, in English for the chief.
        skip = {"projectId": project_id, "stage": "COMPLETED", "on": today.isoformat()}
        km = error_of(await council.execute(STAGE, {"i": skip}))
        assert km["code"] == "budget.stage_out_of_order" and "លទ្ធកម្ម" in km["message"], km
        en = error_of(await chief.execute(STAGE, {"i": skip}))
        assert en["code"] == "budget.stage_out_of_order" and "procurement" in en["message"], en
        by_facilitator = error_of(await facilitator.execute(STAGE, {"i": {**skip, "stage": "PROCUREMENT"}}))
        assert by_facilitator["code"] == "budget.not_allowed", by_facilitator
        early_check = {
            "projectId": project_id,
            "heldOn": today.isoformat(),
            "scores": [{"group": "all", "participants": 20, "built": 5, "works": 5, "used": 5}],
        }
        assert (
            error_of(await facilitator.execute(CHECK, {"i": early_check}))["code"] == "budget.check_too_early"
        )

        stages = [
            ("PROCUREMENT", "ក្រុមហ៊ុនសំណង់ ចំការ ឈ្នះការដេញថ្លៃ", None),
            ("WORKS_STARTED", None, "IMG_2063_0001.jpg"),
            ("COMPLETED", "អណ្តូងជម្រៅ ៤០ ម៉ែត្រ", None),
        ]
        for stage, note, photo in stages:
            body = {
                "projectId": project_id,
                "stage": stage,
                "on": today.isoformat(),
                "note": note,
                "photoRef": photo,
            }
            if stage == "WORKS_STARTED":
                # A photo that is not a JPEG or PNG is refused, and the stage is not recorded.
                gif = base64.b64encode(b"GIF89a" + bytes(30)).decode()
                refused = error_of(await chief.execute(STAGE, {"i": {**body, "photo": gif}}))
                assert refused["code"] == "budget.photo_type", refused
                # The phone's photo carries where it was taken; the public copy will not.
                body["photo"] = base64.b64encode(png(png_chunk(b"eXIf", b"MM\x00*" + GPS))).decode()
            project = data(await chief.execute(STAGE, {"i": body}), "setProjectStage")
            assert project["stage"] == stage
            if stage == "WORKS_STARTED":
                assert project["status"] == "IN_IMPLEMENTATION"
                await wait_for(lambda: _statuses(anonymous, needs, "IN_IMPLEMENTATION"))
        assert project["status"] == "COMPLETED" and project["nextStage"] == "HANDED_OVER"
        assert [s["note"] for s in project["stages"]] == [stages[0][1], None, stages[2][1]]
        assert project["stages"][1]["photoRef"] == "IMG_2063_0001.jpg"
        photo_url = project["stages"][1]["photoUrl"]
        assert photo_url and project["stages"][0]["photoUrl"] is None
        async with httpx.AsyncClient(base_url=stack.url) as web:
            served = await web.get(photo_url)  # anonymous, as the transparency page loads it
        assert served.status_code == 200 and served.headers["content-type"] == "image/png"
        assert served.headers["x-content-type-options"] == "nosniff"
        assert served.content == png() and GPS not in served.content
        await wait_for(lambda: _statuses(anonymous, needs, "COMPLETED"))

        # The track page shows where the works stand, in Khmer, and offers the rating form.
        async with httpx.AsyncClient(base_url=stack.url, headers={"accept-language": "km"}) as web:
            page = await web.get("/track", params={"code": needs[0]["trackingCode"]})
            assert page.status_code == 200
            assert "ការងារសាងសង់បានបញ្ចប់" in page.text and 'id="verify-form"' in page.text

            # Raiser 1 on the track page: a wrong code is refused in Khmer, the right one counts.
            wrong = "000000" if needs[0]["feedbackCode"] != "000000" else "111111"
            form = {"code": needs[0]["trackingCode"], "feedback_code": wrong, "rating": "4"}
            refused = await web.post("/track/verify", data=form)
            assert refused.status_code == 403 and 'id="verify-error"' in refused.text
            assert "លេខកូដមតិ" in refused.text
            thanked = await web.post(
                "/track/verify", data={**form, "feedback_code": needs[0]["feedbackCode"], "comment": "ទឹកស្អាត"}
            )
            assert thanked.status_code == 303 and "thanks=1" in thanked.headers["location"]
        await wait_for(lambda: _statuses(anonymous, needs[:1], "VERIFIED"))

        # Raiser 2 through GraphQL; before the fix a second answer hit need.transition_invalid.
        rated = await anonymous.execute(
            FEEDBACK, {"c": needs[1]["trackingCode"], "f": needs[1]["feedbackCode"], "r": 5}
        )
        assert data(rated, "recordNeedFeedback")["status"] == "VERIFIED"
        bad = await anonymous.execute(
            FEEDBACK, {"c": needs[1]["trackingCode"], "f": needs[1]["feedbackCode"], "r": 9}
        )
        assert error_of(bad)["code"] == "need.rating_invalid"

        # Raiser 3 by SMS keyword from the phone they gave, as notify publishes it after parsing.
        sms = FeedbackMessageReceivedV1(
            message_id=uuid7(),
            commune_code=MALIK,
            channel=InboundChannel.SMS,
            sender=ContactPoint(channel=ContactChannel.SMS, address=PHONES[2], language="km"),
            tracking_code=needs[2]["trackingCode"],
            rating=2,
            received_at=datetime.now(UTC),
        )
        # And a stranger's message with no feedback code, which must not count.
        stranger = sms.model_copy(
            update={
                "message_id": uuid7(),
                "sender": ContactPoint(channel=ContactChannel.SMS, address="+85599000111", language="km"),
                "rating": 1,
            }
        )
        await _publish(stack, stranger, FEEDBACK_MESSAGE_RECEIVED, MALIK)
        await _publish(stack, sms, FEEDBACK_MESSAGE_RECEIVED, MALIK)
        await wait_for(lambda: _statuses(anonymous, needs, "VERIFIED"))

        # Guessing a feedback code by SMS counts towards the same lock as the track page's.
        wrong_code = "000000" if needs[0]["feedbackCode"] != "000000" else "111111"
        for _ in range(5):
            guess = stranger.model_copy(
                update={
                    "message_id": uuid7(),
                    "tracking_code": needs[0]["trackingCode"],
                    "feedback_code": wrong_code,
                }
            )
            await _publish(stack, guess, FEEDBACK_MESSAGE_RECEIVED, MALIK)

        async def locked() -> bool:
            # The right code and the same rating as before: harmless until the lock holds.
            again = {"c": needs[0]["trackingCode"], "f": needs[0]["feedbackCode"], "r": 4}
            body = await anonymous.execute(FEEDBACK, again)
            return bool(body.get("errors")) and error_of(body)["code"] == "need.feedback_locked"

        await wait_for(locked, interval=0.3)

        # A facilitator-led community check, answers by group (3 people with disabilities).
        check = {
            "projectId": project_id,
            "heldOn": today.isoformat(),
            "scores": [
                {"group": "all", "participants": 41, "built": 5, "works": 4, "used": 4},
                {"group": "women", "participants": 23, "built": 5, "works": 3, "used": 4},
                {"group": "indigenous", "participants": 30, "built": 5, "works": 4, "used": 5},
                {"group": "disability", "participants": 3, "built": 4, "works": 2, "used": 1},
            ],
            "note": "ស្ត្រីនិយាយថា ស្នប់ដៃពិបាកប្រើ",
        }
        bad_group = {**check, "scores": [{**check["scores"][0], "group": "martians"}]}  # type: ignore[index]
        assert (
            error_of(await facilitator.execute(CHECK, {"i": bad_group}))["code"]
            == "budget.check_group_unknown"
        )
        recorded = data(await facilitator.execute(CHECK, {"i": check}), "recordCommunityCheck")
        assert recorded["verification"]["latestCheck"]["built"] > 4.5

        data(
            await chief.execute(
                STAGE, {"i": {"projectId": project_id, "stage": "HANDED_OVER", "on": today.isoformat()}}
            ),
            "setProjectStage",
        )

        async def summary() -> dict[str, Any] | None:
            found = data(await council.execute(PROJECT, {"id": project_id}), "project")
            return found if found["verification"]["citizenAnswers"] == 3 else None

        council_view = await wait_for(summary)
        assert council_view["stage"] == "HANDED_OVER" and council_view["status"] == "COMPLETED"
        verification = council_view["verification"]
        assert verification["citizenSatisfied"] == 2  # 4 and 5 satisfied; 2 not; the stranger's 1 not counted
        assert verification["citizenRating"] == round((4 + 5 + 2) / 3, 1)
        disability = next(s for s in verification["checks"][0]["scores"] if s["group"] == "disability")
        assert disability == {
            "group": "disability",
            "participants": 3,
            "built": 4,
        }  # the council sees small counts

        public = data(await anonymous.execute(TRANSPARENCY, {"c": MALIK, "y": YEAR}), "transparency")
        [works] = public["implementation"]
        assert works["stage"] == "HANDED_OVER"
        assert [s["stage"] for s in works["stages"]] == [
            "PROCUREMENT",
            "WORKS_STARTED",
            "COMPLETED",
            "HANDED_OVER",
        ]
        assert works["verification"]["citizenAnswers"] == 3
        hidden = next(s for s in works["verification"]["checks"][0]["scores"] if s["group"] == "disability")
        assert hidden == {
            "group": "disability",
            "participants": None,
            "built": None,
            "works": None,
            "used": None,
        }
        assert {n["stage"] for n in public["fundedNeeds"]} == {"HANDED_OVER"}

        async with httpx.AsyncClient(base_url=stack.url, headers={"accept-language": "km"}) as web:
            page = await web.get(f"/communes/{MALIK}/budget/{YEAR}")
            assert page.status_code == 200
            assert "អ្វីដែលបានសាងសង់ និងអ្វីដែលប្រជាជននិយាយ" in page.text
            assert "បានប្រគល់ជូនសហគមន៍" in page.text and "ពិន្ទុមធ្យម" in page.text
            assert f'src="{photo_url}"' in page.text
            assert 'data-group="disability"' in page.text and "&lt;៥" in page.text  # "<5" in Khmer digits
    finally:
        await anonymous.close()
        await chief.close()
