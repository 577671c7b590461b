"""Every page on a 360 px phone, in both languages: nothing scrolls sideways; Khmer pages
write their numbers in Khmer digits; people see commune names, never gazetteer codes.

Pages are found the way a person finds them (the meetings list links to a meeting, the
budget links to a project), so a new page linked from these is walked too. The test makes its
own announced meeting with an agenda, a funded budget project and the loudspeaker script its
need's funding causes, so those screens are walked whatever ran before (year 2073)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.async_api import Page, expect

from gateway.graphql.ids import raw_id
from gateway.web import formatting
from infra.stack import Stack
from tests.conftest import GraphQL, wait_for
from tests.e2e.conftest import OpenPage, sign_in
from tests.integration.test_budget_support import (
    ALLOCATE,
    CREATE_PROJECT,
    MALIK,
    SET_LINE,
    approve,
    approved_and_known,
    data,
    submit_needs,
)
from tests.integration.test_meetings_api import announced, submitted_need

YEAR = datetime.now(UTC).year
PUBLIC = ["/", "/?commune=160101", "/login", "/track", "/offline", f"/communes/160101/budget/{YEAR}"]
PAGES = {
    None: PUBLIC,
    "sophea": [
        "/",
        "/needs/new",
        "/needs/new#2",
        "/needs/new#3",
        "/needs/mine",
        "/notifications",
        "/meetings",
    ],
    "dara": [
        "/",
        "/council/needs?status=all",
        "/council/dashboard",
        "/meetings",
        "/needs/drafts",
        "/loudspeaker",
        "/notify/deliveries",
    ],
    "bopha": ["/meetings/new", "/budget", f"/budget/160101/{YEAR}", "/meetings"],
    "visal": ["/admin"],
}
# Followed from the pages above: a meeting and its screens, a budget project, a loudspeaker script.
FOLLOW = re.compile(
    r"^/(meetings/(?!new$)[^/?#.]+(/agenda|/attendance|/minutes)?|budget/projects/[^/?#]+|m/[^/?#]+|loudspeaker/[^/?#]+)$"
)

SIDEWAYS = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const found = ["scrolls sideways: " + document.documentElement.scrollWidth + " > " + width];
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("[hidden], .table-wrap, dialog:not([open])")) continue;
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1) found.push(name(el) + " ends at " + Math.round(box.right));
  }
  return found.slice(0, 6);
}"""

# Western digits in what a Khmer reader sees, outside what must stay as typed: tracking codes
# and other identifiers, addresses, what people wrote (needs, reasons, messages), input values.
# The templates mark those (.code on identifiers, .need-text or data-verbatim on people's words),
# so an unmarked code or number is a finding, wherever it appears.
LATIN_DIGITS = """() => {
  const keep = "script, style, [hidden], dialog:not([open]), .tracking-code, .code, code, .feed-url, " +
    ".need-text, .reason, [data-verbatim], " +
    "[lang=en], input, textarea, select option[value=''], .phone, .usd, [data-code], [data-latin]";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    if (!/[0-9]/.test(text) || node.parentElement.closest(keep)) continue;
    if (/https?:|webcal:|@/.test(text)) continue;
    found.push(node.parentElement.tagName.toLowerCase() + ": " + text.slice(0, 60));
  }
  return found.slice(0, 10);
}"""

# A commune (6 digits) or village (8 digits) code where a name belongs, in either script. Codes
# shown on purpose (.code: an admin's commune scopes, a delivery's technical address) are not.
GAZETTEER_CODES = """() => {
  const keep = "script, style, [hidden], dialog:not([open]), .need-text, .reason, [data-verbatim], " +
    ".code, input, textarea, .phone";
  const code = /(^|[^0-9០-៩,.])[0-9០-៩]{6}([0-9០-៩]{2})?([^0-9០-៩,.]|$)/;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    if (!code.test(text) || node.parentElement.closest(keep) || /https?:|webcal:/.test(text)) continue;
    found.push(node.parentElement.tagName.toLowerCase() + ": " + text.slice(0, 60));
  }
  return found.slice(0, 10);
}"""


async def _step(page: Page, fragment: str) -> None:
    """The need form's second and third screens (#2, #3)."""
    if fragment in ("2", "3"):
        await page.click("[data-step='1'] [data-next]")
        await page.fill("#description", "ទឹកស្អាត")
    if fragment == "3":
        await page.click("[data-step='2'] [data-next]")


async def _links(page: Page) -> list[str]:
    hrefs: list[str] = await page.eval_on_selector_all(
        "a[href^='/']", "els => els.map(e => e.getAttribute('href'))"
    )
    return [h for h in hrefs if FOLLOW.match(h)]


