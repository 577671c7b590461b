"""The Meeting node, built from the meetings service's answer, and its page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from contracts.meetings import AgendaItemKind, DecisionKind, MeetingState, MeetingType
from gateway.schema.context import Context
from gateway.schema.ids import Node, to_global
from gateway.schema.meetings.parts import (
    Agenda,
    AgendaItem,
    Attendance,
    Decision,
    IntentionGroups,
    MeetingIntentions,
    MeetingLanguage,
    MeetingTransition,
    RankedNeed,
    RsvpGroup,
    RsvpSummary,
    RsvpTotals,
    Venue,
)
from gateway.schema.meetings.vocabulary import PHNOM_PENH, RsvpResponse, pick, shown
from gateway.schema.relay import CountedConnection, Edge


@strawberry.type(description="A CIP meeting. Times are UTC; `startsAtLocal` is Phnom Penh time.")
class Meeting(Node):
    commune_code: str = strawberry.field(description="The commune (6 digits).")
    type: MeetingType = strawberry.field(description="What kind of meeting.")
    title: str | None = strawberry.field(description="A title, if given.")
    state: MeetingState = strawberry.field(description="Where the meeting is in its life.")
    venue: Venue = strawberry.field(description="Where.")
    starts_at: datetime = strawberry.field(description="Start (UTC).")
    ends_at: datetime = strawberry.field(description="End (UTC).")
    duration_minutes: int = strawberry.field(description="How long, in minutes.")
    languages: list[MeetingLanguage] = strawberry.field(description="Languages spoken, Khmer first.")
    interpreter_arranged: bool = strawberry.field(description="An interpreter is arranged.")
    accessibility_notes: str | None = strawberry.field(description="Access for people with disabilities.")
    remote_link: str | None = strawberry.field(description="Telegram group, Facebook Live or video call.")
    sequence: int = strawberry.field(description="iCalendar SEQUENCE: raised on every reschedule.")
    was_announced: bool = strawberry.field(description="The meeting was made public.")
    cancel_reason: str | None = strawberry.field(description="Why it was cancelled.")
    ics_uid: str = strawberry.field(description="iCalendar UID, stable for the meeting's life.")
    agenda: Agenda | None = strawberry.field(description="The published agenda, if any.")
    rsvps: RsvpSummary = strawberry.field(description="Who said they will come.")
    code: str = strawberry.field(description="Short code people send as COME <code> by SMS or Telegram.")
    intentions: MeetingIntentions = strawberry.field(
        description="How many said themselves they will come, in all and by group."
    )
    attendance: Attendance | None = strawberry.field(description="Who came, once recorded.")
    decisions: list[Decision] = strawberry.field(description="Decisions recorded at the meeting.")
    minutes: str | None = strawberry.field(description="The published minutes.")
    history: list[MeetingTransition] = strawberry.field(description="Every step, oldest first.")
    created_at: datetime = strawberry.field(description="When it was scheduled (UTC).")
    updated_at: datetime = strawberry.field(description="Last change (UTC).")
    labels: strawberry.Private[dict[str, dict[str, str]]]
    raw: strawberry.Private[str]

    @strawberry.field(description="The start in Phnom Penh time (UTC+7).")
    def starts_at_local(self) -> datetime:
        return self.starts_at.astimezone(PHNOM_PENH)

    @strawberry.field(description="The end in Phnom Penh time (UTC+7).")
    def ends_at_local(self) -> datetime:
        return self.ends_at.astimezone(PHNOM_PENH)

    @strawberry.field(description="The kind of meeting, in words.")
    def type_label(self, info: Info[Context, None], lang: str | None = None) -> str:
        return pick(self.labels["type"], lang or info.context.lang)

    @strawberry.field(description="The state, in words.")
    def state_label(self, info: Info[Context, None], lang: str | None = None) -> str:
        return pick(self.labels["state"], lang or info.context.lang)

    @strawberry.field(description="Where to download the meeting as an iCalendar file (path on this site).")
    def calendar_url(self) -> str:
        return f"/meetings/{self.raw}.ics"

    @classmethod
    def of(cls, data: dict[str, Any]) -> Meeting:
        venue = data["venue"]
        agenda = data.get("agenda")
        attendance = data.get("attendance")
        rsvps = data["rsvps"]
        return cls(
            id=to_global("Meeting", data["id"]),
            raw=data["id"],
            commune_code=data["commune_code"],
            type=MeetingType(data["type"]),
            title=data.get("title"),
            state=MeetingState(data["state"]),
            venue=Venue(
                village_code=venue["village_code"],
                place=venue["place"],
                names={"km": venue["village_name_km"], "en": venue["village_name_latin"]}
                if venue.get("village_name_km") and venue.get("village_name_latin")
                else {},
            ),
            starts_at=datetime.fromisoformat(data["starts_at"]),
            ends_at=datetime.fromisoformat(data["ends_at"]),
            duration_minutes=data["duration_minutes"],
            languages=[MeetingLanguage(code=lang["code"], names=lang["name"]) for lang in data["languages"]],
            interpreter_arranged=data["interpreter_arranged"],
            accessibility_notes=data.get("accessibility_notes"),
            remote_link=data.get("remote_link"),
            sequence=data["sequence"],
            was_announced=data["was_announced"],
            cancel_reason=data.get("cancel_reason"),
            ics_uid=data["ics_uid"],
            agenda=Agenda(
                items=[
                    AgendaItem(
                        position=i["position"],
                        kind=AgendaItemKind(i["kind"]),
                        title=i["title"],
                        need_id=to_global("Need", i["need_id"]) if i.get("need_id") else None,
                        tracking_code=i.get("tracking_code"),
                        minutes=i["minutes"],
                        owner=i["owner"],
                    )
                    for i in agenda["items"]
                ],
                total_minutes=agenda["total_minutes"],
                published_at=datetime.fromisoformat(agenda["published_at"]),
            )
            if agenda
            else None,
            rsvps=RsvpSummary(
                attending=RsvpTotals(**shown(rsvps["attending"])),
                maybe_people=rsvps["maybe_people"],
                not_attending_people=rsvps["not_attending_people"],
                answers=rsvps["answers"],
                groups=[
                    RsvpGroup(
                        label=g["label"],
                        response=RsvpResponse(g["response"]),
                        people=g["people"],
                        answered_at=datetime.fromisoformat(g["at"]),
                    )
                    for g in rsvps["groups"]
                ],
            ),
            code=data["code"],
            intentions=MeetingIntentions(
                total=data["intentions"]["total"],
                by_group=IntentionGroups(**shown(data["intentions"]["by_group"])),
            ),
            attendance=Attendance(
                **shown(attendance["counts"]),
                quorum_met=attendance["quorum_met"],
                recorded_at=datetime.fromisoformat(attendance["recorded_at"]),
                names=attendance["names"],
            )
            if attendance
            else None,
            decisions=[
                Decision(
                    id=strawberry.ID(d["id"]),
                    kind=DecisionKind(d["kind"]),
                    year=d["year"],
                    needs=[
                        RankedNeed(need_id=to_global("Need", n["need_id"]), rank=n["rank"])
                        for n in d["needs"]
                    ],
                    summary=d.get("summary"),
                    decided_at=datetime.fromisoformat(d["decided_at"]),
                )
                for d in data["decisions"]
            ],
            minutes=data.get("minutes"),
            history=[
                MeetingTransition(
                    at=datetime.fromisoformat(t["at"]),
                    from_state=MeetingState(t["from_state"]) if t.get("from_state") else None,
                    to_state=MeetingState(t["to_state"]),
                    reason=t.get("reason"),
                    emergency_reason=t.get("emergency_reason"),
                )
                for t in data["history"]
            ],
            created_at=datetime.fromisoformat(data["created_at"]),
            updated_at=datetime.fromisoformat(data["updated_at"]),
            labels={"type": data["type_label"], "state": data["state_label"]},
        )


MeetingEdge = Edge[Meeting]


@strawberry.type(description="A page of meetings, the most recently scheduled first.")
class MeetingConnection(CountedConnection[Meeting]):
    pass
