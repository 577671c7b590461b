"""Messages worth reading, through notify running on a real nats-server: outcomes name the
project, its riel and its year; a prioritised need hears its rank; a merged need's people
follow the survivor; the facilitator of people without a phone gets one digest a day; the
loudspeaker keeps only the newest script for a need and village, uncut mid-cluster."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from contracts.budget import (
    ALLOCATION_MADE,
    PROJECT_STATUS_CHANGED,
    AllocationMadeV1,
    BudgetLineKind,
    ProjectStatus,
    ProjectStatusChangedV1,
)
from contracts.envelope import uuid7
from contracts.meetings import (
    DECISION_RECORDED,
    MEETING_ANNOUNCED,
    MEETING_RESCHEDULED,
    DecisionKind,
    DecisionRecordedV1,
    MeetingAnnouncedV1,
    MeetingDetails,
    MeetingRescheduledV1,
    MeetingType,
    RankedNeed,
    Venue,
)
from contracts.needs import (
    NEED_STATUS_CHANGED,
    NEED_SUBMITTED,
    NEEDS_MERGED,
    ContactChannel,
    ContactPoint,
    NeedsMergedV1,
    NeedStatus,
    NeedStatusChangedV1,
    NeedSubmittedV1,
    PlaceName,
)
from services.notify.domain.text import is_boundary
from services.runtime.identity import Role
from tests.conftest import wait_for
from tests.support.notify_harness import COMMUNE_NUMBER, MORNING, Harness, notify_harness

_numbers = itertools.count(1)
_codes = itertools.count(0)
LETTERS = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LONG_KHMER = (
    "ស្ត្រីៗក្នុងភូមិត្រូវដើរទៅដងទឹកពីស្ទឹងឆ្ងាយណាស់រៀងរាល់ព្រឹក"
    "ក្មេងៗមិនអាចទៅសាលារៀនទាន់ម៉ោងព្រោះត្រូវជួយដងទឹកសូមឃុំជួយជីកអណ្តូងស្នប់មួយនៅកណ្តាលភូមិ"
    "ដើម្បីឲ្យគ្រួសារជនជាតិដើមភាគតិចទំពួននិងជនមានពិការភាពអាចប្រើបានងាយស្រួល"
)


def phone() -> str:
    return f"+85516{next(_numbers) + 5_000_000:07d}"


def code() -> str:
    n = next(_codes) * 7919 + 104_729
    letters = "".join(LETTERS[(n >> (5 * i)) % 32] for i in range(7))
    return f"{letters[:4]}-{letters[4:]}"


def sms(number: str, language: str = "km") -> ContactPoint:
    return ContactPoint(channel=ContactChannel.SMS, address=number, language=language)


@pytest.fixture(scope="module")
async def h(nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    async with notify_harness(
        nats_url,
        Path(tmp_path_factory.mktemp("notify-messages")),
        sms_segment_cost_riel=120,
        facts_wait_seconds=5.0,  # an outcome waits this long for its rank or project
    ) as harness:
        yield harness


@pytest.fixture(autouse=True)
def morning(h: Harness) -> None:
    h.clock.set(MORNING)


async def submitted(
    h: Harness, contacts: list[ContactPoint], description: str = "អណ្តូងទឹកស្អាតសម្រាប់ភូមិ"
) -> NeedSubmittedV1:
    need = NeedSubmittedV1(
        need_id=uuid7(),
        tracking_code=code(),
        commune_code="160101",
        village_code="16010105",
        village_name=PlaceName(km="ឡោម", latin="Laom"),
        description=description,
        collected_by="u-sophea",
        submitted_at=MORNING,
        contacts=contacts,
    )
    await h.publish(need, NEED_SUBMITTED, "160101", subject=need.need_id)
    await wait_for(lambda: h.store.get("needs", need.need_id))
    return need


async def status(
    h: Harness, need: NeedSubmittedV1, new: NeedStatus, reason: str | None = None, minutes: int = 1
) -> None:
    change = NeedStatusChangedV1(
        need_id=need.need_id,
        tracking_code=need.tracking_code,
        commune_code="160101",
        village_code=need.village_code,
        previous=NeedStatus.IN_CIP,
        status=new,
        reason=reason,
        actor="budget",
        changed_at=MORNING + timedelta(minutes=minutes),
    )
    await h.publish(change, NEED_STATUS_CHANGED, "160101", subject=need.need_id)


async def funded_project(h: Harness, need: NeedSubmittedV1, title: str, riel: int) -> None:
    """Budget's events for a project answering ``need``, applied before intake's status change."""
    project_id = uuid7()
    await h.publish(
        AllocationMadeV1(
            allocation_id=uuid7(),
            project_id=project_id,
            commune_code="160101",
            year=2027,
            line=BudgetLineKind.LOCAL_DEVELOPMENT,
            amount=riel,
            decision_id=uuid7(),
            made_by="u-dara",
            made_at=MORNING,
        ),
        ALLOCATION_MADE,
        "160101",
    )
    await h.publish(
        ProjectStatusChangedV1(
            project_id=project_id,
            commune_code="160101",
            year=2027,
            need_ids=[need.need_id],
            previous=ProjectStatus.PLANNED,
            status=ProjectStatus.FUNDED,
            changed_by="u-dara",
            changed_at=MORNING,
            title=title,
        ),
        PROJECT_STATUS_CHANGED,
        "160101",
    )

    async def linked() -> bool:
        copy = await h.store.get("needs", need.need_id)
        project = await h.store.get("projects", project_id)
        return bool(copy and copy.get("project_id") == project_id and project and project["amount"] == riel)

    await wait_for(linked)


async def texts_to(h: Harness, number: str, count: int) -> list[str]:
    async def arrived() -> list[str] | None:
        await h.dispatch()
        found = [str(m["text"]) for m in h.sms.to(number)]
        return found if len(found) >= count else None

    result: list[str] = await wait_for(arrived)
    return result


async def test_a_funded_need_hears_the_project_its_riel_and_its_year_in_khmer_digits(h: Harness) -> None:
    khmer, english = phone(), phone()
    need = await submitted(h, [sms(khmer), sms(english, "en")])
    await funded_project(h, need, "អណ្តូងស្នប់ភូមិឡោម", 12_500_000)
    await status(h, need, NeedStatus.FUNDED)

    km = (await texts_to(h, khmer, 2))[1]
    assert "អណ្តូងស្នប់ភូមិឡោម" in km
    assert "១២,៥០០,០០០ រៀល" in km and "២០២៧" in km
    en = (await texts_to(h, english, 2))[1]
    assert "Project: អណ្តូងស្នប់ភូមិឡោម." in en and "12,500,000 riel" in en and "Expected: 2027" in en


async def test_a_prioritised_need_hears_its_rank(h: Harness) -> None:
    number = phone()
    needs = [await submitted(h, [sms(number)] if i == 1 else []) for i in range(3)]
    decision = DecisionRecordedV1(
        decision_id=uuid7(),
        meeting_id=uuid7(),
        commune_code="160101",
        kind=DecisionKind.PRIORITISATION,
        year=2027,
        needs=[RankedNeed(need_id=n.need_id, rank=rank) for rank, n in enumerate(needs, start=1)],
        decided_by="u-dara",
        decided_at=MORNING,
    )
    await h.publish(decision, DECISION_RECORDED, "160101")

    async def ranked() -> bool:
        copy = await h.store.get("needs", needs[1].need_id)
        return bool(copy and copy.get("rank") == 2)

    await wait_for(ranked)
    await status(h, needs[1], NeedStatus.PRIORITISED)
    text = (await texts_to(h, number, 2))[1]
    assert "លំដាប់ទី២ ក្នុងចំណោម៣" in text


async def test_a_rank_that_reaches_notify_after_the_status_is_still_in_the_message(h: Harness) -> None:
    # Intake's status and meetings' decision come on two consumers: the status may come first.
    number = phone()
    needs = [await submitted(h, [sms(number)] if i == 0 else []) for i in range(2)]
    await status(h, needs[0], NeedStatus.PRIORITISED)
    await h.dispatch()
    assert len(await texts_to(h, number, 1)) == 1  # the receipt only: the status waits
    decision = DecisionRecordedV1(
        decision_id=uuid7(),
        meeting_id=uuid7(),
        commune_code="160101",
        kind=DecisionKind.PRIORITISATION,
        year=2027,
        needs=[RankedNeed(need_id=n.need_id, rank=rank) for rank, n in enumerate(needs, start=1)],
        decided_by="u-dara",
        decided_at=MORNING,
    )
    await h.publish(decision, DECISION_RECORDED, "160101")
    text = (await texts_to(h, number, 2))[1]
    assert "លំដាប់ទី១ ក្នុងចំណោម២" in text


async def test_a_merged_needs_people_hear_what_became_of_the_surviving_need(h: Harness) -> None:
    merged_phone, survivor_phone = phone(), phone()
    merged = await submitted(h, [sms(merged_phone)])
    survivor = await submitted(h, [sms(survivor_phone)])
    merge = NeedsMergedV1(
        survivor_id=survivor.need_id,
        survivor_tracking_code=survivor.tracking_code,
        merged_id=merged.need_id,
        merged_tracking_code=merged.tracking_code,
        commune_code="160101",
        reason="តម្រូវការដូចគ្នា",
        merged_by="u-dara",
        merged_at=MORNING,
    )
    await h.publish(merge, NEEDS_MERGED, "160101")

    async def followed() -> bool:
        copy = await h.store.get("needs", merged.need_id)
        return bool(copy and copy.get("merged_into") == survivor.tracking_code)

    await wait_for(followed)
    await status(h, survivor, NeedStatus.DEFERRED, "ថវិកាមិនគ្រប់គ្រាន់ឆ្នាំនេះ")
    told = (await texts_to(h, merged_phone, 2))[1]
    assert survivor.tracking_code in told and "ពន្យារទៅឆ្នាំក្រោយ" in told and "ថវិកាមិនគ្រប់គ្រាន់" in told
    assert f"រួមទាំង {merged.tracking_code}" in told  # so its people know the news is theirs

    await h.sms.incoming(merged_phone, COMMUNE_NUMBER, f"STATUS {merged.tracking_code}")
    answer = (await texts_to(h, merged_phone, 3))[2]
    assert survivor.tracking_code in answer
    assert "ពន្យារទៅឆ្នាំក្រោយ" in answer and "ថវិកាមិនគ្រប់គ្រាន់ឆ្នាំនេះ" in answer


async def test_a_need_with_no_contact_is_on_the_loudspeaker_and_in_its_facilitators_one_daily_digest(
    h: Harness,
) -> None:
    need = await submitted(h, [])
    await status(h, need, NeedStatus.REJECTED, "ភូមិផ្សេងមានអាទិភាពខ្ពស់ជាង")
    script = await wait_for(lambda: h.store.find_one("loudspeaker_scripts", {"ref": need.tracking_code}))
    assert script["status"] == "pending"
    item = await wait_for(lambda: h.store.find_one("digest_items", {"ref": need.tracking_code}))
    assert item["facilitator"] == "u-sophea" and not item["digested"]

    sophea = h.token(Role.FACILITATOR, ("160101",), "u-sophea")
    await h.dispatch()  # the same day: no digest yet
    assert await h.store.get("digest_items", item["id"]) == {**item, "version": item["version"]}

    h.clock.set(MORNING + timedelta(days=1))
    await h.dispatch()
    await h.dispatch()  # a second pass changes nothing
    digests = [d async for d in h.store.iterate("notifications", {"audience": "person:u-sophea"})]
    mine = [d for d in digests if need.tracking_code in d["text"]["km"]]
    assert len(mine) == 1
    assert "ភូមិផ្សេងមានអាទិភាពខ្ពស់ជាង" in mine[0]["text"]["km"] and "ឡោម" in mine[0]["text"]["km"]
    assert need.tracking_code in mine[0]["text"]["en"] and "not accepted" in mine[0]["text"]["en"]

    inbox = await h.http.get("/notifications", headers=sophea)
    assert mine[0]["id"] in {n["id"] for n in inbox.json()["items"]}
    other = h.token(Role.FACILITATOR, ("160101",), "u-other")
    assert mine[0]["id"] not in {
        n["id"] for n in (await h.http.get("/notifications", headers=other)).json()["items"]
    }


async def test_a_newer_script_for_the_same_need_and_village_replaces_the_older_one(h: Harness) -> None:
    need = await submitted(h, [], description=LONG_KHMER)
    await status(h, need, NeedStatus.FUNDED, minutes=1)
    first = await wait_for(lambda: h.store.find_one("loudspeaker_scripts", {"ref": need.tracking_code}))
    await status(h, need, NeedStatus.DEFERRED, "ថវិកាត្រូវបានកាត់បន្ថយ", minutes=2)

    async def replaced() -> dict[str, Any] | None:
        old = await h.store.get("loudspeaker_scripts", first["id"])
        return old if old and old["status"] == "superseded" else None

    await wait_for(replaced)
    scripts = [s async for s in h.store.iterate("loudspeaker_scripts", {"ref": need.tracking_code})]
    pending = [s for s in scripts if s["status"] == "pending"]
    assert len(pending) == 1 and "ពន្យារទៅឆ្នាំក្រោយ" in pending[0]["text"]["km"]
    old_delivery = await h.store.get("deliveries", first["delivery_id"])
    assert old_delivery is not None
    assert (
        old_delivery["status"] == "failed" and old_delivery["last_error"]["code"] == "loudspeaker.superseded"
    )

    chief = h.token(Role.COMMUNE_CHIEF, ("160101",), "u-bopha")
    refused = await h.http.post(f"/loudspeaker/{first['id']}/announced", headers=chief)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "loudspeaker.superseded"

    # The citizen's words, shortened to fit the script, end between two Khmer clusters.
    said = pending[0]["quoted"][0]
    assert said.endswith("…") and LONG_KHMER.startswith(said[:-1])
    assert is_boundary(LONG_KHMER, len(said) - 1)


async def test_the_deliveries_log_says_each_sms_parts_alphabet_and_cost(h: Harness) -> None:
    number = phone()
    need = await submitted(h, [sms(number, "en")])
    await status(
        h, need, NeedStatus.REJECTED, "The \u201cbridge\u201d is the province\u2019s job \u2013 not ours"
    )
    texts = await texts_to(h, number, 2)
    assert '"bridge"' in texts[1] and "province's" in texts[1]  # plain punctuation: still GSM-7
    council = h.token(Role.COUNCIL_MEMBER, ("160101",))

    async def logged() -> list[dict[str, Any]] | None:
        page = await h.http.get(
            "/deliveries", params={"ref": need.tracking_code, "channel": "sms"}, headers=council
        )
        items = page.json()["items"]
        return items if len(items) == 2 and all(i["status"] == "sent" for i in items) else None

    for item in await wait_for(logged):
        assert item["encoding"] == "gsm7"
        assert item["segments"] >= 1 and item["cost_riel"] == item["segments"] * 120


def meeting_announced(starts: datetime) -> MeetingAnnouncedV1:
    meeting_id = uuid7()
    return MeetingAnnouncedV1(
        meeting_id=meeting_id,
        commune_code="160101",
        details=MeetingDetails(
            type=MeetingType.COMMUNE_PRIORITISATION,
            title="អាទិភាពគម្រោង",
            venue=Venue(village_code="16010105", place="សាលាវត្ត"),
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            languages=["km"],
            interpreter_arranged=False,
        ),
        agenda=[],
        ics_uid=f"{meeting_id}@meetings.khum",
        sequence=0,
        announced_by="u-dara",
        announced_at=MORNING,
        code="KMTRPA",
    )


async def test_a_meeting_reminder_waits_for_its_morning_and_is_withdrawn_when_the_meeting_moves(
    h: Harness,
) -> None:
    number = phone()
    await h.sms.incoming(number, COMMUNE_NUMBER, "JOIN")
    await texts_to(h, number, 1)
    starts = datetime(2026, 3, 15, 1, 0, tzinfo=UTC)  # Sunday 08:00 in Phnom Penh
    meeting = meeting_announced(starts)
    await h.publish(meeting, MEETING_ANNOUNCED, "160101", subject=meeting.meeting_id)
    assert "ម៉ោង ០៨:០០–១០:០០" in (await texts_to(h, number, 2))[1]

    three_days_before = datetime(2026, 3, 12, 0, 0, tzinfo=UTC)  # Thursday 07:00 in Phnom Penh
    h.clock.set(three_days_before - timedelta(minutes=1))
    await h.dispatch()
    assert len(h.sms.to(number)) == 2  # not yet
    h.clock.set(three_days_before)
    reminder = (await texts_to(h, number, 3))[2]
    assert "រំលឹក" in reminder and "ថ្ងៃអាទិត្យ ទី១៥ ខែមីនា" in reminder

    moved = MeetingRescheduledV1(
        meeting_id=meeting.meeting_id,
        commune_code="160101",
        previous_starts_at=starts,
        previous_ends_at=starts + timedelta(hours=2),
        starts_at=starts + timedelta(days=7),
        ends_at=starts + timedelta(days=7, hours=2),
        venue=meeting.details.venue,
        reason="ភ្លៀង",
        was_announced=True,
        ics_uid=meeting.ics_uid,
        sequence=1,
        rescheduled_by="u-dara",
        rescheduled_at=three_days_before,
    )
    await h.publish(moved, MEETING_RESCHEDULED, "160101", subject=meeting.meeting_id)
    assert "ថ្ងៃអាទិត្យ ទី២២ ខែមីនា" in (await texts_to(h, number, 4))[3]
    reminders = [d for d in await h.deliveries(kind="meeting_reminder") if d["ref"] == meeting.meeting_id]
    withdrawn = [d for d in reminders if d["status"] == "failed"]
    assert [d["last_error"]["code"] for d in withdrawn] == ["reminder.rescheduled"]  # the old morning-before
    assert {d["next_attempt_at"] for d in reminders if d["status"] == "queued"} == {
        datetime(2026, 3, 19, 0, 0, tzinfo=UTC).isoformat(),
        datetime(2026, 3, 21, 0, 0, tzinfo=UTC).isoformat(),
    }
