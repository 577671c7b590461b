"""Pages about needs: record one (phone, three short screens), the needs I recorded with
their story, and the public "track my need" page (no sign-in)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from contracts.api.intake import ConfirmIn, Draft, NeedBase, PublicNeed, VillagePublic
from contracts.needs import Sector
from gateway.clients import Caller, ServiceError
from gateway.i18n import page_language, translate
from gateway.identity.callers import PUBLIC_IDENTITY
from gateway.web import formatting, raisers
from gateway.web.guards import CsrfDep, PageRoute, SessionDep
from gateway.web.render import gateway_of, render, signed_in

router = APIRouter(include_in_schema=False, route_class=PageRoute)


SECTOR_ICONS = {
    Sector.ECONOMIC: "🌾",
    Sector.SOCIAL: "🏫",
    Sector.NATURAL_RESOURCES: "🌳",
    Sector.ADMINISTRATION_SECURITY: "🏛️",
    Sector.GENDER: "👩",
}
SECTOR_LABELS = {
    Sector.ECONOMIC: "Economic",
    Sector.SOCIAL: "Social",
    Sector.NATURAL_RESOURCES: "Natural resources and environment",
    Sector.ADMINISTRATION_SECURITY: "Administration and security",
    Sector.GENDER: "Gender",
}
# The words on the form for each of contracts.needs.NEED_TYPES (a test checks they match).
TYPE_LABELS: dict[Sector, dict[str, str]] = {
    Sector.ECONOMIC: {
        "road": "Road",
        "bridge": "Bridge",
        "irrigation": "Irrigation",
        "market": "Market",
        "electricity": "Electricity",
        "agriculture": "Farming support",
        "other": "Other",
    },
    Sector.SOCIAL: {
        "water": "Clean water",
        "sanitation": "Toilets and sanitation",
        "school": "School",
        "health_post": "Health post",
        "early_childhood": "Early childhood care",
        "personal_health": "A person's health",
        "other": "Other",
    },
    Sector.NATURAL_RESOURCES: {
        "forest": "Forest",
        "fisheries": "Fisheries",
        "land": "Land",
        "waste": "Waste",
        "climate_resilience": "Floods and drought",
        "other": "Other",
    },
    Sector.ADMINISTRATION_SECURITY: {
        "civil_registration": "Civil registration",
        "safety": "Safety",
        "public_service": "Public services",
        "other": "Other",
    },
    Sector.GENDER: {
        "domestic_violence": "Domestic violence",
        "child_protection": "Child protection",
        "women_economic": "Women's livelihoods",
        "childcare": "Childcare",
        "other": "Other",
    },
}
CHANNEL_LABELS = {
    "village_meeting": "Village meeting",
    "home_visit": "Home visit",
    "phone": "Phone call",
    "telegram": "Telegram",
    "sms": "SMS",
    "facebook": "Facebook",
    "partner_api": "Partner organisation",
}
GROUP_LABELS = {
    "women": "Women",
    "youth": "Youth",
    "elderly": "Elderly",
    "disability": "With a disability",
    "idpoor": "IDPoor households",
    "indigenous": "Indigenous",
    "migrant": "Migrant workers",
}
STATUS_LABELS = {
    "submitted": "Recorded",
    "validated": "Confirmed by the council",
    "prioritised": "Prioritised",
    "in_cip": "In the commune plan",
    "funded": "Funded",
    "partly_funded": "Partly funded",
    "deferred": "Deferred",
    "rejected": "Not accepted",
    "in_implementation": "Being built",
    "completed": "Completed",
    "verified": "Checked by citizens",
    "merged": "Joined with the same need",
    "referred": "Sent on to the authority in charge",
}
STATUS_ICONS = {
    "submitted": "📝",
    "validated": "✔️",
    "prioritised": "⭐",
    "in_cip": "📋",
    "funded": "💰",
    "partly_funded": "🪙",
    "deferred": "⏳",
    "rejected": "✖️",
    "in_implementation": "🚧",
    "completed": "🏁",
    "verified": "👍",
    "merged": "🔗",
    "referred": "↗️",
}


KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")


def _local(stamp: str | datetime, lang: str) -> str:
    """A UTC time shown in Phnom Penh time, with Khmer month names and digits in Khmer."""
    return formatting.local_datetime(stamp, lang)


def timeline(need: NeedBase, lang: str) -> list[dict[str, str]]:
    """A need's story in words for people: each step's label, local time and reason."""
    return [
        {
            "icon": STATUS_ICONS.get(h.to, "•"),
            "label": translate(lang, STATUS_LABELS.get(h.to, h.to)),
            "when": _local(h.at, lang),
            "reason": h.reason or "",
        }
        for h in need.history
    ]


def status_words(need: NeedBase, lang: str) -> dict[str, str]:
    return {
        "icon": STATUS_ICONS.get(need.status, "•"),
        "label": translate(lang, STATUS_LABELS.get(need.status, need.status)),
        "reason": need.status_reason or "",
    }


def need_card(need: NeedBase, lang: str) -> dict[str, Any]:
    """What the track and "my needs" pages show of a need, its status and story in words."""
    return {
        "tracking_code": need.tracking_code,
        "status": need.status.value,
        "description": need.description,
        "referral": need.referral,
        "people": need.people,
        "words": status_words(need, lang),
        "timeline": timeline(need, lang),
    }


def tracked_card(need: PublicNeed, lang: str) -> dict[str, Any]:
    """The track page's need: its card, and where the works of its project stand."""
    return {
        **need_card(need, lang),
        "stage": need.stage.value if need.stage else None,
        "stage_on": need.stage_on.isoformat() if need.stage_on else None,
        "project_title": need.project_title,
    }


