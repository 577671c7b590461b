"""Pages about needs: record a need (phone, facilitator)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from contracts.needs import Sector
from gateway.clients import ServiceError
from gateway.i18n import page_language, translate
from gateway.pages.render import gateway_of, render, signed_in, to_login

router = APIRouter(include_in_schema=False)

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


@router.get("/needs/new")
async def need_form(request: Request) -> Response:
    session = await signed_in(request)
    if session is None:
        return to_login(request)
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
        {"value": s.name, "label": translate(lang, SECTOR_LABELS[s]), "icon": SECTOR_ICONS[s]} for s in Sector
    ]
    return render(request, "need_form.html", session, villages=options, sectors=sectors)
