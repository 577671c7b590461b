"""Notify's HTTP API: a signed-in person's in-app inbox."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.notify.domain import audiences_of
from services.runtime.identity import CallerDep
from services.runtime.service import RuntimeDep
from services.runtime.stores import In

router = APIRouter(tags=["notifications"])


class NotificationPublic(BaseModel):
    id: str
    audience: str
    channel: str
    kind: str
    text: dict[str, str]
    ref: str | None
    commune_code: str
    created_at: str


class NotificationPage(BaseModel):
    items: list[NotificationPublic]
    next_after: str | None
    total: int


@router.get("/notifications", response_model=NotificationPage)
async def list_notifications(
    caller: CallerDep,
    runtime: RuntimeDep,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> NotificationPage:
    """The caller's in-app notifications, newest first."""
    audiences = audiences_of(caller)
    where = {"audience": In(audiences), "channel": "in_app"}
    docs = await runtime.store.page("notifications", where, after=after, limit=limit, newest_first=True)
    items = [NotificationPublic.model_validate(d) for d in docs]
    total = await runtime.store.count("notifications", where)
    return NotificationPage(
        items=items, next_after=items[-1].id if len(items) == limit else None, total=total
    )
