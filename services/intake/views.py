"""What each audience may see of a need. Personal data (names, attributes, contacts, consent)
only for the commune's own council roles; group counts under 5 hidden for everyone else;
the public sees the need and its story, never who raised it."""

from __future__ import annotations

from typing import Any

from contracts.privacy import public_description, suppress
from services.intake.inclusion import Group
from services.runtime.identity import Identity


def people_counts(doc: dict[str, Any]) -> tuple[int, dict[str, int]]:
    total = 0
    groups = {g.value: 0 for g in Group}
    for person in doc["raised_by"] + doc["supporters"]:
        total += person["people"]
        for name, n in person["groups"].items():
            groups[name] = groups.get(name, 0) + n
    return total, groups


def _history(doc: dict[str, Any], *, with_actors: bool) -> list[dict[str, Any]]:
    keep = ("at", "from", "to", "reason", "source")
    return [
        {k: h.get(k) for k in (*keep, "actor")} if with_actors else {k: h.get(k) for k in keep}
        for h in doc["history"]
    ]


def _base(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": doc["id"],
        "tracking_code": doc["tracking_code"],
        "commune_code": doc["commune_code"],
        "village_code": doc["village_code"],
        "description": doc["description"],
        "sector": doc["sector"],
        "need_type": doc.get("need_type"),
        "status": doc["status"],
        "status_reason": doc.get("status_reason"),
        "rank": doc.get("rank"),
        "year": doc.get("year"),
        "submitted_at": doc["submitted_at"],
        "merged_into": doc.get("merged_into"),
    }


def public_view(doc: dict[str, Any]) -> dict[str, Any]:
    """For anyone with the tracking code, and for the transparency pages. A need of a sensitive
    kind shows its category only (contracts/privacy.py): ``description`` is None."""
    total, _ = people_counts(doc)
    base = _base(doc)
    return {
        **base,
        "description": public_description(base["need_type"], base["description"]),
        "people": total,
        "history": _history(doc, with_actors=False),
        # Where the works of its project stand (budget's ProjectStageSet), for the track page.
        "stage": doc.get("stage"),
        "stage_on": doc.get("stage_on"),
        "project_title": doc.get("project_title"),
        "answers": len(doc.get("feedback", [])),
    }


def need_view(doc: dict[str, Any], caller: Identity) -> dict[str, Any]:
    """For signed-in callers: the council of the need's commune sees everyone; others see counts."""
    privileged = caller.is_council_of(doc["commune_code"])
    total, groups = people_counts(doc)
    base = _base(doc)
    if not (privileged or caller.user_id == doc["collected_by"]):
        # Sensitive kinds: the text only for the council and the facilitator who recorded it.
        base["description"] = public_description(base["need_type"], base["description"])
    view = {
        **base,
        "beneficiaries": doc.get("beneficiaries"),
        "channel": doc.get("channel"),
        "collected_by": doc["collected_by"],
        "collected_at": doc.get("collected_at"),
        "people": total,
        "groups": {name: suppress(n, council=privileged) for name, n in groups.items()},
        "merged_from": doc.get("merged_from", []),
        "feedback": doc.get("feedback", []),
        "history": _history(doc, with_actors=privileged or caller.user_id == doc["collected_by"]),
        "personal_data_visible": privileged,
        "raised_by": doc["raised_by"] if privileged else None,
        "supporters": doc["supporters"] if privileged else None,
    }
    return view
