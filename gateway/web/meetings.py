"""Pages about meetings.

Council (tablet): the commune's meetings, schedule one with suggested times, build its agenda
from needs, count attendance by tapping, record decisions and minutes. Facilitator (phone):
upcoming meetings with their agenda, add to calendar, share on Telegram, Facebook or SMS, and
answer for groups of citizens. Anyone: an announced meeting's public page, its .ics file and
the commune's calendar feed. The pages read from meetings; every change goes through GraphQL
(pwa/static/js/meetings.js).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from contracts.api.meetings.meeting import CalendarFile, MeetingPage, MeetingPublic
from contracts.local_time import PHNOM_PENH
from contracts.meetings import AgendaItem
from gateway.clients import Caller, ServiceError
from gateway.i18n import page_language, translate
from gateway.identity.accounts import Session
from gateway.identity.callers import PUBLIC_IDENTITY
from gateway.ids import raw_id
from gateway.web.guards import PageRoute, SessionDep
from gateway.web.meeting_come import new_intention_id
from gateway.web.render import gateway_of, render, signed_in
from services.runtime.identity import COUNCIL_ROLES, Identity, Role

router = APIRouter(include_in_schema=False, route_class=PageRoute)

MANAGING_ROLES = COUNCIL_ROLES | {Role.PROVINCE_ADMIN, Role.NATIONAL_ADMIN}
OPEN_STATES = ("planned", "announced", "rescheduled")
UPCOMING_STATES = ("announced", "rescheduled")
_ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")
_COMMUNE = re.compile(r"^\d{6}$")
# The groups a person may say they belong to when they answer "I will come", as the page words them.
COME_GROUPS = (
    ("women", "Women"),
    ("disability", "With a disability"),
    ("idpoor", "IDPoor household"),
    ("indigenous", "Indigenous people"),
    ("migrant", "Migrant workers"),
    ("youth", "Youth"),
    ("remote", "Take part from afar"),
)
_KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")

# Dates are written out here rather than through the catalog: they are formatting, like Intl.
WEEKDAYS = (
    ("Monday", "ថ្ងៃច័ន្ទ"),
    ("Tuesday", "ថ្ងៃអង្គារ"),
    ("Wednesday", "ថ្ងៃពុធ"),
    ("Thursday", "ថ្ងៃព្រហស្បតិ៍"),
    ("Friday", "ថ្ងៃសុក្រ"),
    ("Saturday", "ថ្ងៃសៅរ៍"),
    ("Sunday", "ថ្ងៃអាទិត្យ"),
)
MONTHS = (
    ("January", "មករា"),
    ("February", "កុម្ភៈ"),
    ("March", "មីនា"),
    ("April", "មេសា"),
    ("May", "ឧសភា"),
    ("June", "មិថុនា"),
    ("July", "កក្កដា"),
    ("August", "សីហា"),
    ("September", "កញ្ញា"),
    ("October", "តុលា"),
    ("November", "វិច្ឆិកា"),
    ("December", "ធ្នូ"),
)

MEETING_TYPES = {
    "village_needs": "Village needs meeting",
    "commune_prioritisation": "Commune prioritisation meeting",
    "cip_approval": "CIP approval meeting",
    "district_integration_workshop": "District Integration Workshop",
    "budget_disclosure": "Budget disclosure meeting",
    "isaf_interface": "ISAF interface meeting",
    "council_monthly": "Monthly council meeting",
}
# Khmer and the languages of Cambodia's indigenous communities (codes meetings accepts).
LANGUAGES = {
    "jra": "Jarai",
    "tpu": "Tampuan",
    "krr": "Kreung",
    "brb": "Brao",
    "krv": "Kavet",
    "cmo": "Bunong",
    "kdt": "Kuy",
    "sti": "Stieng",
    "cja": "Cham",
    "lo": "Lao",
    "vi": "Vietnamese",
}
DECISION_KINDS = {
    "prioritisation": "Ranking of needs (prioritisation)",
    "cip_approval": "Approved CIP list",
    "other": "Another decision",
}
NEED_STATUSES = {
    "submitted": "Recorded",
    "validated": "Confirmed by the council",
    "prioritised": "Prioritised",
    "in_cip": "In the commune plan",
    "deferred": "Deferred",
}
STATES = {
    "planned": "Meeting planned",
    "announced": "Meeting announced",
    "rescheduled": "Meeting moved",
    "held": "Meeting held",
    "minutes_published": "Minutes published",
    "cancelled": "Meeting cancelled",
}
# (group, label, explanation shown under it) for the attendance counter, in tapping order.
COUNTERS = (
    ("in_person", "In the room", "everyone who came in person"),
    ("remote", "Joined from afar", "on Telegram, Facebook Live or a call"),
    ("women", "Women present", ""),
    ("men", "Men present", ""),
    ("disability", "People with disabilities present", ""),
    ("idpoor", "IDPoor household members present", ""),
    ("indigenous", "Indigenous people present", ""),
    ("migrant", "Migrant workers present", ""),
    ("youth", "Young people present", ""),
    ("council_present", "Council members present", ""),
)


def _digits(text: str, lang: str) -> str:
    return text.translate(_KHMER_DIGITS) if lang == "km" else text


def local_when(start: datetime, end: datetime, lang: str) -> str:
    """``Saturday 17 April 2027, 08:00–10:00`` in Phnom Penh time; Khmer words and digits in km."""
    a, b = start.astimezone(PHNOM_PENH), end.astimezone(PHNOM_PENH)
    km = lang == "km"
    weekday = WEEKDAYS[a.weekday()][1 if km else 0]
    month = MONTHS[a.month - 1][1 if km else 0]
    day = f"{weekday} ទី{a.day} {month} {a.year}" if km else f"{weekday} {a.day} {month} {a.year}"
    tail = f"{b:%H:%M}" if a.date() == b.date() else f"{b:%Y-%m-%d %H:%M}"
    return _digits(f"{day}, {a:%H:%M}–{tail}", lang)


def can_manage(identity: Identity) -> bool:
    return identity.role in MANAGING_ROLES


def _name(words: dict[str, str], lang: str) -> str:
    return words.get(lang) or words.get("km") or ""


def _agenda_need(items: list[AgendaItem], need_id: str) -> dict[str, str]:
    for item in items:
        if item.need_id == need_id:
            return {"title": item.title, "tracking_code": item.tracking_code or ""}
    return {"title": need_id, "tracking_code": ""}


def card(request: Request, meeting: MeetingPublic, lang: str) -> dict[str, Any]:
    """What a template shows of a meeting (its fields, and these in the page's language, with
    share links)."""
    start, end = meeting.starts_at, meeting.ends_at
    venue = meeting.venue
    village = venue.village_name_km if lang == "km" else venue.village_name_latin
    where = f"{venue.place}, {village or venue.village_code}"
    label = _name(dict(meeting.type_label), lang)
    heading = f"{label}: {meeting.title}" if meeting.title else label
    when = local_when(start, end, lang)
    public_url = f"{str(request.base_url).rstrip('/')}/m/{meeting.id}"
    items = meeting.agenda.items if meeting.agenda else []
    share_text = "\n".join([heading, when, f"📍 {where}", *(f"• {i.title}" for i in items[:5]), public_url])
    return {
        **dict(meeting),
        "heading": heading,
        "type_name": label,
        "state_name": _name(dict(meeting.state_label), lang),
        "when": when,
        "where": where,
        "local_date": f"{start.astimezone(PHNOM_PENH):%Y-%m-%d}",
        "local_start": f"{start.astimezone(PHNOM_PENH):%H:%M}",
        "local_end": f"{end.astimezone(PHNOM_PENH):%H:%M}",
        "language_names": ", ".join(_name(dict(lang_.name), lang) for lang_ in meeting.languages),
        "agenda_items": items,
        "agenda_minutes": meeting.agenda.total_minutes if meeting.agenda else 0,
        "attendance_counts": dict(meeting.attendance.counts) if meeting.attendance else {},
        "ics_url": f"/meetings/{meeting.id}.ics",
        "public_url": public_url,
        "telegram_url": "https://t.me/share/url?" + urlencode({"url": public_url, "text": share_text}),
        "facebook_url": "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": public_url}),
        "sms_url": "sms:?&body=" + quote(share_text),
        "is_open": meeting.state in OPEN_STATES,
        "decision_rows": [
            {
                "summary": d.summary or "",
                "year": d.year,
                "needs": [{"rank": n.rank, **_agenda_need(items, n.need_id)} for n in d.needs],
            }
            for d in meeting.decisions
        ],
        "steps": [
            {
                "when": _digits(f"{t.at.astimezone(PHNOM_PENH):%Y-%m-%d %H:%M}", lang),
                "what": translate(lang, STATES[t.to_state]),
                "reason": t.reason,
                "emergency": t.emergency_reason,
            }
            for t in meeting.history
        ],
    }


async def _meetings(
    request: Request, identity: Identity, lang: str, states: tuple[str, ...], limit: int
) -> MeetingPage:
    return await gateway_of(request).clients.meetings.meetings(
        Caller(identity, lang), states=states, limit=limit
    )


async def _meeting(request: Request, session: Session, meeting_id: str, lang: str) -> MeetingPublic | None:
    meeting_id = raw_id("Meeting", meeting_id)
    if not _ID.match(meeting_id):
        return None
    caller = Caller(session.account.identity(), lang)
    try:
        return await gateway_of(request).clients.meetings.meeting(caller, meeting_id)
    except ServiceError as exc:
        if exc.status == 404:
            return None
        raise


def _unavailable(request: Request, session: Session | None, lang: str, exc: ServiceError) -> Response:
    return render(
        request, "error.html", session, 503, title=translate(lang, "Not available"), message=exc.message
    )


def _not_found(request: Request, session: Session | None, lang: str) -> Response:
    return render(
        request,
        "error.html",
        session,
        404,
        title=translate(lang, "Meeting not found"),
        message=translate(lang, "This meeting does not exist, or it is not public yet."),
    )


@router.get("/meetings")
async def meetings_page(request: Request, session: SessionDep) -> Response:
    lang = page_language(request)
    identity = session.account.identity()
    manager = can_manage(identity)
    try:
        upcoming = await _meetings(request, identity, lang, UPCOMING_STATES, 100)
        planned = await _meetings(request, identity, lang, ("planned",), 100) if manager else None
        earlier = await _meetings(request, identity, lang, ("held", "minutes_published", "cancelled"), 20)
    except ServiceError as exc:
        return _unavailable(request, session, lang, exc)

    def cards(page: MeetingPage | None) -> list[dict[str, Any]]:
        items = [card(request, m, lang) for m in page.items] if page else []
        return sorted(items, key=lambda m: m["starts_at"])

    base = str(request.base_url).rstrip("/")
    names = await _commune_names(request, identity, lang)
    feeds = [
        {
            "code": code,
            "name": names.get(code, code),
            "url": f"{base}/communes/{code}/meetings.ics",
            "webcal": f"webcal://{request.url.netloc}/communes/{code}/meetings.ics",
        }
        for code in session.account.communes
        if _COMMUNE.match(code)
    ]
    return render(
        request,
        "meetings.html",
        session,
        upcoming=cards(upcoming),
        planned=cards(planned),
        earlier=list(reversed(cards(earlier))),
        can_manage=manager,
        feeds=feeds,
    )


async def _commune_names(request: Request, identity: Any, lang: str) -> dict[str, str]:
    """Communes by name, as people know them (a code only while intake cannot be reached)."""
    try:
        communes = await gateway_of(request).clients.intake.communes(Caller(identity, lang))
    except ServiceError:
        return {}
    return {c.code: c.name_km if lang == "km" else c.name_latin for c in communes}


async def _village_names(request: Request, identity: Any, lang: str) -> dict[str, str]:
    """Villages by name, as people know them (a code only while intake cannot be reached)."""
    try:
        villages = await gateway_of(request).clients.intake.villages(Caller(identity, lang))
    except ServiceError:
        return {}
    return {v.code: v.name_km if lang == "km" else v.name_latin for v in villages}


@router.get("/meetings/new")
async def schedule_page(request: Request, session: SessionDep) -> Response:
    lang = page_language(request)
    identity = session.account.identity()
    if not can_manage(identity):
        return _forbidden(request, session, lang)
    try:
        villages = await gateway_of(request).clients.intake.villages(Caller(identity, lang))
    except ServiceError as exc:
        return _unavailable(request, session, lang, exc)
    khmer = lang == "km"
    communes = {v.commune_code: v.commune_name_km if khmer else v.commune_name_latin for v in villages}
    return render(
        request,
        "meeting_new.html",
        session,
        communes=[{"code": c, "name": n} for c, n in communes.items()],
        villages=[
            {"code": v.code, "name": v.name_km if khmer else v.name_latin, "commune": v.commune_code}
            for v in villages
        ],
        types=[{"value": k, "label": translate(lang, v)} for k, v in MEETING_TYPES.items()],
        languages=[{"code": k, "label": translate(lang, v)} for k, v in LANGUAGES.items()],
        weekdays=",".join(names[1 if lang == "km" else 0] for names in WEEKDAYS),
    )


def _forbidden(request: Request, session: Session, lang: str) -> Response:
    return render(
        request,
        "error.html",
        session,
        403,
        title=translate(lang, "For the commune council"),
        message=translate(lang, "Only the commune council can do this."),
    )


@router.get("/meetings/{meeting_id}.ics")
async def meeting_ics(request: Request, meeting_id: str) -> Response:
    """A meeting's iCalendar file: the commune's own for signed-in people, else announced ones only."""
    lang = page_language(request)
    meeting_id = raw_id("Meeting", meeting_id)
    if not _ID.match(meeting_id):
        return Response(status_code=404)
    session = await signed_in(request)
    meetings = gateway_of(request).clients.meetings
    try:
        if session is not None:
            caller = Caller(session.account.identity(), lang)
            file = await meetings.meeting_calendar(caller, meeting_id, lang)
        else:
            file = await meetings.public_meeting_calendar(Caller(PUBLIC_IDENTITY, lang), meeting_id, lang)
    except ServiceError as exc:
        return Response(exc.message, status_code=exc.status, media_type="text/plain; charset=utf-8")
    return _calendar_response(file)


@router.get("/communes/{commune_code}/meetings.ics")
async def commune_feed(request: Request, commune_code: str) -> Response:
    """The commune's announced meetings as a calendar phones subscribe to. Public, no personal data."""
    if not _COMMUNE.match(commune_code):
        return Response(status_code=404)
    lang = page_language(request) if "lang" not in request.query_params else request.query_params["lang"]
    lang = lang if lang in ("km", "en") else "km"
    caller = Caller(PUBLIC_IDENTITY, lang)
    try:
        file = await gateway_of(request).clients.meetings.public_commune_calendar(caller, commune_code, lang)
    except ServiceError as exc:
        return Response(exc.message, status_code=exc.status, media_type="text/plain; charset=utf-8")
    return _calendar_response(file)


