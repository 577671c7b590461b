"""Implementation stages and community checks on plain data: order, dates, roles, privacy. No I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from contracts.budget import (
    COMMUNITY_CHECK_RECORDED,
    PROJECT_STAGE_SET,
    PROJECT_STATUS_CHANGED,
    BudgetLineKind,
    ProjectStage,
    ProjectStatus,
)
from services.budget import checks, domain, implementation, projects
from services.budget.checks import ScoreIn
from services.budget.model import Act, Budget
from services.budget.projects import Approval, NeedRef, ProjectDecision
from services.budget.store import budget_from_doc, budget_to_doc
from services.budget.verification import implementation_view
from services.runtime.errors import DomainError
from services.runtime.identity import Identity, Role

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
CHIEF = Act(Identity("chief-1", Role.COMMUNE_CHIEF, ("160101",)), NOW)
FACILITATOR = Act(Identity("fac-1", Role.FACILITATOR, ("160101",)), NOW)
NEEDS = {n: NeedRef(n, "160101") for n in ("n1", "n2")}
APPROVAL = Approval("d1", "160101", 2026, {"n1": 1, "n2": 2})
LOCAL = BudgetLineKind.LOCAL_DEVELOPMENT
STAGES = [
    (ProjectStage.PROCUREMENT, date(2026, 3, 1)),
    (ProjectStage.WORKS_STARTED, date(2026, 4, 1)),
    (ProjectStage.COMPLETED, date(2026, 5, 20)),
    (ProjectStage.HANDED_OVER, date(2026, 5, 25)),
]


def _funded(cost: int = 3_000_000, allocated: int = 3_000_000) -> Budget:
    budget = domain.set_line(Budget("160101", 2026), CHIEF, LOCAL, 9_000_000).budget
    budget = projects.create_project(budget, CHIEF, "p1", "អណ្តូងទឹក", ["n1"], cost, NEEDS, APPROVAL).budget
    return projects.allocate(budget, CHIEF, "a1", "p1", LOCAL, allocated, APPROVAL).budget


def _staged(budget: Budget, upto: int) -> Budget:
    for stage, on in STAGES[:upto]:
        budget = implementation.set_stage(budget, CHIEF, "p1", stage, on, None, None).budget
    return budget


def _refused(call: object) -> DomainError:
    assert callable(call)
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value


def test_stages_follow_in_order_and_the_status_follows_the_works() -> None:
    budget = _funded()
    statuses = []
    for stage, on in STAGES:
        outcome = implementation.set_stage(budget, CHIEF, "p1", stage, on, "ក្រុមហ៊ុនសំណង់ ABC", "IMG_0042")
        budget = outcome.budget
        kinds = [e.event_type for e in outcome.events]
        assert kinds[0] == PROJECT_STAGE_SET
        statuses.append(budget.projects["p1"].status)
        if PROJECT_STATUS_CHANGED in kinds:
            [change] = [e.payload for e in outcome.events if e.event_type == PROJECT_STATUS_CHANGED]
            assert change.model_dump()["need_ids"] == ["n1"]
    assert statuses == [
        ProjectStatus.FUNDED,
        ProjectStatus.IN_IMPLEMENTATION,
        ProjectStatus.COMPLETED,
        ProjectStatus.COMPLETED,
    ]
    assert [s.stage for s in budget.projects["p1"].stages] == [s for s, _ in STAGES]
    assert budget.projects["p1"].stages[0].note == "ក្រុមហ៊ុនសំណង់ ABC"


def test_a_skipped_or_repeated_stage_is_refused_with_its_code_in_khmer_and_english() -> None:
    budget = _funded()
    skipped = _refused(
        lambda: implementation.set_stage(
            budget, CHIEF, "p1", ProjectStage.COMPLETED, date(2026, 3, 1), None, None
        )
    )
    assert skipped.code == "budget.stage_out_of_order"
    assert "លទ្ធកម្ម" in skipped.message("km") and "procurement" in skipped.message("en")
    started = _staged(budget, 2)
    again = _refused(
        lambda: implementation.set_stage(
            started, CHIEF, "p1", ProjectStage.WORKS_STARTED, date(2026, 4, 2), None, None
        )
    )
    assert again.code == "budget.stage_already_set"
    done = _staged(budget, 4)
    after = _refused(
        lambda: implementation.set_stage(
            done, CHIEF, "p1", ProjectStage.PROCUREMENT, date(2026, 5, 26), None, None
        )
    )
    assert after.code == "budget.stage_out_of_order"
    assert "ប្រគល់" in after.message("km")


def test_works_begin_only_on_a_funded_project_by_its_council() -> None:
    budget = domain.set_line(Budget("160101", 2026), CHIEF, LOCAL, 9_000_000).budget
    budget = projects.create_project(budget, CHIEF, "p1", "ផ្លូវ", ["n1"], 1_000_000, NEEDS, APPROVAL).budget
    planned = _refused(
        lambda: implementation.set_stage(
            budget, CHIEF, "p1", ProjectStage.PROCUREMENT, date(2026, 3, 1), None, None
        )
    )
    assert planned.code == "budget.stage_not_funded"
    funded = _funded()
    by_facilitator = _refused(
        lambda: implementation.set_stage(
            funded, FACILITATOR, "p1", ProjectStage.PROCUREMENT, date(2026, 3, 1), None, None
        )
    )
    assert by_facilitator.code == "budget.not_allowed"
    elsewhere = Act(Identity("chief-2", Role.COMMUNE_CHIEF, ("160102",)), NOW)
    outside = _refused(
        lambda: implementation.set_stage(
            funded, elsewhere, "p1", ProjectStage.PROCUREMENT, date(2026, 3, 1), None, None
        )
    )
    assert outside.code == "auth.forbidden"


def test_a_stage_date_is_neither_in_the_future_nor_before_the_stage_before() -> None:
    budget = _staged(_funded(), 1)
    future = _refused(
        lambda: implementation.set_stage(
            budget, CHIEF, "p1", ProjectStage.WORKS_STARTED, date(2026, 6, 2), None, None
        )
    )
    assert future.code == "budget.date_in_future"
    # 1 June 02:00 UTC is already 1 June in Phnom Penh: today is allowed.
    today = implementation.set_stage(
        budget, CHIEF, "p1", ProjectStage.WORKS_STARTED, date(2026, 6, 1), None, None
    )
    assert today.budget.projects["p1"].stage == ProjectStage.WORKS_STARTED
    earlier = _refused(
        lambda: implementation.set_stage(
            budget, CHIEF, "p1", ProjectStage.WORKS_STARTED, date(2026, 2, 1), None, None
        )
    )
    assert earlier.code == "budget.date_before_previous_stage"


def test_money_moving_later_does_not_send_a_project_being_built_back_to_funded() -> None:
    budget = _staged(_funded(cost=3_000_000, allocated=2_000_000), 2)
    assert budget.projects["p1"].status == ProjectStatus.IN_IMPLEMENTATION
    more = projects.allocate(budget, CHIEF, "a2", "p1", LOCAL, 1_000_000, APPROVAL).budget
    assert more.projects["p1"].status == ProjectStatus.IN_IMPLEMENTATION
    refused = _refused(lambda: projects.decide_project(more, CHIEF, "p1", ProjectDecision.DEFER, "late"))
    assert refused.code == "budget.project_in_implementation"


def test_stages_and_checks_survive_the_store_round_trip() -> None:
    budget = _staged(_funded(), 3)
    checked = checks.record_check(
        budget, FACILITATOR, "c1", "p1", date(2026, 5, 30), [ScoreIn("women", 12, 5, 4, 4)], "ល្អ"
    ).budget
    doc = budget_to_doc(checked)
    again = budget_from_doc({**doc, "version": 3})
    assert again.projects["p1"].stages == checked.projects["p1"].stages
    assert again.projects["p1"].checks == checked.projects["p1"].checks
    old = {
        **doc,
        "projects": [{k: v for k, v in p.items() if k not in ("stages", "checks")} for p in doc["projects"]],
    }
    assert budget_from_doc(old).projects["p1"].stages == []


def test_a_community_check_scores_each_group_after_completion() -> None:
    budget = _staged(_funded(), 2)
    early = _refused(
        lambda: checks.record_check(
            budget, FACILITATOR, "c1", "p1", date(2026, 5, 1), [ScoreIn("all", 30, 5, 5, 5)], None
        )
    )
    assert early.code == "budget.check_too_early"
    done = _staged(_funded(), 3)
    scores = [
        ScoreIn("all", 40, 5, 4, 3),
        ScoreIn("women", 22, 5, 3, 3),
        ScoreIn("disability", 3, 4, 2, 1),
        ScoreIn("indigenous", 9, 5, 4, 4),
    ]
    outcome = checks.record_check(done, FACILITATOR, "c1", "p1", date(2026, 5, 28), scores, "ស្ត្រីនិយាយថា")
    [event] = outcome.events
    assert event.event_type == COMMUNITY_CHECK_RECORDED
    assert [s["group"] for s in event.payload.model_dump()["scores"]] == [
        "all",
        "women",
        "disability",
        "indigenous",
    ]
    project = outcome.budget.projects["p1"]
    public = implementation_view(project, {}, council=False)["verification"]
    council = implementation_view(project, {}, council=True)["verification"]
    disability_public = next(s for s in public["checks"][0]["scores"] if s["group"] == "disability")
    assert disability_public == {
        "group": "disability",
        "participants": "<5",
        "built": None,
        "works": None,
        "used": None,
    }
    disability_council = next(s for s in council["checks"][0]["scores"] if s["group"] == "disability")
    assert disability_council["participants"] == 3 and disability_council["used"] == 1
    # Weighted by participants: (40*5 + 22*5 + 3*4 + 9*5) / 74.
    assert council["latest_check"]["built"] == round((200 + 110 + 12 + 45) / 74, 1)


@pytest.mark.parametrize(
    ("scores", "code"),
    [
        ([], "budget.check_scores_required"),
        ([ScoreIn("aliens", 3, 5, 5, 5)], "budget.check_group_unknown"),
        ([ScoreIn("women", 3, 5, 5, 5), ScoreIn("Women", 4, 5, 5, 5)], "budget.check_group_repeated"),
        ([ScoreIn("women", 3, 6, 5, 5)], "budget.check_value_invalid"),
        ([ScoreIn("women", 0, 5, 5, 5)], "budget.check_value_invalid"),
        ([ScoreIn("women", 3, True, 5, 5)], "budget.check_value_invalid"),
        ([ScoreIn("women", 3, "5", 5, 5)], "budget.check_value_invalid"),
    ],
)
def test_bad_check_answers_are_refused_with_a_clear_code(scores: list[ScoreIn], code: str) -> None:
    done = _staged(_funded(), 3)
    refused = _refused(
        lambda: checks.record_check(done, FACILITATOR, "c1", "p1", date(2026, 5, 28), scores, None)
    )
    assert refused.code == code
    assert refused.message("km") != refused.message("en")


def test_a_check_cannot_be_dated_before_the_works_were_completed_or_by_a_citizen() -> None:
    done = _staged(_funded(), 3)
    before = _refused(
        lambda: checks.record_check(
            done, FACILITATOR, "c1", "p1", date(2026, 5, 1), [ScoreIn("all", 9, 5, 5, 5)], None
        )
    )
    assert before.code == "budget.check_before_completion"
    integrator = Act(Identity("i-1", Role.INTEGRATOR, ("160101",)), NOW)
    refused = _refused(
        lambda: checks.record_check(
            done, integrator, "c1", "p1", date(2026, 5, 28), [ScoreIn("all", 9, 5, 5, 5)], None
        )
    )
    assert refused.code == "budget.check_not_allowed"
