"""The scheduling pages in a real browser, on the council's tablet, in Khmer: reached from the
home page, the commune's profile saved by touch, the year's holidays listed with their Khmer
names, nothing wider than the screen, and no serious accessibility problem."""

from __future__ import annotations

from playwright.async_api import Page, expect

from infra.stack import Stack
from tests.e2e.conftest import TABLET, OpenPage, axe_violations, sign_in


async def _fits(page: Page) -> bool:
    return bool(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


async def test_the_council_sets_its_scheduling_profile_and_reads_the_holidays_in_khmer(
    open_page: OpenPage, stack: Stack
) -> None:
    _, page = await open_page(TABLET)
    await sign_in(page, stack, "dara")
    await page.click("a[href='/scheduling/profile']")
    await expect(page.locator("h1")).to_contain_text("ពេលដែលប្រជាជនអាចមកបាន")
    await page.fill("#day-work-share", "65")
    await page.fill("#migrant-share", "25")
    await page.click("#profile-form button[type=submit]")
    await expect(page.locator("#profile-saved")).to_be_visible()
    await expect(page.locator("#day-work-share")).to_have_value("65")
    assert await _fits(page)
    assert await axe_violations(page) == []

    await page.goto(f"{stack.url}/scheduling/holidays?year=2027")
    new_year = page.locator("[data-kind='khmer_new_year']")
    await expect(new_year).to_contain_text("ពិធីបុណ្យចូលឆ្នាំថ្មីប្រពៃណីជាតិ")
    await expect(new_year.locator("time").first).to_have_attribute("datetime", "2027-04-14")
    assert await _fits(page)
    assert await axe_violations(page) == []
