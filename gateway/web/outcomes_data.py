"""What the outcomes table is made from, read through the gateway's service clients as the
signed-in council member: the villages' populations (intake) and attendance at the year's
held meetings (meetings). Needs and their statuses (prioritised, funded: intake keeps them
from meetings' and budget's events) come with the dashboard's needs of the year.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from contracts.api.intake import CommunePopulations, NeedView
from contracts.api.meetings.meeting import MeetingPublic
from contracts.local_time import PHNOM_PENH
from contracts.meetings import MeetingState
from gateway.clients import Caller, ServiceError
from gateway.identity.accounts import Session
from gateway.web import inclusion_view
from gateway.web.render import gateway_of

MEETING_PAGES = 10  # pages of 100 meetings: a commune holds tens a year
HELD = (MeetingState.HELD, MeetingState.MINUTES_PUBLISHED)


async def populations(request: Request, session: Session, lang: str, commune: str) -> CommunePopulations:
    caller = Caller(session.account.identity(), lang)
    return await gateway_of(request).clients.intake.populations(caller, commune)


async def held_meetings(
    request: Request, session: Session, lang: str, commune: str, year: int
) -> list[MeetingPublic]:
    """The commune's held meetings that started in ``year`` (Phnom Penh time)."""
    meetings = gateway_of(request).clients.meetings
    caller = Caller(session.account.identity(), lang)
    found: list[MeetingPublic] = []
    after: str | None = None
    for _ in range(MEETING_PAGES):
        page = await meetings.meetings(caller, commune=commune, states=HELD, after=after, limit=100)
        found += [m for m in page.items if m.starts_at.astimezone(PHNOM_PENH).year == year]
        after = page.next_after
        if not after:
            break
    return found


async def outcome_rows(
    request: Request, session: Session, lang: str, commune: str, year: int, needs: list[NeedView]
) -> list[dict[str, Any]]:
    """The outcomes table; attendance is left out ("—") when meetings cannot answer, rather than
    the whole dashboard failing or a zero being shown for what is not known."""
    population = await populations(request, session, lang, commune)
    try:
        meetings = await held_meetings(request, session, lang, commune, year)
    except ServiceError:
        attendance = None
    else:
        attendance = inclusion_view.attendance_totals(meetings)
    return inclusion_view.outcomes(needs, attendance, population.shares)
