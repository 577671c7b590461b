"""Who hears about a meeting, and when. Pure: a meetings event in, notices out.

Announced: the commune's subscribers (SMS, Telegram, e-mail, as each chose), the people whose
needs are on its agenda, its facilitators
(in the app and on their phones: they tell the people they work with who have no phone) and the
loudspeaker of the venue's village, or of every village for a commune-wide meeting; then two
reminders, three days before and the morning before (07:00 Phnom Penh), queued now and sent
when due. Rescheduled or cancelled after it was announced: everyone told before, everyone who
said they will come (COME), whoever answered for a group, the subscribers, the facilitators and
the loudspeakers, with the reason (and the emergency reason when the council overrode the
notice rules); the reminders of the old time are withdrawn (notify's projection does that) and
new ones queued. Minutes published: the same people, so they see what was decided.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from contracts.local_time import TIME_ZONE
from contracts.meetings import (
    MeetingAnnouncedV1,
    MeetingCancelledV1,
    MeetingRescheduledV1,
    MeetingType,
    MinutesPublishedV1,
)
from contracts.notify import facilitator_audience, person_audience
from services.notify.domain.notice import (
    Notice,
    Target,
    ToAudience,
    ToLoudspeakers,
    ToMeetingPeople,
    ToNeedRaisers,
    ToSubscribers,
)
from services.notify.domain.text import shorten

REMINDER_KIND = "meeting_reminder"
REMINDER_HOUR = time(7, 0)
REMINDERS = (("3d", 3), ("1d", 1))
"""(tag, days before): 07:00 Phnom Penh that many days before the meeting's day."""
REMINDER_MARGIN = timedelta(hours=1)
MINUTES_EXCERPT = 200


def reminder_times(starts_at: datetime, told_at: datetime) -> list[tuple[str, datetime]]:
    """The reminders still worth sending: after the announcement (by a margin), before the start."""
    zone = ZoneInfo(TIME_ZONE)
    day = starts_at.astimezone(zone).date()
    due: list[tuple[str, datetime]] = []
    for tag, days in REMINDERS:
        at = datetime.combine(day - timedelta(days=days), REMINDER_HOUR, tzinfo=zone).astimezone(UTC)
        if told_at + REMINDER_MARGIN <= at < starts_at:
            due.append((tag, at))
    return due


def _loudspeakers(venue_village: str, commune_code: str, meeting_type: MeetingType | None) -> ToLoudspeakers:
    if meeting_type is MeetingType.VILLAGE_NEEDS:
        return ToLoudspeakers((venue_village,))
    # A commune-wide meeting (or one whose type this event does not say: the planner narrows
    # it to the venue's village when its copy of the meeting is a village meeting).
    return ToLoudspeakers((venue_village,), whole_commune=commune_code)


def _everyone(
    commune_code: str, meeting_id: str, answered_by: Iterable[str], loudspeakers: ToLoudspeakers
) -> list[Target]:
    targets: list[Target] = [
        ToSubscribers(commune_code),
        ToMeetingPeople(meeting_id),
        ToAudience(facilitator_audience(commune_code)),
        *(ToAudience(person_audience(user)) for user in sorted(set(answered_by))),
        loudspeakers,
    ]
    return targets


def quoted(context: Mapping[str, Any]) -> list[str]:
    """The council's and people's own words in a notice (title, place, agenda, reasons,
    minutes): a loudspeaker script shows them as written, digits and all."""
    agenda = "; ".join(context.get("agenda") or [])
    words = (context.get(k) for k in ("title", "place", "emergency_reason", "minutes"))
    return [w for w in (*words, agenda) if isinstance(w, str) and w]


def _notices(
    kind: str, targets: Iterable[Target], commune_code: str, meeting_id: str, context: Mapping[str, Any]
) -> list[Notice]:
    context = {**context, "quoted": quoted(context)}
    return [
        Notice(kind, target, commune_code, context, ref=meeting_id, meeting_id=meeting_id)
        for target in targets
    ]


