"""Oversight above the commune, end to end on the running stack.

The year-2057 figures come from events this file publishes on the stack's NATS (the read model
is built from events and only from events), in a year no other test records in, so every
figure is exact. One test goes the whole way instead: a need submitted through GraphQL reaches
the view through intake's event.
"""

from __future__ import annotations

import asyncio
import csv
import io
import signal
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import nats
import pytest
from nats.js import JetStreamContext

from contracts.budget import (
    ALLOCATION_MADE,
    COMMUNITY_CHECK_RECORDED,
    EXPENDITURE_RECORDED,
    AllocationMadeV1,
    BudgetLineKind,
    CheckScore,
    CommunityCheckRecordedV1,
    ExpenditureRecordedV1,
    ExpenditureStage,
)
from contracts.envelope import Envelope, new_event
from contracts.meetings import (
    ATTENDANCE_RECORDED,
    MEETING_ANNOUNCED,
    AttendanceCounts,
    AttendanceRecordedV1,
    MeetingAnnouncedV1,
    MeetingDetails,
    MeetingType,
    Venue,
)
from contracts.needs import (
    NEED_FEEDBACK_RECORDED,
    NEED_STATUS_CHANGED,
    NEED_SUBMITTED,
    NeedFeedbackRecordedV1,
    NeedStatus,
    NeedStatusChangedV1,
    NeedSubmittedV1,
    Sector,
)
from infra.stack import Stack
from tests.conftest import DEMO_PASSWORD, SUBMIT_NEED, GraphQL
from tests.support.pages import sign_in

YEAR = 2057  # no other test records anything in 2057 (budget tests use 2031-2039)
AT = datetime(YEAR, 3, 1, 3, 0, tzinfo=UTC)
VIEW = """query($u: String, $y: Int, $r: PlaceLevel) { oversight(unit: $u, year: $y, rows: $r) {
  unit name level year csv
  total { needs { total groupUnknown byGroup { key count } byStatus { key count } }
          meetings { held heldWithNotice attendance { key count } }
          budget { allocated spent executionPercent } referralsReceived citizensVerified
          communityChecks { held participants works participantsByGroup { key count } answers satisfied rating } }
  rows { code name level figures { needs { total byGroup { key count } } } }
} }"""


def _need(commune: str, groups: list[str] | None, sector: Sector | None = Sector.ECONOMIC) -> Envelope:
    need_id = str(uuid.uuid4())
    return new_event(
        NeedSubmittedV1(
            need_id=need_id,
            tracking_code="ABCD-EFG",
            commune_code=commune,
            village_code=commune + "01",
            description="ផ្លូវលំ",
            sector=sector,
            collected_by="test",
            submitted_at=AT,
            groups=groups,
        ),
        event_type=NEED_SUBMITTED,
        source="/test",
        communecode=commune,
        subject=need_id,
    )


def _funded(submitted: Envelope) -> Envelope:
    data = submitted.data
    return new_event(
        NeedStatusChangedV1(
            need_id=data["need_id"],
            tracking_code=data["tracking_code"],
            commune_code=data["commune_code"],
            village_code=data["village_code"],
            previous=NeedStatus.SUBMITTED,
            status=NeedStatus.FUNDED,
            actor="budget",
            changed_at=AT.replace(month=6),
        ),
        event_type=NEED_STATUS_CHANGED,
        source="/test",
        communecode=data["commune_code"],
    )


