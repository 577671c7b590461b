"""How a meeting is shown through the API: to its commune, to its council, to the public.

Names noted at attendance are for the council only; the public sees a meeting only once it
was announced, without who answered for which group. Counts of the sensitive groups
(disability, IDPoor, indigenous, migrant) in attendance and RSVPs follow the one privacy rule
(contracts/privacy.py): under 5 they read "<5" outside the commune's council.
"""

from __future__ import annotations

from contracts.api.meetings.meeting import (
    AgendaPublic,
    AttendanceCountsPublic,
    AttendancePublic,
    DecisionPublic,
    IntentionGroups,
    IntentionsPublic,
    Label,
    LanguagePublic,
    MeetingPublic,
    PlacePublic,
    RsvpGroupPublic,
    RsvpSummary,
    RsvpTotals,
    TransitionPublic,
)
from contracts.meetings import RsvpResponse
from contracts.privacy import suppress_groups
from services.meetings.attendance import RSVP_GROUPS
from services.meetings.domain import MANAGING_ROLES, Meeting
from services.meetings.intentions import intention_counts
from services.meetings.labels import LANGUAGES, MEETING_STATES, MEETING_TYPES
from services.runtime.identity import Identity


def _rsvps(meeting: Meeting, with_groups: bool, council: bool) -> RsvpSummary:
    totals = dict.fromkeys(("people", *RSVP_GROUPS), 0)
    maybe = absent = 0
    for answer in meeting.rsvps:
        if answer.response == RsvpResponse.ATTENDING:
            counts = answer.counts.model_dump()
            totals = {k: totals[k] + counts[k] for k in totals}
        elif answer.response == RsvpResponse.MAYBE:
            maybe += answer.counts.people
        else:
            absent += answer.counts.people
    groups = [
        RsvpGroupPublic(label=a.label, response=RsvpResponse(a.response), people=a.counts.people, at=a.at)
        for a in meeting.rsvps
    ]
    return RsvpSummary(
        attending=RsvpTotals(**suppress_groups(totals, council=council)),
        maybe_people=maybe,
        not_attending_people=absent,
        answers=len(meeting.rsvps),
        groups=groups if with_groups else [],
    )


def _intentions(meeting: Meeting, council: bool) -> IntentionsPublic:
    counts = intention_counts(meeting)
    return IntentionsPublic(
        total=counts.total, by_group=IntentionGroups(**suppress_groups(counts.by_group, council=council))
    )


def show(meeting: Meeting, caller: Identity | None) -> MeetingPublic:
    """``caller`` None: the public view."""
    council = caller is not None and caller.role in MANAGING_ROLES and caller.covers(meeting.commune_code)
    # Small counts: the commune's own council roles only (not admins, not the public).
    own_council = caller is not None and caller.is_council_of(meeting.commune_code)
    agenda = meeting.agenda
    attendance = meeting.attendance
    return MeetingPublic(
        id=meeting.id,
        commune_code=meeting.commune_code,
        type=meeting.type,
        type_label=Label(**MEETING_TYPES[meeting.type]),
        title=meeting.title,
        state=meeting.state,
        state_label=Label(**MEETING_STATES[meeting.state]),
        venue=PlacePublic(**meeting.venue.model_dump()),
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        duration_minutes=meeting.duration_minutes,
        languages=[
            LanguagePublic(code=code, name=Label(**LANGUAGES.get(code, {"km": code, "en": code})))
            for code in meeting.languages
        ],
        interpreter_arranged=meeting.interpreter_arranged,
        accessibility_notes=meeting.accessibility_notes,
        remote_link=meeting.remote_link,
        sequence=meeting.sequence,
        was_announced=meeting.was_announced,
        cancel_reason=meeting.cancel_reason,
        ics_uid=meeting.ics_uid,
        agenda=AgendaPublic(
            items=agenda.items, total_minutes=agenda.total_minutes, published_at=agenda.published_at
        )
        if agenda
        else None,
        rsvps=_rsvps(meeting, with_groups=caller is not None, council=own_council),
        code=meeting.code,
        intentions=_intentions(meeting, own_council),
        attendance=AttendancePublic(
            counts=AttendanceCountsPublic(
                **suppress_groups(attendance.counts.model_dump(), council=own_council)
            ),
            quorum_met=attendance.quorum_met,
            recorded_at=attendance.recorded_at,
            names=attendance.names if council else [],
        )
        if attendance
        else None,
        decisions=[
            DecisionPublic(
                id=d.id, kind=d.kind, year=d.year, needs=d.needs, summary=d.summary, decided_at=d.decided_at
            )
            for d in meeting.decisions
        ],
        minutes=meeting.minutes,
        history=[
            TransitionPublic(
                at=t.at,
                from_state=t.from_state,
                to_state=t.to_state,
                reason=t.reason,
                emergency_reason=t.emergency_reason,
            )
            for t in meeting.history
        ],
        created_at=meeting.created_at,
        updated_at=meeting.updated_at,
    )