def _calendar_response(file: CalendarFile) -> Response:
    return Response(
        file.ics.encode(),
        media_type="text/calendar; charset=utf-8",
        headers={
            "content-disposition": f'inline; filename="{file.filename}"',
            "cache-control": "no-cache",
        },
    )


@router.get("/m/{meeting_id}")
async def public_meeting_page(request: Request, meeting_id: str) -> Response:
    """An announced meeting for anyone: when, where, the agenda, how to take part. No personal data."""
    lang = page_language(request)
    session = await signed_in(request)
    meeting_id = raw_id("Meeting", meeting_id)
    if not _ID.match(meeting_id):
        return _not_found(request, session, lang)
    try:
        found = await gateway_of(request).clients.meetings.public_meeting(
            Caller(PUBLIC_IDENTITY, lang), meeting_id
        )
    except ServiceError as exc:
        if exc.status == 404:
            return _not_found(request, session, lang)
        return _unavailable(request, session, lang, exc)
    return render(
        request,
        "meeting_public.html",
        session,
        meeting=card(request, found, lang),
        intention_id=new_intention_id(),
        come_groups=COME_GROUPS,
        came=request.query_params.get("come") == "1",
        come_error=request.query_params.get("come_error"),
    )


async def _managed(
    request: Request, session: Session, meeting_id: str, template: str, **extra: Any
) -> Response:
    lang = page_language(request)
    if not can_manage(session.account.identity()):
        return _forbidden(request, session, lang)
    try:
        meeting = await _meeting(request, session, meeting_id, lang)
    except ServiceError as exc:
        return _unavailable(request, session, lang, exc)
    if meeting is None:
        return _not_found(request, session, lang)
    return render(request, template, session, meeting=card(request, meeting, lang), **extra)


