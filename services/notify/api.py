"""Notify's HTTP API for the gateway: a signed-in person's in-app inbox."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from contracts.api.notify import NotificationPage, NotificationPublic
from services.notify.domain import inbox_audiences_of
from services.runtime.errors import DomainError
from services.runtime.http import CallerDep
from services.runtime.service import RuntimeDep
from services.runtime.stores import In

router = APIRouter(tags=["notifications"])


def read_key(user_id: str, notification_id: str) -> str:
    return f"{user_id}|{notification_id}"


@router.get("/notifications", response_model=NotificationPage)
async def list_notifications(
    caller: CallerDep,
    runtime: RuntimeDep,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> NotificationPage:
    """The caller's in-app notifications, newest first, each saying whether the caller read it."""
    audiences = inbox_audiences_of(caller)
    where = {"audience": In(audiences), "channel": "in_app"}
    docs = await runtime.store.page("notifications", where, after=after, limit=limit, newest_first=True)
    items = []
    for doc in docs:
        read = await runtime.store.get("reads", read_key(caller.user_id, doc["id"])) is not None
        items.append(NotificationPublic.model_validate({**doc, "read": read}))
    total = await runtime.store.count("notifications", where)
    return NotificationPage(
        items=items, next_after=items[-1].id if len(items) == limit else None, total=total
    )


@router.post("/notifications/{notification_id}/read", response_model=NotificationPublic)
async def mark_read(notification_id: str, caller: CallerDep, runtime: RuntimeDep) -> NotificationPublic:
    """Mark one of the caller's notifications read (for the caller only). Repeating is harmless."""
    doc = await runtime.store.get("notifications", notification_id)
    if doc is None or doc["audience"] not in inbox_audiences_of(caller):
        raise DomainError(
            "notification.not_found", "No such notification.", "រកមិនឃើញការជូនដំណឹងនេះទេ។", status=404
        )
    key = read_key(caller.user_id, notification_id)
    async with runtime.store.transaction() as tx:
        if await tx.get("reads", key) is None:
            await tx.insert(
                "reads",
                {
                    "id": key,
                    "user_id": caller.user_id,
                    "notification_id": notification_id,
                    "read_at": datetime.now(UTC).isoformat(),
                },
            )
    return NotificationPublic.model_validate({**doc, "read": True})
