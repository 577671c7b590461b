"""What a meeting is made of: its venue, languages, agenda, RSVPs, attendance, decisions and
history."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from contracts.meetings import AgendaItemKind, DecisionKind, MeetingState
from gateway.graphql.context import Context
from gateway.graphql.meetings.vocabulary import HIDDEN, RsvpResponse, pick


@strawberry.type(description="Where a meeting is held: a gazetteer village and a place people know.")
class Venue:
    village_code: str = strawberry.field(description="Gazetteer code of the village (8 digits).")
    place: str = strawberry.field(description="The place, e.g. the pagoda hall.")
    names: strawberry.Private[dict[str, str]]

    @strawberry.field(description="The village's name in the caller's language, when known.")
    def village_name(self, info: Info[Context, None], lang: str | None = None) -> str | None:
        return pick(self.names, lang or info.context.lang) if self.names else None


@strawberry.type(description="A language spoken at the meeting.")
class MeetingLanguage:
    code: str = strawberry.field(description="ISO 639 code, e.g. km for Khmer, jra for Jarai.")
    names: strawberry.Private[dict[str, str]]

    @strawberry.field(description="The language's name in the caller's language.")
    def name(self, info: Info[Context, None], lang: str | None = None) -> str:
        return pick(self.names, lang or info.context.lang)


@strawberry.type(description="One item of an agenda, with its time box and who leads it.")
class AgendaItem:
    position: int = strawberry.field(description="1 for the first item.")
    kind: AgendaItemKind = strawberry.field(description="A need, a budget item, or something else.")
    title: str = strawberry.field(description="What the item is about.")
    need_id: strawberry.ID | None = strawberry.field(description="For a need: its id.")
    tracking_code: str | None = strawberry.field(description="For a need: the citizen's tracking code.")
    minutes: int = strawberry.field(description="The time box, in minutes.")
    owner: str = strawberry.field(description="Who leads this item.")


@strawberry.type(description="A published agenda.")
class Agenda:
    items: list[AgendaItem] = strawberry.field(description="In order.")
    total_minutes: int = strawberry.field(description="The sum of the time boxes.")
    published_at: datetime = strawberry.field(description="When it was (last) published (UTC).")


@strawberry.type(description="People of each group (the fields RSVPs and intentions share).")
class GroupCounts:
    women: int = strawberry.field(description="Women.")
    disability: int | None = strawberry.field(description="People with disabilities." + HIDDEN)
    idpoor: int | None = strawberry.field(description="Members of IDPoor households." + HIDDEN)
    indigenous: int | None = strawberry.field(description="Indigenous people." + HIDDEN)
    migrant: int | None = strawberry.field(description="People who work away from home." + HIDDEN)
    youth: int = strawberry.field(description="Young people.")
    remote: int = strawberry.field(description="Joining from afar.")


@strawberry.type(description="How many people said they will come, by group.")
class RsvpTotals(GroupCounts):
    people: int = strawberry.field(description="Everyone.")


@strawberry.type(description="One answer, given for a group (e.g. a savings group) by a facilitator.")
class RsvpGroup:
    label: str = strawberry.field(description="The group's name, as the facilitator wrote it.")
    response: RsvpResponse = strawberry.field(description="The answer.")
    people: int = strawberry.field(description="How many people.")
    answered_at: datetime = strawberry.field(description="When (UTC).")


@strawberry.type(description="Who said they will come.")
class RsvpSummary:
    attending: RsvpTotals = strawberry.field(description="People coming, by group.")
    maybe_people: int = strawberry.field(description="People who may come.")
    not_attending_people: int = strawberry.field(description="People who cannot come.")
    answers: int = strawberry.field(description="How many answers were given.")
    groups: list[RsvpGroup] = strawberry.field(description="Each answer (not shown to the public).")


@strawberry.type(description="Who came, as counts. Every group is part of the total.")
class Attendance:
    total: int = strawberry.field(description="Everyone present, in person and remote.")
    in_person: int = strawberry.field(description="Present in the room.")
    remote: int = strawberry.field(description="Taking part from afar.")
    women: int = strawberry.field(description="Women.")
    men: int = strawberry.field(description="Men.")
    disability: int | None = strawberry.field(description="People with disabilities." + HIDDEN)
    idpoor: int | None = strawberry.field(description="Members of IDPoor households." + HIDDEN)
    indigenous: int | None = strawberry.field(description="Indigenous people." + HIDDEN)
    migrant: int | None = strawberry.field(description="People who work away from home." + HIDDEN)
    youth: int = strawberry.field(description="Young people.")
    council_present: int = strawberry.field(description="Council members present.")
    council_total: int = strawberry.field(description="Council members in all.")
    quorum_met: bool = strawberry.field(description="More than half of the council was present.")
    recorded_at: datetime = strawberry.field(description="When the counts were recorded (UTC).")
    names: list[str] = strawberry.field(description="Names noted, for the commune's council only.")


@strawberry.type(description="A need with its rank in a decision.")
class RankedNeed:
    need_id: strawberry.ID = strawberry.field(description="The need's id.")
    rank: int = strawberry.field(description="1 is the highest priority.")


@strawberry.type(description="A council decision recorded at a meeting.")
class Decision:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    kind: DecisionKind = strawberry.field(description="Prioritisation, CIP approval, or other.")
    year: int = strawberry.field(description="The CIP year it is for.")
    needs: list[RankedNeed] = strawberry.field(description="The needs decided on, by rank.")
    summary: str | None = strawberry.field(description="What was decided, in words.")
    decided_at: datetime = strawberry.field(description="When (UTC).")


@strawberry.type(description="A step in a meeting's life.")
class MeetingTransition:
    at: datetime = strawberry.field(description="When (UTC).")
    from_state: MeetingState | None = strawberry.field(description="The state before (null at first).")
    to_state: MeetingState = strawberry.field(description="The state after.")
    reason: str | None = strawberry.field(description="Why (always given for cancelling).")
    emergency_reason: str | None = strawberry.field(
        default=None, description="Set when the council overrode the notice rules; told to everyone."
    )


@strawberry.type(description="Of those who said they will come, how many in each group.")
class IntentionGroups(GroupCounts):
    pass


@strawberry.type(
    description="People who said themselves they will come (public page, COME by SMS or Telegram); "
    "counts only, never who."
)
class MeetingIntentions:
    total: int = strawberry.field(description="Everyone who said they will come.")
    by_group: IntentionGroups = strawberry.field(description="Of them, by group.")