@router.get("/meetings/{meeting_id}/agenda")
async def agenda_page(request: Request, session: SessionDep, meeting_id: str) -> Response:
    """The agenda builder: choose the commune's needs, order them, give each a time box and owner."""
    lang = page_language(request)
    identity = session.account.identity()
    if not can_manage(identity):
        return _forbidden(request, session, lang)
    try:
        meeting = await _meeting(request, session, meeting_id, lang)
        if meeting is None:
            return _not_found(request, session, lang)
        candidates = await gateway_of(request).clients.meetings.agenda_candidates(
            Caller(identity, lang), meeting.commune_code, 500
        )
    except ServiceError as exc:
        return _unavailable(request, session, lang, exc)
    chosen = {item.need_id for item in meeting.agenda.items} if meeting.agenda else set()
    villages = await _village_names(request, identity, lang)
    needs = [
        {
            "id": c.id,
            "tracking_code": c.tracking_code,
            "description": c.description,
            "submitted_at": c.submitted_at,
            "village_name": villages.get(c.village_code, c.village_code),
            "status_name": translate(lang, NEED_STATUSES[c.status]),
            "validated": c.status == "validated",
            "chosen": c.id in chosen,
        }
        for c in candidates
        if c.status in NEED_STATUSES
    ]
    needs.sort(key=lambda c: (not c["validated"], c["submitted_at"]))
    return render(request, "meeting_agenda.html", session, meeting=card(request, meeting, lang), needs=needs)


