"""Every screen, in Khmer, on a 360 px phone (and the council's on a tablet): axe-core finds no
serious or critical WCAG 2.2 violation; nothing overflows sideways; Khmer lines break between
words, never inside one; touch targets are at least 44 px; Tab follows the reading order."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from playwright.async_api import Page, expect

from infra.stack import Stack
from tests.conftest import GraphQL
from tests.e2e.conftest import PHONE, TABLET, OpenPage, axe_violations, sign_in
from tests.integration.test_meetings_api import announced

# A long need in Khmer without spaces between words, as people write it.
LONG_KHMER = (
    "ភូមិយើងត្រូវការអណ្តូងទឹកស្អាតសម្រាប់គ្រួសារក្រីក្រដែលរស់នៅឆ្ងាយពីផ្លូវធំ"
    "ហើយកុមារត្រូវដើរទៅសាលារៀនឆ្ងាយណាស់នៅរដូវវស្សាដោយសារតែស្ពានបាក់"
    "ដូច្នេះយើងសុំឱ្យក្រុមប្រឹក្សាឃុំជួសជុលស្ពាននិងជីកអណ្តូងថ្មីមួយនៅកណ្តាលភូមិ"
)


@dataclass(frozen=True)
class Screen:
    name: str
    user: str | None
    path: str
    tablet: bool = False
    then: Callable[[Page], Awaitable[None]] | None = None


async def _form_step(page: Page, step: int) -> None:
    if step >= 2:
        await page.click("[data-step='1'] [data-next]")
        await page.fill("#description", LONG_KHMER)
    if step >= 3:
        await page.click("[data-step='2'] [data-next]")
        await page.check("input[name=raiserKind][value=group]")


async def _step2(page: Page) -> None:
    await _form_step(page, 2)


async def _step3(page: Page) -> None:
    await _form_step(page, 3)


async def _empty_form_errors(page: Page) -> None:
    await page.click("[data-step='1'] [data-next]")
    await page.click("[data-step='2'] [data-next]")
    await expect(page.locator(".field-error[data-for=description]")).to_be_visible()


async def _merge_panel(page: Page) -> None:
    boxes = page.locator(".pick-box")
    if await boxes.count() >= 2:
        await boxes.nth(0).check()
        await boxes.nth(1).check()
        await expect(page.locator("#merge-panel")).to_be_visible()


async def _logout_dialog(page: Page) -> None:
    await page.evaluate("""() => document.querySelector("#logout-text").textContent = "…" """)
    await page.evaluate("""() => document.querySelector("#logout-dialog").showModal()""")


SCREENS = [
    Screen("sign in", None, "/login"),
    Screen("track, empty", None, "/track"),
    Screen("track, found", None, "/track?code={code}"),
    Screen("track, unknown code", None, "/track?code=0000-000"),
    Screen("offline", None, "/offline"),
    Screen("about, data sources", None, "/about"),
    Screen("home, public", None, "/?commune=160101"),
    Screen("home, public, choose a commune", None, "/"),
    Screen("home, facilitator", "sophea", "/"),
    Screen("need form, screen 1", "sophea", "/needs/new"),
    Screen("need form, screen 2", "sophea", "/needs/new", then=_step2),
    Screen("need form, screen 3", "sophea", "/needs/new", then=_step3),
    Screen("need form, errors", "sophea", "/needs/new", then=_empty_form_errors),
    Screen("needs I recorded", "sophea", "/needs/mine"),
    Screen("notifications", "sophea", "/notifications"),
    Screen("sign-out warning", "sophea", "/", then=_logout_dialog),
    Screen("home, council", "dara", "/", tablet=True),
    Screen("triage, tablet", "dara", "/council/needs?status=all", tablet=True, then=_merge_panel),
    Screen("triage, phone", "dara", "/council/needs?status=all"),
    Screen("triage, refused filter", "dara", "/council/needs?village=1", tablet=True),
    Screen("dashboard, tablet", "dara", "/council/dashboard", tablet=True),
    Screen("dashboard, phone", "dara", "/council/dashboard"),
    Screen("not for facilitators", "sophea", "/council/needs"),
    Screen("villages' population", "dara", "/council/population", tablet=True),
    Screen("referrals received", "sokha", "/district/referrals?district=1601", tablet=True),
    Screen("oversight, province by commune, tablet", "sokha", "/oversight?rows=commune", tablet=True),
    Screen("oversight, province by district, tablet", "sokha", "/oversight", tablet=True),
    Screen("oversight, partner, phone", "ngo", "/oversight"),
]


@pytest.fixture(scope="module")
async def tracking_code(stack: Stack) -> str:
    client = GraphQL(stack.url)
    try:
        await client.login("sophea")
        body = await client.execute(
            "mutation($i: SubmitNeedInput!) { submitNeed(input: $i) { trackingCode } }",
            {
                "i": {
                    "villageCode": "16010101",
                    "description": LONG_KHMER,
                    "sector": "SOCIAL",
                    "raisedBy": {"kind": "group", "people": 9, "idpoor": 4, "women": 5},
                    "idempotencyKey": f"e2e-a11y-{uuid.uuid4().hex}",
                }
            },
        )
        assert "errors" not in body, body
        code: str = body["data"]["submitNeed"]["trackingCode"]  # type: ignore[index]
    finally:
        await client.close()
    # An announced meeting, so the public home lists one (a one-line link once measured 30 px).
    council = GraphQL(stack.url)
    try:
        await council.login("dara")
        await announced(council, title="ប្រជុំភូមិលោម")  # short: one line
    finally:
        await council.close()
    return code


async def _open(open_page: OpenPage, stack: Stack, screen: Screen, code: str) -> Page:
    _, page = await open_page(TABLET if screen.tablet else PHONE)
    if screen.user:
        await sign_in(page, stack, screen.user)
    await page.goto(stack.url + screen.path.format(code=code))
    if screen.then:
        await screen.then(page)
    return page


OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const found = [];
  if (document.documentElement.scrollWidth > width) found.push("the page scrolls sideways");
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("[hidden], .table-wrap, .skip, dialog:not([open]), .visually-hidden")) continue;
    const box = el.getBoundingClientRect();
    if (!box.width && !box.height) continue;
    if (box.left < -1 || box.right > width + 1) found.push(name(el) + " sticks out: " + Math.round(box.right));
  }
  return found.slice(0, 8);
}"""

