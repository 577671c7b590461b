"""Triage decisions beyond confirming (reject, refer), the district's referrals, and the list of
indigenous peoples the forms offer."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from contracts.api.intake import ReferIn
from contracts.api.intake import ReferredNeed as ReferredNeedView
from contracts.inclusion import INDIGENOUS_PEOPLES
from gateway.graphql.context import Context
from gateway.graphql.ids import raw_id, to_global
from gateway.graphql.needs.need import Need
from gateway.graphql.needs.vocabulary import NeedStatus, ReferralTarget, Sector


@strawberry.input(description="Where to send a need that is not the commune's to solve, and why.")
class ReferNeedInput:
    target: ReferralTarget = strawberry.field(description="district, line_department or ngo")
    name: str = strawberry.field(description="The office, department or organisation (1 to 200 characters).")
    reason: str = strawberry.field(description="Why; the citizen is told, with the name.")


@strawberry.type(description="A need referred to a district by one of its communes. No personal data.")
class ReferredNeed:
    need_id: strawberry.ID = strawberry.field(description="Global id of the need.")
    tracking_code: str
    commune_code: str
    village_code: str
    district_code: str
    sector: Sector | None
    need_type: str | None
    description: str | None = strawberry.field(description="Null for a sensitive kind of need.")
    people: int = strawberry.field(description="People who raised or support it.")
    status: NeedStatus
    target: ReferralTarget
    target_name: str
    reason: str
    referred_at: datetime

    @classmethod
    def of(cls, referred: ReferredNeedView) -> ReferredNeed:
        return cls(
            need_id=to_global("Need", referred.need_id),
            tracking_code=referred.tracking_code,
            commune_code=referred.commune_code,
            village_code=referred.village_code,
            district_code=referred.district_code,
            sector=referred.sector,
            need_type=referred.need_type,
            description=referred.description,
            people=referred.people,
            status=referred.status,
            target=referred.target,
            target_name=referred.name,
            reason=referred.reason,
            referred_at=referred.at,
        )


@strawberry.type(description="One of Cambodia's indigenous peoples, as the forms list them.")
class IndigenousPeople:
    code: str = strawberry.field(description="What indigenousGroup takes.")
    name_en: str
    name_km: str


@strawberry.type
class TriageQuery:
    @strawberry.field(
        description="Needs the communes of a district referred (newest needs first): for the admins of "
        "the district, its province or the nation, and integrators covering it."
    )
    async def referrals(
        self, info: Info[Context, None], district_code: str, first: int = 50
    ) -> list[ReferredNeed]:
        info.context.require_caller()
        page = await info.context.clients.intake.referrals(
            info.context.caller, district_code[:4], max(1, min(first, 100))
        )
        return [ReferredNeed.of(r) for r in page.items]

    @strawberry.field(
        description='Cambodia\'s indigenous peoples for indigenousGroup ("none" and "other" too).'
    )
    def indigenous_peoples(self) -> list[IndigenousPeople]:
        return [IndigenousPeople(code=c, name_en=en, name_km=km) for c, en, km, _ in INDIGENOUS_PEOPLES]


@strawberry.type
class TriageMutation:
    @strawberry.mutation(
        description="Council: not a need the commune takes up; say why (the citizen is told)."
    )
    async def reject_need(self, info: Info[Context, None], id: strawberry.ID, reason: str) -> Need:
        info.context.require_write("write:needs")
        need_id = raw_id("Need", id)
        return Need.of(await info.context.clients.intake.reject_need(info.context.caller, need_id, reason))

    @strawberry.mutation(
        description="Council: refer a need to the district, a line department or an NGO (named); the "
        "citizen is told where and why, and the district sees it in referrals."
    )
    async def refer_need(self, info: Info[Context, None], id: strawberry.ID, input: ReferNeedInput) -> Need:
        info.context.require_write("write:needs")
        body = ReferIn.model_construct(target=input.target, name=input.name, reason=input.reason)
        need_id = raw_id("Need", id)
        return Need.of(await info.context.clients.intake.refer_need(info.context.caller, need_id, body))
