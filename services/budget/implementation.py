"""After the money: a funded project's implementation stages and the community's check of it. Pure.

Stages come in one order (procurement, works started, completed, handed over), each set by the
commune's council with the day it was reached, an optional note and an optional photo
reference; skipping or repeating one is refused with a stable code. The project's status
follows (see ``STAGE_STATUS`` in :mod:`services.budget.domain`), so its needs reach
``completed`` through the status events intake already follows, and only then can citizens
verify. A community check (in the spirit of the ISAF scorecard) is led by a facilitator or the
council once the works are completed: each group scores whether it was built, works and is used.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from contracts.budget import (
    COMMUNITY_CHECK_RECORDED,
    PROJECT_STAGE_SET,
    CheckScore,
    CommunityCheckRecordedV1,
    ProjectStage,
    ProjectStageSetV1,
    ProjectStatus,
)
from services.budget.domain import settle
from services.budget.model import Act, Budget, CommunityCheck, Emitted, GroupScore, Outcome, StageRecord
from services.budget.projects import require_project
from services.budget.rules import REASON_MAX, BudgetError, optional_text, require_manager, require_scope
from services.runtime.identity import COUNCIL_ROLES, Identity, Role

STAGE_ORDER: tuple[ProjectStage, ...] = tuple(ProjectStage)
PHOTO_REF_MAX = 200
MAX_CHECKS = 20
MAX_PARTICIPANTS = 10_000

STAGE_LABELS: dict[ProjectStage, tuple[str, str]] = {
    ProjectStage.PROCUREMENT: ("procurement", "លទ្ធកម្ម"),
    ProjectStage.WORKS_STARTED: ("works started", "ការងារសាងសង់បានចាប់ផ្តើម"),
    ProjectStage.COMPLETED: ("completed", "បានបញ្ចប់"),
    ProjectStage.HANDED_OVER: ("handed over", "បានប្រគល់ជូនសហគមន៍"),
}

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

# Statuses from which works may begin: the money is there (partly is enough to start a phase).
STARTABLE = frozenset({ProjectStatus.FUNDED, ProjectStatus.PARTLY_FUNDED})
CHECKABLE = frozenset({ProjectStage.COMPLETED, ProjectStage.HANDED_OVER})
PHNOM_PENH = timedelta(hours=7)


def today_in_cambodia(now: datetime) -> date:
    """The calendar day in Asia/Phnom_Penh (UTC+7 all year: no daylight saving)."""
    return (now + PHNOM_PENH).date()


def next_stage(current: ProjectStage | None) -> ProjectStage | None:
    if current is None:
        return STAGE_ORDER[0]
    index = STAGE_ORDER.index(current) + 1
    return STAGE_ORDER[index] if index < len(STAGE_ORDER) else None


def set_stage(
    budget: Budget,
    act: Act,
    project_id: str,
    stage: ProjectStage,
    on: date,
    note: str | None,
    photo_ref: str | None,
    photo_id: str | None = None,
) -> Outcome:
    """Record the project's next stage; the status (and so its needs) follow. ``photo_id`` names
    a photo the caller stores with the outcome (cleaned by :mod:`services.budget.photos`)."""
    require_manager(act.who, budget.commune_code)
    project = require_project(budget, project_id)
    current = project.stage
    if current is None and project.status not in STARTABLE:
        raise BudgetError(
            "budget.stage_not_funded",
            "Works can begin only on a funded project; this one is {current}.",
            "ការងារអាចចាប់ផ្តើមបានតែលើគម្រោងដែលមានថវិការួចប៉ុណ្ណោះ។ គម្រោងនេះស្ថិតក្នុងស្ថានភាព {current}។",
            status=409,
            field="stage",
            current=project.status.value,
        )
    if stage == current:
        raise _stage_error("budget.stage_already_set", stage, current)
    expected = next_stage(current)
    if stage != expected:
        raise _stage_error("budget.stage_out_of_order", stage, current, expected)
    day = _stage_day(project.stages[-1].on if project.stages else None, on, act.now)
    record = StageRecord(
        stage,
        day,
        optional_text(note, "note", REASON_MAX),
        optional_text(photo_ref, "photoRef", PHOTO_REF_MAX),
        act.who.user_id,
        act.now,
        photo_id,
    )
    after = copy.deepcopy(budget)
    changed = after.projects[project_id]
    changed.stages.append(record)
    outcome = Outcome(after, result=project_id)
    outcome.events.append(
        Emitted(
            PROJECT_STAGE_SET,
            ProjectStageSetV1(
                project_id=project_id,
                commune_code=after.commune_code,
                year=after.year,
                title=changed.title,
                need_ids=list(changed.need_ids),
                previous=current,
                stage=stage,
                on=day,
                note=record.note,
                photo_ref=record.photo_ref,
                photo_id=photo_id,
                set_by=act.who.user_id,
                set_at=act.now,
            ),
            project_id,
        )
    )
    settle(outcome, act, default_reason=record.note)
    return outcome


def _stage_error(
    code: str, stage: ProjectStage, current: ProjectStage | None, expected: ProjectStage | None = None
) -> BudgetError:
    none = ("none yet", "មិនទាន់មាន")
    cur_en, cur_km = STAGE_LABELS[current] if current else none
    want_en, want_km = STAGE_LABELS[stage]
    if code == "budget.stage_already_set":
        return BudgetError(
            code,
            "The project is already at the stage “{stage_en}”.",
            "គម្រោងនេះស្ថិតនៅដំណាក់កាល «{stage_km}» រួចហើយ។",
            status=409,
            field="stage",
            stage_en=want_en,
            stage_km=want_km,
        )
    if expected is None:
        return BudgetError(
            code,
            "The project was handed over: it has no stage after that.",
            "គម្រោងនេះត្រូវបានប្រគល់រួចហើយ៖ គ្មានដំណាក់កាលបន្ទាប់ទៀតទេ។",
            status=409,
            field="stage",
        )
    next_en, next_km = STAGE_LABELS[expected]
    return BudgetError(
        code,
        "Stages come in order: the project is at “{current_en}”, so the next is “{next_en}”, "
        "not “{stage_en}”.",
        "ដំណាក់កាលត្រូវតាមលំដាប់៖ គម្រោងនៅដំណាក់កាល «{current_km}» ដូច្នេះបន្ទាប់គឺ «{next_km}» មិនមែន «{stage_km}» ទេ។",
        status=409,
        field="stage",
        current_en=cur_en,
        current_km=cur_km,
        next_en=next_en,
        next_km=next_km,
        stage_en=want_en,
        stage_km=want_km,
    )


def _stage_day(previous: date | None, on: date, now: datetime) -> date:
    """A stage happened on a real day: not in the future, not before the stage before it."""
    if on > today_in_cambodia(now):
        raise BudgetError(
            "budget.date_in_future",
            "The date {day} is in the future: record a stage once it has happened.",
            "កាលបរិច្ឆេទ {day} នៅថ្ងៃអនាគត៖ សូមកត់ត្រាដំណាក់កាល នៅពេលវាបានកើតឡើងរួច។",
            field="on",
            day=on.isoformat(),
        )
    if previous is not None and on < previous:
        raise BudgetError(
            "budget.date_before_previous_stage",
            "The date {day} is before the previous stage ({previous}).",
            "កាលបរិច្ឆេទ {day} មុនដំណាក់កាលមុន ({previous})។",
            field="on",
            day=on.isoformat(),
            previous=previous.isoformat(),
        )
    return on


# ---------- the community check ----------


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
