"""Needs recorded with no signal wait in the phone's outbox and reach the server exactly once
when the network is back, with the tracking code the citizen was given at once; signing out
warns about them and seals them for the same account's next sign-in (nobody else can read
them); a need the server refuses waits with its error until the facilitator fixes it."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter

from playwright.async_api import BrowserContext, Page, Request, Route, expect

from infra.stack import Stack
from tests.conftest import GraphQL
from tests.e2e.conftest import OpenPage, shell_cached, sign_in

MINE = "query($t: String!) { needs(filter: {text: $t, mine: true}, first: 50) { totalCount edges { node { description trackingCode } } } }"
CODE = re.compile(r"^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{3}$")
KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")


async def _codes_reserved(page: Page) -> None:
    """Waits until the phone holds tracking codes reserved for the signed-in account."""
    await page.evaluate(
        """async () => {
            const account = document.querySelector('meta[name="khum-account"]').content;
            for (let i = 0; i < 150; i += 1) {
                if ((await self.KhumOutbox.codesOf(account)).length >= 5) return true;
                await new Promise((r) => setTimeout(r, 100));
            }
            throw new Error("no tracking codes were reserved for this phone");
        }"""
    )


async def _record(page: Page, description: str, village: str = "16010102") -> None:
    """Fill the three screens of the need form and save."""
    await page.select_option("#village", village)
    await page.check("input[name=sector][value=SOCIAL]")
    await page.click("[data-step='1'] [data-next]")
    await page.fill("#description", description)
    await page.click("[data-step='2'] [data-next]")
    await page.click("#need-submit")


IDB_DUMP = """() => new Promise((resolve) => {
    const req = indexedDB.open("khum");
    req.onsuccess = () => {
        const db = req.result, out = {};
        const names = ["outbox", "sealed"].filter((n) => db.objectStoreNames.contains(n));
        if (!names.length) { db.close(); return resolve({ outbox: [], sealed: [] }); }
        const tx = db.transaction(names);
        names.forEach((n) => { tx.objectStore(n).getAll().onsuccess = (e) => {
            out[n] = e.target.result.map((row) => JSON.stringify(row, (k, v) =>
                v instanceof ArrayBuffer || ArrayBuffer.isView(v) ? Array.from(new Uint8Array(v.buffer || v)) : v));
        }; });
        tx.oncomplete = () => { db.close(); resolve(Object.assign({ outbox: [], sealed: [] }, out)); };
    };
    req.onerror = () => resolve({ outbox: ["unreadable"], sealed: [] });
})"""


async def _server_codes(stack: Stack, marker: str) -> dict[str, str]:
    client = GraphQL(stack.url)
    try:
        await client.login("sophea")
        body = await client.execute(MINE, {"t": marker})
        edges = body["data"]["needs"]["edges"]  # type: ignore[index]
        return {e["node"]["description"]: e["node"]["trackingCode"] for e in edges}
    finally:
        await client.close()


async def _server_needs(stack: Stack, marker: str) -> list[str]:
    client = GraphQL(stack.url)
    try:
        await client.login("sophea")
        body = await client.execute(MINE, {"t": marker})
        assert "errors" not in body, body
        return [e["node"]["description"] for e in body["data"]["needs"]["edges"]]  # type: ignore[index]
    finally:
        await client.close()


def _submissions(context: BrowserContext) -> list[str]:
    """Idempotency keys of submitNeed requests the server answered, from pages and the worker."""
    answered: list[str] = []

    def done(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/graphql"):
            body = json.loads(request.post_data or "{}")
            if body.get("operationName") == "SubmitNeed":  # sent by hash: no query text
                answered.append(body["variables"]["input"]["idempotencyKey"])

    context.on("requestfinished", done)
    return answered


async def test_five_needs_recorded_offline_reach_the_server_exactly_once_after_the_app_is_reopened(
    open_page: OpenPage, stack: Stack
) -> None:
    context, page = await open_page()
    await sign_in(page, stack)
    await shell_cached(page)
    await page.goto(f"{stack.url}/needs/new")
    marker = f"offline-{uuid.uuid4().hex[:8]}"
    answered = _submissions(context)
    await _codes_reserved(page)
    await context.set_offline(True)
    given: dict[str, str] = {}
    for n in range(5):
        await _record(page, f"អណ្តូងទឹកស្អាត {marker} លេខ {n}")
        # The citizen leaves with the final code at once, though nothing was sent.
        await expect(page.locator("#need-sync-note")).to_be_visible()
        await expect(page.locator("#tracking-code")).to_have_text(CODE)
        given[f"អណ្តូងទឹកស្អាត {marker} លេខ {n}"] = await page.locator("#tracking-code").inner_text()
        await expect(page.locator("#outbox-badge")).to_contain_text(f"({n + 1})".translate(KHMER_DIGITS))
        await page.click("#need-result [data-again]")
        await expect(page.locator("#need-form")).to_be_visible()
    await page.close()

    reopened = await context.new_page()  # still no network: the app opens from the phone
    await reopened.goto(f"{stack.url}/")
    await expect(reopened.locator("#outbox-badge")).to_contain_text("(៥)")
    await reopened.click("#outbox-badge")
    await expect(reopened.locator("#outbox-list .outbox-entry")).to_have_count(5)
    assert await _server_needs(stack, marker) == []

    await context.set_offline(False)
    await expect(reopened.locator("#outbox-badge")).to_be_hidden(timeout=30000)
    await expect(reopened.locator("#outbox")).to_be_hidden()
    descriptions = await _server_needs(stack, marker)
    assert sorted(descriptions) == sorted(given)
    assert len(answered) == 5 and max(Counter(answered).values()) == 1, answered
    assert await _server_codes(stack, marker) == given  # the codes given offline are the real ones


async def test_a_need_saved_with_the_network_gets_its_tracking_code_at_once_and_leaves_nothing_waiting(
    open_page: OpenPage, stack: Stack
) -> None:
    _, page = await open_page()
    await sign_in(page, stack)
    await page.goto(f"{stack.url}/needs/new")
    marker = f"online-{uuid.uuid4().hex[:8]}"
    await _record(page, f"ផ្លូវលំ {marker}")
    await expect(page.locator("#tracking-code")).to_have_text(re.compile(r"^[2-9A-Z]{4}-[2-9A-Z]{3}$"))
    await expect(page.locator("#outbox-badge")).to_be_hidden()
    assert await _server_needs(stack, marker) == [f"ផ្លូវលំ {marker}"]


async def test_signing_out_with_needs_waiting_warns_then_seals_them_for_the_same_persons_next_sign_in(
    open_page: OpenPage, stack: Stack
) -> None:
    # No service worker here: its own sends of the outbox are not always routed through
    # context.route, and this test is about the page's warning and clearing, not the worker.
    context, page = await open_page(service_workers="block")
    await sign_in(page, stack)
    await page.goto(f"{stack.url}/needs/new")

    async def unreachable(route: Route) -> None:
        await route.abort("internetdisconnected")

    await context.route("**/graphql", unreachable)  # the server cannot be reached, the pages can
    marker = f"logout-{uuid.uuid4().hex[:8]}"
    await _record(page, f"ស្ពានឈើ {marker}")
    # A loaded CI machine may take a while to fail the send and save to IndexedDB.
    await expect(page.locator("#outbox-badge")).to_contain_text("(១)", timeout=20_000)

    await page.click("form[action='/logout'] button")
    dialog = page.locator("#logout-dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog.locator("#logout-text")).to_contain_text("១")
    await page.click("#logout-cancel")
    await expect(dialog).to_be_hidden()
    await expect(page.locator("#outbox-badge")).to_contain_text("(១)")  # still signed in, still waiting

    await page.click("form[action='/logout'] button")
    await page.click("#logout-confirm")
    await page.wait_for_url(f"{stack.url}/login")
    await context.unroute("**/graphql")
    # Nothing readable is left: the need is sealed (AES-GCM) for Sophea's next sign-in here.
    stored = await page.evaluate(IDB_DUMP)
    assert stored["outbox"] == [] and len(stored["sealed"]) == 1, stored
    assert marker not in json.dumps(stored)
    kept = await page.evaluate(
        """async () => {
            const kept = [];
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                for (const request of await cache.keys()) {
                    const path = new URL(request.url).pathname;
                    if (!path.startsWith("/static/") && !/login|offline|manifest|sign-out|lang/.test(path)) kept.push(path);
                }
            }
            return kept;
        }"""
    )
    assert kept == []  # none of the person's pages stays on the phone

    # The next person on the phone sees nothing of it, and cannot open it.
    await sign_in(page, stack, "dara")
    await expect(page.locator("#outbox-badge")).to_be_hidden()
    assert len((await page.evaluate(IDB_DUMP))["sealed"]) == 1
    await page.click("form[action='/logout'] button")
    await page.wait_for_url(f"{stack.url}/login")

    # Sophea signs in again: her need is opened and sent, once.
    await sign_in(page, stack)
    for _ in range(100):
        if await _server_needs(stack, marker):
            break
        await page.wait_for_timeout(200)
    assert await _server_needs(stack, marker) == [f"ស្ពានឈើ {marker}"]
    await expect(page.locator("#outbox-badge")).to_be_hidden()
    assert (await page.evaluate(IDB_DUMP))["sealed"] == []


async def test_a_need_the_server_refuses_waits_with_its_error_until_it_is_fixed(
    open_page: OpenPage, stack: Stack
) -> None:
    context, page = await open_page()
    await sign_in(page, stack)
    await shell_cached(page)
    await page.goto(f"{stack.url}/needs/new")
    # A village the gazetteer no longer has: the form on the phone is older than the server.
    await page.evaluate(
        """() => {
            const gone = document.createElement("option");
            gone.value = "16010199";
            gone.textContent = "ភូមិចាស់";
            document.querySelector("#village").appendChild(gone);
        }"""
    )
    marker = f"refused-{uuid.uuid4().hex[:8]}"
    await context.set_offline(True)
    await _record(page, f"ប្រឡាយ {marker}", village="16010199")
    await expect(page.locator("#need-result, #need-queued").locator("visible=true")).to_have_count(1)
    await context.set_offline(False)
    await page.goto(f"{stack.url}/needs/mine")
    entry = page.locator("#outbox-list .outbox-entry[data-state=failed]")
    await expect(entry).to_contain_text("16010199", timeout=20000)  # the server's own words
    await expect(page.locator("#outbox-badge")).to_have_class(re.compile("has-failed"))

    await entry.locator("a.button").click()
    error = page.locator(".field-error[data-for=villageCode]")
    await expect(error).to_be_visible()
    await expect(error).to_contain_text("16010199")
    await expect(page.locator("#village")).to_have_attribute("aria-invalid", "true")
    await page.select_option("#village", "16010103")
    await page.click("[data-step='1'] [data-next]")
    await expect(page.locator("#description")).to_have_value(f"ប្រឡាយ {marker}")
    await page.click("[data-step='2'] [data-next]")
    await page.click("#need-submit")
    await expect(page.locator("#tracking-code")).to_be_visible()
    await expect(page.locator("#outbox-badge")).to_be_hidden()
    assert await _server_needs(stack, marker) == [f"ប្រឡាយ {marker}"]
