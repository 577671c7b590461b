"""The council records a project's stages on a tablet in a real Chromium, and the works section
(stages, community check form, results) passes the PWA's checks: axe-core, nothing sticking out,
Khmer wrapped between words, 44 px touch targets. Year 2078."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.async_api import expect

from gateway.graphql.ids import raw_id
from infra.stack import Stack
from tests.conftest import GraphQL
from tests.e2e.conftest import PHONE, TABLET, OpenPage, axe_violations, sign_in
from tests.e2e.test_pwa_accessibility import OVERFLOW, SMALL_TARGETS, WORD_BREAKS
from tests.integration.test_budget_support import (
    ALLOCATE,
    CREATE_PROJECT,
    MALIK,
    SET_LINE,
    approve,
    approved_and_known,
    data,
)
from tests.unit.test_stage_photos import GPS, png, png_chunk

YEAR = 2078
SUBMIT = "mutation($i: SubmitNeedInput!) { submitNeed(input: $i) { id trackingCode feedbackCode } }"


async def _funded_project(stack: Stack, facilitator: GraphQL, council: GraphQL) -> tuple[str, dict[str, Any]]:
    submitted = data(
        await facilitator.execute(
            SUBMIT,
            {
                "i": {
                    "villageCode": "16010102",
                    "description": "អណ្តូងទឹកស្អាតសម្រាប់ភូមិ",
                    "sector": "SOCIAL",
                    "idempotencyKey": uuid.uuid4().hex,
                }
            },
        ),
        "submitNeed",
    )
    needs = [{**submitted, "need_id": raw_id("Need", submitted["id"])}]
    decision = await approve(stack, MALIK, YEAR, [str(n["need_id"]) for n in needs])
    await approved_and_known(council, YEAR, decision, [str(n["id"]) for n in needs])
    line = {"communeCode": MALIK, "year": YEAR, "kind": "LOCAL_DEVELOPMENT", "amount": "20000000"}
    data(await council.execute(SET_LINE, {"i": line}), "setBudgetLine")
    project = {
        "communeCode": MALIK,
        "year": YEAR,
        "title": "អណ្តូងទឹកស្អាត",
        "needIds": [needs[0]["id"]],
        "estimatedCost": "8000000",
    }
    created = data(await council.execute(CREATE_PROJECT, {"i": project}), "createProject")
    money = {
        "projectId": created["id"],
        "lineKind": "LOCAL_DEVELOPMENT",
        "amount": "8000000",
        "decisionId": decision,
    }
    data(await council.execute(ALLOCATE, {"i": money}), "allocate")
    return raw_id("Project", created["id"]), submitted


async def test_the_council_records_stages_on_a_tablet_and_the_works_section_passes_the_checks(
    open_page: OpenPage, stack: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    project_id, need = await _funded_project(stack, facilitator, council)
    _, tab = await open_page(TABLET)
    await sign_in(tab, stack, "dara")
    await tab.goto(f"{stack.url}/budget/projects/{project_id}")
    form = tab.locator("#stage-form")
    await expect(form).to_contain_text("លទ្ធកម្ម")  # the next stage, named in Khmer
    await tab.fill("#stage-note", "ក្រុមហ៊ុនឈ្នះការដេញថ្លៃ")
    await tab.click("#stage-form button[type=submit]")
    await tab.wait_for_url(re.compile(r"\?saved=1$"))
    await expect(tab.locator("#project-stages li[data-stage=procurement]")).to_contain_text(
        "ក្រុមហ៊ុនឈ្នះការដេញថ្លៃ"
    )

    # A date in the future is refused by the service, in Khmer, on the page.
    await tab.eval_on_selector("#stage-on", "el => { el.removeAttribute('max'); el.value = '2999-01-01'; }")
    await tab.click("#stage-form button[type=submit]")
    await expect(tab.locator("#budget-error")).to_contain_text("អនាគត")

    for stage in ("works_started", "completed"):
        await tab.goto(f"{stack.url}/budget/projects/{project_id}")
        if stage == "works_started":  # a photo from the tablet, with where it was taken inside
            photo = png(png_chunk(b"eXIf", b"MM\x00*" + GPS))
            await tab.set_input_files(
                "#stage-photo-file", files=[{"name": "well.png", "mimeType": "image/png", "buffer": photo}]
            )
        await tab.click("#stage-form button[type=submit]")
        await tab.wait_for_url(re.compile(r"\?saved=1$"))
    shown = tab.locator("#project-stages li[data-stage=works_started] img.stage-photo")
    await expect(shown).to_be_visible()
    assert await shown.evaluate("img => img.complete && img.naturalWidth") == 1  # the browser drew it
    await expect(tab.locator("#project-status")).to_contain_text("បានបញ្ចប់")
    await tab.click("#check summary")
    await tab.fill("#participants-all", "25")
    await tab.fill("#participants-women", "14")
    await tab.select_option("select[name=works_women]", "3")
    await tab.click("#check-form button[type=submit]")
    await tab.wait_for_url(re.compile(r"\?saved=1$"))
    women = tab.locator("table.check-scores tr[data-group=women]")
    await expect(women).to_contain_text("១៤")
    await expect(women).to_contain_text("៣")

    await tab.goto(f"{stack.url}/budget/{MALIK}/{YEAR}")  # the council's overview names the stage
    await expect(tab.locator(f"li[data-project='{project_id}'] .project-stage")).to_contain_text(
        "ការងារសាងសង់បានបញ្ចប់ · ការត្រួតពិនិត្យដោយសហគមន៍: ១"
    )
    await tab.goto(f"{stack.url}/budget/projects/{project_id}")
    await tab.click("#check summary")  # the form open too, for the checks below
    found = {
        "sticks out": await tab.evaluate(OVERFLOW),
        "word cut at a line end": (await tab.evaluate(WORD_BREAKS))["bad"],
        "touch target under 44 px": await tab.evaluate(SMALL_TARGETS),
        "axe": await axe_violations(tab),
    }
    assert found == {problem: [] for problem in found}

    # The citizen, on a phone without signing in, rates the completed works on the track page.
    _, phone = await open_page(PHONE)
    await phone.goto(f"{stack.url}/track?code={need['trackingCode']}")
    await expect(phone.locator("#track-stage")).to_contain_text("ការងារសាងសង់បានបញ្ចប់")
    checks = {
        "sticks out": await phone.evaluate(OVERFLOW),
        "word cut at a line end": (await phone.evaluate(WORD_BREAKS))["bad"],
        "touch target under 44 px": await phone.evaluate(SMALL_TARGETS),
        "axe": await axe_violations(phone),
    }
    assert checks == {problem: [] for problem in checks}
    await phone.check("#verify-form input[name=rating][value='4']")
    await phone.fill("#verify-code", need["feedbackCode"])
    await phone.fill("#verify-comment", "ទឹកស្អាត ប៉ុន្តែស្នប់ពិបាកប្រើ")
    await phone.click("#verify-form button[type=submit]")
    await expect(phone.locator("#verify-thanks")).to_be_visible()
    await expect(phone.locator("#track-status")).to_contain_text("ពលរដ្ឋបានពិនិត្យ")
