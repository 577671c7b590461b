"""Issue 20, messages worth reading: the council says when a project is expected, and the funded
message names the project, its riel and that month, by SMS in Khmer and by Telegram in English.

Through GraphQL and the pages on the real stack (nats-server, the services, gateway), with notify
sending to a local SMS provider and a local Telegram Bot API (test_notify_exchange's peers).
A month that is not one, or is before the project's year, is refused with its code and nothing
is stored. The public transparency page shows the month, in Khmer with the Khmer month name.
Year 2071.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from gateway.graphql.ids import raw_id
from gateway.i18n import LANG_COOKIE
from infra.stack import Stack
from tests.conftest import GraphQL, wait_for
from tests.integration import test_notify_exchange as exchange
from tests.integration.test_budget_support import (
    ALLOCATE,
    MALIK,
    SET_LINE,
    approve,
    approved_and_known,
    budget_of,
    data,
    error_of,
)

peers = exchange.peers  # the module's local SMS provider and Telegram API, notify sending to them

YEAR = 2071
TITLE = "អណ្តូងស្នប់ភូមិកាតែ"
PHONE = "+85512771071"
CHAT = 7_100_071
SUBMIT = "mutation($i: SubmitNeedInput!) { submitNeed(input: $i) { id trackingCode } }"
CREATE = "mutation($i: CreateProjectInput!) { createProject(input: $i) { id expectedMonth } }"
SET_MONTH = (
    "mutation($i: SetProjectExpectedMonthInput!) { setProjectExpectedMonth(input: $i) { id expectedMonth } }"
)
PROJECT = "query($id: ID!) { project(id: $id) { expectedMonth status } }"
TRANSPARENCY = (
    "query($c: String!, $y: Int!) { transparency(communeCode: $c, year: $y) "
    "{ fundedNeeds { projectTitle expectedMonth } } }"
)


async def _need(facilitator: GraphQL, channel: str, address: str, language: str) -> dict[str, Any]:
    body = await facilitator.execute(
        SUBMIT,
        {
            "i": {
                "villageCode": "16010102",
                "description": "អណ្តូងទឹកស្អាតសម្រាប់ភូមិកាតែ",
                "sector": "SOCIAL",
                "idempotencyKey": uuid.uuid4().hex,
                "raisedBy": {
                    "consent": "verbal",
                    "contactChannel": channel,
                    "contactAddress": address,
                    "contactLanguage": language,
                },
            }
        },
    )
    need: dict[str, Any] = data(body, "submitNeed")
    return need


async def test_the_funded_message_names_the_project_its_riel_and_the_expected_month(
    stack: Stack, peers: exchange.Peers, facilitator: GraphQL, council: GraphQL
) -> None:
    by_sms = await _need(facilitator, "sms", PHONE, "km")
    by_telegram = await _need(facilitator, "telegram", str(CHAT), "en")
    needs = [by_sms, by_telegram]
    decision = await approve(stack, MALIK, YEAR, [raw_id("Need", n["id"]) for n in needs])
    await approved_and_known(council, YEAR, decision, [n["id"] for n in needs])
    line = {"communeCode": MALIK, "year": YEAR, "kind": "LOCAL_DEVELOPMENT", "amount": "40000000"}
    data(await council.execute(SET_LINE, {"i": line}), "setBudgetLine")
    project = {
        "communeCode": MALIK,
        "year": YEAR,
        "title": TITLE,
        "needIds": [n["id"] for n in needs],
        "estimatedCost": "24000000",
    }

    # Before the CIP year, or not a month: refused with its code, in Khmer, and nothing is stored.
    early = error_of(await council.execute(CREATE, {"i": {**project, "expectedMonth": "២០៧០-១២"}}))
    assert early["code"] == "budget.expected_month_before_year" and early["field"] == "expectedMonth"
    assert "២០៧១" in early["message"] or "2071" in early["message"], early
    assert error_of(await council.execute(CREATE, {"i": {**project, "expectedMonth": "2071-13"}}))[
        "code"
    ] == ("budget.expected_month_invalid")
    assert (await budget_of(council, YEAR))["projects"] == []

    created = data(await council.execute(CREATE, {"i": project}), "createProject")
    assert created["expectedMonth"] is None
    bad = error_of(
        await council.execute(SET_MONTH, {"i": {"projectId": created["id"], "expectedMonth": "ខែប្រាំមួយ"}})
    )
    assert bad["code"] == "budget.expected_month_invalid", bad
    assert data(await council.execute(PROJECT, {"id": created["id"]}), "project")["expectedMonth"] is None
    refused = error_of(
        await facilitator.execute(SET_MONTH, {"i": {"projectId": created["id"], "expectedMonth": "2071-06"}})
    )
    assert refused["code"] == "budget.not_allowed"
    done = data(
        await council.execute(SET_MONTH, {"i": {"projectId": created["id"], "expectedMonth": "២០៧១-០៦"}}),
        "setProjectExpectedMonth",
    )
    assert done["expectedMonth"] == "2071-06"  # Khmer digits in, ASCII kept

    allocation = {"projectId": created["id"], "lineKind": "LOCAL_DEVELOPMENT", "amount": "24000000"}
    assert (
        data(await council.execute(ALLOCATE, {"i": {**allocation, "decisionId": decision}}), "allocate")[
            "projectStatus"
        ]
        == "FUNDED"
    )

    async def sms_funded() -> str | None:
        texts = [str(m["text"]) for m in peers.sms.to(PHONE)]
        return next((t for t in texts if "ទទួលបានថវិកា" in t), None)

    async def telegram_funded() -> str | None:
        texts = [str(m["text"]) for m in peers.telegram.to(CHAT)]
        return next((t for t in texts if "funded" in t), None)

    km = await wait_for(sms_funded)
    assert TITLE in km and "២៤,០០០,០០០ រៀល" in km and "ខែមិថុនា ឆ្នាំ២០៧១" in km, km
    en = await wait_for(telegram_funded)
    assert TITLE in en and "24,000,000 riel" in en and "June 2071" in en, en

    # The public sees it: GraphQL, and the transparency page in Khmer (Khmer month name) and English.
    anonymous = GraphQL(stack.url)
    try:
        public = data(await anonymous.execute(TRANSPARENCY, {"c": MALIK, "y": YEAR}), "transparency")
    finally:
        await anonymous.close()
    assert {n["expectedMonth"] for n in public["fundedNeeds"]} == {"2071-06"}
    async with httpx.AsyncClient(base_url=stack.url) as web:
        page = await web.get(f"/communes/{MALIK}/budget/{YEAR}")
        assert page.status_code == 200 and "ខែមិថុនា ឆ្នាំ២០៧១" in page.text
    async with httpx.AsyncClient(base_url=stack.url, cookies={LANG_COOKIE: "en"}) as web:
        english = await web.get(f"/communes/{MALIK}/budget/{YEAR}")
        assert "June 2071" in english.text

    # The council's project page shows the month and offers a month input to change it.
    own = await council.http.get(f"/budget/projects/{raw_id('Project', created['id'])}")
    assert own.status_code == 200 and "ខែមិថុនា ឆ្នាំ២០៧១" in own.text
    assert 'type="month"' in own.text and 'value="2071-06"' in own.text

    # Its form: a month before the year is refused on the page, in Khmer, and the month stays.
    assert council.csrf is not None
    path = f"/budget/projects/{raw_id('Project', created['id'])}/expected-month"
    form = await council.http.post(path, data={"csrf_token": council.csrf, "expected_month": "2070-06"})
    assert form.status_code == 422 and "ខែរំពឹងទុក" in form.text, form.text[:300]
    assert (
        data(await council.execute(PROJECT, {"id": created["id"]}), "project")["expectedMonth"] == "2071-06"
    )
    moved = await council.http.post(path, data={"csrf_token": council.csrf, "expected_month": "2071-09"})
    assert moved.status_code == 303
    assert (
        data(await council.execute(PROJECT, {"id": created["id"]}), "project")["expectedMonth"] == "2071-09"
    )
