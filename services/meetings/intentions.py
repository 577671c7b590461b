"""People who say they will come ("I will come" on the public page, COME <code> by SMS or
Telegram), counted with the groups they name. Pure.

Each intention has an id chosen by whoever records it (the page, notify's inbound message): the
same id again counts once, so a redelivered event or a double tap changes nothing. Nothing
personal is kept: the channel, the groups, the time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.meetings.attendance import RSVP_GROUPS
from services.meetings.domain import ANNOUNCED_STATES, Intention, Meeting, MeetingError

MAX_INTENTIONS = 5000
CHANNELS = frozenset({"web", "sms", "telegram", "facebook", "facilitator"})


@dataclass(frozen=True)
class IntentionCounts:
    total: int
    by_group: dict[str, int] = field(default_factory=dict)


def record_intention(
    meeting: Meeting, intention_id: str, channel: str, groups: list[str], now: datetime
) -> Meeting:
    """The meeting with this intention counted (the same meeting when the id was seen)."""
    if any(i.id == intention_id for i in meeting.intentions):
        return meeting
    if meeting.state not in ANNOUNCED_STATES or now >= meeting.ends_at:
        raise MeetingError(
            "intention.closed",
            "This meeting is not open for answers (it is {state}).",
            "កិច្ចប្រជុំនេះមិនបើកទទួលចម្លើយទេ (ស្ថានភាព {state})។",
            status=409,
            state=meeting.state.value,
        )
    unknown = sorted(set(groups) - set(RSVP_GROUPS))
    if unknown or channel not in CHANNELS:
        raise MeetingError(
            "intention.group_unknown",
            "Unknown group {group}.",
            "មិនស្គាល់ក្រុម {group}។",
            field="groups",
            group=(unknown or [channel])[0][:40],
        )
    if len(meeting.intentions) >= MAX_INTENTIONS:
        raise MeetingError(
            "intention.too_many",
            "This meeting has {limit} answers already.",
            "កិច្ចប្រជុំនេះមានចម្លើយ {limit} រួចហើយ។",
            status=409,
            limit=MAX_INTENTIONS,
        )
    entry = Intention(id=intention_id, channel=channel, groups=sorted(set(groups)), at=now)
    return meeting.model_copy(update={"intentions": [*meeting.intentions, entry], "updated_at": now})


def intention_counts(meeting: Meeting) -> IntentionCounts:
    by_group = {group: 0 for group in RSVP_GROUPS}
    for intention in meeting.intentions:
        for group in intention.groups:
            by_group[group] = by_group.get(group, 0) + 1
    return IntentionCounts(total=len(meeting.intentions), by_group=by_group)