@pytest.fixture(scope="module")
async def made(stack: Stack) -> dict[str | None, list[str]]:
    """An announced meeting whose agenda holds a need (written with Western digits, as people
    do), a funded project for another need, and the loudspeaker script its funding causes:
    the screens each person reaches them from."""
    facilitator, council = GraphQL(stack.url), GraphQL(stack.url)
    try:
        await facilitator.login("sophea")
        await council.login("dara")
        need = await submitted_need(facilitator, council, village="16010103")
        meeting = raw_id("Meeting", (await announced(council, need))["id"])
        year = 2073
        (funded,) = await submit_needs(facilitator, ["អណ្តូងទឹក 2 នៅភូមិ"])
        decision = await approve(stack, MALIK, year, [str(funded["need_id"])])
        await approved_and_known(council, year, decision, [str(funded["id"])])
        line = {"communeCode": MALIK, "year": year, "kind": "LOCAL_DEVELOPMENT", "amount": "50000000"}
        data(await council.execute(SET_LINE, {"i": line}), "setBudgetLine")
        project = {
            "communeCode": MALIK,
            "year": year,
            "title": "អណ្តូងទឹកភូមិ",
            "needIds": [funded["id"]],
            "estimatedCost": "20000000",
        }
        created = data(await council.execute(CREATE_PROJECT, {"i": project}), "createProject")
        money = {
            "projectId": created["id"],
            "lineKind": "LOCAL_DEVELOPMENT",
            "amount": "20000000",
            "decisionId": decision,
        }
        data(await council.execute(ALLOCATE, {"i": money}), "allocate")

        async def script_listed() -> bool:
            page = await council.http.get("/loudspeaker")
            return funded["trackingCode"] in page.text

        await wait_for(script_listed, interval=0.5)
        screens = [f"/meetings/{meeting}{tail}" for tail in ("", "/agenda", "/attendance", "/minutes")]
        return {
            None: [f"/m/{meeting}"],
            "sophea": [f"/meetings/{meeting}"],
            "dara": [*screens, f"/m/{meeting}", f"/budget/projects/{raw_id('Project', created['id'])}"],
            "bopha": screens[:1],
            "visal": [],
        }
    finally:
        await facilitator.close()
        await council.close()


@pytest.mark.parametrize("lang", ["km", "en"])
@pytest.mark.parametrize("user", list(PAGES), ids=[u or "anonymous" for u in PAGES])
async def test_every_page_fits_a_360_px_phone_and_writes_numbers_in_the_pages_script(
    open_page: OpenPage, stack: Stack, made: dict[str | None, list[str]], user: str | None, lang: str
) -> None:
    context, page = await open_page(service_workers="block")
    await context.add_cookies([{"name": "khum_lang", "value": lang, "url": stack.url}])
    if user:
        await sign_in(page, stack, user)
    problems: dict[str, list[str]] = {}
    todo = [*PAGES[user], *made[user]]
    seen: set[str] = set()
    while todo and len(seen) < 36:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        address, _, fragment = path.partition("#")
        answer = await page.goto(stack.url + address + (f"?step={fragment}" if fragment else ""))
        assert answer is not None and answer.status < 500, (path, answer and answer.status)
        await _step(page, fragment)
        found = list(await page.evaluate(SIDEWAYS))
        found += [f"a place's code, not its name: {c}" for c in await page.evaluate(GAZETTEER_CODES)]
        if lang == "km":
            found += [f"western digits: {d}" for d in await page.evaluate(LATIN_DIGITS)]
        if found:
            problems[path] = found
        todo += [link for link in await _links(page) if link not in seen][:4]
    print(f"\n{user or 'anonymous'} ({lang}): {len(seen)} pages at 360 px: {sorted(seen)}")
    if user == "dara":  # the walk reached a loudspeaker script from the list
        assert any(p.startswith("/loudspeaker/") for p in seen), sorted(seen)
    report = [f"{path}: {problem}" for path, found in problems.items() for problem in found]
    assert not report, "\n".join(report)


@pytest.mark.parametrize("lang", ["km", "en"])
async def test_the_calendar_subscription_names_the_commune_not_its_code(
    open_page: OpenPage, stack: Stack, lang: str
) -> None:
    context, page = await open_page()
    await context.add_cookies([{"name": "khum_lang", "value": lang, "url": stack.url}])
    await sign_in(page, stack, "sophea")
    await page.goto(f"{stack.url}/meetings")
    button = page.locator("a[href^='webcal:']").first
    text = await button.inner_text()
    assert "160101" not in text and "១៦០១០១" not in text
    assert ("ម៉ាលិក" if lang == "km" else "Malik") in text, text


@pytest.mark.parametrize("lang", ["km", "en"])
async def test_the_browser_writes_dates_and_numbers_exactly_as_the_server_does(
    open_page: OpenPage, stack: Stack, lang: str
) -> None:
    context, page = await open_page()
    await context.add_cookies([{"name": "khum_lang", "value": lang, "url": stack.url}])
    await sign_in(page, stack, "sophea")
    await page.goto(f"{stack.url}/needs/new")
    moments = ["2026-12-04T13:41:00+00:00", "2027-01-01T00:05:00+00:00", "2026-04-14T17:00:00+00:00"]
    numbers = [0, 7, 16, 2026, 1234567]
    browser = await page.evaluate(
        "([ds, ns]) => [ds.map((d) => KhumFormat.date(new Date(d))), ns.map((n) => KhumFormat.number(n))]",
        [moments, numbers],
    )
    assert browser == [
        [formatting.local_datetime(m, lang) for m in moments],
        [formatting.number(n, lang) for n in numbers],
    ]
    if lang == "km":
        assert browser[0][0] == "៤ ធ្នូ ២០២៦ ២០:៤១"
        await expect(page.locator("#step-label")).to_have_text("ជំហានទី ១ នៃ ៣")
