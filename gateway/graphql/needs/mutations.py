"""Changing needs: submit, reserve codes, confirm or dismiss drafts, validate, support, merge,
feedback."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from contracts.api.intake import ConfirmIn as ConfirmNeedDraft
from contracts.api.intake import FeedbackIn, MergeIn, NeedCreate
from gateway.graphql.context import Context
from gateway.graphql.ids import raw_id
from gateway.graphql.needs.drafts import NeedDraft
from gateway.graphql.needs.inputs import ConfirmNeedDraftInput, PersonInput, SubmitNeedInput
from gateway.graphql.needs.need import Need
from gateway.graphql.needs.public import PublicNeed


@strawberry.type
class NeedsMutation:
    @strawberry.mutation(description="Record a citizen's need. Returns it with its tracking code.")
    async def submit_need(self, info: Info[Context, None], input: SubmitNeedInput) -> Need:
        info.context.require_write("write:needs")
        body = NeedCreate.model_construct(
            village_code=input.village_code,
            description=input.description,
            sector=input.sector,
            need_type=input.need_type,
            beneficiaries=input.beneficiaries,
            channel=input.channel,
            collected_at=input.collected_at,
            raised_by=input.raised_by.body() if input.raised_by else None,
            idempotency_key=input.idempotency_key,
            tracking_code=input.tracking_code,
        )
        return Need.of(await info.context.clients.intake.submit_need(info.context.caller, body))

    @strawberry.mutation(
        description="Reserve 1 to 20 tracking codes for this account's phone, to give citizens their "
        "final code when a need is recorded with no signal."
    )
    async def reserve_tracking_codes(self, info: Info[Context, None], count: int) -> list[str]:
        info.context.require_write("write:needs")
        return (await info.context.clients.intake.reserve_codes(info.context.caller, count)).codes

    @strawberry.mutation(
        description="Make a citizen's message a need; the sender receives its tracking code."
    )
    async def confirm_need_draft(
        self,
        info: Info[Context, None],
        id: strawberry.ID,
        input: ConfirmNeedDraftInput,
    ) -> Need:
        info.context.require_write("write:needs")
        body = ConfirmNeedDraft.model_construct(
            village_code=input.village_code,
            idempotency_key=input.idempotency_key,
            description=input.description,
            sector=input.sector,
            need_type=input.need_type,
            raised_by=input.raised_by.body() if input.raised_by else None,
        )
        draft_id = raw_id("NeedDraft", id)
        return Need.of(await info.context.clients.intake.confirm_draft(info.context.caller, draft_id, body))

    @strawberry.mutation(description="Set aside a citizen's message that is not a need (say why).")
    async def dismiss_need_draft(
        self, info: Info[Context, None], id: strawberry.ID, reason: str
    ) -> NeedDraft:
        info.context.require_write("write:needs")
        draft_id = raw_id("NeedDraft", id)
        return NeedDraft.of(
            await info.context.clients.intake.dismiss_draft(info.context.caller, draft_id, reason)
        )

    @strawberry.mutation(description="Council: confirm a need is real and belongs to the commune.")
    async def validate_need(
        self, info: Info[Context, None], id: strawberry.ID, reason: str | None = None
    ) -> Need:
        info.context.require_write("write:needs")
        need_id = raw_id("Need", id)
        return Need.of(await info.context.clients.intake.validate_need(info.context.caller, need_id, reason))

    @strawberry.mutation(description="Add someone who has this need too.")
    async def support_need(
        self, info: Info[Context, None], id: strawberry.ID, supporter: PersonInput
    ) -> Need:
        info.context.require_write("write:needs")
        need_id = raw_id("Need", id)
        return Need.of(
            await info.context.clients.intake.support_need(info.context.caller, need_id, supporter.body())
        )

    @strawberry.mutation(
        description="Council: merge a duplicate into the surviving need. Both tracking codes keep working."
    )
    async def merge_needs(
        self,
        info: Info[Context, None],
        survivor_id: strawberry.ID,
        merged_id: strawberry.ID,
        reason: str | None = None,
    ) -> Need:
        info.context.require_write("write:needs")
        body = MergeIn.model_construct(
            survivor_id=raw_id("Need", survivor_id), merged_id=raw_id("Need", merged_id), reason=reason
        )
        return Need.of(await info.context.clients.intake.merge_needs(info.context.caller, body))

    @strawberry.mutation(
        description="Public: the citizen says whether a completed need was done well (each raiser once; "
        "a later answer with the same tracking code replaces the earlier). Without "
        "signing in, give the 6-digit feedbackCode from the receipt (need.feedback_code_invalid "
        "otherwise; 5 wrong codes lock it: need.feedback_locked)."
    )
    async def record_need_feedback(
        self,
        info: Info[Context, None],
        tracking_code: str,
        satisfied: bool,
        comment: str | None = None,
        feedback_code: str | None = None,
        rating: Annotated[
            int | None, strawberry.argument(description="1 (bad) to 5 (very good), else need.rating_invalid.")
        ] = None,
    ) -> PublicNeed:
        if info.context.session is not None or info.context.api_token is not None:
            info.context.require_write("write:needs")
        body = FeedbackIn.model_construct(
            code=tracking_code[:40],
            satisfied=satisfied,
            comment=comment,
            secret=feedback_code[:20] if feedback_code else None,
            rating=rating,
        )
        return PublicNeed.of(await info.context.clients.intake.record_feedback(info.context.caller, body))
