"""The budget pages in a real Chromium: the public transparency page on a 360 px phone without
signing in, and the council's budget on a tablet with its forms and SVG bars; every budget screen
passes the same checks as the rest of the PWA (axe-core, nothing sticking out, Khmer wrapped
between words, 44 px touch targets; see test_pwa_accessibility). Years 2070-2079."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, expect

from gateway.graphql.ids import raw_id
from infra.stack import Stack
from tests.conftest import GraphQL
from tests.e2e.conftest import PHONE, TABLET, OpenPage, axe_violations, sign_in
from tests.e2e.test_pwa_accessibility import LONG_KHMER, OVERFLOW, SMALL_TARGETS, WORD_BREAKS
from tests.integration.test_budget_support import (
    ALLOCATE,
    CREATE_PROJECT,
    DECIDE,
    MALIK,
    REVISE,
    SET_LINE,
    approve,
    approved_and_known,
    data,
    submit_needs,
)


@pytest.fixture
async def tablet(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1024, "height": 768}, locale="km-KH")
    tab = await context.new_page()
    problems: list[str] = []
    tab.on(
        "console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None
    )
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    yield tab
    await context.close()
    assert problems == [], problems


async def _sign_in(page: Page, stack: Stack, username: str) -> None:
    await page.goto(f"{stack.url}/login")
    await page.fill("#username", username)
    await page.fill("#password", "khum-demo-2026")
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(f"{stack.url}/")


async def test_the_public_budget_is_readable_on_a_phone_without_signing_in(
    page: Page, stack: Stack, council: GraphQL
) -> None:
    year = 2070
    for kind, amount in (("LOCAL_DEVELOPMENT", "9000000000"), ("CCWC", "45000000")):
        line = {"communeCode": MALIK, "year": year, "kind": kind, "amount": amount}
        data(await council.execute(SET_LINE, {"i": line}), "setBudgetLine")
    cut = {
        "communeCode": MALIK,
        "year": year,
        "kind": "LOCAL_DEVELOPMENT",
        "amount": "3000000000",
        "reason": "កាត់បន្ថយ",
    }
    data(await council.execute(REVISE, {"i": cut}), "reviseBudgetLine")

    await page.goto(f"{stack.url}/communes/{MALIK}/budget/{year}")
    assert await page.get_attribute("html", "lang") == "km"
    khmer_year = str(year).translate(str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩"))
    await expect(page.locator("h1")).to_contain_text(f"ថវិកាឃុំ ឆ្នាំ {khmer_year}")
    await expect(page.locator("#total-amount")).to_have_text("៣,០៤៥,០០០,០០០៛")
    ccwc = page.locator("#ccwc")  # riel in Khmer digits, as every number on a Khmer page
    await expect(ccwc).to_contain_text("ស្ត្រី និងកុមារ (គ.ក.ន.ក)")
    await expect(ccwc).to_contain_text("៤៥,០០០,០០០៛")
    await expect(page.locator("#revisions")).to_contain_text("៩,០០០,០០០,០០០៛ → ៣,០០០,០០០,០០០៛")
    await expect(page.locator("#revisions")).to_contain_text("កាត់បន្ថយ")
    assert await page.locator("svg.chart").count() >= 3
    # Nothing wider than the phone: no sideways scrolling to read a number.
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    csv_link = page.locator("#download-csv")
    assert await csv_link.get_attribute("href") == f"/communes/{MALIK}/budget/{year}.csv"


async def test_the_council_sets_a_line_with_a_plain_form_and_sees_its_bar(tablet: Page, stack: Stack) -> None:
    year = 2071
    await _sign_in(tablet, stack, "dara")
    await tablet.goto(f"{stack.url}/budget/{MALIK}/{year}")
    await expect(tablet.locator("#no-lines")).to_be_visible()
    await tablet.click("#set-line-form >> xpath=ancestor::details/summary")
    await tablet.select_option("#set-kind", "ccwc")
    await tablet.fill("#set-amount", "1,500,000")
    await tablet.click("#set-line-form button[type=submit]")
    await tablet.wait_for_url(re.compile(rf"/budget/{MALIK}/{year}\?saved=1$"))
    card = tablet.locator("#budget-lines li[data-kind=ccwc]")
    await expect(card).to_contain_text("១,៥០០,០០០៛")
    await expect(card.locator("svg.chart")).to_have_count(1)

    await tablet.click("#revise-form >> xpath=ancestor::details/summary")
    await tablet.fill("#revise-amount", "1500000")
    await tablet.fill("#revise-reason", "គ្មានការផ្លាស់ប្តូរ")
    await tablet.click("#revise-form button[type=submit]")
    error = tablet.locator("#budget-error")
    await expect(error).to_be_visible()
    await expect(error).to_contain_text("1,500,000")  # the service's refusal, in Khmer, on the page


@pytest.fixture(scope="module")
async def funded_year(stack: Stack) -> dict[str, str]:
    """Year 2072: needs, an approval, lines (one in USD too), projects, a cut and a deferral."""
    facilitator, council = GraphQL(stack.url), GraphQL(stack.url)
    try:
        await facilitator.login("sophea")
        await council.login("dara")
        year = 2072
        needs = await submit_needs(facilitator, [LONG_KHMER, "ស្ពានឈើឆ្លងអូរ", "បង្គន់អនាម័យនៅសាលារៀន"])
        decision = await approve(stack, MALIK, year, [str(n["need_id"]) for n in needs])
        await approved_and_known(council, year, decision, [str(n["id"]) for n in needs])
        rate = {"rielPerUsd": 4100, "asOf": "2072-01-10"}
        for kind, amount in (("LOCAL_DEVELOPMENT", "90000000"), ("CCWC", "12000000")):
            line = {"communeCode": MALIK, "year": year, "kind": kind, "amount": amount, "exchangeRate": rate}
            data(await council.execute(SET_LINE, {"i": line}), "setBudgetLine")
        projects = []
        for i, need in enumerate(needs):
            project = {
                "communeCode": MALIK,
                "year": year,
                "title": f"គម្រោង {i + 1}",
                "needIds": [need["id"]],
                "estimatedCost": "30000000",
            }
            created = data(await council.execute(CREATE_PROJECT, {"i": project}), "createProject")
            money = {
                "projectId": created["id"],
                "lineKind": "LOCAL_DEVELOPMENT",
                "amount": "30000000",
                "decisionId": decision,
            }
            data(await council.execute(ALLOCATE, {"i": money}), "allocate")
            projects.append(raw_id("Project", created["id"]))
        cut = {
            "communeCode": MALIK,
            "year": year,
            "kind": "LOCAL_DEVELOPMENT",
            "amount": "30000000",
            "reason": LONG_KHMER[:80],
        }
        revised = data(await council.execute(REVISE, {"i": cut}), "reviseBudgetLine")
        defer = {"projectId": revised["atRiskProjectIds"][1], "decision": "DEFER", "reason": LONG_KHMER[:80]}
        data(await council.execute(DECIDE, {"i": defer}), "decideProject")
        return {"year": str(year), "project": projects[1]}
    finally:
        await facilitator.close()
        await council.close()


SCREENS = [
    ("public budget, phone", None, "/communes/160101/budget/{year}", PHONE),
    ("public budget, tablet", None, "/communes/160101/budget/{year}", TABLET),
    ("council budget, tablet", "dara", "/budget/160101/{year}", TABLET),
    ("council budget, phone", "dara", "/budget/160101/{year}", PHONE),
    ("project, tablet", "dara", "/budget/projects/{project}", TABLET),
]


@pytest.mark.parametrize(("name", "user", "path", "viewport"), SCREENS, ids=[s[0] for s in SCREENS])
async def test_the_budget_screens_pass_axe_fit_the_screen_and_have_44_px_targets(
    open_page: OpenPage,
    stack: Stack,
    funded_year: dict[str, str],
    name: str,
    user: str | None,
    path: str,
    viewport: dict[str, int],
) -> None:
    _, page = await open_page(viewport)
    if user:
        await sign_in(page, stack, user)
    await page.goto(stack.url + path.format(**funded_year))
    assert await page.get_attribute("html", "lang") == "km"
    found = {
        "sticks out": await page.evaluate(OVERFLOW),
        "word cut at a line end": (await page.evaluate(WORD_BREAKS))["bad"],
        "touch target under 44 px": await page.evaluate(SMALL_TARGETS),
        "axe": await axe_violations(page),
    }
    assert found == {problem: [] for problem in found}