# Line starts inside a text node must be word starts (ICU's Khmer dictionary, as Intl.Segmenter
# sees them): a line never begins in the middle of a word or a cluster of stacked letters.
WORD_BREAKS = """() => {
  const khmer = /[\\u1780-\\u17FF]/;
  const words = new Intl.Segmenter("km", { granularity: "word" });
  const letters = new Intl.Segmenter("km", { granularity: "grapheme" });
  const range = document.createRange();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const bad = [];
  let breaks = 0;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent;
    if (!khmer.test(text) || node.parentElement.closest("[hidden], script, option, dialog:not([open])")) continue;
    const starts = new Set(Array.from(words.segment(text), (s) => s.index));
    let top = null;
    for (const { index, segment } of letters.segment(text)) {
      range.setStart(node, index);
      range.setEnd(node, index + segment.length);
      const rects = range.getClientRects();
      if (!rects.length || !segment.trim()) continue;
      const y = Math.round(rects[0].top);
      if (top !== null && y > top + 4) {
        breaks += 1;
        if (!starts.has(index)) bad.push(text.slice(Math.max(0, index - 6), index) + "|" + text.slice(index, index + 6));
      }
      top = y;
    }
  }
  return { breaks, bad: bad.slice(0, 8) };
}"""


SMALL_TARGETS = """() => {
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.name ? "[" + el.name + "]" : "") +
    " " + (el.textContent || el.value || "").trim().slice(0, 20);
  const small = [];
  for (const el of document.querySelectorAll("a[href], button, input, select, textarea, summary")) {
    if (el.type === "hidden" || el.closest("[hidden], .skip, dialog:not([open])")) continue;
    let box = el.getBoundingClientRect();
    if (!box.width && !box.height) continue;
    if (el.type === "radio" || el.type === "checkbox") box = (el.closest("label") || el).getBoundingClientRect();
    // A link inside a sentence is exempt (WCAG 2.5.8), but none of ours is alone on its line.
    const inline = el.tagName === "A" && getComputedStyle(el).display === "inline" &&
      el.parentElement.textContent.trim() !== el.textContent.trim();
    if (!inline && (box.height < 43.5 || box.width < 43.5)) small.push(name(el) + " " + Math.round(box.width) + "x" + Math.round(box.height));
  }
  return small;
}"""


@pytest.mark.parametrize("screen", SCREENS, ids=[s.name for s in SCREENS])
async def test_the_screen_passes_axe_wraps_khmer_between_words_and_has_44_px_targets(
    open_page: OpenPage, stack: Stack, tracking_code: str, screen: Screen
) -> None:
    page = await _open(open_page, stack, screen, tracking_code)
    assert await page.get_attribute("html", "lang") == "km"
    wrapped = await page.evaluate(WORD_BREAKS)
    found = {
        "sticks out": await page.evaluate(OVERFLOW),
        "word cut at a line end": wrapped["bad"],
        "touch target under 44 px": await page.evaluate(SMALL_TARGETS),
        "axe": await axe_violations(page),
    }
    assert found == {problem: [] for problem in found}
    if not screen.tablet and screen.path.startswith("/track?code={code}"):
        assert wrapped["breaks"] >= 3  # the long need really wrapped, so the check means something


FOCUS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return { tag: el.tagName, text: (el.textContent || el.name || "").trim().slice(0, 30), index:
    Array.from(document.querySelectorAll("*")).indexOf(el), outline: style.outlineStyle };
}"""


@pytest.mark.parametrize("path", ["/", "/needs/new"])
async def test_tab_moves_through_the_page_in_reading_order_with_a_visible_focus(
    open_page: OpenPage, stack: Stack, path: str
) -> None:
    _, page = await open_page()
    await sign_in(page, stack)
    await page.goto(stack.url + path)
    seen = []
    for _ in range(12):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(FOCUS)
        if focused["tag"] == "BODY":
            break
        seen.append(focused)
    assert seen[0]["text"] == "រំលងទៅខ្លឹមសារ"  # "skip to the content" comes first
    order = [f["index"] for f in seen]
    assert order == sorted(order), seen
    assert all(f["outline"] != "none" for f in seen), seen
    if path == "/":
        assert any("កត់ត្រាតម្រូវការ" in f["text"] for f in seen)
