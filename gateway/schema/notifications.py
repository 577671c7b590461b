"""Notifications in GraphQL: the in-app inbox and its live feed."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from contracts.notify import NOTIFICATION_QUEUED, NotificationQueuedV1, audiences_for
from gateway.clients import ServiceError
from gateway.schema.context import Context
from gateway.schema.errors import from_service
from gateway.schema.relay import PageInfo, check_first, decode_cursor, encode_cursor

CURSOR_KIND = "notification"


@strawberry.type(description="A message for the signed-in person, e.g. a new need in their commune.")
class Notification:
    id: strawberry.ID = strawberry.field(description="Stable id (time-ordered).")
    kind: str = strawberry.field(description="What happened, e.g. need_submitted.")
    ref: str | None = strawberry.field(description="What it is about, e.g. a tracking code.")
    commune_code: str = strawberry.field(description="The commune it concerns.")
    created_at: datetime = strawberry.field(description="When it was queued (UTC).")
    texts: strawberry.Private[dict[str, str]]

    @strawberry.field(description="The message in the caller's language (Khmer unless English is chosen).")
    def text(self, info: Info[Context, None], lang: str | None = None) -> str:
        chosen = lang or info.context.lang
        return self.texts.get(chosen) or self.texts.get("km") or next(iter(self.texts.values()), "")

    @classmethod
    def of(cls, data: dict[str, Any]) -> Notification:
        return cls(
            id=strawberry.ID(data["id"]),
            kind=data["kind"],
            ref=data.get("ref"),
            commune_code=data["commune_code"],
            created_at=datetime.fromisoformat(data["created_at"]),
            texts=data["text"],
        )

    @classmethod
    def of_event(cls, event: NotificationQueuedV1) -> Notification:
        return cls(
            id=strawberry.ID(event.notification_id),
            kind=event.kind,
            ref=event.ref,
            commune_code=event.commune_code,
            created_at=event.queued_at,
            texts=event.text,
        )


@strawberry.type(description="One notification in a page.")
class NotificationEdge:
    cursor: str
    node: Notification


@strawberry.type(description="A page of notifications, newest first.")
class NotificationConnection:
    edges: list[NotificationEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="How many notifications there are in all.")


@strawberry.type
class NotificationsQuery:
    @strawberry.field(description="The signed-in person's in-app notifications, newest first.")
    async def notifications(
        self, info: Info[Context, None], first: int = 20, after: str | None = None
    ) -> NotificationConnection:
        ctx = info.context
        session = ctx.require_session()
        params: dict[str, Any] = {"limit": check_first(first)}
        after_id = decode_cursor(CURSOR_KIND, after)
        if after_id:
            params["after"] = after_id
        try:
            _, page = await ctx.gateway.services["notify"].request(
                "GET", "/notifications", session.account.identity(), lang=ctx.lang, params=params
            )
        except ServiceError as exc:
            raise from_service(exc) from None
        edges = [
            NotificationEdge(cursor=encode_cursor(CURSOR_KIND, item["id"]), node=Notification.of(item))
            for item in page["items"]
        ]
        return NotificationConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page["next_after"] is not None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page["total"],
        )


@strawberry.type
class NotificationsSubscription:
    @strawberry.subscription(description="New notifications for the signed-in person, as they are queued.")
    async def notification_added(self, info: Info[Context, None]) -> AsyncGenerator[Notification, None]:
        session = info.context.require_session()
        account = session.account
        audiences = audiences_for(account.role.value, account.communes)
        async with info.context.gateway.bridge.listen(NOTIFICATION_QUEUED, audiences) as queue:
            while True:
                delivery = await queue.get()
                assert isinstance(delivery.payload, NotificationQueuedV1)
                yield Notification.of_event(delivery.payload)


QUERIES: tuple[type, ...] = (NotificationsQuery,)
MUTATIONS: tuple[type, ...] = ()
SUBSCRIPTIONS: tuple[type, ...] = (NotificationsSubscription,)
