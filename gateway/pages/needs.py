"""Pages about needs: record one (phone, three short screens), the needs I recorded with
their story, and the public "track my need" page (no sign-in)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from contracts.needs import Sector
from gateway.callers import PUBLIC_IDENTITY
from gateway.clients import ServiceError
from gateway.i18n import page_language, translate
from gateway.pages import formatting, raisers
from gateway.pages.guards import CsrfDep, PageRoute, SessionDep
from gateway.pages.render import gateway_of, render, signed_in

router = APIRouter(include_in_schema=False, route_class=PageRoute)

PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")

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


def _local(stamp: str, lang: str) -> str:
    """A UTC time shown in Phnom Penh time, with Khmer month names and digits in Khmer."""
    return formatting.local_datetime(stamp, lang)


def timeline(need: dict[str, Any], lang: str) -> list[dict[str, str]]:
    """A need's story in words for people: each step's label, local time and reason."""
    return [
        {
            "icon": STATUS_ICONS.get(h["to"], "•"),
            "label": translate(lang, STATUS_LABELS.get(h["to"], h["to"])),
            "when": _local(h["at"], lang),
            "reason": h.get("reason") or "",
        }
        for h in need["history"]
    ]


def status_words(need: dict[str, Any], lang: str) -> dict[str, str]:
    return {
        "icon": STATUS_ICONS.get(need["status"], "•"),
        "label": translate(lang, STATUS_LABELS.get(need["status"], need["status"])),
        "reason": need.get("status_reason") or "",
    }


@router.get("/needs/new")
async def need_form(request: Request, session: SessionDep) -> Response:
    lang = page_language(request)
    try:
        _, villages = (
            await gateway_of(request)
            .services["intake"]
            .request("GET", "/villages", session.account.identity(), lang=lang)
        )
    except ServiceError as exc:
        title = translate(lang, "Not available")
        return render(request, "error.html", session, 503, title=title, message=exc.message)
    name_key = "name_km" if lang == "km" else "name_latin"
    commune_key = "commune_name_km" if lang == "km" else "commune_name_latin"
    options = [{"code": v["code"], "name": v[name_key], "commune_name": v[commune_key]} for v in villages]
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
    try:
        _, page = (
            await gateway_of(request)
            .services["intake"]
            .request(
                "GET", "/needs", session.account.identity(), lang=lang, params={"mine": "true", "limit": 50}
            )
        )
    except ServiceError as exc:
        title = translate(lang, "Not available")
        return render(request, "error.html", session, 503, title=title, message=exc.message)
    needs = [{**n, "words": status_words(n, lang), "timeline": timeline(n, lang)} for n in page["items"]]
    return render(request, "needs_mine.html", session, needs=needs, total=page["total"])


@router.get("/track")
async def track(request: Request, code: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    """Public: anyone with a tracking code sees what happened to the need, and why."""
    session = await signed_in(request)
    lang = page_language(request)
    if not code:
        return render(request, "track.html", session, code="", need=None, error=None)
    try:
        _, found = (
            await gateway_of(request)
            .services["intake"]
            .request("GET", "/public/need", PUBLIC_IDENTITY, lang=lang, params={"code": code})
        )
    except ServiceError as exc:
        status = exc.status if exc.status in (400, 404) else 503
        return render(request, "track.html", session, status, code=code, need=None, error=exc.message)
    need = found["need"]
    survivor = found.get("survivor")
    shown = survivor or need
    return render(
        request,
        "track.html",
        session,
        code=code,
        need={**shown, "words": status_words(shown, lang), "timeline": timeline(shown, lang)},
        merged_from=need["tracking_code"] if survivor else None,
        error=None,
    )


@router.get("/needs/drafts")
async def drafts_page(
    request: Request, session: SessionDep, done: Annotated[str | None, Query(max_length=20)] = None
) -> Response:
    """Citizens' SMS and Telegram messages waiting for a facilitator to make them needs."""
    lang = page_language(request)
    intake = gateway_of(request).services["intake"]
    identity = session.account.identity()
    try:
        _, villages = await intake.request("GET", "/villages", identity, lang=lang)
        drafts: list[dict[str, Any]] = []
        for commune in [c for c in session.account.communes if len(c) == 6]:
            _, found = await intake.request(
                "GET", "/drafts", identity, lang=lang, params={"commune": commune}
            )
            drafts.extend(found)
    except ServiceError as exc:
        return render(
            request, "error.html", session, 503, title=translate(lang, "Not available"), message=exc.message
        )
    name_key = "name_km" if lang == "km" else "name_latin"
    sectors = [
        {"value": s.value, "label": translate(lang, SECTOR_LABELS[s]), "icon": SECTOR_ICONS[s]}
        for s in Sector
    ]
    for draft in drafts:
        draft["villages"] = [
            {"code": v["code"], "name": v[name_key]}
            for v in villages
            if v["commune_code"] == draft["commune_code"]
        ]
        draft["when"] = _local(draft["received_at"], lang)
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
    intake = gateway_of(request).services["intake"]
    path = f"/drafts/{quote(draft_id, safe='')}/{action}"
    try:
        if action == "confirm":
            body = {
                "village_code": village_code,
                "description": description or None,
                "sector": sector or None,
                "idempotency_key": f"draft-{draft_id}"[:100],
                "raised_by": raisers.raiser_body(await request.form()),
            }
            _, need = await intake.request("POST", path, session.account.identity(), lang=lang, json=body)
            return RedirectResponse(f"/needs/drafts?done={need['tracking_code']}", status_code=303)
        await intake.request("POST", path, session.account.identity(), lang=lang, json={"reason": reason})
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