def _meeting(commune: str, announced: datetime, women: int, disability: int) -> list[Envelope]:
    meeting_id = str(uuid.uuid4())
    starts = datetime(YEAR, 2, 20, 1, 0, tzinfo=UTC)
    details = MeetingDetails(
        type=MeetingType.VILLAGE_NEEDS,
        venue=Venue(village_code=commune + "01", place="វត្ត"),
        starts_at=starts,
        ends_at=starts.replace(hour=3),
        languages=["km"],
        interpreter_arranged=False,
    )
    counts = AttendanceCounts(
        total=women + 10,
        in_person=women + 10,
        remote=0,
        women=women,
        men=10,
        disability=disability,
        idpoor=0,
        indigenous=0,
        migrant=0,
        youth=0,
        council_present=3,
        council_total=5,
    )
    return [
        new_event(
            MeetingAnnouncedV1(
                meeting_id=meeting_id,
                commune_code=commune,
                details=details,
                agenda=[],
                ics_uid=meeting_id,
                sequence=0,
                announced_by="test",
                announced_at=announced,
            ),
            event_type=MEETING_ANNOUNCED,
            source="/test",
            communecode=commune,
        ),
        new_event(
            AttendanceRecordedV1(
                meeting_id=meeting_id,
                commune_code=commune,
                type=MeetingType.VILLAGE_NEEDS,
                counts=counts,
                quorum_met=True,
                recorded_by="test",
                recorded_at=starts.replace(hour=4),
            ),
            event_type=ATTENDANCE_RECORDED,
            source="/test",
            communecode=commune,
        ),
    ]


def _budget(commune: str, allocated: int, paid: int) -> list[Envelope]:
    allocation, project = str(uuid.uuid4()), str(uuid.uuid4())
    return [
        new_event(
            AllocationMadeV1(
                allocation_id=allocation,
                project_id=project,
                commune_code=commune,
                year=YEAR,
                line=BudgetLineKind.LOCAL_DEVELOPMENT,
                amount=allocated,
                decision_id="d",
                made_by="test",
                made_at=AT,
            ),
            event_type=ALLOCATION_MADE,
            source="/test",
            communecode=commune,
        ),
        new_event(
            ExpenditureRecordedV1(
                entry_id=str(uuid.uuid4()),
                allocation_id=allocation,
                project_id=project,
                commune_code=commune,
                year=YEAR,
                line=BudgetLineKind.LOCAL_DEVELOPMENT,
                stage=ExpenditureStage.PAID,
                amount=paid,
                payee="ក្រុមហ៊ុន",
                reference="R-1",
                spent_on=AT.date(),
                recorded_by="test",
                recorded_at=AT,
            ),
            event_type=EXPENDITURE_RECORDED,
            source="/test",
            communecode=commune,
        ),
    ]


def _checked(commune: str) -> list[Envelope]:
    """A community check of a project (12 people, 3 of them migrants) and two citizens' answers,
    one given twice: the later replaces the earlier."""
    check = new_event(
        CommunityCheckRecordedV1(
            check_id=str(uuid.uuid4()),
            project_id=str(uuid.uuid4()),
            commune_code=commune,
            year=YEAR,
            need_ids=[],
            held_on=AT.date(),
            scores=[
                CheckScore(group="women", participants=9, built=5, works=4, used=5),
                CheckScore(group="migrant", participants=3, built=1, works=2, used=1),
            ],
            recorded_by="test",
            recorded_at=AT,
        ),
        event_type=COMMUNITY_CHECK_RECORDED,
        source="/test",
        communecode=commune,
    )

    def answer(code: str, satisfied: bool, rating: int | None) -> Envelope:
        return new_event(
            NeedFeedbackRecordedV1(
                need_id=str(uuid.uuid4()),
                answered_for=code,
                commune_code=commune,
                satisfied=satisfied,
                rating=rating,
                channel="sms",
                recorded_at=AT,
            ),
            event_type=NEED_FEEDBACK_RECORDED,
            source="/test",
            communecode=commune,
        )

    return [check, answer("AAAA-AAA", False, 1), answer("AAAA-AAA", True, 5), answer("BBBB-BBB", False, None)]


async def publish(js: JetStreamContext, envelopes: list[Envelope], msg_id: str | None = None) -> None:
    for envelope in envelopes:
        headers = {"Nats-Msg-Id": msg_id or envelope.id, "Khum-Type": envelope.type}
        await js.publish(envelope.nats_subject, envelope.to_bytes(), headers=headers)


async def signed_in(stack: Stack, username: str) -> GraphQL:
    client = GraphQL(stack.url)
    await client.login(username, DEMO_PASSWORD)
    return client


