"""The scheduling pages on the running system, in Khmer: the year's holidays from the official
calendar with their Khmer names, local events an admin adds and removes, the commune's
scheduling profile (council) and facilitators' availability; bad input is refused in Khmer and
nothing is saved."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from infra.stack import Stack
from tests.conftest import GraphQL


@pytest.fixture
async def admin(stack: Stack) -> AsyncIterator[GraphQL]:
    client = GraphQL(stack.url)
    await client.login("visal")
    yield client
    await client.close()


async def test_the_holidays_page_shows_the_official_khmer_names_and_admins_add_and_remove_local_events(
    council: GraphQL, admin: GraphQL
) -> None:
    page = await council.http.get("/scheduling/holidays", params={"year": 2027})
    assert page.status_code == 200
    assert "ពិធីបុណ្យចូលឆ្នាំថ្មីប្រពៃណីជាតិ" in page.text  # Khmer New Year, 14-16 April 2027
    assert 'datetime="2027-04-14"' in page.text and "ប្រតិទិនផ្លូវការ" in page.text
    assert 'id="add-event"' not in page.text  # only admins add local events

    name = f"បុណ្យវត្តម៉ាលិក {uuid.uuid4().hex[:4]}"
    form = {"csrf_token": admin.csrf, "name_km": name, "start": "2027-05-03", "migrants_home": "yes"}
    added = await admin.http.post("/scheduling/holidays/2027/add", data=form)
    assert added.status_code == 303
    page = await admin.http.get("/scheduling/holidays", params={"year": 2027})
    assert name in page.text and 'id="add-event"' in page.text

    wrong_year = {**form, "name_km": f"{name} ខុស", "start": "2026-05-03"}
    refused = await admin.http.post("/scheduling/holidays/2027/add", data=wrong_year)
    assert refused.status_code == 422
    assert "ថ្ងៃបុណ្យត្រូវចាប់ផ្តើមក្នុងឆ្នាំ" in refused.text
    assert f"{name} ខុស" not in (await admin.http.get("/scheduling/holidays?year=2027")).text

    removed = await admin.http.post(
        "/scheduling/holidays/2027/remove",
        data={"csrf_token": admin.csrf, "start": "2027-05-03", "name_km": name},
    )
    assert removed.status_code == 303
    page = await admin.http.get("/scheduling/holidays", params={"year": 2027})
    assert name not in page.text and "ពិធីបុណ្យចូលឆ្នាំថ្មីប្រពៃណីជាតិ" in page.text

    forged = await council.http.post(
        "/scheduling/holidays/2027/add", data={**form, "csrf_token": council.csrf}
    )
    assert forged.status_code == 403 and "មានតែអ្នកគ្រប់គ្រងប៉ុណ្ណោះ" in forged.text


async def test_the_home_page_leads_each_role_to_its_scheduling_page(
    council: GraphQL, facilitator: GraphQL, admin: GraphQL
) -> None:
    assert 'href="/scheduling/profile"' in (await council.http.get("/")).text
    assert 'href="/scheduling/availability"' in (await facilitator.http.get("/")).text
    assert 'href="/scheduling/holidays"' in (await admin.http.get("/")).text


async def test_the_council_describes_when_its_people_can_come(council: GraphQL) -> None:
    form = {
        "csrf_token": council.csrf,
        "commune": "160101",
        "migrant_share_percent": "35",
        "day_work_share_percent": "70",
        "season_label": ["ច្រូតស្រូវ", ""],
        "season_start": ["11-20", ""],
        "season_end": ["12-20", ""],
    }
    saved = await council.http.post("/scheduling/profile", data=form)
    assert saved.status_code == 303
    page = await council.http.get(saved.headers["location"])
    assert 'id="profile-saved"' in page.text
    assert 'value="35"' in page.text and 'value="70"' in page.text and 'value="ច្រូតស្រូវ"' in page.text

    refused = await council.http.post("/scheduling/profile", data={**form, "day_work_share_percent": "150"})
    assert refused.status_code == 422 and "ចំណែកនៃអ្នកដែលធ្វើការពេលថ្ងៃ" in refused.text
    page = await council.http.get("/scheduling/profile", params={"commune": "160101"})
    assert 'value="70"' in page.text  # nothing saved from the refused form


async def test_a_facilitator_states_her_times_and_the_council_sees_them(
    facilitator: GraphQL, council: GraphQL
) -> None:
    form = {
        "csrf_token": facilitator.csrf,
        "commune": "160101",
        "start_0": "17:30",
        "end_0": "20:00",
        "start_5": "08:00",
        "end_5": "11:45",
    }
    saved = await facilitator.http.post("/scheduling/availability", data=form)
    assert saved.status_code == 303
    mine = await facilitator.http.get("/scheduling/availability", params={"commune": "160101"})
    assert 'value="17:30"' in mine.text and 'value="11:45"' in mine.text
    everyone = await council.http.get("/scheduling/availability", params={"commune": "160101"})
    assert "17:30–20:00" in everyone.text and "08:00–11:45" in everyone.text
    assert "ថ្ងៃច័ន្ទ" in everyone.text and 'id="availability-form"' not in everyone.text

    query = 'query { facilitatorsAvailability(communeCode: "160101") { facilitator windows { weekday start end } } }'
    body = await council.execute(query)
    assert "errors" not in body, body
    windows = [w for f in body["data"]["facilitatorsAvailability"] for w in f["windows"]]  # type: ignore[index]
    assert {"weekday": 0, "start": "17:30", "end": "20:00"} in windows
    refused = await facilitator.execute(query)
    assert refused["errors"][0]["extensions"]["code"] == "meeting.not_allowed"  # type: ignore[index]

    backwards = await facilitator.http.post("/scheduling/availability", data={**form, "end_0": "16:00"})
    assert backwards.status_code == 422 and "ម៉ោង:នាទី" in backwards.text