def _reminders(
    commune_code: str, meeting_id: str, starts_at: datetime, told_at: datetime, context: Mapping[str, Any]
) -> list[Notice]:
    notices: list[Notice] = []
    for tag, at in reminder_times(starts_at, told_at):
        for target in (ToSubscribers(commune_code), ToMeetingPeople(meeting_id)):
            notices.append(
                Notice(
                    REMINDER_KIND,
                    target,
                    commune_code,
                    {**context, "reminder": tag},
                    ref=meeting_id,
                    meeting_id=meeting_id,
                    not_before=at,
                    tag=f"reminder-{tag}",
                )
            )
    return notices


def meeting_announced(event: MeetingAnnouncedV1) -> list[Notice]:
    details = event.details
    context: dict[str, Any] = {
        "meeting_type": details.type.value,
        "title": details.title,
        "code": event.code,
        "place": details.venue.place,
        "village_code": details.venue.village_code,
        "starts_at": details.starts_at.isoformat(),
        "ends_at": details.ends_at.isoformat(),
        "agenda": [shorten(item.title, 60) for item in event.agenda[:5]],
        "reason": None,
        "emergency_reason": None,
    }
    targets: list[Target] = [
        ToSubscribers(event.commune_code),
        ToAudience(facilitator_audience(event.commune_code)),
        _loudspeakers(details.venue.village_code, event.commune_code, details.type),
    ]
    # The people whose needs are on the agenda (their facilitator's digest if they gave no phone).
    raisers = [
        Notice(
            "meeting_announced",
            ToNeedRaisers(item.need_id),
            event.commune_code,
            context,
            ref=event.meeting_id,
            meeting_id=event.meeting_id,
            need_id=item.need_id,
        )
        for item in event.agenda
        if item.need_id
    ]
    return [
        *_notices("meeting_announced", targets, event.commune_code, event.meeting_id, context),
        *raisers,
        *_reminders(event.commune_code, event.meeting_id, details.starts_at, event.announced_at, context),
    ]


def meeting_rescheduled(event: MeetingRescheduledV1) -> list[Notice]:
    if not event.was_announced:
        return []  # nobody was told of it yet: nobody to tell again
    context: dict[str, Any] = {
        "meeting_type": None,
        "title": None,
        "code": None,
        "place": event.venue.place,
        "village_code": event.venue.village_code,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "previous_starts_at": event.previous_starts_at.isoformat(),
        "reason": event.reason,
        "emergency_reason": event.emergency_reason,
        "agenda": [],
    }
    loud = _loudspeakers(event.venue.village_code, event.commune_code, None)
    targets = _everyone(event.commune_code, event.meeting_id, event.answered_by, loud)
    return [
        *_notices("meeting_rescheduled", targets, event.commune_code, event.meeting_id, context),
        *_reminders(event.commune_code, event.meeting_id, event.starts_at, event.rescheduled_at, context),
    ]


def meeting_cancelled(event: MeetingCancelledV1) -> list[Notice]:
    if not event.was_announced:
        return []
    context: dict[str, Any] = {
        "meeting_type": None,
        "title": None,
        "code": None,
        "place": None,
        "village_code": None,
        "starts_at": None,
        "ends_at": None,
        "reason": event.reason,
        "emergency_reason": event.emergency_reason,
        "agenda": [],
    }
    loud = ToLoudspeakers((), whole_commune=event.commune_code)
    targets = _everyone(event.commune_code, event.meeting_id, event.answered_by, loud)
    return _notices("meeting_cancelled", targets, event.commune_code, event.meeting_id, context)


def minutes_published(event: MinutesPublishedV1) -> list[Notice]:
    context: dict[str, Any] = {
        "meeting_type": None,
        "title": None,
        "code": None,
        "place": None,
        "village_code": None,
        "starts_at": None,
        "ends_at": None,
        "minutes": shorten(event.minutes, MINUTES_EXCERPT),
        "decisions": len(event.decision_ids),
        "reason": None,
        "emergency_reason": None,
        "agenda": [],
    }
    loud = ToLoudspeakers((), whole_commune=event.commune_code)
    targets = _everyone(event.commune_code, event.meeting_id, (), loud)
    return _notices("meeting_minutes", targets, event.commune_code, event.meeting_id, context)
