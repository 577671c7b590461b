"""What the works section of a project page and the transparency page show: stages in words,
dates in Khmer numerals, and the verification summary. Pure: data in, data out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from contracts.api import budget as api
from gateway.i18n import translate
from gateway.web.budget.formatting import shown

STAGE_LABELS = {
    "procurement": "Procurement",
    "works_started": "Works started",
    "completed": "Works completed",
    "handed_over": "Handed over to the community",
}
STAGE_ICONS = {"procurement": "📝", "works_started": "🏗️", "completed": "✅", "handed_over": "🤝"}
GROUP_LABELS = {
    "all": "Everyone",
    "women": "Women",
    "men": "Men",
    "youth": "Youth",
    "elderly": "Older people",
    "disability": "People with disabilities",
    "idpoor": "Poor households (IDPoor)",
    "indigenous": "Indigenous people",
    "migrant": "Migrant workers",
}


def today_in_cambodia() -> str:
    return (datetime.now(UTC) + timedelta(hours=7)).date().isoformat()


def stage_label(stage: str | None, lang: str) -> str:
    return translate(lang, STAGE_LABELS[stage]) if stage in STAGE_LABELS else ""


def works_model(data: api.Works, lang: str, commune: str) -> dict[str, Any]:
    """``data``: a project, or one entry of the public view's ``implementation``."""
    verification = data.verification
    latest = verification.latest_check
    return {
        "stage": data.stage,
        "stage_label": stage_label(data.stage, lang),
        "next_stage": data.next_stage,
        "next_label": stage_label(data.next_stage, lang),
        "stages": [
            shown(
                s,
                label=stage_label(s.stage, lang),
                icon=STAGE_ICONS.get(s.stage, "•"),
                photo_url=f"/communes/{quote(commune, safe='')}/photos/{quote(s.photo_id, safe='')}"
                if s.photo_id
                else None,
            )
            for s in data.stages
        ],
        "answers": verification.citizen_answers,
        "satisfied": verification.citizen_satisfied,
        "rating": verification.citizen_rating,
        "latest": latest if any(v is not None for v in (latest.built, latest.works, latest.used)) else None,
        "checks": [
            shown(
                c,
                scores=[
                    shown(s, label=translate(lang, GROUP_LABELS.get(s.group, s.group))) for s in c.scores
                ],
            )
            for c in verification.checks
        ],
        "groups": [{"value": g, "label": translate(lang, label)} for g, label in GROUP_LABELS.items()],
        "today": today_in_cambodia(),
    }
