"""After the money: a funded project's implementation stages, in order. Pure.

Stages come in one order (procurement, works started, completed, handed over), each set by the
commune's council with the day it was reached, an optional note and an optional photo
reference; skipping or repeating one is refused with a stable code. The project's status
follows (see ``STAGE_STATUS`` in :mod:`services.budget.domain`), so its needs reach
``completed`` through the status events intake already follows, and only then can citizens
verify (and a community check be held: :mod:`services.budget.checks`).
"""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta

from contracts.budget import (
    PROJECT_STAGE_SET,
    ProjectStage,
    ProjectStageSetV1,
    ProjectStatus,
)
from services.budget.domain import settle
from services.budget.model import Act, Budget, Emitted, Outcome, StageRecord
from services.budget.projects import require_project
from services.budget.rules import REASON_MAX, BudgetError, optional_text, require_manager

STAGE_ORDER: tuple[ProjectStage, ...] = tuple(ProjectStage)
PHOTO_REF_MAX = 200

STAGE_LABELS: dict[ProjectStage, tuple[str, str]] = {
    ProjectStage.PROCUREMENT: ("procurement", "លទ្ធកម្ម"),
    ProjectStage.WORKS_STARTED: ("works started", "ការងារសាងសង់បានចាប់ផ្តើម"),
    ProjectStage.COMPLETED: ("completed", "បានបញ្ចប់"),
    ProjectStage.HANDED_OVER: ("handed over", "បានប្រគល់ជូនសហគមន៍"),
}

# Statuses from which works may begin: the money is there (partly is enough to start a phase).
STARTABLE = frozenset({ProjectStatus.FUNDED, ProjectStatus.PARTLY_FUNDED})
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
