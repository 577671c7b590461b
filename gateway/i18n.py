"""Khmer first, English second: gettext catalogs (Babel) for the PWA and the gateway's messages.

The catalogs are ``pwa/translations/<lang>/LC_MESSAGES/*.po`` (one file per context, all
merged) with English msgids; they are compiled in memory at start, so no build step or
binary file is needed.
"""

from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.requests import HTTPConnection

REPO_ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = REPO_ROOT / "pwa" / "translations"
LANGUAGES = ("km", "en")
DEFAULT_LANGUAGE = "km"
LANG_COOKIE = "khum_lang"


def catalog_files(lang: str) -> list[Path]:
    return sorted((TRANSLATIONS / lang / "LC_MESSAGES").glob("*.po"))


@cache
def translations(lang: str) -> gettext.NullTranslations:
    files = catalog_files(lang)
    if lang == "en" or not files:
        return gettext.NullTranslations()
    catalog = Catalog(locale=lang)
    for path in files:
        with path.open("rb") as fh:
            for message in read_po(fh, locale=lang):
                if message.id and message.string:
                    catalog.add(message.id, message.string)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_for(lang: str) -> gettext.NullTranslations:
    return translations(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


def page_language(conn: HTTPConnection) -> str:
    """Pages are Khmer unless the person chose English with the switch (a cookie).

    Browser language settings are not trusted for this: many phones in Cambodia are set to
    English only because Khmer was missing from them, not because their owners read English.

    The service worker asks for a page in a given language (``x-khum-lang``) to keep both
    languages' copies for offline use, so the switch works with no signal.
    """
    chosen = conn.headers.get("x-khum-lang") or conn.cookies.get(LANG_COOKIE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def language_of(conn: HTTPConnection) -> str:
    """For the API: the km/en switch's cookie wins; then Accept-Language; then Khmer."""
    headers = conn.headers
    # Most API calls carry no language cookie: parse the cookies only when it may be there.
    if LANG_COOKIE in headers.get("cookie", ""):
        chosen = conn.cookies.get(LANG_COOKIE)
        if chosen in LANGUAGES:
            return chosen
    header = headers.get("accept-language", "").strip().lower()
    return "en" if header.startswith("en") else DEFAULT_LANGUAGE


def translate(lang: str, message: str, **params: object) -> str:
    text = gettext_for(lang).gettext(message)
    return text % params if params else text
