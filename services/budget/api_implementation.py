"""Budget's HTTP API for what happens after the money: when the project is expected, its
implementation stages and community checks.

Called only by the gateway with a signed identity token, like :mod:`services.budget.api`; the
domain (:mod:`services.budget.implementation`) checks roles and order.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter

from contracts.api import budget as api
from contracts.envelope import uuid7
from services.budget import checks, implementation, photos, schedule
from services.budget import store as repo
from services.budget.api import _act, _changed, budget_of, not_found
from services.budget.views import project_view
from services.runtime.http import CallerDep, CorrelationDep
from services.runtime.service import RuntimeDep
from services.runtime.stores import Transaction

router = APIRouter(tags=["budget"])


@router.put("/projects/{project_id}/expected-month", response_model=api.Project)
async def set_expected_month(
    project_id: str,
    body: api.ExpectedMonthIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    correlation_id: CorrelationDep = None,
) -> dict[str, Any]:
    """Set (or clear) the month the council expects the project delivered."""
    commune, year = await budget_of(runtime, project_id, caller, "project")
    outcome = await _changed(
        runtime,
        commune,
        year,
        lambda b: schedule.set_expected_month(b, _act(caller), project_id, body.expected_month),
        correlation_id=correlation_id,
    )
    project = outcome.budget.projects[project_id]
    needs = await repo.need_docs(runtime.store, project.need_ids)
    return project_view(outcome.budget, project, needs, council=caller.is_council_of(commune))


@router.post("/projects/{project_id}/stages", response_model=api.Project)
async def set_stage(
    project_id: str,
    body: api.StageIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    correlation_id: CorrelationDep = None,
) -> dict[str, Any]:
    """Record a funded project's next stage (in order); its needs follow when works start
    and when they are completed."""
    commune, year = await budget_of(runtime, project_id, caller, "project")
    photo = photos.clean_photo(_decoded(body.photo)) if body.photo else None
    photo_id = uuid7() if photo else None

    async def keep_photo(tx: Transaction) -> None:
        if photo is not None:
            await tx.insert(
                "photos",
                {
                    "id": photo_id,
                    "project_id": project_id,
                    "commune_code": commune,
                    "stage": body.stage.value,
                    "content_type": photo.content_type,
                    "data": base64.b64encode(photo.data).decode("ascii"),
                    "size": len(photo.data),
                },
            )

    outcome = await _changed(
        runtime,
        commune,
        year,
        lambda b: implementation.set_stage(
            b, _act(caller), project_id, body.stage, body.on, body.note, body.photo_ref, photo_id
        ),
        correlation_id=correlation_id,
        with_tx=keep_photo,
    )
    project = outcome.budget.projects[project_id]
    needs = await repo.need_docs(runtime.store, project.need_ids)
    return project_view(outcome.budget, project, needs, council=caller.is_council_of(commune))


def _decoded(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise photos.invalid() from None


@router.get("/photos/{photo_id}", response_model=api.Photo)
async def get_photo(photo_id: str, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    """Public (the transparency page shows it): a stage's photo, its metadata already removed."""
    doc = await runtime.store.get("photos", photo_id[:64])
    if doc is None or not caller.covers(doc["commune_code"]):
        raise not_found()
    return {"content_type": doc["content_type"], "data": doc["data"], "project_id": doc["project_id"]}


@router.post("/projects/{project_id}/checks", status_code=201, response_model=api.Project)
async def record_check(
    project_id: str,
    body: api.CheckIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    correlation_id: CorrelationDep = None,
) -> dict[str, Any]:
    """Record a facilitator-led community check of completed works, scored by group."""
    commune, year = await budget_of(runtime, project_id, caller, "project")
    check_id = uuid7()
    scores = [checks.ScoreIn(s.group, s.participants, s.built, s.works, s.used) for s in body.scores]
    outcome = await _changed(
        runtime,
        commune,
        year,
        lambda b: checks.record_check(b, _act(caller), check_id, project_id, body.held_on, scores, body.note),
        correlation_id=correlation_id or check_id,
    )
    project = outcome.budget.projects[project_id]
    needs = await repo.need_docs(runtime.store, project.need_ids)
    return project_view(outcome.budget, project, needs, council=caller.is_council_of(commune))
