"""The standard questions about who raised a need, shared by intake and the PWA: the Washington
Group short set, Cambodia's indigenous peoples, sex. Pure: vocabularies and the rules that read answers.

Why standard questions: Cambodia's surveys (the census, the CSES) and disability organisations
ask the Washington Group short set, so a commune's counts can be set beside theirs; a free-text
indigenous group splits one people into spellings ("Tampuan", "tampuan", "Tompuon") and hides
them from every aggregate.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from enum import StrEnum


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"


class AgeBand(StrEnum):
    YOUTH = "youth"
    ADULT = "adult"
    ELDERLY = "elderly"


class Severity(StrEnum):
    """Deprecated: the severity asked before the Washington Group questions (SEVERITY_TO_WG)."""

    MILD = "mild"
    MEDIUM = "medium"
    SEVERE = "severe"


class MigrantStatus(StrEnum):
    ABROAD = "working_abroad"
    ELSEWHERE = "working_elsewhere_in_cambodia"
    RETURNED = "returned"
    NOT_MIGRANT = "not_migrant"


class ConsentMethod(StrEnum):
    VERBAL = "verbal"
    SIGNED = "signed"
    IN_APP = "in_app"


class Group(StrEnum):
    """The groups every aggregate is disaggregated by."""

    WOMEN = "women"
    YOUTH = "youth"
    ELDERLY = "elderly"
    DISABILITY = "disability"
    IDPOOR = "idpoor"
    INDIGENOUS = "indigenous"
    MIGRANT = "migrant"


class WgDomain(StrEnum):
    """The six domains of the Washington Group short set (WG-SS)."""

    SEEING = "seeing"
    HEARING = "hearing"
    WALKING = "walking"
    REMEMBERING = "remembering"  # remembering or concentrating
    SELF_CARE = "self_care"
    COMMUNICATING = "communicating"


class WgAnswer(StrEnum):
    """The four answers of each WG-SS question, from none to the most difficulty."""

    NO_DIFFICULTY = "no_difficulty"
    SOME_DIFFICULTY = "some_difficulty"
    A_LOT_OF_DIFFICULTY = "a_lot_of_difficulty"
    CANNOT_DO_AT_ALL = "cannot_do_at_all"


# The WG's recommended cut-off: "a lot of difficulty" or "cannot do at all" in at least one domain.
WG_CUT_OFF = frozenset({WgAnswer.A_LOT_OF_DIFFICULTY, WgAnswer.CANNOT_DO_AT_ALL})

# Records from before the WG questions kept a severity with no domain. The mapping, stated once
# (the store migration and the deprecated ``disability`` input both use it): severe and medium
# meet the cut-off; mild is "some difficulty" in one domain, which alone says nothing about the
# cut-off, so such a person's disability status is unknown, never "no".
SEVERITY_TO_WG: dict[str, WgAnswer] = {
    "severe": WgAnswer.CANNOT_DO_AT_ALL,
    "medium": WgAnswer.A_LOT_OF_DIFFICULTY,
    "mild": WgAnswer.SOME_DIFFICULTY,
}


def wg_disability(answers: Mapping[str, str] | None, any_domain: str | None = None) -> bool | None:
    """True when an answer meets the cut-off; False only when all six domains were answered
    below it; None (unknown) otherwise. ``any_domain`` is an answer whose domain was not kept
    (records from before the WG questions)."""
    given = {WgDomain(d): WgAnswer(a) for d, a in (answers or {}).items()}
    if any(a in WG_CUT_OFF for a in given.values()):
        return True
    if any_domain is not None and WgAnswer(any_domain) in WG_CUT_OFF:
        return True
    if len(given) == len(WgDomain):
        return False
    return None


# Cambodia's indigenous peoples (the Ministry of Rural Development's list, as recognised for
# communal land titling), each with its English name, its Khmer name and the other spellings met
# in registers and earlier records. "none" (not indigenous) and "other" (kept with its text) close it.
INDIGENOUS_PEOPLES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("bunong", "Bunong", "ព្នង", ("phnong", "pnong", "bunong", "punong", "mnong")),
    ("kuy", "Kuy", "កួយ", ("kuoy", "kui", "kouy")),
    ("jarai", "Jarai", "ចារ៉ាយ", ("charay", "jorai", "jarai")),
    ("tampuan", "Tampuan", "ទំពួន", ("tompuon", "tampuon", "tumpoun", "tampuen", "tompuan")),
    ("kreung", "Kreung", "គ្រឹង", ("kroeung", "krung", "kreng")),
    ("brao", "Brao", "ប្រៅ", ("prov", "brou", "brau", "lave")),
    ("kavet", "Kavet", "កាវ៉ែត", ("kavaet", "kravet", "kraveat")),
    ("stieng", "Stieng", "ស្ទៀង", ("steang", "xtieng")),
    ("por", "Por (Pear)", "ព័រ", ("pear", "poar", "porr")),
    ("kachok", "Kachok", "កាចក់", ("kachak", "kachoc")),
    ("lun", "Lun", "លុន", ("lunn",)),
    ("saoch", "Saoch", "សួច", ("sa'och", "sauch", "saouch")),
    ("suoy", "Suoy", "ស្អូយ", ("souy", "suoi")),
    ("chong", "Chong", "ចុង", ("chorng", "chaong")),
    ("samre", "Samre", "សំរែ", ("samrae", "samray")),
    ("khmer_khe", "Khmer Khe", "ខ្មែរខេ", ("khmer kheh", "khe")),
    ("mil", "Mil", "មិល", ("mel", "mel'")),
    ("thmon", "Thmon", "ថ្មូន", ("thmoun", "thmorn")),
    ("lamam", "Lamam", "ល្មម", ("lmoam", "lamaam")),
    ("rade", "Rade", "រ៉ាដែ", ("rhade", "ede", "radeh")),
    ("kraol", "Kraol", "ក្រោល", ("krol", "kroal")),
    ("khaonh", "Khaonh", "ខោញ", ("khonh", "khaonh")),
)
INDIGENOUS_NONE = "none"
INDIGENOUS_OTHER = "other"
INDIGENOUS_CODES = frozenset(code for code, *_ in INDIGENOUS_PEOPLES) | {INDIGENOUS_NONE, INDIGENOUS_OTHER}

# Answers that mean "not indigenous", in both languages.
_NONE_WORDS = frozenset({"none", "no", "not indigenous", "khmer", "មិនមែន", "គ្មាន", "ទេ", "ខ្មែរ"})
_OTHER_WORDS = frozenset({"other", "ផ្សេងទៀត", "ផ្សេង"})


def _key(text: str) -> str:
    """Case, accents, spacing, hyphens and the Khmer word for "ethnic group" left out."""
    folded = unicodedata.normalize("NFC", text).strip().casefold()
    folded = folded.removeprefix("ជនជាតិ").removeprefix("ethnic").strip()
    # Latin accents only (U+0300-U+036F): Khmer vowel signs are combining marks too, and they matter.
    folded = unicodedata.normalize("NFD", folded)
    folded = unicodedata.normalize("NFC", re.sub(r"[\u0300-\u036f]", "", folded))
    folded = re.sub(r"[\s\-_.]+", " ", folded).strip()
    return folded


_LOOKUP: dict[str, str] = {}
for _code, _en, _km, _aliases in INDIGENOUS_PEOPLES:
    for _name in (_code, _en, _km, *_aliases):
        _LOOKUP[_key(_name)] = _code
    _LOOKUP[_key(_code.replace("_", " "))] = _code
_LOOKUP[_key("pear")] = "por"


def normalise_indigenous(text: str | None) -> tuple[str | None, str | None]:
    """An answer about the indigenous group as (code, text kept for "other").

    (None, None) for no answer; a listed people by any of its names, in Khmer or Latin letters,
    whatever the case or spacing; "none" for "not indigenous"; anything else is "other" with
    the words as given, so they are never lost.
    """
    if text is None or not text.strip():
        return None, None
    key = _key(text)
    if key in _LOOKUP:
        return _LOOKUP[key], None
    if key in _NONE_WORDS:
        return INDIGENOUS_NONE, None
    if key in _OTHER_WORDS:
        return INDIGENOUS_OTHER, None
    return INDIGENOUS_OTHER, " ".join(text.split())
