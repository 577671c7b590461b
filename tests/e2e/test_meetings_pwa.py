"""Meetings in a real browser: the council schedules with suggested times on a tablet and builds
the agenda from needs; the facilitator's phone shows the announced meeting with its agenda, an
.ics to add to the calendar and share links; the attendance counter is made for tapping."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from icalendar import Calendar
from playwright.async_api import Browser, Page, expect

from gateway.graphql.ids import raw_id
from infra.stack import Stack
from tests.conftest import GraphQL
from tests.integration.test_meetings_api import AGENDA, ANNOUNCE, GET, data_of, schedule, submitted_need

PASSWORD = "khum-demo-2026"


async def sign_in(page: Page, stack: Stack, username: str) -> None:
    await page.goto(f"{stack.url}/login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(f"{stack.url}/")


@pytest.fixture
async def tablet(browser: Browser) -> AsyncIterator[Page]:
    ctx = await browser.new_context(viewport={"width": 1024, "height": 768}, locale="km-KH")
    tab = await ctx.new_page()
    problems: list[str] = []
    tab.on(
        "console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None
    )
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    yield tab
    await ctx.close()
    assert problems == [], problems


async def test_the_council_schedules_with_a_suggested_time_and_builds_the_agenda(
    tablet: Page, stack: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    need = await submitted_need(facilitator, council, village="16010103")
    await sign_in(tablet, stack, "dara")
    await tablet.goto(f"{stack.url}/meetings")
    await expect(tablet.locator("h1")).to_contain_text("កិច្ចប្រជុំឃុំ")
    await tablet.click("#schedule-link")
    await tablet.wait_for_url(re.compile(r"/meetings/new$"))

    await tablet.click("#suggest-slots")
    first = tablet.locator("#slot-list li").first
    await expect(first).to_be_visible()
    await expect(first.locator("[data-code=no_clash]")).to_have_count(1)
    await first.locator(".use-slot").click()
    assert await tablet.input_value("#meeting-date") != ""
    chosen_start = await tablet.input_value("#meeting-start")

    await tablet.select_option("#meeting-type", "COMMUNE_PRIORITISATION")
    await tablet.select_option("#meeting-village", "16010103")
    await tablet.fill("#meeting-place", "សាលារៀនកាហល")
    await tablet.check("#meeting-languages input[value=tpu]")
    await tablet.click("#meeting-submit")
    await tablet.wait_for_url(re.compile(r"/meetings/[^/]+/agenda$"))
    meeting_id = tablet.url.rsplit("/", 2)[-2]

    candidate = tablet.locator(f".candidate[data-need-id='{raw_id('Need', need['id'])}']")
    await candidate.locator(".add-need").click()
    await expect(candidate.locator(".add-need")).to_be_disabled()
    item = tablet.locator("#agenda-items .agenda-item").last
    await item.locator(".item-minutes").fill("20")
    await item.locator(".item-owner").fill("មេភូមិកាហល")
    await tablet.select_option("#extra-kind", "OTHER")
    await tablet.fill("#extra-title", "សំណួរ និងចម្លើយ")
    await tablet.click("#add-extra")
    await tablet.locator("#agenda-items .agenda-item").last.locator(".item-owner").fill("Clerk")
    await tablet.locator("#agenda-items .agenda-item").last.locator(".move-up").click()
    await tablet.click("#publish-agenda")
    await expect(tablet.locator("#agenda-done")).to_have_text("របៀបវារៈត្រូវបានផ្សព្វផ្សាយ។")

    saved = await data_of(council, GET, {"id": meeting_id})
    assert saved["startsAtLocal"][11:16] == chosen_start
    assert [i["kind"] for i in saved["agenda"]["items"]] == ["OTHER", "NEED"]
    assert saved["agenda"]["items"][1]["trackingCode"] == need["trackingCode"]
    assert [lang["code"] for lang in saved["languages"]] == ["km", "tpu"]

    await tablet.goto(f"{stack.url}/meetings/{meeting_id}")
    await tablet.click("#announce-meeting")
    await expect(tablet.locator("#meeting-state")).to_have_attribute("data-state", "announced")


async def test_the_facilitators_phone_shows_the_meeting_with_calendar_and_share_links(
    page: Page, stack: Stack, council: GraphQL
) -> None:
    meeting = await schedule(council, title="ប្រជុំភូមិលោម")
    await data_of(
        council,
        AGENDA,
        {
            "id": meeting["id"],
            "items": [{"kind": "OTHER", "title": "ផ្លូវទៅសាលារៀន", "minutes": 30, "owner": "Chief"}],
        },
    )
    await data_of(council, ANNOUNCE, {"id": meeting["id"]})
    raw = raw_id("Meeting", meeting["id"])

    await sign_in(page, stack, "sophea")
    await page.goto(f"{stack.url}/meetings")
    card = page.locator(f".meeting-card[data-meeting-id='{raw}']")
    await expect(card).to_be_visible()
    await expect(card.locator("h3")).to_contain_text("ប្រជុំភូមិលោម")
    await card.locator("summary").click()
    await expect(card.locator("details.agenda li")).to_contain_text("ផ្លូវទៅសាលារៀន")

    href = await card.locator(".add-to-calendar").get_attribute("href")
    assert href == f"/meetings/{raw}.ics"
    response = await page.request.get(f"{stack.url}{href}")
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(await response.body())
    [event] = calendar.walk("VEVENT")
    assert str(event["uid"]) == meeting["icsUid"]

    telegram = urlparse(await card.locator(".share-telegram").get_attribute("href") or "")
    assert telegram.netloc == "t.me" and telegram.path == "/share/url"
    shared = parse_qs(telegram.query)
    assert shared["url"] == [f"{stack.url}/m/{raw}"] and "ប្រជុំភូមិលោម" in shared["text"][0]
    facebook = await card.locator(".share-facebook").get_attribute("href") or ""
    assert facebook.startswith("https://www.facebook.com/sharer/sharer.php?u=")
    sms = await card.locator(".share-sms").get_attribute("href") or ""
    assert sms.startswith("sms:?&body=")

    await page.goto(f"{stack.url}/m/{raw}")
    await expect(page.locator("#public-agenda")).to_contain_text("ផ្លូវទៅសាលារៀន")


@pytest.fixture(scope="module")
def short_notice(stack: Stack) -> Iterator[Stack]:
    stack.restart("meetings", {"AGENDA_NOTICE_DAYS": "0"})
    try:
        yield stack
    finally:
        stack.restart("meetings", {})


async def test_the_attendance_counter_is_tapped_and_saved(short_notice: Stack, tablet: Page) -> None:
    stack = short_notice
    chenda = GraphQL(stack.url)
    await chenda.login("chenda")
    try:
        start = (datetime.now(UTC) + timedelta(minutes=10)).replace(second=0, microsecond=0)
        meeting = await schedule(
            chenda,
            commune="210103",
            village="21010302",
            startsAt=start.isoformat(),
            endsAt=(start + timedelta(minutes=45)).isoformat(),
        )
        items = [{"kind": "OTHER", "title": "ប្រព័ន្ធធារាសាស្ត្រ", "minutes": 30, "owner": "Chief"}]
        await data_of(chenda, AGENDA, {"id": meeting["id"], "items": items})
        await data_of(chenda, ANNOUNCE, {"id": meeting["id"]})

        await sign_in(tablet, stack, "chenda")
        await tablet.goto(f"{stack.url}/meetings/{raw_id('Meeting', meeting['id'])}/attendance")
        plus = {
            name: tablet.locator(f".counter[data-name={name}] .count-up")
            for name in ("in_person", "women", "council_present")
        }
        for _ in range(3):
            await plus["in_person"].click()
        await plus["women"].click()
        for _ in range(3):
            await plus["council_present"].click()
        await tablet.locator(".counter[data-name=in_person] .count-down").click()
        await tablet.fill("#count-council_total", "5")
        await tablet.locator("#count-council_total").dispatch_event("input")
        await expect(tablet.locator("#attendance-total")).to_have_text("២")  # the page's digits
        await expect(tablet.locator("#quorum")).to_have_text("គ្រប់កូរ៉ុម៖ សមាជិកក្រុមប្រឹក្សាច្រើនជាងពាក់កណ្តាលមានវត្តមាន។")

        # Three council members but only two people present: caught before sending.
        await tablet.click("#save-attendance")
        await expect(tablet.locator("#attendance-error")).to_be_visible()
        await plus["in_person"].click()
        await tablet.click("#save-attendance")
        await expect(tablet.locator("#attendance-done")).to_have_text("បានរក្សាទុកវត្តមាន។")

        held = await data_of(chenda, GET, {"id": meeting["id"]})
        assert held["state"] == "HELD"
        assert held["attendance"]["total"] == 3 and held["attendance"]["women"] == 1
        assert held["attendance"]["quorumMet"] is True
    finally:
        await chenda.close()
