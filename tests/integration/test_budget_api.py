"""The budget over GraphQL on the real stack (nats-server, services and gateway as processes).

Needs come from intake (submitNeed), the CIP approval as meetings' DecisionRecorded event;
budget learns both from the bus. Each test uses a fiscal year of its own (2031 to 2039).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from contracts.budget import ALLOCATION_MADE, BUDGET_REVISED, EXPENDITURE_RECORDED, PROJECT_STATUS_CHANGED
from contracts.meetings import DecisionKind
from infra.stack import Stack
from services.runtime.identity import PUBLIC_IDENTITY_ID, Identity, Role
from services.runtime.tokens import issue_token
from tests.conftest import GraphQL, wait_for
from tests.integration.test_budget_support import (
    ALLOCATE,
    CREATE_PROJECT,
    DECIDE,
    MALIK,
    RECORD,
    RELEASE,
    REVISE,
    SET_LINE,
    approve,
    approved_and_known,
    budget_of,
    data,
    error_of,
    events_for_year,
    submit_needs,
)

ANY_EVENT = "khum.budget.*.v1"
CUT = "ការផ្ទេរថវិកាជាតិត្រូវបានកាត់បន្ថយ ដោយសារកូវីដ-១៩ (national transfer cut, COVID-19)"


@pytest.fixture
async def english_council(stack: Stack) -> AsyncIterator[GraphQL]:
    client = GraphQL(stack.url, lang="en")
    await client.login("dara")
    yield client
    await client.close()


async def _funded_year(
    stack: Stack, facilitator: GraphQL, council: GraphQL, year: int, n: int = 3, line: str = "9000000000"
) -> tuple[list[dict[str, object]], list[dict[str, object]], str]:
    """A local-development line split equally among n projects ranked 1..n, one need each."""
    needs = await submit_needs(facilitator, [f"អណ្តូងទឹកស្អាត លេខ {i + 1} ({year})" for i in range(n)])
    decision = await approve(stack, MALIK, year, [str(need["need_id"]) for need in needs])
    await approved_and_known(council, year, decision, [str(need["id"]) for need in needs])
    data(
        await council.execute(
            SET_LINE, {"i": {"communeCode": MALIK, "year": year, "kind": "LOCAL_DEVELOPMENT", "amount": line}}
        ),
        "setBudgetLine",
    )
    share = int(line) // n
    projects = []
    for i, need in enumerate(needs):
        project = data(
            await council.execute(
                CREATE_PROJECT,
                {
                    "i": {
                        "communeCode": MALIK,
                        "year": year,
                        "title": f"Well {i + 1}",
                        "needIds": [need["id"]],
                        "estimatedCost": str(share),
                    }
                },
            ),
            "createProject",
        )
        data(
            await council.execute(
                ALLOCATE,
                {
                    "i": {
                        "projectId": project["id"],
                        "lineKind": "LOCAL_DEVELOPMENT",
                        "amount": str(share),
                        "decisionId": decision,
                    }
                },
            ),
            "allocate",
        )
        projects.append(project)
    return needs, projects, decision


async def test_a_council_funds_approved_needs_in_amounts_beyond_32_bits(
    stack: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    year = 2031
    needs, projects, decision = await _funded_year(stack, facilitator, council, year, n=2, line="9000000000")
    budget = await budget_of(council, year)
    [line] = budget["lines"]
    assert line == {
        "kind": "LOCAL_DEVELOPMENT",
        "amount": "9000000000",
        "allocated": "9000000000",
        "committed": "0",
        "paid": "0",
        "unallocated": "0",
        "shortfall": "0",
        "remaining": "9000000000",
    }
    assert [p["status"] for p in budget["projects"]] == ["FUNDED", "FUNDED"]
    assert [p["rank"] for p in budget["projects"]] == [1, 2]
    assert {n["projectId"] for n in budget["approvedNeeds"]} == {p["id"] for p in projects}

    async def published() -> list[dict[str, object]] | None:
        found = await events_for_year(stack, PROJECT_STATUS_CHANGED, year)
        funded = [e for e in found if e["data"]["status"] == "funded"]
        return funded if len(funded) == 2 else None

    funded = await wait_for(published)
    assert sorted(e["data"]["need_ids"][0] for e in funded) == sorted(str(n["need_id"]) for n in needs)
    made = await events_for_year(stack, ALLOCATION_MADE, year)
    assert [e["data"]["amount"] for e in made] == [4_500_000_000, 4_500_000_000]
    assert {e["data"]["decision_id"] for e in made} == {decision}
    assert {e["communecode"] for e in made} == {MALIK}


async def test_a_two_thirds_cut_puts_the_lowest_ranked_at_risk_and_a_deferral_tells_why(
    stack: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    year = 2032
    needs, projects, _ = await _funded_year(stack, facilitator, council, year, n=3, line="30000000")
    revision = data(
        await council.execute(
            REVISE,
            {
                "i": {
                    "communeCode": MALIK,
                    "year": year,
                    "kind": "LOCAL_DEVELOPMENT",
                    "amount": "10000000",
                    "reason": CUT,
                }
            },
        ),
        "reviseBudgetLine",
    )
    assert revision["uncovered"] == "20000000"
    assert sorted(revision["atRiskProjectIds"]) == sorted([projects[1]["id"], projects[2]["id"]])
    assert revision["line"] == {"kind": "LOCAL_DEVELOPMENT", "amount": "10000000", "shortfall": "20000000"}
    budget = await budget_of(council, year)
    assert [(p["status"], p["statusReason"]) for p in budget["projects"]] == [
        ("FUNDED", None),
        ("AT_RISK", CUT),
        ("AT_RISK", CUT),
    ]
    for project in projects[1:]:
        decided = data(
            await council.execute(
                DECIDE, {"i": {"projectId": project["id"], "decision": "DEFER", "reason": CUT}}
            ),
            "decideProject",
        )
        assert (decided["status"], decided["statusReason"], decided["allocated"]) == ("DEFERRED", CUT, "0")
    budget = await budget_of(council, year)
    assert budget["lines"][0]["shortfall"] == "0"
    assert budget["lines"][0]["allocated"] == "10000000"

    async def deferred() -> list[dict[str, object]] | None:
        found = [
            e
            for e in await events_for_year(stack, PROJECT_STATUS_CHANGED, year)
            if e["data"]["status"] == "deferred"
        ]
        return found if len(found) == 2 else None

    events = await wait_for(deferred)
    assert {e["data"]["need_ids"][0] for e in events} == {str(needs[1]["need_id"]), str(needs[2]["need_id"])}
    assert {e["data"]["reason"] for e in events} == {CUT}
    assert {e["data"]["previous"] for e in events} == {"at_risk"}


async def test_reducing_an_at_risk_project_leaves_it_partly_funded(
    stack: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    year = 2033
    await _funded_year(stack, facilitator, council, year, n=2, line="2000000")
    await council.execute(
        REVISE,
        {
            "i": {
                "communeCode": MALIK,
                "year": year,
                "kind": "LOCAL_DEVELOPMENT",
                "amount": "1500000",
                "reason": CUT,
            }
        },
    )
    budget = await budget_of(council, year)
    at_risk = budget["projects"][1]
    assert at_risk["status"] == "AT_RISK"
    released = data(
        await council.execute(
            RELEASE,
            {
                "i": {
                    "allocationId": at_risk["allocations"][0]["id"],
                    "amount": "500,000",
                    "reason": "ស្រះតូចជាងមុន",
                }
            },
        ),
        "releaseAllocation",
    )
    assert (released["amount"], released["released"], released["projectStatus"]) == (
        "500000",
        "500000",
        "PARTLY_FUNDED",
    )


async def test_the_ledger_is_append_only_and_corrected_by_reversal(
    stack: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    year = 2034
    _, projects, _ = await _funded_year(stack, facilitator, council, year, n=1, line="8000000")
    allocation = (await budget_of(council, year))["projects"][0]["allocations"][0]["id"]
    entry = {
        "idempotencyKey": uuid.uuid4().hex,
        "allocationId": allocation,
        "stage": "COMMITTED",
        "amount": "5000000",
        "payee": "ក្រុមហ៊ុនសំណង់ សុខា",
        "reference": "CT-2034-001",
        "spentOn": "2034-03-15",
    }
    committed = data(await council.execute(RECORD, {"i": entry}), "recordExpenditure")
    again = data(await council.execute(RECORD, {"i": entry}), "recordExpenditure")
    assert again["id"] == committed["id"]  # a retry is not a second entry
    edit = error_of(await council.execute(RECORD, {"i": {**entry, "amount": "4000000"}}))
    assert edit["code"] == "budget.entry_immutable"
    paid = data(
        await council.execute(
            RECORD, {"i": {**entry, "idempotencyKey": uuid.uuid4().hex, "stage": "PAID", "amount": "2000000"}}
        ),
        "recordExpenditure",
    )
    reversal = data(
        await council.execute(
            RECORD, {"i": {"idempotencyKey": uuid.uuid4().hex, "reverses": paid["id"], "reason": "បង់ខុសចំនួន"}}
        ),
        "recordExpenditure",
    )
    assert (reversal["amount"], reversal["reverses"], reversal["stage"]) == ("-2000000", paid["id"], "PAID")
    twice = error_of(
        await council.execute(
            RECORD, {"i": {"idempotencyKey": uuid.uuid4().hex, "reverses": paid["id"], "reason": "again"}}
        )
    )
    assert twice["code"] == "budget.entry_already_reversed"
    line = (await budget_of(council, year))["lines"][0]
    assert (line["committed"], line["paid"], line["remaining"]) == ("5000000", "0", "8000000")

    project = await council.execute(
        "query($id: ID!) { project(id: $id) { expenditures { id amount reverses } } }",
        {"id": projects[0]["id"]},
    )
    amounts = [e["amount"] for e in data(project, "project")["expenditures"]]
    assert amounts == ["5000000", "2000000", "-2000000"]

    async def all_published() -> bool:
        return len(await events_for_year(stack, EXPENDITURE_RECORDED, year)) == 3

    await wait_for(all_published)
    token = issue_token(Identity("clerk", Role.CLERK, (MALIK,)), stack.secrets["identity"])
    async with httpx.AsyncClient(base_url=stack.processes["budget"].url or "") as http:
        for method in ("PATCH", "PUT", "DELETE"):
            response = await http.request(
                method,
                f"/expenditures/{committed['id']}",
                json={"amount": 1},
                headers={"authorization": f"Bearer {token}", "accept-language": "en"},
            )
            assert response.status_code == 409
            assert response.json()["error"]["code"] == "budget.entry_immutable"


async def test_spending_past_an_allocation_needs_an_explicit_overrun(
    stack: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    year = 2035
    await _funded_year(stack, facilitator, council, year, n=1, line="1000000")
    allocation = (await budget_of(council, year))["projects"][0]["allocations"][0]["id"]
    entry = {
        "allocationId": allocation,
        "stage": "COMMITTED",
        "amount": "1000001",
        "payee": "Sokha Construction",
        "reference": "CT-1",
        "spentOn": "2035-06-01",
    }
    refused = error_of(await council.execute(RECORD, {"i": {**entry, "idempotencyKey": uuid.uuid4().hex}}))
    assert (refused["code"], refused["field"]) == ("budget.overspend", "amount")
    recorded = data(
        await council.execute(
            RECORD, {"i": {**entry, "idempotencyKey": uuid.uuid4().hex, "overrunReason": "តម្លៃស៊ីម៉ងត៍ឡើង"}}
        ),
        "recordExpenditure",
    )
    assert recorded["overrunReason"] == "តម្លៃស៊ីម៉ងត៍ឡើង"


BAD_INPUT = [
    pytest.param(
        SET_LINE,
        {"kind": "CCWC", "amount": "-5"},
        "budget.amount_negative",
        "amount",
        "cannot be negative",
        id="negative",
    ),
    pytest.param(
        SET_LINE,
        {"kind": "CCWC", "amount": "1500.50"},
        "budget.amount_not_whole",
        "amount",
        "whole riel",
        id="fraction-text",
    ),
    pytest.param(
        SET_LINE,
        {"kind": "CCWC", "amount": 1500.5},
        "budget.amount_not_whole",
        "amount",
        "whole riel",
        id="fraction-number",
    ),
    pytest.param(
        SET_LINE,
        {"kind": "CCWC", "amount": "lots"},
        "budget.amount_invalid",
        "amount",
        "as digits",
        id="not-a-number",
    ),
    pytest.param(
        SET_LINE,
        {"kind": "LOCAL_DEVELOPMENT", "amount": "1"},
        "budget.line_already_set",
        "amount",
        "revise it",
        id="set-twice",
    ),
    pytest.param(
        REVISE,
        {"kind": "LOCAL_DEVELOPMENT", "amount": "1", "reason": "  "},
        "budget.reason_required",
        "reason",
        "give a reason",
        id="revision-without-reason",
    ),
    pytest.param(
        REVISE,
        {"kind": "LOCAL_DEVELOPMENT", "amount": "1"},
        "budget.reason_required",
        "reason",
        "give a reason",
        id="revision-reason-missing",
    ),
    pytest.param(
        REVISE,
        {"kind": "OWN_REVENUE", "amount": "1", "reason": "x"},
        "budget.line_unknown",
        "lineKind",
        "not set",
        id="unknown-line",
    ),
]


@pytest.mark.parametrize(("mutation", "fields", "code", "field", "english"), BAD_INPUT)
async def test_bad_budget_input_is_refused_and_nothing_changes_or_is_published(
    stack: Stack,
    facilitator: GraphQL,
    english_council: GraphQL,
    mutation: str,
    fields: dict[str, object],
    code: str,
    field: str,
    english: str,
) -> None:
    year = 2036
    budget = await budget_of(english_council, year)
    if not budget["lines"]:
        data(
            await english_council.execute(
                SET_LINE,
                {"i": {"communeCode": MALIK, "year": year, "kind": "LOCAL_DEVELOPMENT", "amount": "1000"}},
            ),
            "setBudgetLine",
        )
        budget = await budget_of(english_council, year)
    events_before = await events_for_year(stack, ANY_EVENT, year)
    refused = error_of(
        await english_council.execute(mutation, {"i": {"communeCode": MALIK, "year": year, **fields}})
    )
    assert (refused["code"], refused["field"]) == (code, field)
    assert english in refused["message"]
    assert await budget_of(english_council, year) == budget
    # The outbox publishes in commit order: had the refusal published anything, it would come
    # before the event of this next, good command.
    amount = int(budget["lines"][0]["amount"]) + 1
    marker = {
        "communeCode": MALIK,
        "year": year,
        "kind": "LOCAL_DEVELOPMENT",
        "amount": str(amount),
        "reason": "marker",
    }
    data(await english_council.execute(REVISE, {"i": marker}), "reviseBudgetLine")

    async def marker_published() -> list[dict[str, object]] | None:
        found = await events_for_year(stack, ANY_EVENT, year)
        return found if len(found) > len(events_before) else None

    after = await wait_for(marker_published)
    assert [e["type"] for e in after[len(events_before) :]] == [BUDGET_REVISED]


async def test_refusals_are_in_khmer_by_default(council: GraphQL) -> None:
    refused = error_of(
        await council.execute(
            SET_LINE, {"i": {"communeCode": MALIK, "year": 2037, "kind": "CCWC", "amount": "12.5"}}
        )
    )
    assert refused["code"] == "budget.amount_not_whole"
    assert refused["message"] == "ចំនួនទឹកប្រាក់ត្រូវជារៀលគត់ គ្មានខ្ទង់ទសភាគទេ។"


async def test_allocating_more_than_a_line_has_is_refused_with_what_is_left(
    stack: Stack, facilitator: GraphQL, english_council: GraphQL
) -> None:
    year = 2037
    needs = await submit_needs(facilitator, ["ស្ពានឈើ", "ផ្លូវលំ"])
    ids = [str(n["id"]) for n in needs]
    decision = await approve(stack, MALIK, year, [str(n["need_id"]) for n in needs])
    await approved_and_known(english_council, year, decision, ids)
    await english_council.execute(
        SET_LINE,
        {"i": {"communeCode": MALIK, "year": year, "kind": "LOCAL_DEVELOPMENT", "amount": "3000000"}},
    )
    project = data(
        await english_council.execute(
            CREATE_PROJECT,
            {
                "i": {
                    "communeCode": MALIK,
                    "year": year,
                    "title": "Bridge",
                    "needIds": ids[:1],
                    "estimatedCost": "5000000",
                }
            },
        ),
        "createProject",
    )
    refused = error_of(
        await english_council.execute(
            ALLOCATE,
            {
                "i": {
                    "projectId": project["id"],
                    "lineKind": "LOCAL_DEVELOPMENT",
                    "amount": "3000001",
                    "decisionId": decision,
                }
            },
        )
    )
    assert refused["code"] == "budget.insufficient_funds"
    assert "3,000,000 riel" in refused["message"]
    wrong_decision = error_of(
        await english_council.execute(
            ALLOCATE,
            {
                "i": {
                    "projectId": project["id"],
                    "lineKind": "LOCAL_DEVELOPMENT",
                    "amount": "1",
                    "decisionId": "nope",
                }
            },
        )
    )
    assert wrong_decision["code"] == "budget.decision_unknown"
    unset = error_of(
        await english_council.execute(
            ALLOCATE,
            {"i": {"projectId": project["id"], "lineKind": "CCWC", "amount": "1", "decisionId": decision}},
        )
    )
    assert unset["code"] == "budget.line_unknown"
    budget = await budget_of(english_council, year)
    assert budget["lines"][0]["allocated"] == "0"
    assert budget["projects"][0]["status"] == "PLANNED"


async def test_only_the_communes_council_may_change_its_budget(stack: Stack, facilitator: GraphQL) -> None:
    refused = error_of(
        await facilitator.execute(
            SET_LINE, {"i": {"communeCode": MALIK, "year": 2038, "kind": "CCWC", "amount": "1"}}
        )
    )
    assert refused["code"] == "budget.not_allowed"
    chenda = GraphQL(stack.url)
    anonymous = GraphQL(stack.url)
    try:
        await chenda.login("chenda")  # council of Kouk Thlok, not Malik
        refused = error_of(
            await chenda.execute(
                SET_LINE, {"i": {"communeCode": MALIK, "year": 2038, "kind": "CCWC", "amount": "1"}}
            )
        )
        assert refused["code"] == "auth.forbidden"
        read = error_of(
            await chenda.execute('query { budget(communeCode: "160101", year: 2038) { version } }')
        )
        assert read["code"] == "auth.forbidden"
        read = error_of(
            await anonymous.execute('query { budget(communeCode: "160101", year: 2038) { version } }')
        )
        assert read["code"] == "auth.unauthenticated"
    finally:
        await chenda.close()
        await anonymous.close()


async def test_the_public_identity_reads_only_the_transparency_view(stack: Stack) -> None:
    token = issue_token(Identity(PUBLIC_IDENTITY_ID, Role.PUBLIC, (MALIK,)), stack.secrets["identity"])
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=stack.processes["budget"].url or "") as http:
        assert (await http.get(f"/transparency/{MALIK}/2038", headers=headers)).status_code == 200
        assert (await http.get(f"/budgets/{MALIK}/2038", headers=headers)).status_code == 403
        assert (await http.get("/transparency/210103/2038", headers=headers)).status_code == 403
        response = await http.post(
            "/lines", json={"commune_code": MALIK, "year": 2038, "kind": "ccwc", "amount": 1}, headers=headers
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "budget.not_allowed"
        assert (await http.get(f"/transparency/{MALIK}/2038")).status_code == 401


async def test_two_requests_at_once_with_the_same_expenditure_key_make_one_entry(
    stack: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    year = 2039
    await _funded_year(stack, facilitator, council, year, n=1, line="1000000")
    allocation = (await budget_of(council, year))["projects"][0]["allocations"][0]["id"]
    entry = {
        "idempotencyKey": uuid.uuid4().hex,
        "allocationId": allocation,
        "stage": "COMMITTED",
        "amount": "100",
        "payee": "Dara",
        "reference": "R-1",
        "spentOn": "2039-01-02",
    }
    first, second = await asyncio.gather(
        council.execute(RECORD, {"i": entry}), council.execute(RECORD, {"i": entry})
    )
    assert data(first, "recordExpenditure")["id"] == data(second, "recordExpenditure")["id"]
    assert (await budget_of(council, year))["lines"][0]["committed"] == "100"


async def test_unknown_projects_and_allocations_are_named_in_the_refusal(english_council: GraphQL) -> None:
    allocate = {"projectId": "no-such-project", "lineKind": "CCWC", "amount": "1", "decisionId": "d"}
    assert (
        error_of(await english_council.execute(ALLOCATE, {"i": allocate}))["code"] == "budget.project_unknown"
    )
    release = {"allocationId": "no-such-allocation", "reason": "why"}
    assert (
        error_of(await english_council.execute(RELEASE, {"i": release}))["code"]
        == "budget.allocation_unknown"
    )
    decide = {"projectId": "no-such-project", "decision": "DEFER", "reason": "why"}
    assert error_of(await english_council.execute(DECIDE, {"i": decide}))["code"] == "budget.project_unknown"
    # An id is one path segment: a traversal attempt reaches no other route.
    escape = {"projectId": "../../lines", "decision": "DEFER", "reason": "why"}
    assert error_of(await english_council.execute(DECIDE, {"i": escape}))["code"] in (
        "not_found",
        "budget.project_unknown",
    )
    found = await english_council.execute('query { project(id: "no-such-project") { id } }')
    assert found == {"data": {"project": None}}


async def test_a_newer_cip_approval_re_ranks_projects_and_other_decisions_are_ignored(
    stack: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    year = 2038
    needs = await submit_needs(facilitator, ["ផ្លូវទៅសាលា", "ស្ពានអូរ"])
    raw = [str(n["need_id"]) for n in needs]
    first = await approve(stack, MALIK, year, raw)
    await approved_and_known(council, year, first, [str(n["id"]) for n in needs])
    project = data(
        await council.execute(
            CREATE_PROJECT,
            {
                "i": {
                    "communeCode": MALIK,
                    "year": year,
                    "title": "Bridge",
                    "needIds": [needs[1]["id"]],
                    "estimatedCost": "5",
                }
            },
        ),
        "createProject",
    )
    assert project["rank"] == 2
    await approve(stack, MALIK, year, raw[::-1], kind=DecisionKind.PRIORITISATION)  # not an approval
    newer = await approve(stack, MALIK, year, raw[::-1])

    async def re_ranked() -> dict[str, object] | None:
        budget = await budget_of(council, year)
        return budget if [a["id"] for a in budget["approvals"]][:1] == [newer] else None

    budget = await wait_for(re_ranked, interval=0.5)
    assert [a["id"] for a in budget["approvals"]] == [newer, first]
    assert budget["projects"][0]["rank"] == 1
    assert [n["rank"] for n in budget["approvedNeeds"]] == [1, 2]
