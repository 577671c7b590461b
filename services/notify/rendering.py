"""Message texts from Jinja2 text templates, per kind, channel and language.

``services/notify/templates/<kind>/<channel>.<lang>.txt``, falling back to
``<kind>/default.<lang>.txt``. E-mail templates start with a ``Subject:`` line. Templates are
plain text (no HTML escaping) and strict: a missing variable is an error, not a blank.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

from contracts.local_time import TIME_ZONE

TEMPLATE_DIR = Path(__file__).parent / "templates"
LANGUAGES = ("km", "en")

STATUS_LABELS: dict[str, dict[str, str]] = {
    "submitted": {"en": "recorded", "km": "បានកត់ត្រា"},
    "validated": {"en": "checked by the commune", "km": "ឃុំបានពិនិត្យរួច"},
    "prioritised": {"en": "chosen as a priority", "km": "ត្រូវបានជ្រើសជាអាទិភាព"},
    "in_cip": {"en": "in the commune investment plan", "km": "ស្ថិតក្នុងកម្មវិធីវិនិយោគឃុំ"},
    "funded": {"en": "funded", "km": "ទទួលបានថវិកា"},
    "partly_funded": {"en": "partly funded", "km": "ទទួលបានថវិកាមួយផ្នែក"},
    "deferred": {"en": "deferred to a later year", "km": "ពន្យារទៅឆ្នាំក្រោយ"},
    "rejected": {"en": "not accepted", "km": "មិនត្រូវបានទទួលយក"},
    "in_implementation": {"en": "work has started", "km": "កំពុងអនុវត្ត"},
    "completed": {"en": "completed", "km": "បានបញ្ចប់"},
    "verified": {"en": "verified by citizens", "km": "ប្រជាពលរដ្ឋបានផ្ទៀងផ្ទាត់"},
    "merged": {"en": "joined with a similar need", "km": "បានបញ្ចូលជាមួយតម្រូវការស្រដៀងគ្នា"},
    "referred": {"en": "sent on to the authority in charge", "km": "បានបញ្ជូនទៅអាជ្ញាធរដែលទទួលខុសត្រូវ"},
}
KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")
MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "km": ("មករា", "កុម្ភៈ", "មីនា", "មេសា", "ឧសភា", "មិថុនា", "កក្កដា", "សីហា", "កញ្ញា", "តុលា", "វិច្ឆិកា", "ធ្នូ"),
}
WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "km": ("ច័ន្ទ", "អង្គារ", "ពុធ", "ព្រហស្បតិ៍", "សុក្រ", "សៅរ៍", "អាទិត្យ"),
}
MEETING_TYPES: dict[str, dict[str, str]] = {
    "village_needs": {"en": "village needs meeting", "km": "កិច្ចប្រជុំតម្រូវការភូមិ"},
    "commune_prioritisation": {"en": "commune priorities meeting", "km": "កិច្ចប្រជុំកំណត់អាទិភាពឃុំ"},
    "cip_approval": {"en": "CIP approval meeting", "km": "កិច្ចប្រជុំអនុម័តកម្មវិធីវិនិយោគឃុំ"},
    "district_integration_workshop": {
        "en": "district integration workshop",
        "km": "សិក្ខាសាលាសមាហរណកម្មស្រុក",
    },
    "budget_disclosure": {"en": "budget disclosure meeting", "km": "កិច្ចប្រជុំផ្សព្វផ្សាយថវិកា"},
    "isaf_interface": {"en": "ISAF interface meeting", "km": "កិច្ចប្រជុំអន្តរមុខ ISAF"},
    "council_monthly": {"en": "monthly council meeting", "km": "កិច្ចប្រជុំប្រចាំខែក្រុមប្រឹក្សា"},
}
PUSH_TITLE = {"km": "ឃុំ", "en": "Khum"}


@dataclass(frozen=True)
class Rendered:
    text: str
    subject: str | None = None


class TemplateMissingError(LookupError):
    pass


def status_label(status: str | None, lang: str) -> str:
    if status is None:
        return ""
    return STATUS_LABELS.get(status, {}).get(lang, status.replace("_", " "))


def khmer_digits(value: object) -> str:
    return str(value).translate(KHMER_DIGITS)


def riel(amount: int, lang: str) -> str:
    """Whole riel with thousands separators, in Khmer digits for Khmer: ``១២,៥០០,០០០ រៀល``."""
    grouped = f"{int(amount):,}"
    return f"{khmer_digits(grouped)} រៀល" if lang == "km" else f"{grouped} riel"


def month_name(value: str | int, lang: str) -> str:
    """``2027-06`` -> ``June 2027`` / ``ខែមិថុនា ឆ្នាំ២០២៧``; a bare year stays a year
    (``ឆ្នាំ២០២៧`` in Khmer)."""
    text = str(value)
    year, _, month = text.partition("-")
    if lang != "km":
        return f"{MONTHS['en'][int(month[:2]) - 1]} {year}" if month else year
    if not month:
        return f"ឆ្នាំ{khmer_digits(year)}"
    return f"ខែ{MONTHS['km'][int(month[:2]) - 1]} ឆ្នាំ{khmer_digits(year)}"


def number(value: int, lang: str) -> str:
    return khmer_digits(value) if lang == "km" else str(value)


def spell(code: str) -> str:
    """A tracking code read aloud letter by letter: ``ABCD-EFG`` -> ``A B C D - E F G``."""
    return " ".join(code)


def local_time(value: datetime | str, fmt: str = "%d/%m/%Y %H:%M") -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(ZoneInfo(TIME_ZONE)).strftime(fmt)


def _local(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(ZoneInfo(TIME_ZONE))


def long_date(value: datetime | str, lang: str) -> str:
    """``ថ្ងៃអាទិត្យ ទី១៤ ខែមីនា ឆ្នាំ២០២៧`` / ``Sunday 14 March 2027``, Phnom Penh's day."""
    day = _local(value)
    if lang == "km":
        weekday, month = WEEKDAYS["km"][day.weekday()], MONTHS["km"][day.month - 1]
        return f"ថ្ងៃ{weekday} ទី{khmer_digits(day.day)} ខែ{month} ឆ្នាំ{khmer_digits(day.year)}"
    return f"{WEEKDAYS['en'][day.weekday()]} {day.day} {MONTHS['en'][day.month - 1]} {day.year}"


