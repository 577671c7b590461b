"""The PWA in a real browser: sign in, record a need, see the tracking code; installable;
the app shell works offline; Khmer by default with an English switch."""

from __future__ import annotations

import re

from playwright.async_api import BrowserContext, Page, expect

from infra.stack import Stack
from tests.conftest import NOTIFICATIONS, GraphQL, wait_for
from tests.e2e.conftest import controlled_by_service_worker

TRACKING_CODE = re.compile(r"^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{3}$")


async def _sign_in(page: Page, stack: Stack, username: str = "sophea") -> None:
    await page.goto(f"{stack.url}/login")
    await page.fill("#username", username)
    await page.fill("#password", "khum-demo-2026")
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(f"{stack.url}/")


async def test_the_sign_in_page_is_in_khmer_by_default(page: Page, stack: Stack) -> None:
    # A signed-out visit to / is the citizens' landing page; staff sign in from its link.
    await page.goto(stack.url)
    await expect(page.locator("#public-home")).to_be_visible()
    assert await page.get_attribute("html", "lang") == "km"
    await page.click("a[href='/login']")
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
    # Screen 1: where and what
    await page.select_option("#village", "16010103")
    await page.check("input[name=sector][value=SOCIAL]")
    await page.select_option("#need-type", "sanitation")
    await page.click("[data-step='1'] [data-next]")
    # Screen 2: the need
    description = "សាលារៀនភូមិកាហលត្រូវការបង្គន់អនាម័យ"
    await page.fill("#description", description)
    await page.fill("#beneficiaries", "180")
    await page.click("[data-step='2'] [data-next]")
    # Screen 3: who raised it, consent first
    await page.check("#consent")
    await page.select_option("#sex", "female")
    await page.select_option("#disability", "mild")
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
        lambda request: sent.append(request.url) if "SubmitNeed" in (request.post_data or "") else None,
    )
    await page.click("[data-step='1'] [data-next]")
    await page.click("[data-step='2'] [data-next]")
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
    await controlled_by_service_worker(page)
    await page.goto(f"{stack.url}/needs/new")  # cached on the way
    await context.set_offline(True)
    try:
        await page.reload()
        await expect(page.locator("#need-form")).to_be_visible()
        await page.goto(f"{stack.url}/never-visited")
        await expect(page.locator("h1")).to_contain_text("អ្នកមិនមានអ៊ីនធឺណិតទេ")
    finally:
        await context.set_offline(False)


async def test_personal_details_without_consent_are_stopped_at_the_consent_box(
    page: Page, stack: Stack
) -> None:
    await _sign_in(page, stack)
    await page.goto(f"{stack.url}/needs/new")
    await page.click("[data-step='1'] [data-next]")
    await page.fill("#description", "ទឹកស្អាតសម្រាប់គ្រួសារក្រីក្រ")
    await page.click("[data-step='2'] [data-next]")
    await page.check("#consent")
    await page.select_option("#idpoor", "1")
    await page.uncheck("#consent")  # details stay filled in, consent taken back
    await page.click("#need-submit")
    error = page.locator(".field-error[data-for=consent]")
    await expect(error).to_be_visible()
    await expect(page.locator("#need-result")).to_be_hidden()


async def test_the_public_tracking_page_shows_the_status_without_signing_in(page: Page, stack: Stack) -> None:
    facilitator = GraphQL(stack.url)
    await facilitator.login("sophea")
    try:
        body = await facilitator.execute(
            "mutation($i: SubmitNeedInput!) { submitNeed(input: $i) { trackingCode } }",
            {
                "i": {
                    "villageCode": "21010302",
                    "description": "ប្រឡាយទឹកភូមិព្រែកដា",
                    "idempotencyKey": "e2e-track-1",
                }
            },
        )
        code = body["data"]["submitNeed"]["trackingCode"]
    finally:
        await facilitator.close()
    await page.goto(f"{stack.url}/track")
    await page.fill("#code", code.lower().replace("-", " "))
    await page.click("#track-form button[type=submit]")
    await expect(page.locator("#track-status")).to_contain_text("បានកត់ត្រា")
    await expect(page.locator("#track-result")).to_contain_text("ប្រឡាយទឹកភូមិព្រែកដា")
    await page.goto(f"{stack.url}/track?code=0000-000")
    await expect(page.locator("#track-error")).to_be_visible()


async def test_a_facilitator_sees_the_needs_they_recorded(page: Page, stack: Stack) -> None:
    facilitator = GraphQL(stack.url)
    await facilitator.login("sophea")
    try:
        await facilitator.execute(
            "mutation($i: SubmitNeedInput!) { submitNeed(input: $i) { trackingCode } }",
            {"i": {"villageCode": "21010304", "description": "ស្ពានបាក់ដៃ", "idempotencyKey": "e2e-mine-1"}},
        )
    finally:
        await facilitator.close()
    await _sign_in(page, stack)
    await page.click("a[href='/needs/mine']")
    await expect(page.locator("#my-needs")).to_contain_text("ស្ពានបាក់ដៃ")
