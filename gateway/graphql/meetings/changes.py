"""The live ``meetingChanged`` feed."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from gateway.bridge import MEETING_EVENTS
from gateway.clients import Caller, ServiceError
from gateway.graphql.context import Context
from gateway.graphql.errors import graphql_error
from gateway.graphql.ids import raw_id, to_global
from gateway.graphql.live import AFTER_DESCRIPTION, deliveries, live_cursor
from gateway.graphql.meetings.calls import checked_commune
from gateway.graphql.meetings.meeting import Meeting
from services.runtime.identity import Identity


@strawberry.type(description="Something happened to a meeting of the commune.")
class MeetingChange:
    event: str = strawberry.field(description="What happened, e.g. MeetingAnnounced.")
    meeting_id: strawberry.ID = strawberry.field(description="The meeting.")
    commune_code: str = strawberry.field(description="The commune.")
    occurred_at: datetime = strawberry.field(description="When (UTC).")
    cursor: str = strawberry.field(description="Pass as `after` when subscribing again to resume here.")
    caller: strawberry.Private[Identity]

    @strawberry.field(description="The meeting as it is now.")
    async def meeting(self, info: Info[Context, None]) -> Meeting | None:
        ctx = info.context
        try:
            found = await ctx.clients.meetings.meeting(
                Caller(self.caller, ctx.lang), raw_id("Meeting", self.meeting_id)
            )
        except ServiceError:
            return None
        return Meeting.of(found)


@strawberry.type
class MeetingsSubscription:
    @strawberry.subscription(description="Every change to the meetings of a commune of yours, as it happens.")
    async def meeting_changed(
        self,
        info: Info[Context, None],
        commune_code: str,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
    ) -> AsyncGenerator[MeetingChange, None]:
        ctx = info.context
        identity = ctx.require_caller()
        code = checked_commune(ctx, commune_code)
        if not identity.covers(code):
            raise graphql_error(
                "auth.forbidden", ctx.t("You may not see this commune's meetings."), "communeCode"
            )
        async for delivery in deliveries(info, MEETING_EVENTS, [code], after):
            envelope = delivery.envelope
            yield MeetingChange(
                event=envelope.type.split(".")[2],
                meeting_id=to_global("Meeting", envelope.subject or ""),
                commune_code=envelope.communecode,
                occurred_at=envelope.time,
                cursor=live_cursor(MEETING_EVENTS, delivery),
                caller=identity,
            )