def _village_option(village: VillagePublic, lang: str) -> dict[str, str]:
    """A village and its commune by name, in the page's language."""
    if lang == "km":
        return {"code": village.code, "name": village.name_km, "commune_name": village.commune_name_km}
    return {"code": village.code, "name": village.name_latin, "commune_name": village.commune_name_latin}


@router.get("/needs/new")
async def need_form(request: Request, session: SessionDep) -> Response:
    lang = page_language(request)
    try:
        villages = await gateway_of(request).clients.intake.villages(Caller(session.account.identity(), lang))
    except ServiceError as exc:
        title = translate(lang, "Not available")
        return render(request, "error.html", session, 503, title=title, message=exc.message)
    options = [_village_option(v, lang) for v in villages]
    sectors = [
        {
            "value": s.name,
            "label": translate(lang, SECTOR_LABELS[s]),
            "icon": SECTOR_ICONS[s],
            "types": [{"value": k, "label": translate(lang, v)} for k, v in TYPE_LABELS[s].items()],
        }
        for s in Sector
    ]
    channels = [{"value": k, "label": translate(lang, v)} for k, v in CHANNEL_LABELS.items()]
    groups = [{"value": k, "label": translate(lang, v)} for k, v in GROUP_LABELS.items()]
    return render(
        request,
        "need_form.html",
        session,
        villages=options,
        sectors=sectors,
        channels=channels,
        groups=groups,
        raiser=raisers.choices(lang),
    )


@router.get("/needs/mine")
async def my_needs(request: Request, session: SessionDep) -> Response:
    """The needs this facilitator recorded, newest first, each with its story."""
    lang = page_language(request)
    caller = Caller(session.account.identity(), lang)
    try:
        page = await gateway_of(request).clients.intake.needs(caller, mine=True, limit=50)
    except ServiceError as exc:
        title = translate(lang, "Not available")
        return render(request, "error.html", session, 503, title=title, message=exc.message)
    needs = [need_card(n, lang) for n in page.items]
    return render(request, "needs_mine.html", session, needs=needs, total=page.total)


