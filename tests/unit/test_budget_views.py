"""What the budget shows: the public view, its CSV export, riel and USD formatting, SVG bar sizes."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from contracts.api import budget as api
from contracts.budget import BudgetLineKind, ExchangeRate
from gateway.money import usd_of
from gateway.web.budget.formatting import bar, local_time, riel, usd_text
from gateway.web.budget.transparency import transparency_csv
from services.budget import domain, projects
from services.budget.model import Act, Budget, Rate
from services.budget.projects import Approval, NeedRef, ProjectDecision
from services.budget.views import budget_view, transparency_view
from services.runtime.identity import Identity, Role

CLERK = Act(Identity("clerk", Role.CLERK, ("160101",)), datetime(2026, 2, 1, tzinfo=UTC))
NEEDS = {
    f"n{i}": {
        "id": f"n{i}",
        "tracking_code": f"AAAA-BB{i}",
        "commune_code": "160101",
        "village_code": "16010101",
        "village_name": {"km": "កាតែ", "latin": "Kate"},
        "description": f"Need {i}",
    }
    for i in range(1, 4)
}
APPROVAL = Approval("d1", "160101", 2026, {"n1": 1, "n2": 2, "n3": 3})


def _budget() -> Budget:
    """Local development 3,000,000 and CCWC 500,000 (with a rate); n1 funded, n2 deferred, n3 rejected."""
    refs = {n: NeedRef(n, "160101") for n in NEEDS}
    budget = domain.set_line(
        Budget("160101", 2026), CLERK, BudgetLineKind.LOCAL_DEVELOPMENT, 3_000_000
    ).budget
    budget = domain.set_line(
        budget, CLERK, BudgetLineKind.CCWC, 500_000, Rate(4_000, date(2026, 1, 5))
    ).budget
    for pid, need in (("p1", "n1"), ("p2", "n2"), ("p3", "n3")):
        budget = projects.create_project(
            budget, CLERK, pid, f"Project {need}", [need], 1_000_000, refs, APPROVAL
        ).budget
    budget = projects.allocate(
        budget, CLERK, "a1", "p1", BudgetLineKind.LOCAL_DEVELOPMENT, 1_000_000, APPROVAL
    ).budget
    budget = projects.decide_project(budget, CLERK, "p2", ProjectDecision.DEFER, "=Transfer cut").budget
    return projects.decide_project(budget, CLERK, "p3", ProjectDecision.REJECT, "Outside the commune").budget


def test_the_public_view_shows_lines_the_ccwc_line_and_each_needs_fate_with_reasons() -> None:
    view = transparency_view(_budget(), NEEDS)
    assert view["published"]
    assert [line["kind"] for line in view["lines"]] == ["local_development", "ccwc"]
    assert view["ccwc"] == {
        "kind": "ccwc",
        "amount": 500_000,
        "allocated": 0,
        "spent": 0,
        "remaining": 500_000,
        "exchange_rate": {"riel_per_usd": 4000, "as_of": "2026-01-05"},
    }
    assert view["totals"] == {"amount": 3_500_000, "allocated": 1_000_000, "spent": 0, "remaining": 3_500_000}
    assert [(n["description"], n["status"]) for n in view["funded_needs"]] == [("Need 1", "funded")]
    assert [(n["description"], n["reason"]) for n in view["deferred_needs"]] == [("Need 2", "=Transfer cut")]
    assert [(n["description"], n["reason"]) for n in view["rejected_needs"]] == [
        ("Need 3", "Outside the commune")
    ]
    # A tracking code lets its holder act for the citizen: never published.
    assert all(
        n["tracking_code"] is None
        for group in ("funded_needs", "deferred_needs", "rejected_needs")
        for n in view[group]
    )


def test_the_public_view_of_a_year_without_lines_says_it_is_not_published() -> None:
    view = transparency_view(Budget("160101", 2030), {})
    assert not view["published"]
    assert view["ccwc"] is None
    assert view["totals"] == {"amount": 0, "allocated": 0, "spent": 0, "remaining": 0}


def test_the_councils_view_lists_approved_needs_with_the_project_answering_them() -> None:
    approvals = [
        {
            "id": "d1",
            "meeting_id": "m1",
            "decided_at": "2026-01-20T03:00:00+00:00",
            "needs": [{"need_id": "n2", "rank": 2}, {"need_id": "n1", "rank": 1}],
        }
    ]
    view = budget_view(_budget(), 7, NEEDS, approvals)
    assert view["version"] == 7
    assert [(n["id"], n["rank"], n["project_id"]) for n in view["approved_needs"]] == [
        ("n1", 1, "p1"),
        ("n2", 2, None),
    ]
    assert view["approvals"] == [
        {"id": "d1", "meeting_id": "m1", "decided_at": "2026-01-20T03:00:00+00:00", "need_count": 2}
    ]


def test_the_csv_export_has_a_row_per_line_and_need_and_never_a_formula() -> None:
    text = transparency_csv(api.Transparency.model_validate(transparency_view(_budget(), NEEDS)))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["record"] for r in rows] == ["line", "line", "total", "need", "need", "need"]
    assert rows[0]["amount_riel"] == "3000000"
    deferred = next(r for r in rows if r["status"] == "deferred")
    assert deferred["need"] == "Need 2" and deferred["tracking_code"] == ""
    assert deferred["reason"] == "'=Transfer cut"  # a spreadsheet shows it as text, never runs it


def test_riel_are_shown_with_thousands_separators_and_the_riel_sign() -> None:
    assert riel(12_500_000_000) == "12,500,000,000៛"
    assert riel(0) == "0៛"
    assert riel(-2_000) == "-2,000៛"


def test_usd_is_shown_only_with_a_recorded_rate() -> None:
    assert usd_of(9_000_000_000, 4100) == "2195121.95"
    assert usd_text(9_000_000_000, ExchangeRate(riel_per_usd=4100, as_of=date(2026, 1, 5))) == "2,195,121.95"
    assert usd_of(1, None) is None


def test_times_are_shown_in_phnom_penh() -> None:
    assert local_time(datetime(2026, 3, 5, 20, 30, tzinfo=UTC)) == "2026-03-06 03:30"


def test_bars_share_one_scale_and_mark_a_line_left_short() -> None:
    assert bar(500, 250, 100, 1000) == {
        "amount": 150,
        "allocated": 75,
        "spent": 30,
        "over": False,
        "marker": 150,
    }
    short = bar(1000, 3000, 0, 3000)
    assert short["over"] and short["allocated"] == 300 and short["marker"] == 100
    assert bar(0, 0, 0, 0)["amount"] == 0
