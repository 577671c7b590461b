"""The citizen's front door: what an anonymous visit to ``/`` shows, in Khmer first.

A citizen lands here from a poster, an SMS link or a search, with no account: they can track a
need by its code, see the commune's next meetings, its budget this year and what was built,
and reach the transparency page. Which commune: the one they chose (``?commune=``, kept in a
cookie), else the deployment's own (``KHUM_GATEWAY_HOME_COMMUNES``; the demo's communes in
the demo). Each part is read with the public identity scoped to that one commune, and a service
that is down leaves its part saying so while the rest of the page still works.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from contracts.api.meetings.meeting import PlacePublic
from contracts.meetings import MeetingState
from contracts.needs import PlaceName
from gateway.clients import Caller, ServiceError
from gateway.i18n import page_language
from gateway.identity.callers import public_identity
from gateway.web import formatting
from gateway.web.budget.formatting import riel, this_year
from gateway.web.render import gateway_of, render
from services.runtime.identity import PUBLIC_IDENTITY_ID, Identity, Role

COMMUNE_COOKIE = "khum_commune"
UPCOMING = 3
BUILT = frozenset({"completed", "in_implementation"})


def _commune_code(value: str | None) -> str | None:
    return value if value is not None and len(value) == 6 and value.isdigit() else None


def home_communes(request: Request) -> tuple[str, ...]:
    gateway = gateway_of(request)
    configured = tuple(gateway.settings.home_communes)
    if configured or not gateway.settings.demo:
        return configured
    from gateway.demo import DEMO_ACCOUNTS  # only the demo names its communes this way

    found = {c for account in DEMO_ACCOUNTS for c in account.communes if _commune_code(c)}
    return tuple(sorted(found))


async def _names(request: Request, communes: tuple[str, ...], lang: str) -> dict[str, str]:
    if not communes:
        return {}
    identity = Identity(PUBLIC_IDENTITY_ID, Role.PUBLIC, communes)
    try:
        found = await gateway_of(request).clients.intake.communes(Caller(identity, lang))
    except ServiceError:
        return {}
    return {c.code: c.name_km if lang == "km" else c.name_latin for c in found}


async def _meetings(request: Request, commune: str, lang: str) -> list[dict[str, Any]] | None:
    caller = Caller(public_identity(commune), lang)
    try:
        page = await gateway_of(request).clients.meetings.public_commune_meetings(caller, commune, 50)
    except ServiceError:
        return None
    now = datetime.now(UTC)
    coming = [m for m in page.items if m.state != MeetingState.CANCELLED and m.starts_at >= now]
    coming.sort(key=lambda m: m.starts_at)
    return [
        {
            "id": m.id,
            "title": m.title or getattr(m.type_label, lang, None) or m.type,
            "when": formatting.local_datetime(m.starts_at, lang),
            "where": _venue(m.venue, lang),
        }
        for m in coming[:UPCOMING]
    ]


def _venue(venue: PlacePublic, lang: str) -> str:
    village = venue.village_name_km if lang == "km" else venue.village_name_latin
    return ", ".join(part for part in (venue.place, village) if part)


async def _budget(request: Request, commune: str, year: int, lang: str) -> dict[str, Any] | None:
    caller = Caller(public_identity(commune), lang)
    try:
        data = await gateway_of(request).clients.budget.transparency(caller, commune, year)
    except ServiceError:
        return None
    built = [
        {
            "title": n.project_title or n.description or "",
            "village": _village_name(n.village_name, lang) or n.village_code or "",
            "status": n.status,
        }
        for n in data.funded_needs
        if n.status in BUILT
    ]
    totals = data.totals
    return {
        "published": data.published,
        "amount": riel(totals.amount),
        "allocated": riel(totals.allocated),
        "spent": riel(totals.spent),
        "funded": len(data.funded_needs),
        "built": built,
    }


def _village_name(names: PlaceName | None, lang: str) -> str | None:
    if names is None:
        return None
    return names.km if lang == "km" else names.latin


async def public_home(request: Request) -> Response:
    lang = page_language(request)
    communes = home_communes(request)
    chosen = _commune_code(request.query_params.get("commune")) or _commune_code(
        request.cookies.get(COMMUNE_COOKIE)
    )
    commune = chosen or (communes[0] if len(communes) == 1 else None)
    names = await _names(request, tuple(dict.fromkeys((*communes, *((commune,) if commune else ())))), lang)
    year = this_year()
    meetings = await _meetings(request, commune, lang) if commune else None
    budget = await _budget(request, commune, year, lang) if commune else None
    response = render(
        request,
        "public_home.html",
        None,
        commune=commune,
        commune_name=names.get(commune or "", commune or ""),
        choices=[{"code": c, "name": names.get(c, c)} for c in communes],
        year=year,
        meetings=meetings,
        budget=budget,
        demo_messages=bool(
            gateway_of(request).settings.demo and gateway_of(request).settings.demo_channels_url
        ),
    )
    if chosen and request.query_params.get("commune"):
        response.set_cookie(COMMUNE_COOKIE, chosen, max_age=365 * 86_400, samesite="lax", httponly=True)
    return response