async def view(client: GraphQL, unit: str | None = None, rows: str | None = None, year: int = YEAR) -> Any:
    body = await client.execute(VIEW, {"u": unit, "y": year, "r": rows})
    assert "errors" not in body, body
    return body["data"]["oversight"]  # type: ignore[index]


async def until(check: Any, what: str, timeout: float = 30.0) -> Any:
    """Poll ``check`` (async, returning a value or None) until it answers; the read model is
    eventually consistent with the streams."""
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found is not None:
            return found
        assert time.monotonic() < deadline, f"oversight never showed {what}"
        await asyncio.sleep(0.2)


def groups_of(figures: dict[str, Any]) -> dict[str, str]:
    return {g["key"]: g["count"] for g in figures["needs"]["byGroup"]}


# What this file publishes for 2057. Malik (160101): 8 needs (6 raised by women, 3 by migrants,
# 1 by people whose groups were never recorded), one funded; two meetings, one announced three
# weeks ahead; 5,000,000,000 riel allocated (past GraphQL's 32-bit Int), a quarter paid.
# Nhang (160103): 6 needs from migrants. Kachanh (160201): 2 from people with disabilities.
# Kouk Thlok (210103, Takeo): 5 needs from indigenous people.
MALIK = (
    [_need("160101", ["women"]) for _ in range(3)]
    + [_need("160101", ["women", "migrant"]) for _ in range(3)]
    + [_need("160101", []), _need("160101", None, sector=None)]
)
PUBLISHED = [
    *MALIK,
    _funded(MALIK[0]),
    *[_need("160103", ["migrant"]) for _ in range(6)],
    *[_need("160201", ["disability"]) for _ in range(2)],
    *[_need("210103", ["indigenous"]) for _ in range(5)],
    *_meeting("160101", datetime(YEAR, 1, 30, tzinfo=UTC), women=12, disability=2),
    *_meeting("160101", datetime(YEAR, 2, 18, tzinfo=UTC), women=3, disability=1),
    *_budget("160101", 5_000_000_000, 1_250_000_000),
    *_checked("160101"),
]


@pytest.fixture(scope="module")
async def published(stack: Stack) -> AsyncIterator[JetStreamContext]:
    """The 2057 events, published once, and seen by the read model (Kouk Thlok's last need)."""
    client = await nats.connect(stack.nats_url)
    js = client.jetstream()
    await publish(js, PUBLISHED)
    national = await signed_in(stack, "visal")

    async def all_in() -> Any:
        seen = await view(national)
        rows = {r["code"]: r["figures"]["needs"]["total"] for r in seen["rows"]}
        spent = seen["total"]["budget"]["spent"]
        answers = seen["total"]["communityChecks"]["answers"]
        done = rows.get("16") == 16 and rows.get("21") == 5 and spent == "1250000000" and answers == 2
        return seen if done else None

    await until(all_in, "the published 2057 events")
    await national.close()
    yield js
    await client.drain()


