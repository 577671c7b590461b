"""Benchmark: how long until the need form can be used on a cheap phone, in Chromium with the
Lighthouse mobile preset (1.6 Mbps down, 750 kbps up, 150 ms round trip, CPU 4x slower):
on a first visit (empty browser, signed in) and on a repeat visit with no network at all
(the service worker serves the page). Prints the figures; asserts nothing about time.

"Usable" is the moment pwa/static/js/app.js has wired the form (performance mark
``khum-form-ready``), measured from the start of the navigation."""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from infra.stack import REPO_ROOT, Stack

pytestmark = pytest.mark.bench

CHROMIUM = Path(os.environ.get("KHUM_CHROMIUM", "/usr/bin/chromium"))
RUNS = int(os.environ.get("KHUM_BENCH_PAGE_RUNS", "3"))
MOBILE = {  # Lighthouse's mobile throttling, in the units of Network.emulateNetworkConditions
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1.6 * 1024 * 1024 / 8,
    "uploadThroughput": 750 * 1024 / 8,
}
CPU_SLOWDOWN = 4
LOGIN = "mutation($l: String!, $p: String!) { login(login: $l, password: $p) { csrfToken } }"
READY = """() => new Promise((resolve, reject) => {
  const started = Date.now();
  const look = () => {
    const mark = performance.getEntriesByName("khum-form-ready")[0];
    if (mark) return resolve(mark.startTime);
    if (Date.now() - started > 60000) return reject(new Error("the form never became usable"));
    setTimeout(look, 20);
  };
  look();
})"""
CACHED = """async () => {
  for (let i = 0; i < 600; i += 1) {
    for (const name of await caches.keys()) {
      if (await (await caches.open(name)).match("/__khum/warmed-for")) return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the service worker did not keep the pages");
}"""


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"page benchmark skipped: no Chromium at {CHROMIUM}")
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"]
        )
        yield chromium
        await chromium.close()


async def _phone(browser: Browser, stack: Stack) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="km-KH")
    answer = await context.request.post(
        f"{stack.url}/graphql",
        data={"query": LOGIN, "variables": {"l": "sophea", "p": "khum-demo-2026"}},
    )
    assert answer.ok
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.emulateNetworkConditions", MOBILE)
    await cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    return context, page


async def _one_run(browser: Browser, stack: Stack) -> dict[str, float]:
    context, page = await _phone(browser, stack)
    try:
        await page.goto(f"{stack.url}/needs/new", wait_until="commit")
        first: float = await page.evaluate(READY)
        await page.evaluate(CACHED)  # the service worker kept the form for offline use
        await context.set_offline(True)
        await page.goto(f"{stack.url}/needs/new", wait_until="commit")
        offline: float = await page.evaluate(READY)
        assert await page.locator("#need-form").is_visible()
        return {"first_visit_ms": round(first, 1), "offline_repeat_ms": round(offline, 1)}
    finally:
        await context.close()


async def test_time_until_the_need_form_is_usable_on_a_throttled_phone(
    browser: Browser, stack: Stack
) -> None:
    runs = [await _one_run(browser, stack) for _ in range(RUNS)]
    medians: dict[str, Any] = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    print("\n== need form usable, Chromium, 1.6 Mbps / 150 ms RTT / CPU 4x ==")
    for i, r in enumerate(runs, 1):
        print(
            f"  run {i}: first visit {r['first_visit_ms']:>8.1f} ms   offline repeat visit {r['offline_repeat_ms']:>8.1f} ms"
        )
    print(
        f"  median: first visit {medians['first_visit_ms']:>8.1f} ms   offline repeat visit {medians['offline_repeat_ms']:>8.1f} ms"
    )
    out = REPO_ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "pwa_load.json").write_text(json.dumps({"runs": runs, "median": medians}, indent=2))


async def _first_visit_bytes(browser: Browser, stack: Stack) -> dict[str, Any]:
    """What a facilitator's first visit to home transfers, until the service worker has kept
    the offline pages (both languages) and files: total, JavaScript, and downloads per file."""
    context, page = await _phone(browser, stack)
    sizes: list[tuple[str, str, int]] = []

    async def finished(request: Any) -> None:
        response = await request.response()
        if response is None or response.from_service_worker:
            return
        got = await request.sizes()
        kind = (
            "js"
            if request.resource_type == "script" or request.url.split("?")[0].endswith(".js")
            else "other"
        )
        sizes.append((request.url, kind, got["responseBodySize"] + got["responseHeadersSize"]))

    context.on("requestfinished", finished)
    try:
        await page.goto(f"{stack.url}/", wait_until="commit")
        await page.evaluate(CACHED)
        await page.wait_for_timeout(500)
    finally:
        await context.close()
    static = [url for url, _, size in sizes if "/static/" in url and size > 0]
    return {
        "total_kb": round(sum(s for _, _, s in sizes) / 1024, 1),
        "js_kb": round(sum(s for _, k, s in sizes if k == "js") / 1024, 1),
        "responses": len(sizes),
        "static_downloaded_twice": sorted({u for u in static if static.count(u) > 1}),
    }


async def test_bytes_of_a_facilitators_first_visit_against_the_budget(browser: Browser, stack: Stack) -> None:
    figures = await _first_visit_bytes(browser, stack)
    print("\n== first visit to home on a throttled phone (budget: 100 KB in all, 30 KB of JavaScript) ==")
    print(
        f"  {figures['responses']} responses, {figures['total_kb']} KB "
        f"({figures['total_kb'] / 100:.0%} of budget), JavaScript {figures['js_kb']} KB "
        f"({figures['js_kb'] / 30:.0%} of budget); static files downloaded twice: "
        f"{figures['static_downloaded_twice'] or 'none'}"
    )
    out = REPO_ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "pwa_first_visit_bytes.json").write_text(json.dumps(figures, indent=2))
    # Bytes, unlike times, do not depend on the machine: the budgets hold or the page grew.
    assert figures["total_kb"] <= 100 and figures["js_kb"] <= 30
    assert figures["static_downloaded_twice"] == []
