"""The about page: what Khum is, and where its data comes from, as the data's publisher asks.

Public (no sign-in). The gazetteer's source, terms and imported counts come from intake, which
imported them; the page still names the source and its terms while intake is down.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from contracts.api.intake import GazetteerPublic
from contracts.local_time import PHNOM_PENH
from gateway.clients import Caller, ServiceError
from gateway.i18n import page_language
from gateway.web.render import gateway_of, render, signed_in
from services.runtime.identity import Identity, Role

router = APIRouter(include_in_schema=False)

KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")
# Only what anyone may read: the gazetteer is public reference data.
ABOUT_IDENTITY = Identity("about-page", Role.PUBLIC, ())
# The publisher's own URLs, also shown when intake cannot be asked.
SOURCE_URL = "https://data.mef.gov.kh"
TERMS_URL = "https://data.mef.gov.kh/terms-of-use"
PLACE_LABELS = {
    "province": "Provinces and the capital",
    "district": "Districts, municipalities and khans",
    "commune": "Communes and sangkats",
    "village": "Villages",
}


def _digits(text: str, lang: str) -> str:
    return text.translate(KHMER_DIGITS) if lang == "km" else text


def _number(value: int, lang: str) -> str:
    return _digits(f"{value:,}", lang)


@router.get("/about")
async def about(request: Request) -> Response:
    lang = page_language(request)
    try:
        facts: GazetteerPublic | None = await gateway_of(request).clients.intake.gazetteer(
            Caller(ABOUT_IDENTITY, lang)
        )
    except ServiceError:
        facts = None  # the source and its terms are still stated below
    gazetteer = None
    if facts is not None:
        imported = facts.imported_at.astimezone(PHNOM_PENH).date().isoformat()
        retired = sum(facts.retired.model_dump().values())
        gazetteer = {
            "package": facts.package,
            "data_year": _digits(str(facts.data_year), lang),
            "imported_on": _digits(imported, lang),
            "counts": [(level, _number(getattr(facts.counts, level), lang)) for level in PLACE_LABELS],
            "left_out": _number(facts.left_out, lang) if facts.left_out else None,
            "retired": _number(retired, lang) if retired else None,
            "source_url": facts.source_url,
            "terms_url": facts.terms_url,
        }
    return render(
        request,
        "about.html",
        await signed_in(request),
        gazetteer=gazetteer,
        labels=PLACE_LABELS,
        source_url=gazetteer["source_url"] if gazetteer else SOURCE_URL,
        terms_url=gazetteer["terms_url"] if gazetteer else TERMS_URL,
    )
