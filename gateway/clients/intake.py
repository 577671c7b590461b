"""The gateway's one typed client of the intake service (answers in contracts/api/intake/)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from contracts.api.intake import (
    CommunePopulations,
    CommunePublic,
    ConfirmIn,
    DismissIn,
    Draft,
    ErasureDone,
    FeedbackIn,
    GazetteerPublic,
    MergeIn,
    NeedCreate,
    NeedPage,
    NeedStats,
    NeedView,
    PersonIn,
    PlacePublic,
    PopulationsIn,
    PublicNeed,
    ReferIn,
    ReferralPage,
    RejectIn,
    ReservedCodes,
    ReserveIn,
    TrackedNeed,
    ValidateIn,
    VillagePublic,
)
from contracts.needs import NeedStatus, Sector
from gateway.clients.errors import segment
from gateway.clients.typed import Caller, TypedClient


class IntakeClient(TypedClient):
    """Every call the gateway makes to intake, each with its request and answer models."""

    # Needs

    async def submit_need(self, caller: Caller, body: NeedCreate) -> NeedView:
        return await self.call(NeedView, "POST", "/needs", caller, body=body)

    async def need(self, caller: Caller, need_id: str) -> NeedView:
        return await self.call(NeedView, "GET", f"/needs/{segment(need_id)}", caller)

    async def needs(
        self,
        caller: Caller,
        *,
        limit: int,
        commune: str | None = None,
        village: str | None = None,
        sector: Sector | None = None,
        status: NeedStatus | None = None,
        group: str | None = None,
        text: str | None = None,
        mine: bool = False,
        after: str | None = None,
    ) -> NeedPage:
        """A page of needs, newest first; unset filters are left out (intake's defaults apply)."""
        params = {
            "limit": limit,
            "commune": commune,
            "village": village,
            "sector": sector.value if sector else None,
            "status": status.value if status else None,
            "group": group,
            "text": text,
            "mine": "true" if mine else None,
            "after": after,
        }
        return await self.call(NeedPage, "GET", "/needs", caller, params=params)

    async def track(self, caller: Caller, code: str) -> TrackedNeed:
        return await self.call(TrackedNeed, "GET", "/public/need", caller, params={"code": code})

    async def reserve_codes(self, caller: Caller, count: int) -> ReservedCodes:
        body = ReserveIn.model_construct(count=count)
        return await self.call(ReservedCodes, "POST", "/tracking-codes/reserve", caller, body=body)

    async def validate_need(self, caller: Caller, need_id: str, reason: str | None) -> NeedView:
        body = ValidateIn.model_construct(reason=reason)
        return await self.call(NeedView, "POST", f"/needs/{segment(need_id)}/validate", caller, body=body)

    async def support_need(self, caller: Caller, need_id: str, supporter: PersonIn) -> NeedView:
        path = f"/needs/{segment(need_id)}/supporters"
        return await self.call(NeedView, "POST", path, caller, body=supporter)

    async def merge_needs(self, caller: Caller, body: MergeIn) -> NeedView:
        return await self.call(NeedView, "POST", "/needs/merge", caller, body=body)

    async def record_feedback(self, caller: Caller, body: FeedbackIn) -> PublicNeed:
        return await self.call(PublicNeed, "POST", "/public/need/feedback", caller, body=body)

    async def stats(self, caller: Caller, commune: str, year: int | None = None) -> NeedStats:
        params = {"commune": commune, "year": year}
        return await self.call(NeedStats, "GET", "/stats", caller, params=params)

    # Triage

    async def reject_need(self, caller: Caller, need_id: str, reason: str) -> NeedView:
        body = RejectIn.model_construct(reason=reason)
        return await self.call(NeedView, "POST", f"/needs/{segment(need_id)}/reject", caller, body=body)

    async def refer_need(self, caller: Caller, need_id: str, body: ReferIn) -> NeedView:
        return await self.call(NeedView, "POST", f"/needs/{segment(need_id)}/refer", caller, body=body)

    async def referrals(self, caller: Caller, district: str, limit: int) -> ReferralPage:
        params = {"district": district, "limit": limit}
        return await self.call(ReferralPage, "GET", "/referrals", caller, params=params)

    # Drafts

    async def drafts(self, caller: Caller, commune: str) -> list[Draft]:
        return await self.call(list[Draft], "GET", "/drafts", caller, params={"commune": commune})

    async def confirm_draft(self, caller: Caller, draft_id: str, body: ConfirmIn) -> NeedView:
        return await self.call(NeedView, "POST", f"/drafts/{segment(draft_id)}/confirm", caller, body=body)

    async def dismiss_draft(self, caller: Caller, draft_id: str, reason: str) -> Draft:
        body = DismissIn.model_construct(reason=reason)
        return await self.call(Draft, "POST", f"/drafts/{segment(draft_id)}/dismiss", caller, body=body)

    # Places

    async def villages(self, caller: Caller) -> list[VillagePublic]:
        """The villages the caller may record needs in (their communes)."""
        return await self.call(list[VillagePublic], "GET", "/villages", caller)

    async def villages_by_code(self, caller: Caller, codes: Sequence[str]) -> list[VillagePublic]:
        params = {"codes": list(codes)}
        return await self.call(list[VillagePublic], "GET", "/villages/by-code", caller, params=params)

    async def communes(self, caller: Caller) -> list[CommunePublic]:
        """The caller's communes by name."""
        return await self.call(list[CommunePublic], "GET", "/communes", caller)

    async def places(
        self,
        caller: Caller,
        *,
        parent: str | None = None,
        depth: int | None = None,
        codes: Sequence[str] = (),
    ) -> list[PlacePublic]:
        params = {"parent": parent, "depth": depth, "codes": list(codes) or None}
        return await self.call(list[PlacePublic], "GET", "/places", caller, params=params)

    async def gazetteer(self, caller: Caller) -> GazetteerPublic:
        return await self.call(GazetteerPublic, "GET", "/gazetteer", caller)

    # Populations

    async def populations(self, caller: Caller, commune: str) -> CommunePopulations:
        path = f"/communes/{segment(commune)}/populations"
        return await self.call(CommunePopulations, "GET", path, caller)

    async def record_populations(
        self, caller: Caller, commune: str, body: PopulationsIn
    ) -> CommunePopulations:
        path = f"/communes/{segment(commune)}/populations"
        return await self.call(CommunePopulations, "PUT", path, caller, body=body)

    # Erasure

    async def erase_person(self, caller: Caller, body: Mapping[str, Any]) -> ErasureDone:
        """The erasure request as the admin page built it: intake's own model checks it."""
        return await self.call(ErasureDone, "POST", "/erasures", caller, body=body)
