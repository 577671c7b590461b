"""Notifications in GraphQL: the in-app inbox and its live feed, read marks, push opt-in on a
phone, and what was sent to whom (deliveries) for a commune's council."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from contracts.api.notify import (
    DeliveryPublic,
    NotificationPublic,
    PushKeys,
    PushSubscriptionCreate,
    PushSubscriptionPublic,
)
from contracts.notify import (
    NOTIFICATION_QUEUED,
    DeliveryChannel,
    DeliveryStatus,
    NotificationQueuedV1,
    audiences_for,
)
from gateway.graphql.context import Context
from gateway.graphql.ids import raw_id
from gateway.graphql.live import AFTER_DESCRIPTION, deliveries, live_cursor
from gateway.graphql.relay import (
    Connection,
    CountedConnection,
    Edge,
    PageInfo,
    check_first,
    decode_cursor,
    encode_cursor,
)

CURSOR_KIND = "notification"
DELIVERY_CURSOR = "delivery"

strawberry.enum(DeliveryChannel, description="How a message reaches a person.")
strawberry.enum(
    DeliveryStatus, description="Where a delivery is: queued, sending, sent, then delivered or failed."
)


@strawberry.type(description="A message for the signed-in person, e.g. a new need in their commune.")
class Notification:
    id: strawberry.ID = strawberry.field(description="Stable id (time-ordered).")
    kind: str = strawberry.field(description="What happened, e.g. need_submitted.")
    ref: str | None = strawberry.field(description="What it is about, e.g. a tracking code.")
    commune_code: str = strawberry.field(description="The commune it concerns.")
    created_at: datetime = strawberry.field(description="When it was queued (UTC).")
    read: bool = strawberry.field(description="Whether the signed-in person has marked it read.")
    texts: strawberry.Private[dict[str, str]]
    cursor: str | None = strawberry.field(
        default=None,
        description="On notificationAdded only: pass as `after` when subscribing again to resume here.",
    )

    @strawberry.field(description="The message in the caller's language (Khmer unless English is chosen).")
    def text(self, info: Info[Context, None], lang: str | None = None) -> str:
        chosen = lang or info.context.lang
        return self.texts.get(chosen) or self.texts.get("km") or next(iter(self.texts.values()), "")

    @classmethod
    def of(cls, data: NotificationPublic) -> Notification:
        return cls(
            id=strawberry.ID(data.id),
            kind=data.kind,
            ref=data.ref,
            commune_code=data.commune_code,
            created_at=data.created_at,
            read=data.read,
            texts=data.text,
        )

    @classmethod
    def of_event(cls, event: NotificationQueuedV1, cursor: str | None = None) -> Notification:
        return cls(
            cursor=cursor,
            id=strawberry.ID(event.notification_id),
            kind=event.kind,
            ref=event.ref,
            commune_code=event.commune_code,
            created_at=event.queued_at,
            read=False,
            texts=event.text,
        )


NotificationEdge = Edge[Notification]


@strawberry.type(description="A page of notifications, newest first.")
class NotificationConnection(CountedConnection[Notification]):
    pass


@strawberry.type
class NotificationsQuery:
    @strawberry.field(description="The signed-in person's in-app notifications, newest first.")
    async def notifications(
        self, info: Info[Context, None], first: int = 20, after: str | None = None
    ) -> NotificationConnection:
        ctx = info.context
        ctx.require_session()
        limit = check_first(first, ctx.lang)
        after_id = decode_cursor(CURSOR_KIND, after, ctx.lang)
        page = await ctx.clients.notify.notifications(ctx.caller, after=after_id, limit=limit)
        edges = [
            NotificationEdge(cursor=encode_cursor(CURSOR_KIND, item.id), node=Notification.of(item))
            for item in page.items
        ]
        return NotificationConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.next_after is not None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page.total,
        )


@strawberry.type(description="Why a delivery failed, or why it is being retried.")
class DeliveryError:
    code: str = strawberry.field(description="Stable code, e.g. sms.invalid_number or retries_exhausted.")
    reason: str = strawberry.field(description="What the channel said.")


@strawberry.type(description="One message to one person (or audience, or village) on one channel.")
class Delivery:
    id: strawberry.ID = strawberry.field(description="Stable id (time-ordered).")
    kind: str = strawberry.field(description="What it was about, e.g. need_receipt or need_status_changed.")
    channel: DeliveryChannel = strawberry.field(description="How it was sent.")
    status: DeliveryStatus = strawberry.field(description="Where it is now.")
    recipient: str = strawberry.field(description="To whom, masked (e.g. +85512•••678).")
    commune_code: str = strawberry.field(description="The commune it concerns.")
    ref: str | None = strawberry.field(description="What it is about, e.g. a tracking code.")
    language: str = strawberry.field(description="The language it was written in (km or en).")
    text: str = strawberry.field(description="What the person was told.")
    attempts: int = strawberry.field(description="How many times it was tried.")
    segments: int | None = strawberry.field(description="SMS only: how many messages the network counts.")
    last_error: DeliveryError | None = strawberry.field(description="The last failure, if any.")
    dead_lettered: bool = strawberry.field(description="Whether operators were asked to look at it.")
    next_attempt_at: datetime | None = strawberry.field(description="When it will be tried (queued only).")
    created_at: datetime = strawberry.field(description="When it was planned (UTC).")
    updated_at: datetime = strawberry.field(description="When it last changed (UTC).")

    @classmethod
    def of(cls, data: DeliveryPublic) -> Delivery:
        error = data.last_error
        return cls(
            id=strawberry.ID(data.id),
            kind=data.kind,
            channel=data.channel,
            status=data.status,
            recipient=data.recipient,
            commune_code=data.commune_code,
            ref=data.ref,
            language=data.language,
            text=data.text,
            attempts=data.attempts,
            segments=data.segments,
            last_error=DeliveryError(code=error.code, reason=error.reason) if error else None,
            dead_lettered=data.dead_lettered,
            next_attempt_at=data.next_attempt_at if data.status is DeliveryStatus.QUEUED else None,
            created_at=data.created_at,
            updated_at=data.updated_at,
        )


DeliveryEdge = Edge[Delivery]


@strawberry.type(description="A page of deliveries, newest first.")
class DeliveryConnection(Connection[Delivery]):
    pass


@strawberry.input(description="Which deliveries to list; every field narrows the list.")
class DeliveryFilter:
    commune_code: str | None = strawberry.field(
        default=None, description="One commune (6 digits); by default all of the caller's communes."
    )
    channel: DeliveryChannel | None = strawberry.field(default=None, description="One channel.")
    status: DeliveryStatus | None = strawberry.field(default=None, description="One status, e.g. FAILED.")
    ref: str | None = strawberry.field(default=None, description="What it is about, e.g. a tracking code.")


@strawberry.type(description="Web Push on one phone or browser of the signed-in person.")
class PushSubscription:
    id: strawberry.ID = strawberry.field(description="Stable id of this phone's subscription.")
    active: bool = strawberry.field(description="Whether this phone receives push notifications.")
    language: str = strawberry.field(description="The language push messages are written in (km or en).")

    @classmethod
    def of(cls, data: PushSubscriptionPublic) -> PushSubscription:
        return cls(id=strawberry.ID(data.id), active=data.active, language=data.language)


@strawberry.input(description="A browser's PushSubscription (its toJSON()), as the service worker got it.")
class PushSubscriptionInput:
    endpoint: str = strawberry.field(description="The push service URL for this phone.")
    p256dh: str = strawberry.field(description="keys.p256dh: the phone's public key (base64url).")
    auth: str = strawberry.field(description="keys.auth: the phone's auth secret (base64url).")
    language: str = strawberry.field(default="km", description="Write push messages in km or en.")


@strawberry.type
class NotifyQuery:
    @strawberry.field(
        description="The public key to subscribe a phone to push (VAPID); null when push is off."
    )
    async def push_public_key(self, info: Info[Context, None]) -> str | None:
        info.context.require_session()
        config = await info.context.clients.notify.push_config(info.context.caller)
        return config.public_key

    @strawberry.field(
        description="What was sent to whom and what failed, newest first: for a commune's council and admins."
    )
    async def deliveries(
        self,
        info: Info[Context, None],
        filter: DeliveryFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> DeliveryConnection:
        ctx = info.context
        ctx.require_caller()
        limit = check_first(first, ctx.lang)
        after_id = decode_cursor(DELIVERY_CURSOR, after, ctx.lang)
        chosen = filter or DeliveryFilter()
        page = await ctx.clients.notify.deliveries(
            ctx.caller,
            commune=chosen.commune_code,
            channel=chosen.channel,
            status=chosen.status,
            ref=chosen.ref,
            after=after_id,
            limit=limit,
        )
        edges = [
            DeliveryEdge(cursor=encode_cursor(DELIVERY_CURSOR, item.id), node=Delivery.of(item))
            for item in page.items
        ]
        return DeliveryConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.next_after is not None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )


@strawberry.type
class NotifyMutation:
    @strawberry.mutation(description="Mark one of the signed-in person's notifications read (for them only).")
    async def mark_notification_read(self, info: Info[Context, None], id: strawberry.ID) -> Notification:
        ctx = info.context
        ctx.require_csrf()
        return Notification.of(await ctx.clients.notify.mark_read(ctx.caller, raw_id("Notification", id)))

    @strawberry.mutation(description="Receive push notifications on this phone (what the inbox receives).")
    async def register_push_subscription(
        self, info: Info[Context, None], input: PushSubscriptionInput
    ) -> PushSubscription:
        ctx = info.context
        ctx.require_csrf()
        body = PushSubscriptionCreate.model_construct(
            endpoint=input.endpoint,
            keys=PushKeys.model_construct(p256dh=input.p256dh, auth=input.auth),
            language=input.language,
        )
        return PushSubscription.of(await ctx.clients.notify.register_push(ctx.caller, body))

    @strawberry.mutation(description="Stop push notifications on this phone.")
    async def unregister_push_subscription(
        self, info: Info[Context, None], endpoint: str
    ) -> PushSubscription:
        ctx = info.context
        ctx.require_csrf()
        return PushSubscription.of(await ctx.clients.notify.remove_push(ctx.caller, endpoint))


@strawberry.type
class NotificationsSubscription:
    @strawberry.subscription(description="New notifications for the signed-in person, as they are queued.")
    async def notification_added(
        self,
        info: Info[Context, None],
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
    ) -> AsyncGenerator[Notification, None]:
        session = info.context.require_session()
        account = session.account
        audiences = audiences_for(account.role.value, account.communes)
        async for delivery in deliveries(info, NOTIFICATION_QUEUED, audiences, after):
            assert isinstance(delivery.payload, NotificationQueuedV1)
            yield Notification.of_event(delivery.payload, live_cursor(NOTIFICATION_QUEUED, delivery))


QUERIES: tuple[type, ...] = (NotificationsQuery, NotifyQuery)
MUTATIONS: tuple[type, ...] = (NotifyMutation,)
SUBSCRIPTIONS: tuple[type, ...] = (NotificationsSubscription,)
