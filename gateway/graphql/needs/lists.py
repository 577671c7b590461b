"""Pages of needs, their filter, and the commune's inclusion statistics."""

from __future__ import annotations

import strawberry

from contracts.api.intake import StatsCell as StatsCellView
from gateway.graphql.needs.need import GroupCount, Need, group_counts
from gateway.graphql.needs.vocabulary import NeedStatus, Sector
from gateway.graphql.relay import CountedConnection, Edge

NeedEdge = Edge[Need]


@strawberry.type(description="A page of needs, newest first.")
class NeedConnection(CountedConnection[Need]):
    pass


@strawberry.input(description="Which needs to list. Everything is optional; communes default to yours.")
class NeedFilter:
    commune: str | None = None
    village: str | None = None
    sector: Sector | None = None
    status: NeedStatus | None = None
    group: str | None = strawberry.field(
        default=None, description="women, youth, elderly, disability, idpoor, indigenous, migrant"
    )
    text: str | None = strawberry.field(default=None, description="Words the description contains.")
    mine: bool = strawberry.field(default=False, description="Only needs I recorded.")


@strawberry.type(description="Counts for one slice of a commune's needs.")
class StatsCell:
    key: str = strawberry.field(description="The village code, sector or status this cell is about.")
    needs: int
    people: int
    groups: list[GroupCount]
    groups_unknown: list[GroupCount] = strawberry.field(
        default_factory=list,
        description="Per group, the people not known to belong or not (never counted as none).",
    )


@strawberry.type(description="Needs and people by village, sector, status and group for one commune.")
class NeedStats:
    commune_code: str
    year: int | None
    total: StatsCell
    by_village: list[StatsCell]
    by_sector: list[StatsCell]
    by_status: list[StatsCell]


def stats_cell(key: str, cell: StatsCellView) -> StatsCell:
    return StatsCell(
        key=key,
        needs=cell.needs,
        people=cell.people,
        groups=group_counts(cell.groups),
        groups_unknown=group_counts(cell.unknown),
    )
