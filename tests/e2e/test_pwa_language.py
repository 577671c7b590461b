"""Khmer first, English on request: the switch keeps the page you are on; forms check what you
typed in the language you chose, before anything is sent; the tracking page reads a need's
status aloud in that language."""

from __future__ import annotations

import uuid

from playwright.async_api import Page, expect

from infra.stack import Stack
from tests.conftest import GraphQL
from tests.e2e.conftest import sign_in


async def _need_code(stack: Stack) -> str:
    client = GraphQL(stack.url)
    try:
        await client.login("sophea")
        body = await client.execute(
            "mutation($i: SubmitNeedInput!) { submitNeed(input: $i) { trackingCode } }",
            {
                "i": {
                    "villageCode": "21010301",
                    "description": "អណ្តូងទឹក",
                    "idempotencyKey": f"e2e-{uuid.uuid4().hex}",
                }
            },
        )
        assert "errors" not in body, body
        code: str = body["data"]["submitNeed"]["trackingCode"]  # type: ignore[index]
        return code
    finally:
        await client.close()


async def test_the_language_switch_keeps_the_page_and_the_tracking_code_and_switches_back(
    page: Page, stack: Stack
) -> None:
    code = await _need_code(stack)
    await page.goto(f"{stack.url}/track?code={code}")
    await expect(page.locator("#track-status")).to_contain_text("បានកត់ត្រា")
    await page.click("a.lang")
    await page.wait_for_url(f"{stack.url}/track?code={code}")
    assert await page.get_attribute("html", "lang") == "en"
    await expect(page.locator("#track-status")).to_contain_text("Recorded")
    await expect(page.locator("h1")).to_contain_text("Track a need")
    await page.click("a.lang")
    await page.wait_for_url(f"{stack.url}/track?code={code}")
    assert await page.get_attribute("html", "lang") == "km"
    await expect(page.locator("#track-status")).to_contain_text("បានកត់ត្រា")


async def test_the_need_form_checks_input_in_the_chosen_language_before_sending(
    page: Page, stack: Stack
) -> None:
    await sign_in(page, stack)
    sent: list[str] = []
    page.on(
        "request",
        lambda request: sent.append(request.url) if "SubmitNeed" in (request.post_data or "") else None,
    )
    await page.goto(f"{stack.url}/needs/new")
    await page.click("[data-step='1'] [data-next]")
    await page.fill("#beneficiaries", "-5")
    await page.click("[data-step='2'] [data-next]")
    await expect(page.locator(".field-error[data-for=description]")).to_have_text("សូមរៀបរាប់អំពីតម្រូវការ។")
    await expect(page.locator(".field-error[data-for=beneficiaries]")).to_have_text(
        "សូមសរសេរចំនួនគត់ពី ០ ដល់ ១,០០០,០០០។"
    )
    await page.click("a.lang")
    await page.wait_for_url(f"{stack.url}/needs/new")
    await page.click("[data-step='1'] [data-next]")
    await page.fill("#beneficiaries", "2000000")
    await page.click("[data-step='2'] [data-next]")
    await expect(page.locator(".field-error[data-for=description]")).to_have_text("Please describe the need.")
    await expect(page.locator(".field-error[data-for=beneficiaries]")).to_have_text(
        "Write a whole number from 0 to 1,000,000."
    )
    assert await page.locator("#description").get_attribute("aria-invalid") == "true"
    assert sent == []


async def test_the_sign_in_and_tracking_forms_ask_for_missing_fields_in_khmer(
    page: Page, stack: Stack
) -> None:
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.method) if request.method == "POST" else None)
    await page.goto(f"{stack.url}/login")
    await page.click("#login-form button[type=submit]")
    await expect(page.locator(".field-error[data-for=username]")).to_have_text("សូមបំពេញព័ត៌មាននេះ។")
    await expect(page.locator("#username")).to_be_focused()
    await page.goto(f"{stack.url}/track")
    await page.click("#track-form button[type=submit]")
    await expect(page.locator(".field-error[data-for=code]")).to_contain_text("ABCD-EFG")
    assert page.url == f"{stack.url}/track"
    assert sent == []


SPY = """
window.__spoken = [];
if (window.speechSynthesis) {
  const speak = speechSynthesis.speak.bind(speechSynthesis);
  speechSynthesis.speak = (utterance) => {
    window.__spoken.push({ text: utterance.text, lang: utterance.lang });
    speak(utterance);
  };
}
"""


async def test_the_tracking_page_reads_the_status_aloud_in_the_page_language(
    page: Page, stack: Stack
) -> None:
    code = await _need_code(stack)
    await page.add_init_script(SPY)  # records what is handed to the browser's speech engine
    await page.goto(f"{stack.url}/track?code={code}")
    await page.click("#read-aloud")
    spoken = await page.evaluate("window.__spoken")
    assert len(spoken) == 1 and spoken[0]["lang"] == "km-KH"
    assert "បានកត់ត្រា" in spoken[0]["text"] and "អណ្តូងទឹក" in spoken[0]["text"]
    await page.click("a.lang")
    await page.wait_for_url(f"{stack.url}/track?code={code}")
    await page.click("#read-aloud")
    spoken = await page.evaluate("window.__spoken")
    assert spoken[-1]["lang"] == "en-GB" and "Recorded" in spoken[-1]["text"]
