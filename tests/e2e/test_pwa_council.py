"""The council's tablet: needs triage (confirm, merge duplicates, filter by village, sector and
group) and the inclusion dashboard that says who is missing."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

from playwright.async_api import Page, expect

from gateway.graphql.ids import raw_id
from infra.stack import Stack
from tests.conftest import GraphQL
from tests.e2e.conftest import TABLET, OpenPage, sign_in

SUBMIT = "mutation($i: SubmitNeedInput!) { submitNeed(input: $i) { id trackingCode } }"
NEED = "query($id: ID!) { need(id: $id) { status mergedInto people } }"
KHMER_MONTHS = "មករា|កុម្ភៈ|មីនា|មេសា|ឧសភា|មិថុនា|កក្កដា|សីហា|កញ្ញា|តុលា|វិច្ឆិកា|ធ្នូ"


async def _submit(stack: Stack, **fields: Any) -> dict[str, str]:
    client = GraphQL(stack.url)
    try:
        await client.login("sophea")
        body = await client.execute(SUBMIT, {"i": {"idempotencyKey": f"e2e-{uuid.uuid4().hex}", **fields}})
        assert "errors" not in body, body
        need: dict[str, str] = body["data"]["submitNeed"]  # type: ignore[index]
        # Pages show intake's own ids; the API gives global ids (both are accepted by mutations).
        return {**need, "gid": need["id"], "id": raw_id("Need", need["id"])}
    finally:
        await client.close()


async def _need(stack: Stack, need_id: str) -> dict[str, Any]:
    client = GraphQL(stack.url)
    try:
        await client.login("dara")
        body = await client.execute(NEED, {"id": need_id})
        assert "errors" not in body, body
        need: dict[str, Any] = body["data"]["need"]  # type: ignore[index]
        return need
    finally:
        await client.close()


async def _council_tablet(open_page: OpenPage, stack: Stack) -> Page:
    _, page = await open_page(TABLET)
    await sign_in(page, stack, "dara")
    return page


async def test_a_council_member_confirms_a_new_need_from_the_triage_list(
    open_page: OpenPage, stack: Stack
) -> None:
    need = await _submit(stack, villageCode="16010102", description=f"ស្នប់ទឹក {uuid.uuid4().hex[:6]}")
    page = await _council_tablet(open_page, stack)
    await page.click("a[href='/council/needs']")
    await page.select_option("#f-village", "16010102")
    await page.click("#triage-filter button[type=submit]")
    card = page.locator(f"#need-{need['id']}")
    await expect(card).to_contain_text(need["trackingCode"])
    await expect(card.locator(".facts")).to_contain_text(re.compile(KHMER_MONTHS))  # dates in Khmer
    await card.locator("[data-confirm-need]").click()
    await expect(card.locator("[data-status-text]")).to_contain_text("ក្រុមប្រឹក្សាបានបញ្ជាក់")
    await expect(card.locator("[data-confirm-need]")).to_have_count(0)
    assert (await _need(stack, need["gid"]))["status"] == "VALIDATED"


async def test_duplicates_are_merged_and_the_joined_tracking_code_shows_the_need_that_stays(
    open_page: OpenPage, stack: Stack
) -> None:
    words = uuid.uuid4().hex[:6]
    first = await _submit(
        stack, villageCode="16010103", description=f"ផ្លូវភូមិខូច {words}", raisedBy={"kind": "group", "people": 6}
    )
    second = await _submit(
        stack,
        villageCode="16010103",
        description=f"ផ្លូវខូចខាត {words}",
        raisedBy={"kind": "group", "people": 4},
    )
    page = await _council_tablet(open_page, stack)
    await page.goto(f"{stack.url}/council/needs?village=16010103&status=submitted")
    await expect(page.locator("#merge-panel")).to_be_hidden()
    await page.check(f"#need-{first['id']} .pick-box")
    await page.check(f"#need-{second['id']} .pick-box")
    panel = page.locator("#merge-panel")
    await expect(panel).to_be_visible()
    survivor = panel.locator(f"input[name=survivor][value='{first['id']}']")
    await expect(survivor).to_be_checked()  # the older need stays unless chosen otherwise
    await page.fill("#merge-reason", "ផ្លូវតែមួយ")
    await page.click("#merge-confirm")
    await expect(page.locator("#triage-message")).to_be_visible()
    await expect(page.locator(f"#need-{second['id']} [data-status-text]")).to_contain_text("បញ្ចូល")
    await expect(page.locator(f"#need-{first['id']} [data-people]")).to_have_text("10")
    await expect(panel).to_be_hidden()

    merged = await _need(stack, second["gid"])
    assert merged["status"] == "MERGED" and merged["mergedInto"] == first["gid"]
    await page.goto(f"{stack.url}/track?code={second['trackingCode']}")
    await expect(page.locator("#track-result")).to_contain_text(first["trackingCode"])


async def test_a_merge_that_is_no_longer_possible_is_refused_at_the_panel_in_khmer(
    open_page: OpenPage, stack: Stack
) -> None:
    first = await _submit(stack, villageCode="16010104", description=f"សាលារៀន {uuid.uuid4().hex[:6]}")
    second = await _submit(stack, villageCode="16010104", description=f"សាលារៀន {uuid.uuid4().hex[:6]}")
    page = await _council_tablet(open_page, stack)
    await page.goto(f"{stack.url}/council/needs?village=16010104")
    await page.check(f"#need-{first['id']} .pick-box")
    await page.check(f"#need-{second['id']} .pick-box")
    # Another member merged it a moment ago in another tab: the server refuses and says why.
    client = GraphQL(stack.url)
    try:
        await client.login("dara")
        body = await client.execute(
            "mutation($s: ID!, $m: ID!) { mergeNeeds(survivorId: $s, mergedId: $m) { id } }",
            {"s": second["id"], "m": first["id"]},
        )
        assert "errors" not in body, body
    finally:
        await client.close()
    await page.click("#merge-confirm")
    refusal = page.locator("#merge-panel .field-error:not([hidden])")
    await expect(refusal).to_be_visible()
    await expect(refusal).to_contain_text(re.compile(r"[\u1780-\u17FF]"))
    assert (await _need(stack, second["gid"]))["status"] == "SUBMITTED"


async def test_triage_filters_needs_by_sector_and_group(open_page: OpenPage, stack: Stack) -> None:
    words = uuid.uuid4().hex[:6]
    poor = await _submit(
        stack,
        villageCode="16010101",
        sector="SOCIAL",
        description=f"បង្គន់ {words}",
        raisedBy={"kind": "group", "people": 7, "idpoor": 3},
    )
    other = await _submit(stack, villageCode="16010101", sector="ECONOMIC", description=f"ទីផ្សារ {words}")
    page = await _council_tablet(open_page, stack)
    await page.goto(f"{stack.url}/council/needs?village=16010101&status=all")
    await page.select_option("#f-sector", "social")
    await page.select_option("#f-group", "idpoor")
    await page.click("#triage-filter button[type=submit]")
    await expect(page.locator(f"#need-{poor['id']}")).to_be_visible()
    await expect(page.locator(f"#need-{poor['id']} .facts")).to_contain_text("៣")
    await expect(page.locator(f"#need-{other['id']}")).to_have_count(0)
    assert await page.locator("#f-group").input_value() == "idpoor"  # the filter stays chosen


async def test_a_filter_value_not_in_the_lists_is_refused_at_its_field(
    open_page: OpenPage, stack: Stack
) -> None:
    page = await _council_tablet(open_page, stack)
    response = await page.goto(f"{stack.url}/council/needs?village=21010301&group=aliens&status={'x' * 300}")
    assert response is not None and response.status == 400
    await expect(page.locator("#f-village-error")).to_have_text("សូមជ្រើសរើសភូមិមួយក្នុងឃុំនេះ។")
    await expect(page.locator("#f-group-error")).to_have_text("សូមជ្រើសរើសក្រុមពីបញ្ជី។")
    await expect(page.locator("#f-status-error")).to_have_text("សូមជ្រើសរើសស្ថានភាពពីបញ្ជី។")
    await expect(page.locator("#f-village")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#triage-list .need-card")).to_have_count(0)
    await page.click("a.lang")
    await expect(page.locator("#f-village-error")).to_have_text("Choose a village of this commune.")


async def test_a_facilitator_is_kept_out_of_the_council_pages(page: Page, stack: Stack) -> None:
    await sign_in(page, stack, "sophea")
    for path in ("/council/needs", "/council/dashboard"):
        response = await page.goto(f"{stack.url}{path}")
        assert response is not None and response.status == 403
        await expect(page.locator("#error-message")).to_have_text("មានតែក្រុមប្រឹក្សាឃុំប៉ុណ្ណោះដែលអាចមើលទំព័រនេះបាន។")


async def test_a_council_member_cannot_open_another_communes_pages(open_page: OpenPage, stack: Stack) -> None:
    page = await _council_tablet(open_page, stack)
    response = await page.goto(f"{stack.url}/council/needs?commune=210103")
    assert response is not None and response.status == 403


async def test_the_inclusion_dashboard_names_every_group_and_village_with_no_needs_this_year(
    open_page: OpenPage, stack: Stack
) -> None:
    await _submit(
        stack,
        villageCode="16010102",
        description=f"ការងារ {uuid.uuid4().hex[:6]}",
        raisedBy={"kind": "group", "people": 5, "migrant": 2, "women": 3},
    )
    page = await _council_tablet(open_page, stack)
    await page.click("a[href='/council/dashboard']")
    table = page.locator("#village-groups")
    migrant = table.locator("tr[data-village='16010102'] td[data-group=migrant] [data-count]")
    assert int(await migrant.inner_text()) >= 1
    said = {
        (await li.get_attribute("data-village"), await li.get_attribute("data-group"))
        for li in await page.locator("#missing-list li").all()
    }
    assert ("16010102", "migrant") not in said and ("", "migrant") not in said
    # Every empty cell of the table is said in words: for its village, or for the whole commune.
    empty = 0
    for row in await table.locator("tbody tr").all():
        village = await row.get_attribute("data-village")
        for cell in await row.locator("td[data-group]").all():
            if (await cell.inner_text()).strip() == "០":  # Khmer digits on a Khmer page
                empty += 1
                group = await cell.get_attribute("data-group")
                assert {(village, group), ("", group), (village, "")} & said, (village, group)
    assert len(said) >= 1 and empty >= len([s for s in said if s[0] and s[1]])
    year = str(date.today().year).translate(str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩"))
    await expect(page.locator("#missing-list li").first).to_contain_text(year)
    assert await page.locator("#chart-groups svg.chart-bar").count() == 7
    fill = page.locator("#chart-villages rect.bar-fill").first
    assert 0 < float(await fill.get_attribute("width") or "0") <= 100