async def test_a_province_admin_sees_her_communes_side_by_side_with_small_cells_hidden(
    stack: Stack, published: JetStreamContext
) -> None:
    sokha = await signed_in(stack, "sokha")
    seen = await view(sokha, rows="COMMUNE")
    await sokha.close()
    assert (seen["unit"], seen["level"], seen["name"]) == ("16", "province", "រតនគិរី")
    rows = {r["code"]: r for r in seen["rows"]}
    assert {"160101", "160103", "160201"} <= set(rows)
    assert all(code.startswith("16") and len(code) == 6 for code in rows)
    # Every commune of the province is listed, the silent ones as zeros: silence is a finding.
    assert rows["160104"]["figures"]["needs"]["total"] == 0 and rows["160104"]["name"] == "តាឡាវ"
    assert rows["160101"]["name"] == "ម៉ាលិក"
    malik, nhang, kachanh = (groups_of(rows[c]["figures"]) for c in ("160101", "160103", "160201"))
    assert malik["women"] == "6"  # not a sensitive group: shown as it is
    assert malik["migrant"] == "<5" and nhang["migrant"] == "6" and kachanh["disability"] == "<5"
    total = seen["total"]
    assert total["needs"]["total"] == 16 and groups_of(total)["migrant"] == "9"
    assert groups_of(total)["disability"] == "<5"
    assert total["needs"]["groupUnknown"] == 1  # the need nobody's groups were recorded for
    statuses = {s["key"]: s["count"] for s in total["needs"]["byStatus"]}
    assert statuses["funded"] == 1 and statuses["submitted"] == 15
    meetings = total["meetings"]
    assert (meetings["held"], meetings["heldWithNotice"]) == (2, 1)
    attendance = {a["key"]: a["count"] for a in meetings["attendance"]}
    assert attendance["women"] == "15" and attendance["disability"] == "<5"
    budget = total["budget"]
    assert (budget["allocated"], budget["spent"], budget["executionPercent"]) == (
        "5000000000",
        "1250000000",
        25,
    )
    # By default a province is compared district by district.
    sokha = await signed_in(stack, "sokha")
    by_district = await view(sokha)
    await sokha.close()
    districts = {r["code"]: r["figures"]["needs"]["total"] for r in by_district["rows"]}
    assert districts["1601"] == 14 and districts["1602"] == 2 and len(districts) == 9


async def test_a_national_admin_compares_provinces(stack: Stack, published: JetStreamContext) -> None:
    visal = await signed_in(stack, "visal")
    seen = await view(visal)
    await visal.close()
    assert seen["unit"] is None and seen["level"] == "national"
    rows = {r["code"]: r for r in seen["rows"]}
    assert len(rows) == 25 and all(len(code) == 2 for code in rows)
    assert rows["21"]["name"] == "តាកែវ" and rows["21"]["figures"]["needs"]["total"] == 5
    assert groups_of(rows["21"]["figures"])["indigenous"] == "5"
    assert rows["16"]["figures"]["needs"]["total"] == 16
    assert rows["01"]["figures"]["needs"]["total"] == 0


async def test_a_district_admin_compares_the_communes_of_her_district_only(
    stack: Stack, published: JetStreamContext
) -> None:
    rathana = await signed_in(stack, "rathana")
    seen = await view(rathana)
    assert (seen["unit"], seen["level"], seen["name"]) == ("1601", "district", "អណ្ដូងមាស")
    rows = {r["code"]: r["figures"]["needs"]["total"] for r in seen["rows"]}
    assert rows["160101"] == 8 and rows["160103"] == 6 and all(c.startswith("1601") for c in rows)
    refused = await rathana.execute(VIEW, {"u": "1602", "y": YEAR})
    await rathana.close()
    assert refused["errors"][0]["extensions"]["code"] == "oversight.forbidden"  # type: ignore[index]


async def test_the_comparison_downloads_as_csv_with_khmer_names_and_hidden_cells(
    stack: Stack, published: JetStreamContext
) -> None:
    http, _ = await sign_in(stack.url, "sokha", lang="km")
    try:
        response = await http.get(
            "/oversight/export.csv", params={"unit": "16", "year": YEAR, "rows": "commune"}
        )
    finally:
        await http.aclose()
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = {line["code"]: line for line in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}
    assert lines["160101"]["name"] == "ម៉ាលិក" and lines["160101"]["needs"] == "8"
    assert lines["160101"]["group_migrant"] == "<5" and lines["160103"]["group_migrant"] == "6"
    assert lines["160101"]["riel_allocated"] == "5000000000" and lines["160101"]["execution_percent"] == "25"
    assert lines["16"]["name"] == "TOTAL" and lines["16"]["needs"] == "16"


