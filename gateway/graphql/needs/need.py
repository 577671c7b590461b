"""The Need node as a signed-in person may see it: its story, its people, its village.

Personal data (who raised a need, their attributes and contacts) reaches only the commune's
own council roles: intake decides that per call, and these types simply pass on what it sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from contracts.api.intake import NeedView, StatusStep
from contracts.api.intake import PersonRecord as PersonRecordView
from gateway.graphql.context import Context
from gateway.graphql.executor import PREPARED
from gateway.graphql.ids import Node, to_global
from gateway.graphql.needs.referral import Referral
from gateway.graphql.needs.villages import Village, village_loader
from gateway.graphql.needs.vocabulary import PRIVATE_TEXT, NeedStatus, Sector


@strawberry.type(description='How many people of one group; under 5 shows as "<5" outside the council.')
class GroupCount:
    group: str = strawberry.field(
        description="women, youth, elderly, disability, idpoor, indigenous, migrant"
    )
    count: str = strawberry.field(description='A whole number, or "<5" when small counts are hidden.')


def group_counts(groups: Mapping[str, int | str] | None) -> list[GroupCount]:
    return [GroupCount(group=g, count=str(n)) for g, n in (groups or {}).items()]


@strawberry.type(description="One step in a need's story.")
class StatusChange:
    at: datetime = strawberry.field(description="When (UTC).")
    from_status: str | None = strawberry.field(description="Status before (null for the first step).")
    to_status: str = strawberry.field(description="Status after.")
    reason: str | None = strawberry.field(description="Why, in the words of whoever decided.")
    source: str = strawberry.field(description="Who decided: intake, council, meetings, budget or citizen.")

    @classmethod
    def of(cls, step: StatusStep) -> StatusChange:
        return cls(
            at=step.at,
            from_status=step.from_.value if step.from_ else None,
            to_status=step.to.value,
            reason=step.reason,
            source=step.source or "intake",
        )


@strawberry.type(description="Someone who raised or supports a need. Shown only to the commune's council.")
class PersonRecord:
    kind: str = strawberry.field(description="person or group")
    people: int = strawberry.field(description="How many people this record stands for.")
    name: str | None = strawberry.field(description="Name, if consent was given.")
    groups: list[GroupCount] = strawberry.field(description="Groups these people belong to.")
    consent: str | None = strawberry.field(description="How consent was recorded: verbal, signed, in_app.")

    @classmethod
    def of(cls, record: PersonRecordView) -> PersonRecord:
        return cls(
            kind=record.kind,
            people=record.people,
            name=record.name,
            groups=group_counts(record.groups),
            consent=record.consent.method.value if record.consent else None,
        )


@strawberry.type(description="A citizen's need, as a signed-in person may see it.")
class Need(Node):
    id: strawberry.ID = strawberry.field(description="Global id (see node(id)).")
    tracking_code: str = strawberry.field(description="The citizen's key to follow the need, e.g. ABCD-EFG.")
    commune_code: str = strawberry.field(description="Gazetteer code of the commune (6 digits).")
    village_code: str = strawberry.field(description="Gazetteer code of the village (8 digits).")
    description: str = strawberry.field(description="What is needed, in Khmer or English.")
    sector: Sector | None = strawberry.field(description="CIP sector, if chosen.")
    need_type: str | None = strawberry.field(description="Type within the sector, e.g. road, water, school.")
    beneficiaries: int | None = strawberry.field(description="Estimated number of people who would benefit.")
    channel: str | None = strawberry.field(description="How it reached Khum: village_meeting, sms, ...")
    status: NeedStatus = strawberry.field(description="Where the need is in its lifecycle.")
    status_reason: str | None = strawberry.field(
        description="Why it has this status (always set when deferred or rejected)."
    )
    rank: int | None = strawberry.field(
        description="Priority rank from the commune's prioritisation (1 is highest)."
    )
    year: int | None = strawberry.field(description="CIP year it was prioritised or funded for.")
    submitted_at: datetime = strawberry.field(description="When it was recorded (UTC).")
    people: int = strawberry.field(description="People who raised or support it.")
    groups: list[GroupCount] = strawberry.field(description="Those people by group.")
    groups_unknown: list[GroupCount] = strawberry.field(
        default_factory=list,
        description="Per group, how many of those people nobody knows to be in it or not (not "
        'asked, or "prefer not to say"): unknown, never to be read as none.',
    )
    history: list[StatusChange] = strawberry.field(
        description="Every status change: who decided, when and why."
    )
    merged_into: strawberry.ID | None = strawberry.field(
        description="Set when this was merged into another need."
    )
    personal_data_visible: bool = strawberry.field(
        description="Whether raisedBy and supporters are shown to you."
    )
    raised_by: list[PersonRecord] | None = strawberry.field(
        description="Who raised it (council of the commune only)."
    )
    supporters: list[PersonRecord] | None = strawberry.field(
        description="Who supports it (council of the commune only)."
    )
    referral: Referral | None = strawberry.field(
        default=None, description="Where the council referred it, when its status is referred."
    )
    feedback_code: str | None = strawberry.field(
        default=None,
        description="Only in the answer that records the need (submitNeed, confirmNeedDraft): the "
        "citizen's 6-digit code for recordNeedFeedback. Give it to them with the tracking code; "
        "Khum keeps only a hash and never shows it again.",
    )
    # Set by a page that fetched its villages up front (a 1-tuple: the village may be unknown).
    known_village: strawberry.Private[tuple[Village | None] | None] = None

    @strawberry.field(
        description="The village, with its names (batched: one call per page).",
        metadata={PREPARED: "known_village"},  # a page's villages: written out without the call
    )
    def village(self, info: Info[Context, None]) -> Village | None:
        # Synchronous when the page fetched its villages: graphql-core then completes the whole
        # list without a coroutine per need. Otherwise the executor awaits the batched load.
        if self.known_village is not None:
            return self.known_village[0]
        return village_loader(info.context).load(self.village_code)  # type: ignore[return-value]

    @classmethod
    def of(cls, need: NeedView, villages: dict[str, Village | None] | None = None) -> Need:
        return cls(
            id=to_global("Need", need.id),
            tracking_code=need.tracking_code,
            commune_code=need.commune_code,
            village_code=need.village_code,
            description=need.description if need.description is not None else PRIVATE_TEXT,
            sector=need.sector,
            need_type=need.need_type,
            beneficiaries=need.beneficiaries,
            channel=need.channel,
            status=need.status,
            status_reason=need.status_reason,
            rank=need.rank,
            year=need.year,
            submitted_at=need.submitted_at,
            people=need.people,
            groups=group_counts(need.groups),
            groups_unknown=group_counts(need.groups_unknown),
            history=[StatusChange.of(h) for h in need.history],
            merged_into=to_global("Need", need.merged_into) if need.merged_into else None,
            personal_data_visible=need.personal_data_visible,
            raised_by=[PersonRecord.of(p) for p in need.raised_by] if need.raised_by is not None else None,
            supporters=[PersonRecord.of(p) for p in need.supporters] if need.supporters is not None else None,
            feedback_code=need.feedback_code,
            referral=Referral.of(need.referral),
            known_village=(villages.get(need.village_code),) if villages is not None else None,
        )


def selects(selections: list[Any], path: tuple[str, ...]) -> bool:
    """Whether the query asks for the field at ``path`` (through fragments too)."""
    for selection in selections:
        name = getattr(selection, "name", None)
        if name is None or not hasattr(selection, "alias"):  # a fragment: look inside it
            if selects(selection.selections, path):
                return True
        elif name == path[0] and (len(path) == 1 or selects(selection.selections, path[1:])):
            return True
    return False
