"""Inclusion data that tells the truth, on the whole running system with notify's SMS pointed at
a local provider: a citizen's SMS confirmed as a need of two migrant workers counts for migrants;
the dashboard never calls a group missing where nobody knows; a referral reaches the district's
list, the track page and the citizen's phone; villages' populations give the shares.
"""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from gateway.graphql.ids import raw_id
from infra.stack import Stack
from tests.conftest import GraphQL, wait_for
from tests.integration.test_notify_exchange import COMMUNE_NUMBER, Peers
from tests.integration.test_notify_exchange import peers as exchange_peers  # noqa: F401  (the fixture)
from tests.support.pages import sign_in

COMMUNE = "160101"
VILLAGE = "16010101"
CONFIRM = (
    "mutation($id: ID!, $i: ConfirmNeedDraftInput!) { confirmNeedDraft(id: $id, input: $i) "
    "{ id trackingCode groups { group count } groupsUnknown { group count } } }"
)
DRAFTS = 'query { needDrafts(communeCode: "160101") { id text } }'


@pytest.fixture
def peers(exchange_peers: Peers) -> Peers:  # noqa: F811  (the fixture imported above, by name)
    """Notify restarted with its channels at local peers, as the exchange tests have it."""
    return exchange_peers


def _phone() -> str:
    return f"+8551277{uuid.uuid4().int % 10**5:05d}"


async def _draft_of(peers: Peers, client: GraphQL, text: str) -> str:
    """The id of the draft a citizen's SMS became (sent through the local SMS provider)."""
    response = await peers.sms.incoming(_phone(), COMMUNE_NUMBER, text)
    assert response.status_code == 200, response.text

    async def drafted() -> str | None:
        found = await client.execute(DRAFTS)
        return next((d["id"] for d in found["data"]["needDrafts"] if d["text"] == text), None)

    draft: str = await wait_for(drafted)
    return draft


def _counts(items: list[dict[str, str]]) -> dict[str, str]:
    return {c["group"]: c["count"] for c in items}


async def test_an_sms_confirmed_as_raised_by_two_migrant_workers_counts_as_a_migrant_need(
    stack: Stack, peers: Peers, facilitator: GraphQL, council: GraphQL
) -> None:
    text = f"ផ្លូវទៅភូមិខូច ពេលយើងត្រឡប់ពីថៃ {uuid.uuid4().hex[:6]}"
    draft = await _draft_of(peers, facilitator, text)
    raised_by = {"kind": "group", "people": 2, "migrant": 2}
    body = await facilitator.execute(
        CONFIRM,
        {
            "id": draft,
            "i": {"villageCode": VILLAGE, "idempotencyKey": uuid.uuid4().hex, "raisedBy": raised_by},
        },
    )
    assert "errors" not in body, body
    need = body["data"]["confirmNeedDraft"]
    shown = await council.execute(
        "query($id: ID!) { need(id: $id) { people channel groups { group count } groupsUnknown { group count } "
        "raisedBy { kind people } } }",
        {"id": need["id"]},
    )
    seen = shown["data"]["need"]
    assert seen["people"] == 2 and seen["channel"] == "sms"
    assert _counts(seen["groups"])["migrant"] == "2"
    assert _counts(seen["groupsUnknown"])["migrant"] == "0" and _counts(seen["groupsUnknown"])["women"] == "2"
    assert seen["raisedBy"] == [{"kind": "group", "people": 2}]
    listed = await council.execute(
        'query($t: String!) { needs(filter: {commune: "160101", group: "migrant", text: $t}) '
        "{ edges { node { trackingCode } } } }",
        {"t": text[-6:]},
    )
    assert [e["node"]["trackingCode"] for e in listed["data"]["needs"]["edges"]] == [need["trackingCode"]]

    # The same through the drafts page's form, as a facilitator does on the phone.
    text = f"ទឹកស្អាតសម្រាប់គ្រួសារកម្មករចំណាកស្រុក {uuid.uuid4().hex[:6]}"
    draft = raw_id("NeedDraft", await _draft_of(peers, facilitator, text))
    http, csrf = await sign_in(stack.url, "sophea", page="/needs/drafts")
    try:
        page = await http.get("/needs/drafts")
        assert f'action="/needs/drafts/{draft}"' in page.text and 'name="wg_seeing"' in page.text
        form = {"csrf_token": csrf, "action": "confirm", "village_code": VILLAGE, "description": text}
        form |= {"kind": "group", "people": "3", "count_migrant": "3", "count_women": "1"}
        posted = await http.post(f"/needs/drafts/{draft}", data=form, follow_redirects=True)
        assert posted.status_code == 200 and "draft-done" in posted.text, posted.text[-500:]
    finally:
        await http.aclose()
    listed = await council.execute(
        'query($t: String!) { needs(filter: {commune: "160101", group: "migrant", text: $t}) '
        "{ edges { node { people groups { group count } groupsUnknown { group count } } } } }",
        {"t": text[-6:]},
    )
    (edge,) = listed["data"]["needs"]["edges"]
    assert edge["node"]["people"] == 3 and _counts(edge["node"]["groups"])["migrant"] == "3"
    assert _counts(edge["node"]["groupsUnknown"]) == {
        "women": "0",
        "youth": "3",
        "elderly": "3",
        "disability": "3",
        "idpoor": "3",
        "indigenous": "3",
        "migrant": "0",
    }


