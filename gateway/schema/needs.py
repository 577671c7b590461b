"""Needs in GraphQL: record, validate, support, merge, follow. Intake holds data and rules.

Personal data (who raised a need, their attributes and contacts) reaches only the commune's
own council roles: intake decides that per call, and these types simply pass on what it sent.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from contracts.needs import NEED_STATUS_CHANGED, NeedStatus, NeedStatusChangedV1, Sector
from gateway.cache import TimedCache
from gateway.schema.context import Context, segment
from gateway.schema.errors import graphql_error
from gateway.schema.ids import KEY_FORMAT, Node, raw_id, to_global
from gateway.schema.live import AFTER_DESCRIPTION, deliveries, live_cursor
from gateway.schema.relay import PageInfo, check_first, decode_cursor, encode_cursor

strawberry.enum(Sector, description="The five CIP sectors.")
strawberry.enum(NeedStatus, description="Where a need is in its lifecycle.")

CURSOR_KIND = "need"


# The PublicNeed.description of a sensitive kind (non-null in the schema, so a note in both
# languages rather than an empty string).
PRIVATE_TEXT = "ព័ត៌មានលម្អិតរក្សាជាការសម្ងាត់។ Details are kept private."


@strawberry.type(description='How many people of one group; under 5 shows as "<5" outside the council.')
class GroupCount:
    group: str = strawberry.field(
        description="women, youth, elderly, disability, idpoor, indigenous, migrant"
    )
    count: str = strawberry.field(description='A whole number, or "<5" when small counts are hidden.')


def _groups(groups: dict[str, Any] | None) -> list[GroupCount]:
    return [GroupCount(group=g, count=str(n)) for g, n in (groups or {}).items()]


@strawberry.type(description="One step in a need's story.")
class StatusChange:
    at: datetime = strawberry.field(description="When (UTC).")
    from_status: str | None = strawberry.field(description="Status before (null for the first step).")
    to_status: str = strawberry.field(description="Status after.")
    reason: str | None = strawberry.field(description="Why, in the words of whoever decided.")
    source: str = strawberry.field(description="Who decided: intake, council, meetings, budget or citizen.")

    @classmethod
    def of(cls, entry: dict[str, Any]) -> StatusChange:
        return cls(
            at=datetime.fromisoformat(entry["at"]),
            from_status=entry.get("from"),
            to_status=entry["to"],
            reason=entry.get("reason"),
            source=entry.get("source", "intake"),
        )


@strawberry.type(description="Someone who raised or supports a need. Shown only to the commune's council.")
class PersonRecord:
    kind: str = strawberry.field(description="person or group")
    people: int = strawberry.field(description="How many people this record stands for.")
    name: str | None = strawberry.field(description="Name, if consent was given.")
    groups: list[GroupCount] = strawberry.field(description="Groups these people belong to.")
    consent: str | None = strawberry.field(description="How consent was recorded: verbal, signed, in_app.")

    @classmethod
    def of(cls, doc: dict[str, Any]) -> PersonRecord:
        consent = doc.get("consent")
        return cls(
            kind=doc["kind"],
            people=doc["people"],
            name=doc.get("name"),
            groups=_groups(doc.get("groups")),
            consent=consent["method"] if consent else None,
        )


@strawberry.type(description="A village of the national gazetteer.")
class Village:
    code: str = strawberry.field(description="Gazetteer code (8 digits).")
    name_km: str = strawberry.field(description="Name in Khmer script.")
    name_latin: str = strawberry.field(description="Name in Latin letters.")
    commune_code: str = strawberry.field(description="Its commune (6 digits).")
    commune_name_km: str = strawberry.field(description="The commune's name in Khmer script.")
    commune_name_latin: str = strawberry.field(description="The commune's name in Latin letters.")


# Gazetteer names are national reference data that intake loads at start and never edits:
# kept here an hour, a page of needs costs one call to intake rather than two.
_VILLAGES: TimedCache[Village] = TimedCache(ttl=3600.0, size=20_000)
_VILLAGE_FIELDS = ("code", "name_km", "name_latin", "commune_code", "commune_name_km", "commune_name_latin")


def village_loader(ctx: Context) -> DataLoader[str, Village | None]:
    """One call to intake for the villages a page of needs mentions that are not known yet."""

    async def load(codes: list[str]) -> list[Village | None]:
        missing = [code for code in dict.fromkeys(codes) if _VILLAGES.get(code) is None]
        if missing:
            generation = _VILLAGES.generation
            found = await ctx.call("intake", "GET", "/villages/by-code", params={"codes": missing})
            for v in found:
                _VILLAGES.put(v["code"], Village(**{k: v[k] for k in _VILLAGE_FIELDS}), generation)
        return [_VILLAGES.get(code) for code in codes]

    return ctx.loader("villages", load)


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
    feedback_code: str | None = strawberry.field(
        default=None,
        description="Only in the answer that records the need (submitNeed, confirmNeedDraft): the "
        "citizen's 6-digit code for recordNeedFeedback. Give it to them with the tracking code; "
        "Khum keeps only a hash and never shows it again.",
    )
    # Set by a page that fetched its villages up front (a 1-tuple: the village may be unknown).
    known_village: strawberry.Private[tuple[Village | None] | None] = None

    @strawberry.field(description="The village, with its names (batched: one call per page).")
    def village(self, info: Info[Context, None]) -> Village | None:
        # Synchronous when the page fetched its villages: graphql-core then completes the whole
        # list without a coroutine per need. Otherwise the executor awaits the batched load.
        if self.known_village is not None:
            return self.known_village[0]
        return village_loader(info.context).load(self.village_code)  # type: ignore[return-value]

    @classmethod
    def of(cls, data: dict[str, Any], villages: dict[str, Village | None] | None = None) -> Need:
        return cls(
            id=to_global("Need", data["id"]),
            tracking_code=data["tracking_code"],
            commune_code=data["commune_code"],
            village_code=data["village_code"],
            description=data["description"] if data["description"] is not None else PRIVATE_TEXT,
            sector=Sector(data["sector"]) if data.get("sector") else None,
            need_type=data.get("need_type"),
            beneficiaries=data.get("beneficiaries"),
            channel=data.get("channel"),
            status=NeedStatus(data["status"]),
            status_reason=data.get("status_reason"),
            rank=data.get("rank"),
            year=data.get("year"),
            submitted_at=datetime.fromisoformat(data["submitted_at"]),
            people=data.get("people", 0),
            groups=_groups(data.get("groups")),
            history=[StatusChange.of(h) for h in data.get("history", [])],
            merged_into=to_global("Need", data["merged_into"]) if data.get("merged_into") else None,
            personal_data_visible=bool(data.get("personal_data_visible")),
            raised_by=[PersonRecord.of(p) for p in data["raised_by"]]
            if data.get("raised_by") is not None
            else None,
            supporters=[PersonRecord.of(p) for p in data["supporters"]]
            if data.get("supporters") is not None
            else None,
            feedback_code=data.get("feedback_code"),
            known_village=(villages.get(data["village_code"]),) if villages is not None else None,
        )


def _selects(selections: list[Any], path: tuple[str, ...]) -> bool:
    """Whether the query asks for the field at ``path`` (through fragments too)."""
    for selection in selections:
        name = getattr(selection, "name", None)
        if name is None or not hasattr(selection, "alias"):  # a fragment: look inside it
            if _selects(selection.selections, path):
                return True
        elif name == path[0] and (len(path) == 1 or _selects(selection.selections, path[1:])):
            return True
    return False


@strawberry.type(description="What anyone with the tracking code may see. No personal data.")
class PublicNeed:
    tracking_code: str = strawberry.field(description="The tracking code.")
    commune_code: str = strawberry.field(description="Gazetteer code of the commune.")
    village_code: str = strawberry.field(description="Gazetteer code of the village.")
    description: str = strawberry.field(
        description="What is needed; for a sensitive kind (child protection, violence, a person's health) "
        "only a note that the text is private (see `private`)."
    )
    sector: Sector | None = strawberry.field(description="CIP sector.")
    status: NeedStatus = strawberry.field(description="Where the need is in its lifecycle.")
    status_reason: str | None = strawberry.field(description="Why it has this status.")
    rank: int | None = strawberry.field(description="Priority rank, once prioritised.")
    year: int | None = strawberry.field(description="CIP year.")
    submitted_at: datetime = strawberry.field(description="When it was recorded (UTC).")
    people: int = strawberry.field(description="How many people raised or support it.")
    history: list[StatusChange] = strawberry.field(description="Its story, step by step.")
    merged_into: PublicNeed | None = strawberry.field(description="The need it was merged into, if any.")
    private: bool = strawberry.field(
        default=False, description="A sensitive kind of need: only its category is public, never its text."
    )

    @classmethod
    def of(cls, data: dict[str, Any], survivor: dict[str, Any] | None = None) -> PublicNeed:
        return cls(
            tracking_code=data["tracking_code"],
            commune_code=data["commune_code"],
            village_code=data["village_code"],
            description=data["description"] if data["description"] is not None else PRIVATE_TEXT,
            private=data["description"] is None,
            sector=Sector(data["sector"]) if data.get("sector") else None,
            status=NeedStatus(data["status"]),
            status_reason=data.get("status_reason"),
            rank=data.get("rank"),
            year=data.get("year"),
            submitted_at=datetime.fromisoformat(data["submitted_at"]),
            people=data["people"],
            history=[StatusChange.of(h) for h in data["history"]],
            merged_into=PublicNeed.of(survivor) if survivor else None,
        )


@strawberry.type(description="One need in a page.")
class NeedEdge:
    cursor: str
    node: Need


@strawberry.type(description="A page of needs, newest first.")
class NeedConnection:
    edges: list[NeedEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="How many needs match the filter in all.")


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


@strawberry.type(description="Needs and people by village, sector, status and group for one commune.")
class NeedStats:
    commune_code: str
    year: int | None
    total: StatsCell
    by_village: list[StatsCell]
    by_sector: list[StatsCell]
    by_status: list[StatsCell]


def _cell(key: str, cell: dict[str, Any]) -> StatsCell:
    return StatsCell(key=key, needs=cell["needs"], people=cell["people"], groups=_groups(cell["groups"]))


@strawberry.input(description="Who raised or supports a need. Name, attributes and contact need consent.")
class PersonInput:
    kind: str = strawberry.field(default="person", description="person or group")
    name: str | None = None
    sex: str | None = strawberry.field(default=None, description="female or male")
    age_band: str | None = strawberry.field(default=None, description="youth, adult or elderly")
    disability: str | None = strawberry.field(default=None, description="mild, medium or severe, if any")
    idpoor_level: int | None = strawberry.field(default=None, description="1 or 2, if an IDPoor household")
    indigenous_group: str | None = None
    migrant_status: str | None = strawberry.field(
        default=None, description="working_abroad, working_elsewhere_in_cambodia or returned"
    )
    consent: str | None = strawberry.field(default=None, description="verbal, signed or in_app")
    contact_channel: str | None = strawberry.field(default=None, description="sms, telegram or email")
    contact_address: str | None = None
    contact_language: str = "km"
    people: int | None = strawberry.field(default=None, description="For a group: how many people")
    women: int | None = None
    youth: int | None = None
    elderly: int | None = None
    with_disability: int | None = None
    idpoor: int | None = None
    indigenous: int | None = None
    migrant: int | None = None

    def body(self) -> dict[str, Any]:
        attributes = {
            "sex": self.sex,
            "age_band": self.age_band,
            "disability": self.disability,
            "idpoor_level": self.idpoor_level,
            "indigenous_group": self.indigenous_group,
            "migrant_status": self.migrant_status,
        }
        groups = {
            "women": self.women,
            "youth": self.youth,
            "elderly": self.elderly,
            "disability": self.with_disability,
            "idpoor": self.idpoor,
            "indigenous": self.indigenous,
            "migrant": self.migrant,
        }
        contact = None
        if self.contact_channel or self.contact_address:
            contact = {
                "channel": self.contact_channel,
                "address": self.contact_address,
                "language": self.contact_language,
            }
        return {
            "kind": self.kind,
            "name": self.name,
            "attributes": {k: v for k, v in attributes.items() if v is not None} or None,
            "consent": self.consent,
            "contact": contact,
            "people": self.people,
            "groups": {k: v for k, v in groups.items() if v is not None} or None,
        }


@strawberry.input(description="A need to record.")
class SubmitNeedInput:
    village_code: str = strawberry.field(description="Gazetteer code of the village (8 digits).")
    description: str = strawberry.field(description="What is needed (1 to 2,000 characters).")
    idempotency_key: str = strawberry.field(
        description="Made by the client once per need; a repeat returns the first need, never a second. "
        + KEY_FORMAT
    )
    sector: Sector | None = strawberry.field(default=None, description="CIP sector.")
    need_type: str | None = strawberry.field(default=None, description="Type within the sector.")
    beneficiaries: int | None = strawberry.field(default=None, description="Estimated beneficiaries.")
    channel: str = strawberry.field(default="village_meeting", description="How the need was collected.")
    collected_at: datetime | None = strawberry.field(
        default=None, description="When it was collected, if not now."
    )
    raised_by: PersonInput | None = strawberry.field(default=None, description="Who raised it.")
    tracking_code: str | None = strawberry.field(
        default=None,
        description="A code reserved for this account with reserveTrackingCodes (given to the citizen "
        "offline); the need gets exactly this code.",
    )


@strawberry.type(description="A message a citizen sent by SMS or Telegram, waiting to become a need.")
class NeedDraft(Node):
    id: strawberry.ID = strawberry.field(description="Global id.")
    commune_code: str = strawberry.field(description="The commune the message was sent to.")
    channel: str = strawberry.field(description="sms or telegram")
    sender: str = strawberry.field(description="Who wrote (masked unless you are on the commune's council).")
    text: str = strawberry.field(description="What they wrote.")
    received_at: datetime = strawberry.field(description="When (UTC).")
    status: str = strawberry.field(description="open, confirmed or dismissed")

    @classmethod
    def of(cls, data: dict[str, Any]) -> NeedDraft:
        return cls(
            id=to_global("NeedDraft", data["id"]),
            commune_code=data["commune_code"],
            channel=data["channel"],
            sender=data["sender"]["address"],
            text=data["text"],
            received_at=datetime.fromisoformat(data["received_at"]),
            status=data["status"],
        )


@strawberry.input(description="What a facilitator adds to a citizen's message to make it a need.")
class ConfirmNeedDraftInput:
    village_code: str
    idempotency_key: str = strawberry.field(description="Made by the client once per draft. " + KEY_FORMAT)
    description: str | None = strawberry.field(
        default=None, description="Edited text; the message if left out."
    )
    sector: Sector | None = None
    need_type: str | None = None


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
        if items and _selects(info.selected_fields, ("needs", "edges", "node", "village")):
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
            total=_cell("total", data["total"]),
            by_village=[_cell(k, c) for k, c in data["by_village"].items()],
            by_sector=[_cell(k, c) for k, c in data["by_sector"].items()],
            by_status=[_cell(k, c) for k, c in data["by_status"].items()],
        )


@strawberry.type
class NeedsMutation:
    @strawberry.mutation(description="Record a citizen's need. Returns it with its tracking code.")
    async def submit_need(self, info: Info[Context, None], input: SubmitNeedInput) -> Need:
        info.context.require_write("write:needs")
        body = {
            "village_code": input.village_code,
            "description": input.description,
            "sector": input.sector.value if input.sector else None,
            "need_type": input.need_type,
            "beneficiaries": input.beneficiaries,
            "channel": input.channel,
            "collected_at": input.collected_at.isoformat() if input.collected_at else None,
            "raised_by": input.raised_by.body() if input.raised_by else None,
            "idempotency_key": input.idempotency_key,
            "tracking_code": input.tracking_code,
        }
        return Need.of(await info.context.call("intake", "POST", "/needs", json=body))

    @strawberry.mutation(
        description="Reserve 1 to 20 tracking codes for this account's phone, to give citizens their "
        "final code when a need is recorded with no signal."
    )
    async def reserve_tracking_codes(self, info: Info[Context, None], count: int) -> list[str]:
        info.context.require_write("write:needs")
        data = await info.context.call("intake", "POST", "/tracking-codes/reserve", json={"count": count})
        codes: list[str] = data["codes"]
        return codes

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
        body = {
            "village_code": input.village_code,
            "idempotency_key": input.idempotency_key,
            "description": input.description,
            "sector": input.sector.value if input.sector else None,
            "need_type": input.need_type,
        }
        path = f"/drafts/{segment(raw_id('NeedDraft', id))}/confirm"
        return Need.of(await info.context.call("intake", "POST", path, json=body))

    @strawberry.mutation(description="Set aside a citizen's message that is not a need (say why).")
    async def dismiss_need_draft(
        self, info: Info[Context, None], id: strawberry.ID, reason: str
    ) -> NeedDraft:
        info.context.require_write("write:needs")
        path = f"/drafts/{segment(raw_id('NeedDraft', id))}/dismiss"
        return NeedDraft.of(await info.context.call("intake", "POST", path, json={"reason": reason}))

    @strawberry.mutation(description="Council: confirm a need is real and belongs to the commune.")
    async def validate_need(
        self, info: Info[Context, None], id: strawberry.ID, reason: str | None = None
    ) -> Need:
        info.context.require_write("write:needs")
        return Need.of(
            await info.context.call(
                "intake", "POST", f"/needs/{segment(raw_id('Need', id))}/validate", json={"reason": reason}
            )
        )

    @strawberry.mutation(description="Add someone who has this need too.")
    async def support_need(
        self, info: Info[Context, None], id: strawberry.ID, supporter: PersonInput
    ) -> Need:
        info.context.require_write("write:needs")
        return Need.of(
            await info.context.call(
                "intake", "POST", f"/needs/{segment(raw_id('Need', id))}/supporters", json=supporter.body()
            )
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
        body = {
            "survivor_id": raw_id("Need", survivor_id),
            "merged_id": raw_id("Need", merged_id),
            "reason": reason,
        }
        return Need.of(await info.context.call("intake", "POST", "/needs/merge", json=body))

    @strawberry.mutation(
        description="Public: the citizen says whether a completed need was done well. Without "
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
    ) -> PublicNeed:
        if info.context.session is not None or info.context.api_token is not None:
            info.context.require_write("write:needs")
        body = {
            "code": tracking_code[:40],
            "satisfied": satisfied,
            "comment": comment,
            "secret": feedback_code[:20] if feedback_code else None,
        }
        data = await info.context.call("intake", "POST", "/public/need/feedback", json=body)
        return PublicNeed.of(data)


@strawberry.type(description="A need moved in its lifecycle (no personal data).")
class NeedStatusUpdate:
    need_id: strawberry.ID = strawberry.field(description="The need's id.")
    tracking_code: str = strawberry.field(description="Its tracking code.")
    commune_code: str = strawberry.field(description="Its commune.")
    village_code: str = strawberry.field(description="Its village.")
    previous: NeedStatus = strawberry.field(description="Status before.")
    status: NeedStatus = strawberry.field(description="Status now.")
    reason: str | None = strawberry.field(description="Why.")
    changed_at: datetime = strawberry.field(description="When (UTC).")
    cursor: str = strawberry.field(description="Pass as `after` when subscribing again to resume here.")


@strawberry.type
class NeedsSubscription:
    @strawberry.subscription(description="Status changes of needs in one of your communes, as they happen.")
    async def need_status_changed(
        self,
        info: Info[Context, None],
        commune_code: str,
        after: Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)] = None,
    ) -> AsyncGenerator[NeedStatusUpdate, None]:
        if not info.context.require_caller().covers(commune_code):
            raise graphql_error("auth.forbidden", info.context.t("You may not do this here."))
        async for delivery in deliveries(info, NEED_STATUS_CHANGED, [commune_code], after):
            change = delivery.payload
            assert isinstance(change, NeedStatusChangedV1)
            yield NeedStatusUpdate(
                need_id=to_global("Need", change.need_id),
                tracking_code=change.tracking_code,
                commune_code=change.commune_code,
                village_code=change.village_code,
                previous=change.previous,
                status=change.status,
                reason=change.reason,
                changed_at=change.changed_at,
                cursor=live_cursor(NEED_STATUS_CHANGED, delivery),
            )


QUERIES: tuple[type, ...] = (NeedsQuery,)
MUTATIONS: tuple[type, ...] = (NeedsMutation,)
SUBSCRIPTIONS: tuple[type, ...] = (NeedsSubscription,)