async def test_the_province_page_is_in_khmer_with_hidden_cells_and_a_csv_link(
    stack: Stack, published: JetStreamContext
) -> None:
    http, _ = await sign_in(stack.url, "sokha", lang="km")
    try:
        page = await http.get("/oversight", params={"year": YEAR, "rows": "commune"})
        dashboard = await http.get("/council/dashboard")
    finally:
        await http.aclose()
    assert page.status_code == 200, page.text
    html = page.text
    assert "ខេត្តរតនគិរី៖ ប្រៀបធៀបស្រុកនានា" in html
    assert 'data-code="160101"' in html and "ម៉ាលិក" in html
    assert "&lt;៥" in html and "ចំនួនតិចជាង ៥" in html  # the hidden cells (Khmer digits), and why
    assert "/oversight/export.csv?unit=16" in html and "ទាញយកជាឯកសារ CSV" in html
    assert "២០៥៧" in html  # the year in Khmer digits
    # The council's page no longer turns her away: it sends her to her own view.
    assert dashboard.status_code == 303 and dashboard.headers["location"] == "/oversight"


async def test_an_ngo_partner_sees_only_its_communes_and_no_personal_data(
    stack: Stack, published: JetStreamContext
) -> None:
    ngo = await signed_in(stack, "ngo")
    mine = await view(ngo)
    assert (mine["unit"], mine["level"]) == ("160101", "commune")
    assert [r["code"] for r in mine["rows"]] == ["160101"]
    assert mine["total"]["needs"]["total"] == 8
    # The community check of its commune's project, and citizens' answers (one replaced).
    checks = mine["total"]["communityChecks"]
    assert (checks["held"], checks["participants"], checks["works"]) == (1, 12, 3.5)
    assert {g["key"]: g["count"] for g in checks["participantsByGroup"]}["migrant"] == "<5"
    assert (checks["answers"], checks["satisfied"], checks["rating"]) == (2, 1, 5.0)
    province = await view(ngo, unit="16")
    assert [r["code"] for r in province["rows"]] == ["1601"]  # Malik's figures only, not Nhang's
    assert province["total"]["needs"]["total"] == 8
    elsewhere = await ngo.execute(VIEW, {"u": "21", "y": YEAR})
    assert elsewhere["errors"][0]["extensions"]["code"] == "oversight.forbidden"  # type: ignore[index]
    # No need, no person: a partner acts in no commune.
    facilitator = await signed_in(stack, "sophea")
    body = await facilitator.execute(
        SUBMIT_NEED,
        {
            "i": {
                "villageCode": "16010101",
                "description": "ទឹកស្អាត",
                "idempotencyKey": uuid.uuid4().hex,
                "raisedBy": {"name": "Srey Pov", "sex": "female", "consent": "verbal"},
            }
        },
    )
    await facilitator.close()
    need = body["data"]["submitNeed"]  # type: ignore[index]
    read = await ngo.execute(
        "query($id: ID!) { need(id: $id) { description raisedBy { name } } }", {"id": need["id"]}
    )
    assert not (read.get("data") or {}).get("need")  # type: ignore[union-attr]
    stats = await ngo.execute('{ needStats(communeCode: "160101") { total { needs } } }')
    assert stats.get("errors") or not (stats.get("data") or {}).get("needStats")  # type: ignore[union-attr]
    await ngo.close()
    http, _ = await sign_in(stack.url, "ngo", lang="km")
    try:
        page = await http.get("/oversight", params={"year": YEAR})
        other = await http.get("/oversight/21", params={"year": YEAR})
        triage = await http.get("/council/needs")
    finally:
        await http.aclose()
    assert page.status_code == 200 and "ឃុំម៉ាលិក" in page.text and "Srey Pov" not in page.text
    assert "ញ៉ាង" not in page.text  # Nhang is not one of its communes
    assert other.status_code == 403 and "អ្នកមិនអាចមើលតួលេខត្រួតពិនិត្យ" in other.text
    assert triage.status_code in (303, 403) and "Srey Pov" not in triage.text


