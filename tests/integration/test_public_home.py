"""The citizen's front door: an anonymous visit to ``/`` is a landing page in Khmer (track a need,
the next meetings, the budget, a way to the transparency page), not the sign-in page; a
signed-in person still gets their own home."""

from __future__ import annotations

import re
import uuid

import httpx

from gateway.graphql.ids import raw_id
from gateway.web.budget.formatting import this_year
from infra.stack import Stack
from tests.conftest import GraphQL
from tests.integration.test_meetings_api import announced, evening


async def test_an_anonymous_visitor_lands_on_the_citizen_page_in_khmer(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url) as http:
        page = await http.get("/", follow_redirects=False)
    assert page.status_code == 200, page.text[:300]
    assert '<html lang="km"' in page.text
    assert 'id="public-home"' in page.text and "login-form" not in page.text
    assert 'action="/track"' in page.text  # track a need, right here
    assert "តាមដានតម្រូវការ" in page.text
    # The demo serves two communes: the visitor chooses, and both are named.
    assert 'name="commune"' in page.text and "160101" in page.text and "210103" in page.text


async def test_a_chosen_commune_shows_its_meetings_budget_and_transparency_link_and_is_remembered(
    stack: Stack,
) -> None:
    chenda = GraphQL(stack.url)
    await chenda.login("chenda")  # Kouk Thlok's council
    title = f"ការកំណត់អាទិភាព {uuid.uuid4().hex[:6]}"
    starts, ends = evening(days=8, hour=8)
    meeting = await announced(
        chenda,
        commune="210103",
        title=title,
        venue={"villageCode": "21010301", "place": "សាលាឃុំ"},
        startsAt=starts,
        endsAt=ends,
    )
    await chenda.close()
    async with httpx.AsyncClient(base_url=stack.url) as http:
        page = await http.get("/", params={"commune": "210103"})
        assert page.status_code == 200
        assert http.cookies.get("khum_commune") == "210103"
        again = await http.get("/")  # the choice is kept
    for text in (page.text, again.text):
        assert title in text and f'href="/m/{raw_id("Meeting", meeting["id"])}"' in text
        assert re.search(rf'id="home-transparency" href="/communes/210103/budget/{this_year()}"', text)
        assert 'id="home-budget"' in text


async def test_a_signed_in_person_keeps_their_own_home(facilitator: GraphQL) -> None:
    page = await facilitator.http.get("/", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert 'id="home-actions"' in page.text and 'id="public-home"' not in page.text


async def test_an_english_visitor_gets_the_page_in_english(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url, cookies={"khum_lang": "en"}) as http:
        page = await http.get("/", params={"commune": "160101"})
    assert page.status_code == 200 and "Track a need" in page.text and "Next meetings" in page.text


async def test_the_demo_messages_page_exists_only_with_the_demo_channels(stack: Stack) -> None:
    # The tests' stack is a demo without `make run`'s pretend channels: no such page.
    async with httpx.AsyncClient(base_url=stack.url) as http:
        page = await http.get("/demo/messages")
    assert page.status_code == 404 and "ទំព័រនេះមានតែក្នុងការបង្ហាញសាកល្បងប៉ុណ្ណោះ" in page.text
