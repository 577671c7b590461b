"""Agendas: items with time boxes and owners, built from the commune's needs. Pure.

Meetings knows a commune's needs only from intake's events (its agenda candidates). A need can
go on an agenda while it is still open; a need merged into another, rejected or already done
cannot. Once a meeting is announced, its agenda may still be corrected, but only while the
announcement's notice period has not begun: people must be able to read it in advance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.meetings import AgendaItem, AgendaItemKind
from contracts.needs import NeedStatus
from services.meetings.domain import (
    Agenda,
    Meeting,
    MeetingError,
    clean_text,
    require_manager,
    require_open,
    when_text,
)
from services.runtime.identity import Identity

ELIGIBLE_STATUSES = frozenset(
    {
        NeedStatus.SUBMITTED,
        NeedStatus.VALIDATED,
        NeedStatus.PRIORITISED,
        NeedStatus.IN_CIP,
        NeedStatus.DEFERRED,
    }
)
MAX_ITEMS = 30
MAX_ITEM_MINUTES = 240
OWNER_MAX = 100
TITLE_MAX = 200


@dataclass(frozen=True)
class Candidate:
    """A need as meetings knows it, from NeedSubmitted and NeedStatusChanged."""

    need_id: str
    commune_code: str
    village_code: str
    tracking_code: str
    description: str
    status: NeedStatus


@dataclass(frozen=True)
class ItemDraft:
    kind: AgendaItemKind
    minutes: int
    owner: str
    title: str | None = None
    need_id: str | None = None


def excerpt(text: str, limit: int = TITLE_MAX) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def publish_agenda(
    meeting: Meeting,
    drafts: Sequence[ItemDraft],
    candidates: Mapping[str, Candidate],
    caller: Identity,
    now: datetime,
    notice_days: int,
) -> Meeting:
    require_manager(caller, meeting.commune_code)
    require_open(
        meeting,
        "agenda.closed",
        "The agenda of a meeting that is {state} cannot change.",
        "របៀបវារៈនៃកិច្ចប្រជុំដែលស្ថិតក្នុងស្ថានភាព {state} មិនអាចផ្លាស់ប្តូរបានទេ។",
    )
    if meeting.was_announced and now > meeting.starts_at - timedelta(days=notice_days):
        raise MeetingError(
            "agenda.too_late",
            "The agenda of an announced meeting can change only until {days} days before it ({when}).",
            "របៀបវារៈនៃកិច្ចប្រជុំដែលបានប្រកាស អាចផ្លាស់ប្តូរបានតែមុន {days} ថ្ងៃនៃកិច្ចប្រជុំ ({when})។",
            status=409,
            days=notice_days,
            when=when_text(meeting.starts_at, meeting.ends_at),
        )
    if not drafts:
        raise MeetingError(
            "agenda.empty",
            "Add at least one item to the agenda.",
            "សូមបន្ថែមយ៉ាងហោចណាស់ចំណុចមួយទៅក្នុងរបៀបវារៈ។",
            field="items",
        )
    if len(drafts) > MAX_ITEMS:
        raise MeetingError(
            "agenda.too_many_items",
            "An agenda has at most {limit} items.",
            "របៀបវារៈមានយ៉ាងច្រើន {limit} ចំណុច។",
            field="items",
            limit=MAX_ITEMS,
        )
    items: list[AgendaItem] = []
    seen: set[str] = set()
    for index, draft in enumerate(drafts):
        items.append(_item(meeting, draft, index, candidates, seen))
    total = sum(item.minutes for item in items)
    if total > meeting.duration_minutes:
        raise MeetingError(
            "agenda.too_long",
            "The agenda needs {total} minutes but the meeting lasts {length}.",
            "របៀបវារៈត្រូវការ {total} នាទី ប៉ុន្តែកិច្ចប្រជុំមានរយៈពេលតែ {length} នាទី។",
            field="items",
            total=total,
            length=meeting.duration_minutes,
        )
    agenda = Agenda(items=items, published_by=caller.user_id, published_at=now)
    return meeting.model_copy(update={"agenda": agenda, "updated_at": now})


def _item(
    meeting: Meeting, draft: ItemDraft, index: int, candidates: Mapping[str, Candidate], seen: set[str]
) -> AgendaItem:
    field = f"items.{index}"
    if not 1 <= draft.minutes <= MAX_ITEM_MINUTES:
        raise MeetingError(
            "agenda.minutes_invalid",
            "Item {position}: give it between 1 and {limit} minutes.",
            "ចំណុចទី {position}៖ សូមផ្តល់ពេលពី ១ ដល់ {limit} នាទី។",
            field=f"{field}.minutes",
            position=index + 1,
            limit=MAX_ITEM_MINUTES,
        )
    owner = clean_text(draft.owner, OWNER_MAX, f"{field}.owner", required=True)
    title = clean_text(draft.title, TITLE_MAX, f"{field}.title")
    need_id: str | None = None
    tracking_code: str | None = None
    if draft.kind is AgendaItemKind.NEED:
        candidate = candidates.get(draft.need_id or "")
        if candidate is None or candidate.commune_code != meeting.commune_code:
            raise MeetingError(
                "agenda.need_unknown",
                "Item {position}: this need is not one of the commune's needs.",
                "ចំណុចទី {position}៖ តម្រូវការនេះមិនមែនជាតម្រូវការរបស់ឃុំនេះទេ។",
                field=f"{field}.needId",
                position=index + 1,
            )
        if candidate.status not in ELIGIBLE_STATUSES:
            raise MeetingError(
                "agenda.need_not_eligible",
                "Item {position}: need {tracking} is {need_status} and cannot go on an agenda.",
                "ចំណុចទី {position}៖ តម្រូវការ {tracking} ស្ថិតក្នុងស្ថានភាព {need_status} មិនអាចដាក់ក្នុងរបៀបវារៈបានទេ។",
                field=f"{field}.needId",
                position=index + 1,
                tracking=candidate.tracking_code,
                need_status=candidate.status.value,
            )
        if candidate.need_id in seen:
            raise MeetingError(
                "agenda.need_twice",
                "Need {tracking} is on the agenda twice.",
                "តម្រូវការ {tracking} មាននៅក្នុងរបៀបវារៈពីរដង។",
                field=f"{field}.needId",
                tracking=candidate.tracking_code,
            )
        seen.add(candidate.need_id)
        need_id, tracking_code = candidate.need_id, candidate.tracking_code
        title = title or excerpt(candidate.description)
    elif title is None:
        raise MeetingError(
            "agenda.title_required",
            "Item {position}: say what it is about.",
            "ចំណុចទី {position}៖ សូមបញ្ជាក់ថាវានិយាយអំពីអ្វី។",
            field=f"{field}.title",
            position=index + 1,
        )
    assert owner is not None
    return AgendaItem(
        position=index + 1,
        kind=draft.kind,
        title=title,
        need_id=need_id,
        tracking_code=tracking_code,
        minutes=draft.minutes,
        owner=owner,
    )
