"""What a project's implementation and verification look like to the council and the public. Pure.

Citizens' own answers come from intake (NeedFeedbackRecorded, kept on budget's copy of each
need); community checks are the project's own. The public sees the same scores as the council
except where a sensitive group (disability, IDPoor, indigenous, migrant) had fewer than five
people: then only "<5" and no scores, since a score of three people can be told apart in a
village (the small-count rule of contracts/privacy.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.privacy import SENSITIVE_GROUPS, suppress
from services.budget.implementation import next_stage
from services.budget.model import CommunityCheck, Project

INDICATORS = ("built", "works", "used")


def stages_view(project: Project) -> list[dict[str, Any]]:
    return [
        {
            "stage": s.stage.value,
            "on": s.on.isoformat(),
            "note": s.note,
            "photo_ref": s.photo_ref,
            "photo_id": s.photo_id,
            "set_at": s.set_at.isoformat(),
        }
        for s in project.stages
    ]


def check_view(check: CommunityCheck, *, council: bool) -> dict[str, Any]:
    scores = []
    for s in check.scores:
        hidden = not council and s.group in SENSITIVE_GROUPS and s.participants < 5
        scores.append(
            {
                "group": s.group,
                "participants": suppress(s.participants, council=council)
                if s.group in SENSITIVE_GROUPS
                else s.participants,
                "built": None if hidden else s.built,
                "works": None if hidden else s.works,
                "used": None if hidden else s.used,
            }
        )
    return {
        "id": check.id,
        "held_on": check.held_on.isoformat(),
        # Groups overlap (a woman with a disability is in both), so the whole is the largest.
        "participants": max(s.participants for s in check.scores),
        "scores": scores,
        "note": check.note,
    }


def _average(pairs: list[tuple[int, int]]) -> float | None:
    """Mean of scores weighted by participants, to one decimal."""
    weight = sum(w for w, _ in pairs)
    return round(sum(w * v for w, v in pairs) / weight, 1) if weight else None


def verification_view(
    project: Project, needs: Mapping[str, Mapping[str, Any]], *, council: bool
) -> dict[str, Any]:
    """Citizens' answers and community checks of one project, with their averages."""
    answers = [f for n in project.need_ids for f in needs.get(n, {}).get("feedback", [])]
    ratings = [int(f["rating"]) for f in answers if f.get("rating")]
    latest = project.checks[-1] if project.checks else None
    averages = {
        name: _average([(s.participants, getattr(s, name)) for s in latest.scores]) if latest else None
        for name in INDICATORS
    }
    return {
        "citizen_answers": len(answers),
        "citizen_satisfied": sum(1 for f in answers if f.get("satisfied")),
        "citizen_rating": round(sum(ratings) / len(ratings), 1) if ratings else None,
        "checks": [check_view(c, council=council) for c in project.checks],
        "latest_check": averages,
    }


def implementation_view(
    project: Project, needs: Mapping[str, Mapping[str, Any]], *, council: bool
) -> dict[str, Any]:
    stage = project.stage
    following = next_stage(stage)
    return {
        "stage": stage.value if stage else None,
        "next_stage": following.value if following else None,
        "stages": stages_view(project),
        "verification": verification_view(project, needs, council=council),
    }