async def test_an_ngo_partner_manages_its_own_facilitators_in_its_communes_only(
    stack: Stack, published: JetStreamContext
) -> None:
    sophea = await signed_in(stack, "sophea")
    sophea_id = (await sophea.execute("{ me { id } }"))["data"]["me"]["id"]  # type: ignore[index]
    await sophea.close()
    ngo = await signed_in(stack, "ngo")
    create = (
        "mutation($i: CreateAccountInput!) { createAccount(input: $i) { account { id communes } setupCode } }"
    )

    async def make(communes: list[str], role: str = "FACILITATOR") -> Any:
        name = f"ngo{uuid.uuid4().hex[:8]}"
        return await ngo.execute(
            create, {"i": {"username": name, "displayName": "សុភី", "role": role, "communes": communes}}
        )

    made = await make(["160101"])
    assert "errors" not in made, made
    account = made["data"]["createAccount"]["account"]  # type: ignore[index]
    assert account["communes"] == ["160101"]
    for refused in (await make(["210103"]), await make(["160103"]), await make(["160101"], "COUNCIL_MEMBER")):
        assert refused["errors"][0]["extensions"]["code"] == "auth.forbidden", refused  # type: ignore[index]
    deactivate = "mutation($id: ID!) { deactivateAccount(id: $id) { id active } }"
    own = await ngo.execute(deactivate, {"id": account["id"]})
    assert own["data"]["deactivateAccount"]["active"] is False, own  # type: ignore[index]
    theirs = await ngo.execute(deactivate, {"id": sophea_id})
    assert theirs["errors"][0]["extensions"]["code"] == "auth.forbidden"  # type: ignore[index]
    await ngo.close()


async def test_a_need_submitted_through_graphql_reaches_the_view_through_its_event(
    stack: Stack, published: JetStreamContext
) -> None:
    ngo = await signed_in(stack, "ngo")
    year = datetime.now(UTC).year
    before = await view(ngo, year=year)
    facilitator = await signed_in(stack, "sophea")
    for _ in range(5):  # five, so that women's count shows whatever else is there
        body = await facilitator.execute(
            SUBMIT_NEED,
            {
                "i": {
                    "villageCode": "16010102",
                    "description": "សាលារៀន",
                    "idempotencyKey": uuid.uuid4().hex,
                    "raisedBy": {"name": "ស្រីពៅ", "sex": "female", "consent": "verbal"},
                }
            },
        )
        assert "errors" not in body, body
    await facilitator.close()
    total_before = before["total"]["needs"]["total"]
    women_before = int(groups_of(before["total"])["women"])

    async def counted() -> Any:
        seen = await view(ngo, year=year)
        return seen if seen["total"]["needs"]["total"] >= total_before + 5 else None

    after = await until(counted, "the five needs submitted through GraphQL")
    await ngo.close()
    assert int(groups_of(after["total"])["women"]) >= women_before + 5
    assert after["total"]["needs"]["groupUnknown"] == before["total"]["needs"]["groupUnknown"]


async def test_the_read_model_survives_a_kill_and_counts_a_redelivered_event_once(
    stack: Stack, published: JetStreamContext
) -> None:
    """SIGKILL, then the same event again under another message id (the broker's dedup cannot
    absorb it: only the consumer's inbox can), then a new one; after the restart the new one is
    counted and the repeat is not."""
    process = stack.processes["oversight"]
    assert process.popen is not None
    process.popen.send_signal(signal.SIGKILL)
    process.popen.wait(15)
    repeat = _need("160201", ["disability"])
    await publish(published, [repeat])
    await publish(published, [repeat], msg_id=f"again-{repeat.id}")
    await publish(published, [_need("160201", ["disability"])])
    stack.restart("oversight")
    sokha = await signed_in(stack, "sokha")

    async def settled() -> Any:
        seen = await view(sokha, rows="COMMUNE")
        kachanh = next(r for r in seen["rows"] if r["code"] == "160201")
        return kachanh if kachanh["figures"]["needs"]["total"] >= 4 else None

    kachanh = await until(settled, "the events published while oversight was down")
    await asyncio.sleep(1.0)  # room for a wrongly counted repeat to land, had there been one
    seen = await view(sokha, rows="COMMUNE")
    await sokha.close()
    kachanh = next(r for r in seen["rows"] if r["code"] == "160201")
    assert kachanh["figures"]["needs"]["total"] == 4  # 2 + the repeated one once + the new one
