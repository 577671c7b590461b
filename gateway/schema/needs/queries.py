"""Reading needs: drafts, one need, a tracking code, pages of needs, statistics."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from gateway.schema.context import Context, segment
from gateway.schema.ids import raw_id
from gateway.schema.needs.drafts import NeedDraft
from gateway.schema.needs.lists import NeedConnection, NeedEdge, NeedFilter, NeedStats, stats_cell
from gateway.schema.needs.need import Need, selects
from gateway.schema.needs.public import PublicNeed
from gateway.schema.needs.villages import Village, village_loader
from gateway.schema.needs.vocabulary import CURSOR_KIND
from gateway.schema.relay import PageInfo, check_first, decode_cursor, encode_cursor


@strawberry.type
class NeedsQuery:
    @strawberry.field(description="Citizens' messages waiting to become needs in one of your communes.")
    async def need_drafts(self, info: Info[Context, None], commune_code: str) -> list[NeedDraft]:
        info.context.require_caller()
        found = await info.context.call("intake", "GET", "/drafts", params={"commune": commune_code})
        return [NeedDraft.of(d) for d in found]

    @strawberry.field(description="One need, as you may see it.")
    async def need(self, info: Info[Context, None], id: strawberry.ID) -> Need:
        info.context.require_caller()
        return Need.of(await info.context.call("intake", "GET", f"/needs/{segment(raw_id('Need', id))}"))

    @strawberry.field(description="Public: follow a need by its tracking code. No personal data.")
    async def need_by_tracking_code(self, info: Info[Context, None], code: str) -> PublicNeed:
        data = await info.context.call("intake", "GET", "/public/need", params={"code": code[:40]})
        return PublicNeed.of(data["need"], data.get("survivor"))

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
        params: dict[str, Any] = {"limit": check_first(first, info.context.lang)}
        for name in ("commune", "village", "group", "text"):
            if getattr(chosen, name):
                params[name] = getattr(chosen, name)
        if chosen.sector:
            params["sector"] = chosen.sector.value
        if chosen.status:
            params["status"] = chosen.status.value
        if chosen.mine:
            params["mine"] = "true"
        after_id = decode_cursor(CURSOR_KIND, after, info.context.lang)
        if after_id:
            params["after"] = after_id
        page = await info.context.call("intake", "GET", "/needs", params=params)
        items = page["items"]
        villages: dict[str, Village | None] | None = None
        if items and selects(info.selected_fields, ("needs", "edges", "node", "village")):
            codes = list(dict.fromkeys(n["village_code"] for n in items))
            villages = dict(zip(codes, await village_loader(info.context).load_many(codes), strict=True))
        edges = [
            NeedEdge(cursor=encode_cursor(CURSOR_KIND, n["id"]), node=Need.of(n, villages)) for n in items
        ]
        return NeedConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page["next_after"] is not None, end_cursor=edges[-1].cursor if edges else None
            ),
            total_count=page["total"],
        )

    @strawberry.field(
        description="Inclusion aggregates for a commune; small group counts hidden outside its council."
    )
    async def need_stats(
        self, info: Info[Context, None], commune_code: str, year: int | None = None
    ) -> NeedStats:
        params: dict[str, Any] = {"commune": commune_code}
        if year is not None:
            params["year"] = year
        data = await info.context.call("intake", "GET", "/stats", params=params)
        return NeedStats(
            commune_code=data["commune_code"],
            year=data["year"],
            total=stats_cell("total", data["total"]),
            by_village=[stats_cell(k, c) for k, c in data["by_village"].items()],
            by_sector=[stats_cell(k, c) for k, c in data["by_sector"].items()],
            by_status=[stats_cell(k, c) for k, c in data["by_status"].items()],
        )
