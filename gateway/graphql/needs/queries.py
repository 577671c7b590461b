"""Reading needs: drafts, one need, a tracking code, pages of needs, statistics."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from gateway.graphql.context import Context
from gateway.graphql.ids import raw_id
from gateway.graphql.needs.drafts import NeedDraft
from gateway.graphql.needs.lists import NeedConnection, NeedEdge, NeedFilter, NeedStats, stats_cell
from gateway.graphql.needs.need import Need, selects
from gateway.graphql.needs.public import PublicNeed
from gateway.graphql.needs.villages import Village, village_loader
from gateway.graphql.needs.vocabulary import CURSOR_KIND
from gateway.graphql.relay import PageInfo, check_first, decode_cursor, encode_cursor


@strawberry.type
class NeedsQuery:
    @strawberry.field(description="Citizens' messages waiting to become needs in one of your communes.")
    async def need_drafts(self, info: Info[Context, None], commune_code: str) -> list[NeedDraft]:
        info.context.require_caller()
        found = await info.context.clients.intake.drafts(info.context.caller, commune_code)
        return [NeedDraft.of(d) for d in found]

    @strawberry.field(description="One need, as you may see it.")
    async def need(self, info: Info[Context, None], id: strawberry.ID) -> Need:
        info.context.require_caller()
        return Need.of(await info.context.clients.intake.need(info.context.caller, raw_id("Need", id)))

    @strawberry.field(description="Public: follow a need by its tracking code. No personal data.")
    async def need_by_tracking_code(self, info: Info[Context, None], code: str) -> PublicNeed:
        found = await info.context.clients.intake.track(info.context.caller, code[:40])
        return PublicNeed.of(found.need, found.survivor)

    @strawberry.field(description="Needs in your communes, newest first.")
    async def needs(
        self,
        info: Info[Context, None],
        filter: NeedFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> NeedConnection:
        info.context.require_caller()
        chosen = filter or NeedFilter()
        page = await info.context.clients.intake.needs(
            info.context.caller,
            limit=check_first(first, info.context.lang),
            commune=chosen.commune or None,
            village=chosen.village or None,
            sector=chosen.sector,
            status=chosen.status,
            group=chosen.group or None,
            text=chosen.text or None,
            mine=chosen.mine,
            after=decode_cursor(CURSOR_KIND, after, info.context.lang) or None,
        )
        items = page.items
        villages: dict[str, Village | None] | None = None
        if items and selects(info.selected_fields, ("needs", "edges", "node", "village")):
            codes = list(dict.fromkeys(n.village_code for n in items))
            villages = dict(zip(codes, await village_loader(info.context).load_many(codes), strict=True))
        edges = [NeedEdge(cursor=encode_cursor(CURSOR_KIND, n.id), node=Need.of(n, villages)) for n in items]
        return NeedConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.next_after is not None, end_cursor=edges[-1].cursor if edges else None
            ),
            total_count=page.total,
        )

    @strawberry.field(
        description="Inclusion aggregates for a commune; small group counts hidden outside its council."
    )
    async def need_stats(
        self, info: Info[Context, None], commune_code: str, year: int | None = None
    ) -> NeedStats:
        stats = await info.context.clients.intake.stats(info.context.caller, commune_code, year)
        return NeedStats(
            commune_code=stats.commune_code,
            year=stats.year,
            total=stats_cell("total", stats.total),
            by_village=[stats_cell(k, c) for k, c in stats.by_village.items()],
            by_sector=[stats_cell(k, c) for k, c in stats.by_sector.items()],
            by_status=[stats_cell(k, c) for k, c in stats.by_status.items()],
        )
