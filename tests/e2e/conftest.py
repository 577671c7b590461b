"""A real Chromium (Debian's /usr/bin/chromium) driven by Playwright against the running stack.

Helpers shared by the browser tests: sign in, wait for the service worker, run axe-core (from
npm, installed by `make bootstrap` with `npm ci`) in a page. Every page opened here fails its
test on a Content Security Policy report or an uncaught script error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from functools import cache
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from infra.stack import REPO_ROOT, Stack
from tests.support.browser import FIX, SKIP_REASON, find_chromium

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "khum-demo-2026"
PHONE = {"width": 360, "height": 740}
TABLET = {"width": 1024, "height": 768}
AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        executable = find_chromium(pw.chromium.executable_path)
        if executable is None:
            pytest.skip(f"{SKIP_REASON}; fix: {FIX}")
        chromium = await pw.chromium.launch(executable_path=str(executable), args=ARGS)
        yield chromium
        await chromium.close()


def watch(tab: Page, problems: list[str]) -> None:
    """Collect what must never happen on a page: CSP refusals and uncaught script errors."""
    tab.on(
        "console",
        lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await browser.new_context(viewport=PHONE, locale="km-KH")
    yield ctx
    await ctx.close()


@pytest.fixture
async def page(context: BrowserContext) -> AsyncIterator[Page]:
    tab = await context.new_page()
    problems: list[str] = []
    watch(tab, problems)
    yield tab
    assert problems == [], problems


OpenPage = Callable[..., Awaitable[tuple[BrowserContext, Page]]]


@pytest.fixture
async def open_page(browser: Browser) -> AsyncIterator[OpenPage]:
    """Opens a fresh browser profile (its own service worker, caches and IndexedDB) and a page in
    it; every page that profile opens later is watched too. ``open_page(TABLET)`` for a tablet."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    async def make(
        viewport: dict[str, int] = PHONE, service_workers: Any = "allow"
    ) -> tuple[BrowserContext, Page]:
        ctx = await browser.new_context(viewport=viewport, locale="km-KH", service_workers=service_workers)
        ctx.on("page", lambda tab: watch(tab, problems))
        contexts.append(ctx)
        return ctx, await ctx.new_page()

    yield make
    for ctx in contexts:
        await ctx.close()
    assert problems == [], problems


async def sign_in(page: Page, stack: Stack, username: str = "sophea") -> None:
    await page.goto(f"{stack.url}/login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(f"{stack.url}/")


async def controlled_by_service_worker(page: Page, timeout_ms: int = 15000) -> None:
    """Waits until the service worker controls the page. (page.evaluate runs outside the page's
    CSP; wait_for_function would need 'unsafe-eval'.)"""
    await page.evaluate(
        """(ms) => new Promise((resolve, reject) => {
            if (navigator.serviceWorker.controller) return resolve(true);
            navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true));
            setTimeout(() => reject(new Error("no service worker after " + ms + " ms")), ms);
        })""",
        timeout_ms,
    )


async def shell_cached(page: Page, timeout_ms: int = 15000) -> None:
    """Waits until the service worker has kept the signed-in person's pages for offline use."""
    await controlled_by_service_worker(page, timeout_ms)
    await page.evaluate(
        """async (ms) => {
            const end = Date.now() + ms;
            while (Date.now() < end) {
                for (const name of await caches.keys()) {
                    if (await (await caches.open(name)).match("/__khum/warmed-for")) return true;
                }
                await new Promise((r) => setTimeout(r, 100));
            }
            throw new Error("the pages were not cached within " + ms + " ms");
        }""",
        timeout_ms,
    )


@cache
def _axe_source() -> str:
    if not AXE.exists():
        # make bootstrap installs it whenever npm exists; .ci/run installs npm on CI machines.
        pytest.skip(f"accessibility checks skipped: {AXE} is missing (no npm here; `npm ci` installs it)")
    return AXE.read_text(encoding="utf-8")


async def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's WCAG 2.2 A/AA and best-practice violations of these impacts, one line each."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.evaluate(_axe_source())  # evaluated by the driver: the page's CSP does not apply
    result: dict[str, Any] = await page.evaluate(
        """(tags) => axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] })""",
        AXE_TAGS,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:4]}"
        for v in result["violations"]
        if v["impact"] in impacts
    ]
