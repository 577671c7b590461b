"""The live ``needStatusChanged`` feed."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from contracts.needs import NEED_STATUS_CHANGED, NeedStatusChangedV1
from gateway.graphql.context import Context
from gateway.graphql.errors import graphql_error
from gateway.graphql.ids import to_global
from gateway.graphql.live import AFTER_DESCRIPTION, deliveries, live_cursor
from gateway.graphql.needs.vocabulary import NeedStatus


@strawberry.type(description="A need moved in its lifecycle (no personal data).")
class NeedStatusUpdate:
    need_id: strawberry.ID = strawberry.field(description="The need's id.")
    tracking_code: str = strawberry.field(description="Its tracking code.")
    commune_code: str = strawberry.field(description="Its commune.")
    village_code: str = strawberry.field(description="Its village.")
    previous: NeedStatus = strawberry.field(description="Status before.")
    status: NeedStatus = strawberry.field(description="Status now.")
    reason: str | None = strawberry.field(description="Why.")
    changed_at: datetime = strawberry.field(description="When (UTC).")
    cursor: str = strawberry.field(description="Pass as `after` when subscribing again to resume here.")


@strawberry.type
class NeedsSubscription:
    @strawberry.subscription(description="Status changes of needs in one of your communes, as they happen.")
    async def need_status_changed(
        self,
        info: Info[Context, None],
        commune_code: str,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
    ) -> AsyncGenerator[NeedStatusUpdate, None]:
        if not info.context.require_caller().covers(commune_code):
            raise graphql_error("auth.forbidden", info.context.t("You may not do this here."))
        async for delivery in deliveries(info, NEED_STATUS_CHANGED, [commune_code], after):
            change = delivery.payload
            assert isinstance(change, NeedStatusChangedV1)
            yield NeedStatusUpdate(
                need_id=to_global("Need", change.need_id),
                tracking_code=change.tracking_code,
                commune_code=change.commune_code,
                village_code=change.village_code,
                previous=change.previous,
                status=change.status,
                reason=change.reason,
                changed_at=change.changed_at,
                cursor=live_cursor(NEED_STATUS_CHANGED, delivery),
            )
