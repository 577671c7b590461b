"""The events meetings publishes, built from the meeting before and after a change."""

from __future__ import annotations

from pydantic import BaseModel

from contracts.envelope import Envelope, new_event
from contracts.meetings import (
    AGENDA_PUBLISHED,
    ATTENDANCE_INTENDED,
    ATTENDANCE_RECORDED,
    DECISION_RECORDED,
    MEETING_ANNOUNCED,
    MEETING_CANCELLED,
    MEETING_RESCHEDULED,
    MEETING_SCHEDULED,
    MINUTES_PUBLISHED,
    AgendaPublishedV1,
    AttendanceIntendedV1,
    AttendanceRecordedV1,
    DecisionRecordedV1,
    IntentionChannel,
    MeetingAnnouncedV1,
    MeetingCancelledV1,
    MeetingRescheduledV1,
    MeetingScheduledV1,
    MinutesPublishedV1,
)
from services.meetings.domain import Decision, Intention, Meeting

SOURCE = "/khum/meetings"


def _wrap(payload: BaseModel, event_type: str, meeting: Meeting, correlation_id: str | None) -> Envelope:
    return new_event(
        payload,
        event_type=event_type,
        source=SOURCE,
        communecode=meeting.commune_code,
        subject=meeting.id,
        correlationid=correlation_id or meeting.id,
    )


def answered_by(meeting: Meeting) -> list[str]:
    """Whoever answered for a group that it would (or might) come: they are told of a change."""
    return sorted({r.by for r in meeting.rsvps if r.response != "not_attending"})


def intended(meeting: Meeting, intention: Intention, correlation_id: str | None) -> Envelope:
    payload = AttendanceIntendedV1(
        intention_id=intention.id,
        meeting_id=meeting.id,
        commune_code=meeting.commune_code,
        channel=IntentionChannel(intention.channel),
        groups=intention.groups,
        intended_at=intention.at,
    )
    return _wrap(payload, ATTENDANCE_INTENDED, meeting, correlation_id)


def scheduled(meeting: Meeting, correlation_id: str | None) -> Envelope:
    payload = MeetingScheduledV1(
        meeting_id=meeting.id,
        commune_code=meeting.commune_code,
        details=meeting.details(),
        ics_uid=meeting.ics_uid,
        sequence=meeting.sequence,
        scheduled_by=meeting.created_by,
        scheduled_at=meeting.created_at,
    )
    return _wrap(payload, MEETING_SCHEDULED, meeting, correlation_id)


def agenda_published(meeting: Meeting, correlation_id: str | None) -> Envelope:
    assert meeting.agenda is not None
    payload = AgendaPublishedV1(
        meeting_id=meeting.id,
        commune_code=meeting.commune_code,
        items=meeting.agenda.items,
        total_minutes=meeting.agenda.total_minutes,
        published_by=meeting.agenda.published_by,
        published_at=meeting.agenda.published_at,
    )
    return _wrap(payload, AGENDA_PUBLISHED, meeting, correlation_id)


def announced(meeting: Meeting, correlation_id: str | None) -> Envelope:
    last = meeting.history[-1]
    payload = MeetingAnnouncedV1(
        meeting_id=meeting.id,
        commune_code=meeting.commune_code,
        details=meeting.details(),
        agenda=meeting.agenda.items if meeting.agenda else [],
        ics_uid=meeting.ics_uid,
        sequence=meeting.sequence,
        announced_by=last.by,
        announced_at=last.at,
        code=meeting.code,
    )
    return _wrap(payload, MEETING_ANNOUNCED, meeting, correlation_id)


def rescheduled(before: Meeting, after: Meeting, correlation_id: str | None) -> Envelope:
    last = after.history[-1]
    payload = MeetingRescheduledV1(
        meeting_id=after.id,
        commune_code=after.commune_code,
        previous_starts_at=before.starts_at,
        previous_ends_at=before.ends_at,
        starts_at=after.starts_at,
        ends_at=after.ends_at,
        venue=after.venue.contract(),
        reason=last.reason,
        was_announced=after.was_announced,
        ics_uid=after.ics_uid,
        sequence=after.sequence,
        rescheduled_by=last.by,
        rescheduled_at=last.at,
        emergency_reason=last.emergency_reason,
        answered_by=answered_by(after),
    )
    return _wrap(payload, MEETING_RESCHEDULED, after, correlation_id)


def cancelled(meeting: Meeting, correlation_id: str | None) -> Envelope:
    last = meeting.history[-1]
    assert meeting.cancel_reason is not None
    payload = MeetingCancelledV1(
        meeting_id=meeting.id,
        commune_code=meeting.commune_code,
        reason=meeting.cancel_reason,
        was_announced=meeting.was_announced,
        ics_uid=meeting.ics_uid,
        sequence=meeting.sequence,
        cancelled_by=last.by,
        cancelled_at=last.at,
        emergency_reason=last.emergency_reason,
        answered_by=answered_by(meeting),
    )
    return _wrap(payload, MEETING_CANCELLED, meeting, correlation_id)


def attendance_recorded(meeting: Meeting, correlation_id: str | None) -> Envelope:
    attendance = meeting.attendance
    assert attendance is not None
    payload = AttendanceRecordedV1(
        meeting_id=meeting.id,
        commune_code=meeting.commune_code,
        type=meeting.type,
        counts=attendance.counts,
        quorum_met=attendance.quorum_met,
        recorded_by=attendance.recorded_by,
        recorded_at=attendance.recorded_at,
    )
    return _wrap(payload, ATTENDANCE_RECORDED, meeting, correlation_id)


def decision_recorded(meeting: Meeting, decision: Decision, correlation_id: str | None) -> Envelope:
    payload = DecisionRecordedV1(
        decision_id=decision.id,
        meeting_id=meeting.id,
        commune_code=meeting.commune_code,
        kind=decision.kind,
        year=decision.year,
        needs=decision.needs,
        summary=decision.summary,
        decided_by=decision.decided_by,
        decided_at=decision.decided_at,
    )
    return _wrap(payload, DECISION_RECORDED, meeting, correlation_id or decision.id)


def minutes_published(meeting: Meeting, correlation_id: str | None) -> Envelope:
    last = meeting.history[-1]
    assert meeting.minutes is not None
    payload = MinutesPublishedV1(
        meeting_id=meeting.id,
        commune_code=meeting.commune_code,
        minutes=meeting.minutes,
        decision_ids=[d.id for d in meeting.decisions],
        published_by=last.by,
        published_at=last.at,
    )
    return _wrap(payload, MINUTES_PUBLISHED, meeting, correlation_id)
