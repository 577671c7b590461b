"""The community's check of completed works, in the spirit of the ISAF community scorecard. Pure.

Led by a facilitator (or the council) with the people who use the works, once they are
completed: each group present (women, people with disabilities, indigenous people, migrants,
poor households...) says how many took part and scores from 1 to 5 whether it was built as
planned, whether it works and whether it is used. Counts and scores only, never names; the
public sees small sensitive groups suppressed (:mod:`services.budget.verification`).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from contracts.budget import COMMUNITY_CHECK_RECORDED, CheckScore, CommunityCheckRecordedV1, ProjectStage
from services.budget.implementation import today_in_cambodia
from services.budget.model import Act, Budget, CommunityCheck, Emitted, GroupScore, Outcome
from services.budget.projects import require_project
from services.budget.rules import REASON_MAX, BudgetError, optional_text, require_scope
from services.runtime.identity import COUNCIL_ROLES, Identity, Role

MAX_CHECKS = 20
MAX_PARTICIPANTS = 10_000
CHECKABLE = frozenset({ProjectStage.COMPLETED, ProjectStage.HANDED_OVER})

# The groups a community check is scored by (intake's inclusion groups, plus everyone and men).
CHECK_GROUPS: dict[str, tuple[str, str]] = {
    "all": ("everyone", "ទាំងអស់គ្នា"),
    "women": ("women", "ស្ត្រី"),
    "men": ("men", "បុរស"),
    "youth": ("youth", "យុវជន"),
    "elderly": ("older people", "មនុស្សចាស់"),
    "disability": ("people with disabilities", "ជនមានពិការភាព"),
    "idpoor": ("poor households (IDPoor)", "គ្រួសារក្រីក្រ (IDPoor)"),
    "indigenous": ("indigenous people", "ជនជាតិដើមភាគតិច"),
    "migrant": ("migrant workers", "ពលករចំណាកស្រុក"),
}


@dataclass(frozen=True)
class ScoreIn:
    """One group's answers as sent: checked here, so every bad value gets its own clear code."""

    group: str
    participants: object
    built: object
    works: object
    used: object


def require_checker(who: Identity, commune_code: str) -> None:
    """A community check is led by the commune's facilitators or its council."""
    if who.role not in COUNCIL_ROLES and who.role != Role.FACILITATOR:
        raise BudgetError(
            "budget.check_not_allowed",
            "Only the commune's facilitators and council record community checks.",
            "មានតែអ្នកសម្របសម្រួល និងក្រុមប្រឹក្សាឃុំទេ ដែលអាចកត់ត្រាការត្រួតពិនិត្យដោយសហគមន៍បាន។",
            status=403,
        )
    require_scope(who, commune_code)


def record_check(
    budget: Budget,
    act: Act,
    check_id: str,
    project_id: str,
    held_on: date,
    scores: Sequence[ScoreIn],
    note: str | None,
) -> Outcome:
    """Record a community check of completed works: by group, was it built, does it work, is it used."""
    require_checker(act.who, budget.commune_code)
    project = require_project(budget, project_id)
    if project.stage not in CHECKABLE:
        raise BudgetError(
            "budget.check_too_early",
            "A community check comes after the works are completed.",
            "ការត្រួតពិនិត្យដោយសហគមន៍ធ្វើឡើងបន្ទាប់ពីការងារសាងសង់បានបញ្ចប់។",
            status=409,
            field="projectId",
        )
    if len(project.checks) >= MAX_CHECKS:
        raise BudgetError(
            "budget.check_limit",
            "This project already has {limit} community checks.",
            "គម្រោងនេះមានការត្រួតពិនិត្យដោយសហគមន៍ចំនួន {limit} រួចហើយ។",
            status=409,
            limit=MAX_CHECKS,
        )
    completed = next(s.on for s in project.stages if s.stage == ProjectStage.COMPLETED)
    if held_on > today_in_cambodia(act.now):
        raise BudgetError(
            "budget.date_in_future",
            "The date {day} is in the future: record a check once it has happened.",
            "កាលបរិច្ឆេទ {day} នៅថ្ងៃអនាគត៖ សូមកត់ត្រាការត្រួតពិនិត្យ នៅពេលវាបានកើតឡើងរួច។",
            field="heldOn",
            day=held_on.isoformat(),
        )
    if held_on < completed:
        raise BudgetError(
            "budget.check_before_completion",
            "The check ({day}) is dated before the works were completed ({completed}).",
            "ការត្រួតពិនិត្យ ({day}) មានកាលបរិច្ឆេទមុនពេលការងារបានបញ្ចប់ ({completed})។",
            field="heldOn",
            day=held_on.isoformat(),
            completed=completed.isoformat(),
        )
    parsed = _scores(scores)
    check = CommunityCheck(
        check_id, held_on, parsed, optional_text(note, "note", REASON_MAX), act.who.user_id, act.now
    )
    after = copy.deepcopy(budget)
    changed = after.projects[project_id]
    changed.checks.append(check)
    event = CommunityCheckRecordedV1(
        check_id=check_id,
        project_id=project_id,
        commune_code=after.commune_code,
        year=after.year,
        need_ids=list(changed.need_ids),
        held_on=held_on,
        scores=[CheckScore(**vars(s)) for s in parsed],
        note=check.note,
        recorded_by=act.who.user_id,
        recorded_at=act.now,
    )
    return Outcome(after, result=check_id, events=[Emitted(COMMUNITY_CHECK_RECORDED, event, project_id)])


def _scores(raw: Sequence[ScoreIn]) -> list[GroupScore]:
    if not raw:
        raise BudgetError(
            "budget.check_scores_required",
            "Give at least one group's answers.",
            "សូមផ្តល់ចម្លើយរបស់ក្រុមយ៉ាងហោចណាស់មួយ។",
            field="scores",
        )
    seen: set[str] = set()
    result = []
    for item in raw:
        group = item.group.strip().lower()
        if group not in CHECK_GROUPS:
            raise BudgetError(
                "budget.check_group_unknown",
                "“{group}” is not a group of the check ({groups}).",
                "«{group}» មិនមែនជាក្រុមនៃការត្រួតពិនិត្យទេ ({groups})។",
                field="scores",
                group=item.group[:40],
                groups=", ".join(CHECK_GROUPS),
            )
        if group in seen:
            en, km = CHECK_GROUPS[group]
            raise BudgetError(
                "budget.check_group_repeated",
                "The answers of {group_en} are given twice.",
                "ចម្លើយរបស់{group_km}ត្រូវបានផ្តល់ពីរដង។",
                field="scores",
                group_en=en,
                group_km=km,
            )
        seen.add(group)
        result.append(
            GroupScore(
                group,
                _whole(item.participants, 1, MAX_PARTICIPANTS, "participants", group),
                _whole(item.built, 1, 5, "built", group),
                _whole(item.works, 1, 5, "works", group),
                _whole(item.used, 1, 5, "used", group),
            )
        )
    return result


def _whole(value: object, low: int, high: int, field: str, group: str) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    if not ok:
        en, km = CHECK_GROUPS[group]
        raise BudgetError(
            "budget.check_value_invalid",
            "“{answer}” for {group_en} must be a whole number from {low} to {high}.",
            "«{answer}» សម្រាប់{group_km} ត្រូវតែជាចំនួនគត់ពី {low} ដល់ {high}។",
            field=f"scores.{field}",
            answer=field,
            group_en=en,
            group_km=km,
            low=low,
            high=high,
        )
    assert isinstance(value, int)
    return value
