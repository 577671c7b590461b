"""Khmer first, English second: gettext catalogs (Babel) for the PWA and the gateway's messages.

The catalogs are ``pwa/translations/<lang>/LC_MESSAGES/messages.po`` with English msgids;
they are compiled in memory at start, so no build step or binary file is needed.
"""

from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.requests import HTTPConnection

REPO_ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = REPO_ROOT / "pwa" / "translations"
LANGUAGES = ("km", "en")
DEFAULT_LANGUAGE = "km"
LANG_COOKIE = "khum_lang"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    po_path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    if lang == "en" or not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_for(lang: str) -> gettext.NullTranslations:
    return translations(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


def language_of(conn: HTTPConnection) -> str:
    """The cookie the km/en switch sets wins; then Accept-Language; then Khmer."""
    chosen = conn.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    header = conn.headers.get("accept-language", "").strip().lower()
    return "en" if header.startswith("en") else DEFAULT_LANGUAGE


def translate(lang: str, message: str, **params: object) -> str:
    text = gettext_for(lang).gettext(message)
    return text % params if params else text
