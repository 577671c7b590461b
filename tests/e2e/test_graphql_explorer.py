"""The development GraphQL explorer at GET /graphql: Khum's own files under a strict CSP
(GraphiQL was served without one and loaded its scripts from a CDN)."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Page, Request, expect

from infra.stack import Stack
from tests.e2e.conftest import axe_violations, sign_in


async def test_the_explorer_is_served_from_khums_own_files_under_the_csp(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url) as http:
        page = await http.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert not re.search(r"https?://", page.text), "the page names an outside address"
        assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)[^>]*>", page.text), "an inline script"
        assert " style=" not in page.text
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
            served = await http.get(asset)
            assert served.status_code == 200, asset
            assert not re.search(r"https?://", served.text), f"{asset} names an outside address"


async def test_the_explorer_runs_a_query_and_lists_the_schema_in_a_browser(stack: Stack, page: Page) -> None:
    outside: list[str] = []

    def record(request: Request) -> None:
        if not request.url.startswith(stack.url):
            outside.append(request.url)

    page.on("request", record)
    await sign_in(page, stack, "dara")
    await page.goto(f"{stack.url}/graphql")
    await page.fill("#query", "{ me { role communes } }")
    await page.click("#run")
    await expect(page.locator("#result")).to_contain_text("COUNCIL_MEMBER")
    await page.click("#load-schema")
    await expect(page.locator("#schema")).to_contain_text("needByTrackingCode")
    await page.fill("#filter", "transparency")
    await expect(page.locator("#schema dt")).to_have_count(1)
    assert outside == []
    assert await axe_violations(page) == []