def clock(value: datetime | str, lang: str) -> str:
    """``០៨:០០`` / ``08:00``, Phnom Penh time."""
    text = _local(value).strftime("%H:%M")
    return khmer_digits(text) if lang == "km" else text


def meeting_type(value: str | None, lang: str) -> str:
    if value is None:
        return "កិច្ចប្រជុំ" if lang == "km" else "meeting"
    return MEETING_TYPES.get(value, {}).get(lang, value.replace("_", " "))


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=False,  # noqa: S701 - plain-text messages (SMS, Telegram, e-mail), never HTML
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )
    env.filters["status_label"] = status_label
    env.filters["khmer_digits"] = khmer_digits
    env.filters["spell"] = spell
    env.filters["local_time"] = local_time
    env.filters["riel"] = riel
    env.filters["month_name"] = month_name
    env.filters["number"] = number
    env.filters["long_date"] = long_date
    env.filters["clock"] = clock
    env.filters["meeting_type"] = meeting_type
    return env


def template_names(kind: str, channel: str, lang: str) -> tuple[str, str]:
    return f"{kind}/{channel}.{lang}.txt", f"{kind}/default.{lang}.txt"


def render(kind: str, channel: str, lang: str, context: Mapping[str, Any]) -> Rendered:
    if lang not in LANGUAGES:
        lang = "km"
    try:
        template = environment().select_template(list(template_names(kind, channel, lang)))
    except TemplateNotFound as exc:
        raise TemplateMissingError(f"no template for {kind} on {channel} in {lang}") from exc
    # ``brief``: the template's shorter wording, asked for when it saves an SMS part.
    text = template.render({"brief": False, **context, "lang": lang, "channel": channel}).strip()
    text = "\n".join(line.rstrip() for line in text.splitlines())
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    if channel == "email":
        first, _, body = text.partition("\n")
        if first.lower().startswith("subject:"):
            return Rendered(body.strip(), first.split(":", 1)[1].strip())
    return Rendered(text)


def render_all(kind: str, channel: str, context: Mapping[str, Any]) -> dict[str, str]:
    """Every language at once, for the in-app inbox (each reader picks theirs)."""
    return {lang: render(kind, channel, lang, context).text for lang in LANGUAGES}
