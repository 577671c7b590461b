"""The council's budget forms, posted as a tablet without JavaScript posts them, reach budget
through the gateway's typed client: set a line (with a rate), revise it, create a project,
allocate, commit, reverse, release, defer; a refusal comes back on the page in Khmer with the
service's message; the public JSON and CSV exports carry what budget answered. Year 2066."""

from __future__ import annotations

import csv
import io
import uuid

import httpx

from gateway.graphql.ids import raw_id
from infra.stack import Stack
from tests.conftest import GraphQL
from tests.integration.test_budget_support import (
    MALIK,
    approve,
    approved_and_known,
    budget_of,
    submit_needs,
)

YEAR = 2066
PROJECT = (
    "query($id: ID!) { project(id: $id) { status allocated committed expenditures { id amount reverses } } }"
)


async def _post(council: GraphQL, path: str, form: dict[str, str]) -> httpx.Response:
    assert council.csrf is not None
    return await council.http.post(path, data={"csrf_token": council.csrf, **form})


async def _saved(council: GraphQL, path: str, form: dict[str, str]) -> None:
    answer = await _post(council, path, form)
    assert answer.status_code == 303, answer.text[:500]
    assert answer.headers["location"].endswith("?saved=1")


async def _project(council: GraphQL, project_id: str) -> dict[str, object]:
    body = await council.execute(PROJECT, {"id": project_id})
    assert "errors" not in body, body
    found: dict[str, object] = body["data"]["project"]
    return found


async def test_the_council_runs_a_year_from_its_forms(
    stack: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    needs = await submit_needs(facilitator, ["អណ្តូងទឹកភូមិកាតែ", "ផ្លូវភូមិ"])
    decision = await approve(stack, MALIK, YEAR, [str(n["need_id"]) for n in needs])
    await approved_and_known(council, YEAR, decision, [str(n["id"]) for n in needs])
    overview = f"/budget/{MALIK}/{YEAR}"

    line = {
        "kind": "local_development",
        "amount": "40,000,000",
        "riel_per_usd": "4100",
        "rate_date": f"{YEAR}-01-05",
    }
    await _saved(council, f"{overview}/lines", line)
    refused = await _post(
        council, f"{overview}/revisions", {"kind": "local_development", "amount": "30000000"}
    )
    assert refused.status_code == 422 and 'id="budget-error"' in refused.text, refused.text[:300]
    await _saved(
        council, f"{overview}/revisions", {"kind": "local_development", "amount": "30000000", "reason": "Cut"}
    )
    project_form = {"title": "អណ្តូងទឹក", "estimated_cost": "20000000", "need_ids": str(needs[0]["need_id"])}
    await _saved(council, f"{overview}/projects", {**project_form, "expected_month": f"{YEAR}-06"})
    page = await council.http.get(overview)
    assert page.status_code == 200 and "អណ្តូងទឹក" in page.text and "៣០,០០០,០០០" in page.text

    [project] = (await budget_of(council, YEAR))["projects"]
    plain = raw_id("Project", project["id"])
    at = f"/budget/projects/{plain}"
    money = {"line": "local_development", "amount": "20000000", "decision_id": decision}
    await _saved(council, f"{at}/allocations", money)
    spend = {
        "idempotency_key": uuid.uuid4().hex,
        "allocation_id": "",
        "stage": "committed",
        "amount": "5000000",
        "payee": "ABC Co.",
        "reference": "C-1",
        "spent_on": f"{YEAR}-02-01",
    }
    funded = (await budget_of(council, YEAR))["projects"][0]["allocations"]
    spend["allocation_id"] = funded[0]["id"]
    await _saved(council, f"{at}/expenditures", spend)
    entries = (await _project(council, project["id"]))["expenditures"]
    assert isinstance(entries, list) and [e["amount"] for e in entries] == ["5000000"]
    reversal = {"idempotency_key": uuid.uuid4().hex, "entry_id": entries[0]["id"], "reason": "Wrong contract"}
    await _saved(council, f"{at}/reversals", reversal)
    await _saved(
        council, f"{at}/releases", {"allocation_id": funded[0]["id"], "amount": "5000000", "reason": "Less"}
    )
    shown = await council.http.get(at)
    assert shown.status_code == 200 and "ABC Co." in shown.text and "១៥,០០០,០០០" in shown.text
    assert f'value="{decision}"' in shown.text  # the approvals to cite, with their day
    await _saved(council, f"{at}/decision", {"decision": "defer", "reason": "Next year"})
    after = await _project(council, project["id"])
    assert after["status"] == "DEFERRED" and after["allocated"] == "0"

    async with httpx.AsyncClient(base_url=stack.url) as web:
        exported = (await web.get(f"/communes/{MALIK}/budget/{YEAR}.json")).json()
        table = (await web.get(f"/communes/{MALIK}/budget/{YEAR}.csv")).text
        missing = await web.get(f"/communes/{MALIK}/photos/nothing-here")
    assert exported["currency"] == "KHR" and exported["lines"][0]["amount"] == 30_000_000
    assert exported["lines"][0]["exchange_rate"] == {"riel_per_usd": 4100, "as_of": f"{YEAR}-01-05"}
    assert [n["reason"] for n in exported["deferred_needs"]] == ["Next year"]
    rows = list(csv.DictReader(io.StringIO(table.lstrip("\ufeff"))))
    assert [r["status"] for r in rows if r["record"] == "need"] == ["deferred"]
    assert missing.status_code == 404
