"""The PWA in a real browser: sign in, record a need, see the tracking code; installable;
the app shell works offline; Khmer by default with an English switch."""

from __future__ import annotations

import re

from playwright.async_api import BrowserContext, Page, expect

from infra.stack import Stack
from tests.conftest import NOTIFICATIONS, GraphQL, wait_for

TRACKING_CODE = re.compile(r"^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{3}$")


async def _sign_in(page: Page, stack: Stack, username: str = "sophea") -> None:
    await page.goto(f"{stack.url}/login")
    await page.fill("#username", username)
    await page.fill("#password", "khum-demo-2026")
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(f"{stack.url}/")


async def test_the_sign_in_page_is_in_khmer_by_default(page: Page, stack: Stack) -> None:
    await page.goto(stack.url)
    await page.wait_for_url(re.compile(r"/login"))
    assert await page.get_attribute("html", "lang") == "km"
    await expect(page.locator("h1")).to_have_text("ចូលប្រើប្រាស់")


async def test_a_wrong_password_shows_a_clear_error(page: Page, stack: Stack) -> None:
    await page.goto(f"{stack.url}/login")
    await page.fill("#username", "sophea")
    await page.fill("#password", "wrong")
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("#login-error")).to_have_text("លេខទូរស័ព្ទ ឈ្មោះអ្នកប្រើ ឬពាក្យសម្ងាត់មិនត្រឹមត្រូវ។")


async def test_a_facilitator_records_a_need_and_sees_its_tracking_code(page: Page, stack: Stack) -> None:
    await _sign_in(page, stack)
    await page.click("a[href='/needs/new']")
    await page.select_option("#village", "16010103")
    await page.check("input[name=sector][value=SOCIAL]")
    description = "សាលារៀនភូមិកាហលត្រូវការបង្គន់អនាម័យ"
    await page.fill("#description", description)
    await page.click("#need-submit")
    code_box = page.locator("#tracking-code")
    await expect(code_box).to_be_visible()
    code = (await code_box.text_content() or "").strip()
    assert TRACKING_CODE.match(code), code
    await expect(page.locator("#need-form")).to_be_hidden()

    council = GraphQL(stack.url)
    await council.login("dara")
    try:

        async def notified() -> bool:
            body = await council.execute(NOTIFICATIONS, {"n": 100})
            return any(e["node"]["ref"] == code for e in body["data"]["notifications"]["edges"])

        assert await wait_for(notified)
    finally:
        await council.close()


async def test_an_empty_description_is_caught_before_sending(page: Page, stack: Stack) -> None:
    await _sign_in(page, stack)
    await page.goto(f"{stack.url}/needs/new")
    sent: list[str] = []
    page.on(
        "request",
        lambda request: sent.append(request.url) if request.url.endswith("/graphql") else None,
    )
    await page.click("#need-submit")
    error = page.locator(".field-error[data-for=description]")
    await expect(error).to_be_visible()
    await expect(error).to_have_text("សូមរៀបរាប់អំពីតម្រូវការ។")
    assert sent == []


async def test_the_english_switch_changes_the_language(page: Page, stack: Stack) -> None:
    await _sign_in(page, stack)
    await page.click("a.lang")
    await page.wait_for_url(f"{stack.url}/")
    assert await page.get_attribute("html", "lang") == "en"
    await expect(page.locator("a[href='/needs/new']")).to_contain_text("Record a need")


async def test_the_app_is_installable_and_its_shell_works_offline(
    context: BrowserContext, page: Page, stack: Stack
) -> None:
    await _sign_in(page, stack)
    cdp = await context.new_cdp_session(page)
    manifest = await cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [], manifest["errors"]
    assert manifest["url"].endswith("/manifest.webmanifest")
    await page.wait_for_function(
        "navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=15000
    )
    await page.goto(f"{stack.url}/needs/new")  # cached on the way
    await context.set_offline(True)
    try:
        await page.reload()
        await expect(page.locator("#need-form")).to_be_visible()
        await page.goto(f"{stack.url}/never-visited")
        await expect(page.locator("h1")).to_have_text("អ្នកមិនមានអ៊ីនធឺណិតទេ")
    finally:
        await context.set_offline(False)
