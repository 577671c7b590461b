"""A project's expected month on plain data: reading it (Khmer digits too), refusing what is not a
month or is before the CIP year, the events that carry it, and the funded SMS that names it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts.budget import PROJECT_EXPECTED_MONTH_SET, PROJECT_STATUS_CHANGED, BudgetLineKind
from services.budget import domain, projects, schedule
from services.budget.model import Act, Budget
from services.budget.months import expected_month
from services.budget.projects import Approval, NeedRef
from services.budget.store import budget_from_doc, budget_to_doc
from services.notify.domain.sms import Encoding, sms_length
from services.notify.rendering import render
from services.runtime.errors import DomainError
from services.runtime.identity import Identity, Role

NOW = datetime(2027, 2, 1, 2, 0, tzinfo=UTC)
CLERK = Act(Identity("clerk-1", Role.COUNCIL_MEMBER, ("160101",)), NOW)
NEEDS = {"n1": NeedRef("n1", "160101")}
APPROVAL = Approval("d1", "160101", 2027, {"n1": 1})


def _code(raw: object, year: int = 2027) -> str:
    with pytest.raises(DomainError) as refused:
        expected_month(raw, year)
    assert refused.value.field == "expectedMonth"
    return refused.value.code


def test_a_month_is_read_in_ascii_or_khmer_digits_and_kept_in_ascii() -> None:
    assert expected_month("2027-06", 2027) == "2027-06"
    assert expected_month("២០២៧-០៦", 2027) == "2027-06"
    assert expected_month(" 2028-6 ", 2027) == "2028-06"
    assert expected_month("", 2027) is None and expected_month(None, 2027) is None


@pytest.mark.parametrize("raw", ["2027-13", "2027-00", "June 2027", "2027", "27-06", "2027-06-15", "២០២៧-១៣"])
def test_what_is_not_a_month_is_refused_with_its_code(raw: str) -> None:
    assert _code(raw) == "budget.expected_month_invalid"


def test_a_month_before_the_cip_year_is_refused_with_its_code() -> None:
    assert _code("2026-12") == "budget.expected_month_before_year"
    assert _code("២០២៦-១២") == "budget.expected_month_before_year"


def _project(month: object = None) -> Budget:
    budget = domain.set_line(
        Budget("160101", 2027), CLERK, BudgetLineKind.LOCAL_DEVELOPMENT, 9_000_000
    ).budget
    outcome = projects.create_project(
        budget, CLERK, "p1", "អណ្តូងស្នប់ភូមិឡោម", ["n1"], 4_000_000, NEEDS, APPROVAL, month
    )
    [event] = outcome.events
    assert event.event_type == PROJECT_STATUS_CHANGED
    assert event.payload.model_dump()["expected_month"] == outcome.budget.projects["p1"].expected_month
    return outcome.budget


def test_set_on_create_carried_by_status_events_and_kept_in_the_document() -> None:
    budget = _project("២០២៧-០៦")
    assert budget.projects["p1"].expected_month == "2027-06"
    funded = projects.allocate(
        budget, CLERK, "a1", "p1", BudgetLineKind.LOCAL_DEVELOPMENT, 4_000_000, APPROVAL
    )
    [change] = [e.payload for e in funded.events if e.event_type == PROJECT_STATUS_CHANGED]
    assert change.model_dump()["expected_month"] == "2027-06"
    assert budget_from_doc(budget_to_doc(funded.budget)).projects["p1"].expected_month == "2027-06"


def test_setting_the_month_publishes_it_and_a_refusal_changes_nothing() -> None:
    budget = _project()
    outcome = schedule.set_expected_month(budget, CLERK, "p1", "2027-09")
    [event] = outcome.events
    assert event.event_type == PROJECT_EXPECTED_MONTH_SET
    assert event.payload.model_dump()["expected_month"] == "2027-09"
    assert event.payload.model_dump()["previous"] is None
    assert budget.projects["p1"].expected_month is None  # the input budget is never changed
    assert not schedule.set_expected_month(outcome.budget, CLERK, "p1", "២០២៧-០៩").changed

    with pytest.raises(DomainError) as refused:
        schedule.set_expected_month(outcome.budget, CLERK, "p1", "2026-01")
    assert refused.value.code == "budget.expected_month_before_year"
    assert outcome.budget.projects["p1"].expected_month == "2027-09"
    facilitator = Act(Identity("fac-1", Role.FACILITATOR, ("160101",)), NOW)
    with pytest.raises(DomainError) as not_council:
        schedule.set_expected_month(outcome.budget, facilitator, "p1", "2027-10")
    assert not_council.value.code == "budget.not_allowed"

    cleared = schedule.set_expected_month(outcome.budget, CLERK, "p1", "")
    assert cleared.budget.projects["p1"].expected_month is None
    assert cleared.events[0].payload.model_dump()["previous"] == "2027-09"


def _funded_sms(lang: str, brief: bool) -> str:
    need = {
        "tracking_code": "K7QM-4XPA",
        "excerpt": "អណ្តូងទឹកស្អាត",
        "village": {"km": "ឡោម", "latin": "Laom"},
        "merged_into": None,
        "merged_from": [],
        "rank": None,
        "ranked_of": None,
        "project": {
            "title": "អណ្តូងស្នប់ភូមិឡោម",
            "amount": 12_500_000,
            "year": 2027,
            "stage": "funded",
            "expected_month": "2027-06",
        },
    }
    context = {"tracking_code": "K7QM-4XPA", "status": "funded", "reason": None, "need": need, "brief": brief}
    return render("need_status_changed", "sms", lang, context).text


def test_the_funded_sms_names_project_riel_and_month_in_few_parts() -> None:
    km, en = _funded_sms("km", brief=True), _funded_sms("en", brief=False)
    assert "អណ្តូងស្នប់ភូមិឡោម" in km and "១២,៥០០,០០០ រៀល" in km and "ខែមិថុនា ឆ្នាំ២០២៧" in km
    assert "អណ្តូងស្នប់ភូមិឡោម" in en and "12,500,000 riel" in en and "June 2027" in en
    # Khmer travels as UCS-2 (67 units a part once split): the brief form is no longer than the full.
    length = sms_length(km)
    assert length.encoding is Encoding.UCS2
    assert length.segments <= sms_length(_funded_sms("km", brief=False)).segments
    assert length.segments == 2, (length, km)
    # A Khmer title makes the English text UCS-2 as well: two parts too.
    assert sms_length(en).segments == 2, (sms_length(en), en)