@router.get("/meetings/{meeting_id}/attendance")
async def attendance_page(request: Request, session: SessionDep, meeting_id: str) -> Response:
    lang = page_language(request)
    counters = [
        {
            "name": name,
            "field": re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name),
            "label": translate(lang, label),
            "hint": translate(lang, hint) if hint else "",
        }
        for name, label, hint in COUNTERS
    ]
    return await _managed(request, session, meeting_id, "meeting_attendance.html", counters=counters)


@router.get("/meetings/{meeting_id}/minutes")
async def minutes_page(request: Request, session: SessionDep, meeting_id: str) -> Response:
    lang = page_language(request)
    kinds = [{"value": k, "label": translate(lang, v)} for k, v in DECISION_KINDS.items()]
    return await _managed(request, session, meeting_id, "meeting_minutes.html", kinds=kinds)


@router.get("/meetings/{meeting_id}")
async def meeting_page(request: Request, session: SessionDep, meeting_id: str) -> Response:
    lang = page_language(request)
    try:
        meeting = await _meeting(request, session, meeting_id, lang)
    except ServiceError as exc:
        return _unavailable(request, session, lang, exc)
    if meeting is None:
        return _not_found(request, session, lang)
    identity = session.account.identity()
    return render(
        request,
        "meeting.html",
        session,
        meeting=card(request, meeting, lang),
        can_manage=can_manage(identity),
        can_answer=identity.role in MANAGING_ROLES | {Role.FACILITATOR},
    )
