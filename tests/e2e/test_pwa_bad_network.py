"""The PWA between good and no signal, on a 360 px phone with a slow line and a 4x slower CPU
(Chrome DevTools Protocol), and a relay that cuts the line or swallows replies (route handlers
that abort requests, or hold them unanswered like a "connected" line that carries nothing).

Issue 19: signing out with no signal, a weak line after Save, Back and Forward in the form,
the language switch offline, consent first, and "Send now" / sending the moment the network
returns. Times are printed, never asserted: each check is about order (what the person saw
while the server had not answered), which does not depend on the machine's speed."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Awaitable, Callable

import httpx
from playwright.async_api import BrowserContext, Page, Route, expect

from infra.stack import Stack
from tests.e2e.conftest import PASSWORD, OpenPage, shell_cached, sign_in
from tests.e2e.relay import LineRelay
from tests.e2e.test_pwa_offline import CODE, IDB_DUMP, _codes_reserved, _record, _server_codes, _server_needs

SLOW_4G = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1.6 * 1024 * 1024 / 8,
    "uploadThroughput": 750 * 1024 / 8,
}
ME = "{ me { id } }"


async def throttle(context: BrowserContext, page: Page, network: bool = True) -> None:
    """Lighthouse's mobile preset: 1.6 Mbps down, 750 kbps up, 150 ms round trip, CPU 4x slower.
    (The line's speed is left alone where the test cuts it with set_offline: both use the same
    DevTools setting, and the later one wins.)"""
    cdp = await context.new_cdp_session(page)
    if network:
        await cdp.send("Network.enable")
        await cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    await cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})


class Relay:
    """Between the page and /graphql: passes requests, cuts the line (abort), or swallows
    SubmitNeed requests unanswered (a weak line); held requests are released at the end."""

    def __init__(self) -> None:
        self.mode = "pass"
        self.held: list[Route] = []
        self.released = asyncio.Event()

    async def handle(self, route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        if self.mode == "cut":
            await route.abort("internetdisconnected")
        elif self.mode == "hang" and body.get("operationName") == "SubmitNeed":
            self.held.append(route)
            await self.released.wait()
            await route.abort("timedout")
        else:
            await route.continue_()

    async def install(self, context: BrowserContext) -> None:
        await context.route("**/graphql", self.handle)

    async def close(self) -> None:
        self.released.set()
        await asyncio.sleep(0.1)


async def _signed_in_on_server(stack: Stack, cookie: str) -> bool:
    async with httpx.AsyncClient(base_url=stack.url, cookies={"khum_session": cookie}) as http:
        body = (await http.post("/graphql", json={"query": ME})).json()
        return body["data"]["me"] is not None


async def _until(check: Callable[[], Awaitable[bool]], page: Page, tries: int = 150) -> bool:
    for _ in range(tries):
        if await check():
            return True
        await page.wait_for_timeout(200)
    return False


async def test_signing_out_with_no_signal_keeps_the_app_usable_seals_needs_and_tells_the_server_later(
    open_page: OpenPage, stack: Stack
) -> None:
    context, page = await open_page()
    await throttle(context, page, network=False)
    await sign_in(page, stack)
    await shell_cached(page)
    await page.goto(f"{stack.url}/needs/new")
    await _codes_reserved(page)
    cookie = next(c["value"] for c in await context.cookies() if c["name"] == "khum_session")
    marker = f"signout-{uuid.uuid4().hex[:8]}"

    await context.set_offline(True)
    await _record(page, f"អណ្តូង {marker}")
    await expect(page.locator("#need-sync-note")).to_be_visible()
    code = await page.locator("#tracking-code").inner_text()
    await page.click("form[action='/logout'] button")
    await page.click("#logout-confirm")
    await page.wait_for_url(f"{stack.url}/login")
    # No browser error page and no bare "Offline": the sign-in page, in Khmer, from the phone.
    await expect(page.locator("#login-form")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "km")
    await page.fill("#username", "sophea")
    await page.fill("#password", "x")
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("#login-offline")).to_be_visible()  # says why, stays usable

    # The next person sees nothing of the previous one, even opening her pages by address.
    for path in ("/", "/needs/mine", "/needs/new"):
        await page.goto(f"{stack.url}{path}")
        await expect(page.locator("#login-form")).to_be_visible()
        assert marker not in await page.content()
    stored = await page.evaluate(IDB_DUMP)
    assert stored["outbox"] == [] and len(stored["sealed"]) == 1 and marker not in json.dumps(stored)
    assert await _signed_in_on_server(stack, cookie)  # the server could not be told yet

    await context.set_offline(False)
    await page.goto(f"{stack.url}/login")  # any page opened first tells the server
    assert await _until(lambda: _not(_signed_in_on_server(stack, cookie)), page)
    assert await _server_needs(stack, marker) == []  # sealed, not sent by someone else's session

    await sign_in(page, stack)  # the same person again: her need is opened and sent
    assert await _until(lambda: _has(_server_needs(stack, marker)), page)
    assert await _server_codes(stack, marker) == {f"អណ្តូង {marker}": code}


async def _true(value: bool) -> bool:
    return value


async def _not(value: Awaitable[bool]) -> bool:
    return not await value


async def _has(value: Awaitable[list[str]]) -> bool:
    return bool(await value)


async def test_on_a_line_that_carries_nothing_save_answers_at_once_then_says_saved_on_this_phone(
    open_page: OpenPage, stack: Stack
) -> None:
    context, page = await open_page(service_workers="block")  # every send goes through the relay
    relay = Relay()
    await relay.install(context)
    await throttle(context, page)
    try:
        await sign_in(page, stack)
        await page.goto(f"{stack.url}/needs/new")
        await _codes_reserved(page)
        marker = f"weak-{uuid.uuid4().hex[:8]}"
        relay.mode = "hang"
        await page.evaluate(
            """() => {
                window.__seen = {};
                const status = document.querySelector("#need-status");
                new MutationObserver(() => { if (!window.__seen.status && status.textContent) window.__seen.status = performance.now(); })
                    .observe(status, { childList: true, characterData: true, subtree: true });
                document.querySelector("#need-submit").addEventListener("click", () => { window.__seen.click = performance.now(); }, true);
            }"""
        )
        await _record(page, f"ស្ពាន {marker}")
        await expect(page.locator("#need-status")).to_have_text("កំពុងផ្ញើ…")
        await expect(page.locator("#need-sync-note")).to_be_visible()  # "Saved on this phone"
        await expect(page.locator("#tracking-code")).to_have_text(CODE)
        # All of that while the server had not answered: the send was still held by the relay.
        assert relay.held and not relay.released.is_set()
        seen = await page.evaluate("() => window.__seen")
        print(f"\n'Sending…' shown {seen['status'] - seen['click']:.0f} ms after the tap (CPU 4x slower)")
        code = await page.locator("#tracking-code").inner_text()

        # The line comes back: "Send now" sends at once, with the code the citizen was given.
        relay.mode = "pass"
        relay.released.set()
        await expect(page.locator("#outbox-send-now")).to_be_visible()
        await page.click("#outbox-send-now")
        await expect(page.locator("#outbox-badge")).to_be_hidden(timeout=20_000)
        assert await _server_codes(stack, marker) == {f"ស្ពាន {marker}": code}
    finally:
        await relay.close()


async def test_the_outbox_sends_the_moment_the_network_returns_even_with_a_send_stuck_on_a_dead_line(
    open_page: OpenPage, stack: Stack
) -> None:
    context, page = await open_page(service_workers="block")
    relay = Relay()
    await relay.install(context)
    await throttle(context, page)
    try:
        await sign_in(page, stack)
        await page.goto(f"{stack.url}/needs/new")
        marker = f"back-{uuid.uuid4().hex[:8]}"
        relay.mode = "cut"
        await _record(page, f"ផ្លូវ {marker} ១")
        await expect(page.locator("#outbox-badge")).to_be_visible(timeout=20_000)
        await page.locator("[data-again]:visible").first.click()
        relay.mode = "hang"  # a retry now gets stuck on a line that carries nothing
        await page.click("#outbox-send-now")
        assert await _until(lambda: _true(bool(relay.held)), page)

        relay.mode = "pass"
        await context.set_offline(True)
        await context.set_offline(False)  # the phone says the network is back
        assert await _until(lambda: _has(_server_needs(stack, marker)), page)
        # Sent while the stuck request was still unanswered: nothing waited for it to time out.
        assert not relay.released.is_set()
        await expect(page.locator("#outbox-badge")).to_be_hidden()
        await expect(page.locator("#outbox-send-now")).to_be_hidden()
    finally:
        await relay.close()


async def test_back_and_forward_move_between_the_form_steps_and_the_draft_survives_closing_the_tab(
    open_page: OpenPage, stack: Stack
) -> None:
    context, page = await open_page()
    await sign_in(page, stack)
    await page.goto(f"{stack.url}/needs/new")
    await page.select_option("#village", "16010103")
    await page.click("[data-step='1'] [data-next]")
    await page.fill("#description", "ស្ពានបាក់ នៅភូមិ")
    await page.click("[data-step='2'] [data-next]")
    await expect(page.locator("[data-step='3']")).to_be_visible()
    await expect(page.locator("#step-label")).to_have_text("ជំហានទី ៣ នៃ ៣")

    await page.go_back()
    await expect(page.locator("[data-step='2']")).to_be_visible()
    await expect(page.locator("#step-label")).to_have_text("ជំហានទី ២ នៃ ៣")
    await page.go_back()
    await expect(page.locator("[data-step='1']")).to_be_visible()
    assert page.url.endswith("/needs/new")  # still in the form
    await page.go_forward()
    await expect(page.locator("[data-step='2']")).to_be_visible()
    await expect(page.locator("#description")).to_have_value("ស្ពានបាក់ នៅភូមិ")

    await page.close()  # the tab is closed (or the phone kills the browser)
    again = await context.new_page()
    await again.goto(f"{stack.url}/needs/new")
    await expect(again.locator("#village")).to_have_value("16010103")
    await again.click("[data-step='1'] [data-next]")
    await expect(again.locator("#description")).to_have_value("ស្ពានបាក់ នៅភូមិ")


async def test_the_language_switch_works_with_no_signal(open_page: OpenPage, stack: Stack) -> None:
    context, page = await open_page()
    await sign_in(page, stack)
    await shell_cached(page)
    await context.set_offline(True)
    await page.goto(f"{stack.url}/needs/new")
    await expect(page.locator("h1")).to_contain_text("កត់ត្រាតម្រូវការ")
    await page.click("a.lang")
    await page.wait_for_url(f"{stack.url}/needs/new")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator("h1")).to_contain_text("Record a need")
    await page.goto(f"{stack.url}/needs/mine")  # the choice holds for the next page too
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await page.click("a.lang")
    await expect(page.locator("html")).to_have_attribute("lang", "km")
    await expect(page.locator("h1")).to_contain_text("តម្រូវការ")


async def test_consent_comes_before_personal_details_with_a_plain_checkbox(
    open_page: OpenPage, stack: Stack
) -> None:
    _, page = await open_page()
    await sign_in(page, stack)
    await page.goto(f"{stack.url}/needs/new")
    await page.click("[data-step='1'] [data-next]")
    await page.fill("#description", "ទឹក")
    await page.click("[data-step='2'] [data-next]")
    order = await page.evaluate(
        """() => {
            const consent = document.querySelector("#consent"), sex = document.querySelector("#sex");
            return Boolean(consent.compareDocumentPosition(sex) & Node.DOCUMENT_POSITION_FOLLOWING);
        }"""
    )
    assert order  # asked before any personal detail
    label = await page.locator("label.consent").inner_text()
    assert not re.search("[\u2705\u2714\u2611]", label)  # no tick drawn beside an empty box
    assert not await page.is_checked("#consent")
    await expect(page.locator("#sex")).to_be_disabled()
    await expect(page.locator("#phone")).to_be_disabled()
    await page.check("#consent")
    await expect(page.locator("#sex")).to_be_enabled()
    await page.select_option("#sex", "female")
    await page.uncheck("#consent")
    await page.click("#need-submit")
    await expect(page.locator(".field-error[data-for=consent]")).to_be_visible()


async def test_on_a_silent_line_a_page_kept_on_the_phone_opens_within_seconds(
    open_page: OpenPage, stack: Stack
) -> None:
    relay = LineRelay(stack.port)
    await relay.start()
    try:
        context, page = await open_page()
        await throttle(context, page, network=False)
        await page.goto(f"{relay.url}/login")
        await page.fill("#username", "sophea")
        await page.fill("#password", PASSWORD)
        await page.click("#login-form button[type=submit]")
        await page.wait_for_url(f"{relay.url}/")
        await shell_cached(page)
        relay.mode = "hang"  # "connected", but nothing comes back, for the worker too
        await page.goto(f"{relay.url}/needs/new", wait_until="commit", timeout=30_000)
        await expect(page.locator("#need-form")).to_be_visible(timeout=20_000)
        assert relay.swallowed > 0  # the page asked the network, which never answered
    finally:
        relay.mode = "pass"
        await relay.stop()