def _cells(html: str) -> dict[tuple[str, str], int]:
    """The village table's "needs that do not say" per (village, group)."""
    cells: dict[tuple[str, str], int] = {}
    for row in re.finditer(r'<tr data-village="(\d{8})">(.*?)</tr>', html, re.S):
        for cell in re.finditer(r'data-group="(\w+)" data-unknown="(\d+)"', row.group(2)):
            cells[(row.group(1), cell.group(1))] = int(cell.group(2))
    return cells


async def test_the_dashboard_never_reports_a_group_missing_where_its_data_is_unknown(
    stack: Stack, peers: Peers, facilitator: GraphQL
) -> None:
    # A message confirmed with nothing known of its sender: every group unknown in that village.
    text = f"សាលារៀនគ្មានបង្គន់ {uuid.uuid4().hex[:6]}"
    draft = await _draft_of(peers, facilitator, text)
    body = await facilitator.execute(
        CONFIRM, {"id": draft, "i": {"villageCode": "16010102", "idempotencyKey": uuid.uuid4().hex}}
    )
    assert "errors" not in body, body
    http, _ = await sign_in(stack.url, "dara", page="/council/dashboard")
    try:
        page = await http.get("/council/dashboard", params={"commune": COMMUNE})
        csv_file = await http.get("/council/dashboard.csv", params={"commune": COMMUNE})
    finally:
        await http.aclose()
    assert page.status_code == 200, re.sub(r"\s+", " ", page.text.split("<main")[-1])[:600]
    cells = _cells(page.text)
    assert cells[("16010102", "women")] >= 1 and cells[("16010102", "migrant")] >= 1
    missing = re.findall(r'<li data-village="(\d*)" data-group="(\w*)">', page.text.split('id="unknown"')[0])
    assert missing, "the demo commune has groups missing somewhere"
    for village, group in missing:
        if not group:
            continue
        unknown = [n for (v, g), n in cells.items() if g == group and (v == village or not village)]
        assert unknown and all(n == 0 for n in unknown), (village, group)
    assert ("16010102", "women") not in missing and ("", "women") not in missing
    assert 'id="unknown-list"' in page.text and 'id="outcomes-table"' in page.text
    assert csv_file.status_code == 200 and csv_file.headers["content-type"].startswith("text/csv")
    lines = csv_file.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("group,needs_raised,") and len(lines) == 8


async def test_a_referral_reaches_the_district_list_the_track_page_and_the_citizen(
    stack: Stack, peers: Peers, facilitator: GraphQL, council: GraphQL
) -> None:
    citizen = _phone()
    raised_by = {"kind": "person", "consent": "verbal", "contactChannel": "sms", "contactAddress": citizen}
    submitted = await facilitator.execute(
        "mutation($i: SubmitNeedInput!) { submitNeed(input: $i) { id trackingCode } }",
        {
            "i": {
                "villageCode": VILLAGE,
                "description": "ស្ពានបេតុងឆ្លងទន្លេសេសាន",
                "sector": "ECONOMIC",
                "needType": "bridge",
                "idempotencyKey": uuid.uuid4().hex,
                "raisedBy": raised_by,
            }
        },
    )
    need = submitted["data"]["submitNeed"]
    code = need["trackingCode"]
    office = f"ការិយាល័យស្រុកអណ្តូងមាស {uuid.uuid4().hex[:4]}"
    refer = (
        "mutation($id: ID!, $i: ReferNeedInput!) { referNeed(id: $id, input: $i) "
        "{ status statusReason referral { target name reason } } }"
    )
    refused = await facilitator.execute(
        refer, {"id": need["id"], "i": {"target": "DISTRICT", "name": office, "reason": "x"}}
    )
    assert refused["errors"][0]["extensions"]["code"] == "need.council_only"
    referred = await council.execute(
        refer, {"id": need["id"], "i": {"target": "DISTRICT", "name": office, "reason": "ស្ពានធំពេកសម្រាប់ថវិកាឃុំ"}}
    )
    assert "errors" not in referred, referred
    assert referred["data"]["referNeed"]["status"] == "REFERRED"
    assert referred["data"]["referNeed"]["referral"] == {
        "target": "DISTRICT",
        "name": office,
        "reason": "ស្ពានធំពេកសម្រាប់ថវិកាឃុំ",
    }

    # The district's list: the province admin sees it; the commune's council does not read it.
    province = GraphQL(stack.url)
    await province.login("sokha")
    try:
        listed = await province.execute(
            '{ referrals(districtCode: "1601") { trackingCode targetName communeCode people description } }'
        )
    finally:
        await province.close()
    found = [r for r in listed["data"]["referrals"] if r["trackingCode"] == code]
    assert found == [
        {
            "trackingCode": code,
            "targetName": office,
            "communeCode": COMMUNE,
            "people": 1,
            "description": "ស្ពានបេតុងឆ្លងទន្លេសេសាន",
        }
    ]
    assert (await council.execute('{ referrals(districtCode: "1601") { trackingCode } }'))["errors"][0][
        "extensions"
    ]["code"] == "auth.forbidden"
    http, _ = await sign_in(stack.url, "sokha", page="/district/referrals?district=1601")
    try:
        district_page = await http.get("/district/referrals", params={"district": "1601"})
    finally:
        await http.aclose()
    assert district_page.status_code == 200 and code in district_page.text and office in district_page.text

    async with httpx.AsyncClient(base_url=stack.url, cookies={"khum_lang": "km"}) as anyone:
        track = await anyone.get("/track", params={"code": code})
    assert 'id="track-referral"' in track.text and office in track.text

    async def told() -> str | None:
        return next((str(m["text"]) for m in peers.sms.to(citizen) if office in str(m["text"])), None)

    message = await wait_for(told)
    assert code in message and "បានបញ្ជូនទៅអាជ្ញាធរដែលទទួលខុសត្រូវ" in message


