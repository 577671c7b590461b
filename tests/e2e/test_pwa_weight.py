"""Page weight on a phone: a facilitator's first visit to the home page (empty browser, the
service worker installing and keeping the offline pages) transfers at most 100 KB, of which
JavaScript at most 30 KB, and asks nothing of any other site. Bytes are stable, so they are
asserted; times are only printed, by `make bench`."""

from __future__ import annotations

import re
from collections import Counter

from playwright.async_api import Request

from infra.stack import Stack
from tests.e2e.conftest import PASSWORD, OpenPage, shell_cached

HASHED = re.compile(r"\.[0-9a-f]{10}\.[a-z0-9]+$")
TOTAL_BUDGET = 100 * 1024
JS_BUDGET = 30 * 1024
LOGIN = "mutation($l: String!, $p: String!) { login(login: $l, password: $p) { csrfToken } }"


async def test_a_facilitators_first_visit_to_home_stays_within_the_byte_budget(
    open_page: OpenPage, stack: Stack
) -> None:
    context, page = await open_page()
    # Signed in without visiting any page, so the first page load starts from an empty browser.
    answer = await context.request.post(
        f"{stack.url}/graphql", data={"query": LOGIN, "variables": {"l": "sophea", "p": PASSWORD}}
    )
    assert answer.ok and "errors" not in await answer.json()

    transfers: list[tuple[str, str, int]] = []
    urls: list[str] = []
    static_headers: dict[str, str] = {}

    async def finished(request: Request) -> None:
        response = await request.response()
        if response is None or response.from_service_worker:
            return  # answered from the phone's cache: nothing crossed the network
        if "/static/" in request.url:
            static_headers[request.url] = (await response.all_headers()).get("cache-control", "")
        sizes = await request.sizes()
        kind = (
            "js"
            if request.resource_type == "script" or request.url.split("?")[0].endswith(".js")
            else "other"
        )
        transfers.append((request.url, kind, sizes["responseBodySize"] + sizes["responseHeadersSize"]))

    context.on("request", lambda request: urls.append(request.url))
    context.on("requestfinished", finished)
    await page.goto(f"{stack.url}/")
    await shell_cached(page)  # the service worker has fetched everything it keeps
    await page.wait_for_timeout(300)  # let the last "requestfinished" events arrive

    total = sum(size for _, _, size in transfers)
    js = sum(size for _, kind, size in transfers if kind == "js")
    print(
        f"\nfirst visit to home: {len(transfers)} responses, {total / 1024:.1f} KB, JavaScript {js / 1024:.1f} KB"
    )
    for url, kind, size in sorted(transfers, key=lambda t: -t[2]):
        print(f"  {size:>7} B  {kind:<5} {url.removeprefix(stack.url)}")
    assert all(url.startswith(stack.url + "/") for url in urls), [
        u for u in urls if not u.startswith(stack.url)
    ]
    assert any(url.endswith("/needs/new") for url, _, _ in transfers)  # the offline form was fetched
    # Static files: content-hashed names, cached for a year, each crossing the network once
    # (the service worker's copy and its importScripts come from the HTTP cache: 0 bytes).
    static = [(url, size) for url, _, size in transfers if "/static/" in url]
    assert static and all(HASHED.search(url) for url, _ in static), static
    assert all("immutable" in static_headers[url] for url, _ in static), static_headers
    downloaded = Counter(url for url, size in static if size > 0)
    assert max(downloaded.values()) == 1, downloaded
    assert total <= TOTAL_BUDGET
    assert js <= JS_BUDGET


async def test_the_khmer_fallback_font_is_small_usable_and_left_alone_when_the_phone_has_one(
    open_page: OpenPage, stack: Stack
) -> None:
    context, page = await open_page()
    fetched: list[str] = []
    context.on(
        "request", lambda request: fetched.append(request.url) if "/static/fonts/" in request.url else None
    )
    await page.goto(f"{stack.url}/login")
    await page.evaluate("document.fonts.ready.then(() => true)")
    assert fetched == []  # this machine has Khmer fonts (fonts-khmeros): the subset is not needed
    answer = await context.request.get(f"{stack.url}/static/fonts/khum-khmer.woff2")
    assert answer.ok and len(await answer.body()) <= 20 * 1024
    # Loaded on purpose, the subset really draws Khmer (its own glyph widths, not a fallback's).
    widths = await page.evaluate(
        """async () => {
            const face = new FontFace("KhumSubsetCheck", "url(/static/fonts/khum-khmer.woff2)");
            document.fonts.add(await face.load());
            const ctx = document.createElement("canvas").getContext("2d");
            const width = (family) => { ctx.font = "32px " + family; return ctx.measureText("កម្ពុជា").width; };
            return [face.status, width("KhumSubsetCheck, monospace"), width("monospace")];
        }"""
    )
    assert widths[0] == "loaded" and widths[1] > 0 and widths[1] != widths[2]