@router.get("/track")
async def track(request: Request, code: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    """Public: anyone with a tracking code sees what happened to the need, and why."""
    session = await signed_in(request)
    lang = page_language(request)
    if not code:
        return render(request, "track.html", session, code="", need=None, error=None)
    try:
        found = await gateway_of(request).clients.intake.track(Caller(PUBLIC_IDENTITY, lang), code)
    except ServiceError as exc:
        status = exc.status if exc.status in (400, 404) else 503
        return render(request, "track.html", session, status, code=code, need=None, error=exc.message)
    return render(
        request,
        "track.html",
        session,
        code=code,
        need=tracked_card(found.survivor or found.need, lang),
        merged_from=found.need.tracking_code if found.survivor else None,
        error=None,
    )


@router.get("/needs/drafts")
async def drafts_page(
    request: Request, session: SessionDep, done: Annotated[str | None, Query(max_length=20)] = None
) -> Response:
    """Citizens' SMS and Telegram messages waiting for a facilitator to make them needs."""
    lang = page_language(request)
    intake = gateway_of(request).clients.intake
    caller = Caller(session.account.identity(), lang)
    try:
        villages = await intake.villages(caller)
        found: list[Draft] = []
        for commune in [c for c in session.account.communes if len(c) == 6]:
            found.extend(await intake.drafts(caller, commune))
    except ServiceError as exc:
        return render(
            request, "error.html", session, 503, title=translate(lang, "Not available"), message=exc.message
        )
    sectors = [
        {"value": s.value, "label": translate(lang, SECTOR_LABELS[s]), "icon": SECTOR_ICONS[s]}
        for s in Sector
    ]
    drafts = [_draft_card(d, villages, lang) for d in found]
    raiser_choices = {
        **raisers.choices(lang),
        "groups": [{"value": k, "label": translate(lang, v)} for k, v in GROUP_LABELS.items()],
    }
    return render(
        request,
        "needs_drafts.html",
        session,
        drafts=drafts,
        sectors=sectors,
        done=done,
        raiser_choices=raiser_choices,
    )


def _draft_card(draft: Draft, villages: list[VillagePublic], lang: str) -> dict[str, Any]:
    """A draft as the drafts page shows it, with the villages of its commune to choose from."""
    return {
        "id": draft.id,
        "channel": draft.channel.value,
        "sender": draft.sender,
        "text": draft.text,
        "audio": draft.audio,
        "when": _local(draft.received_at, lang),
        "villages": [
            {"code": v.code, "name": _village_option(v, lang)["name"]}
            for v in villages
            if v.commune_code == draft.commune_code
        ],
    }


@router.post("/needs/drafts/{draft_id}")
async def handle_draft(
    request: Request,
    session: CsrfDep,
    draft_id: str,
    action: Annotated[str, Form(pattern=r"^(confirm|dismiss)$")],
    village_code: Annotated[str, Form(max_length=16)] = "",
    sector: Annotated[str, Form(max_length=40)] = "",
    description: Annotated[str, Form(max_length=20_000)] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    lang = page_language(request)
    intake = gateway_of(request).clients.intake
    caller = Caller(session.account.identity(), lang)
    try:
        if action == "confirm":
            fields: dict[str, Any] = {
                "village_code": village_code,
                "description": description or None,
                "sector": sector or None,  # as typed: intake refuses an unknown sector
                "idempotency_key": f"draft-{draft_id}"[:100],
                "raised_by": raisers.raiser_body(await request.form()),
            }
            need = await intake.confirm_draft(caller, draft_id, ConfirmIn.model_construct(**fields))
            return RedirectResponse(f"/needs/drafts?done={need.tracking_code}", status_code=303)
        await intake.dismiss_draft(caller, draft_id, reason)
    except ServiceError as exc:
        return render(
            request,
            "error.html",
            session,
            422 if exc.status < 500 else 503,
            title=translate(lang, "Not available"),
            message=exc.message,
        )
    return RedirectResponse("/needs/drafts", status_code=303)
