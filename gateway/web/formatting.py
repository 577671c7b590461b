"""Numbers and dates as people read them, one formatter for every page.

Khmer pages write Khmer digits (០-៩) and Khmer month names, English pages Western digits;
times are shown in Phnom Penh. The browser's formatter (pwa/static/js/app.js, Intl) writes
the same "d MMMM y HH:mm" with the same digits and month names, which it takes from the page
(``khum-months``) where the phone's Intl has no Khmer data.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime, get_month_names
from babel.numbers import format_decimal

from contracts.local_time import PHNOM_PENH

KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")


def _locale(lang: str) -> str:
    return "km" if lang == "km" else "en"


def digits(value: object, lang: str) -> str:
    """Any text with its digits in the page's script (years, counts, ranks)."""
    text = str(value)
    return text.translate(KHMER_DIGITS) if lang == "km" else text


def number(value: object, lang: str) -> str:
    """A number with thousands separators, as the page's language writes it (a hidden small
    count such as "<5" keeps its words, with its digits in the page's script)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return digits(value, lang)
    return digits(format_decimal(value, locale=_locale(lang)), lang)


def local_datetime(stamp: str | datetime, lang: str) -> str:
    """A UTC time as a date and time in Phnom Penh: "៤ ធ្នូ ២០២៦ ២០:៤១"."""
    moment = datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
    text = format_datetime(moment.astimezone(PHNOM_PENH), "d MMMM y HH:mm", locale=_locale(lang))
    return digits(text, lang)


def month_names(lang: str) -> list[str]:
    names = get_month_names("wide", locale=_locale(lang))
    return [str(names[m]) for m in range(1, 13)]


def month_year(value: str | None, lang: str) -> str:
    """A ``YYYY-MM`` month as people say it: "ខែមិថុនា ឆ្នាំ២០២៧", "June 2027" ("" for none)."""
    year, _, month = (value or "").partition("-")
    if not (year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
        return ""
    name = month_names(lang)[int(month) - 1]
    return f"ខែ{name} ឆ្នាំ{digits(year, lang)}" if lang == "km" else f"{name} {year}"