async def test_a_need_is_rejected_from_the_triage_page_with_its_reason(
    stack: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    submitted = await facilitator.execute(
        "mutation($i: SubmitNeedInput!) { submitNeed(input: $i) { id } }",
        {
            "i": {
                "villageCode": VILLAGE,
                "description": "ស្នើសុំទូរទស្សន៍ផ្ទាល់ខ្លួន",
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
    )
    gid = submitted["data"]["submitNeed"]["id"]
    http, csrf = await sign_in(stack.url, "dara", page="/council/needs")
    try:
        form = {"csrf_token": csrf, "commune": COMMUNE, "action": "reject", "reason": ""}
        refused = await http.post(f"/council/needs/{raw_id('Need', gid)}/decide", data=form)
        assert refused.status_code == 422 and "reason" in refused.text.lower()
        form["reason"] = "មិនមែនជាតម្រូវការសាធារណៈ"
        done = await http.post(
            f"/council/needs/{raw_id('Need', gid)}/decide", data=form, follow_redirects=True
        )
        assert done.status_code == 200 and 'id="decided"' in done.text
    finally:
        await http.aclose()
    shown = await council.execute("query($id: ID!) { need(id: $id) { status statusReason } }", {"id": gid})
    assert shown["data"]["need"] == {"status": "REJECTED", "statusReason": "មិនមែនជាតម្រូវការសាធារណៈ"}


async def test_village_populations_give_each_groups_share_and_a_bad_file_stores_nothing(
    stack: Stack, facilitator: GraphQL, council: GraphQL
) -> None:
    http, csrf = await sign_in(stack.url, "dara", page="/council/population")
    try:
        bad = "village_code,year,women,men,households,idpoor_households,indigenous_percent\n"
        bad += "16010101,2026,400,380,190,30,60\n16010102,2026,210,200,90,95,40\n"
        files = {"file": ("villages.csv", bad.encode(), "text/csv")}
        refused = await http.post(
            "/council/population/import", data={"csrf_token": csrf, "commune": COMMUNE}, files=files
        )
        assert refused.status_code == 400 and "rows.1.idpoorHouseholds" in refused.text
        page = await http.get("/council/population", params={"commune": COMMUNE})
        assert 'value="400"' not in page.text  # the good first row was not stored either
        good = bad.replace("90,95,40", "90,25,40")
        files = {"file": ("villages.csv", good.encode(), "text/csv")}
        saved = await http.post(
            "/council/population/import",
            data={"csrf_token": csrf, "commune": COMMUNE},
            files=files,
            follow_redirects=True,
        )
        assert saved.status_code == 200 and 'id="population-saved"' in saved.text, saved.text[-400:]
        dashboard = await http.get("/council/dashboard", params={"commune": COMMUNE})
    finally:
        await http.aclose()
    row = re.search(r'<tr data-group="women">(.*?)</tr>', dashboard.text, re.S)
    assert row is not None
    population = re.search(r'data-col="population">([^<]*)<', row.group(1))
    assert population is not None and population.group(1) == "610 (51.3%)"  # 610 of 1,190 people

    # The same figures through GraphQL; only the council records them.
    read = await council.execute(
        '{ villagePopulations(communeCode: "160101") { villages { villageCode women } shares { group part of } } }'
    )
    shares = {s["group"]: (s["part"], s["of"]) for s in read["data"]["villagePopulations"]["shares"]}
    assert shares == {
        "women": (610, 1190),
        "idpoor": (55, 280),
        "indigenous": (632, 1190),
    }  # 60% of 780 + 40% of 410
    row_in = {
        "villageCode": VILLAGE,
        "year": 2026,
        "women": 1,
        "men": 1,
        "households": 1,
        "idpoorHouseholds": 0,
        "indigenousPercent": 0,
    }
    refused = await facilitator.execute(
        'mutation($r: [VillagePopulationInput!]!) { recordVillagePopulations(communeCode: "160101", rows: $r) '
        "{ communeCode } }",
        {"r": [row_in]},
    )
    assert refused["errors"][0]["extensions"]["code"] == "need.council_only"
