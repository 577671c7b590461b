"""A project's implementation stages and community checks as documents, inside the budget's
document (see :mod:`services.budget.store`). Budgets saved before stages existed have neither."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from contracts.budget import ProjectStage
from services.budget.model import CommunityCheck, GroupScore, StageRecord


def stage_to_doc(stage: StageRecord) -> dict[str, Any]:
    return {
        "stage": stage.stage.value,
        "on": stage.on.isoformat(),
        "note": stage.note,
        "photo_ref": stage.photo_ref,
        "photo_id": stage.photo_id,
        "set_by": stage.set_by,
        "set_at": stage.set_at.isoformat(),
    }


def stage_from_doc(raw: dict[str, Any]) -> StageRecord:
    return StageRecord(
        ProjectStage(raw["stage"]),
        date.fromisoformat(raw["on"]),
        raw.get("note"),
        raw.get("photo_ref"),
        raw["set_by"],
        datetime.fromisoformat(raw["set_at"]),
        raw.get("photo_id"),
    )


def check_to_doc(check: CommunityCheck) -> dict[str, Any]:
    return {
        "id": check.id,
        "held_on": check.held_on.isoformat(),
        "scores": [vars(s).copy() for s in check.scores],
        "note": check.note,
        "recorded_by": check.recorded_by,
        "recorded_at": check.recorded_at.isoformat(),
    }


def check_from_doc(raw: dict[str, Any]) -> CommunityCheck:
    return CommunityCheck(
        raw["id"],
        date.fromisoformat(raw["held_on"]),
        [GroupScore(**s) for s in raw["scores"]],
        raw.get("note"),
        raw["recorded_by"],
        datetime.fromisoformat(raw["recorded_at"]),
    )
