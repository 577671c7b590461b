"""What a citizen's SMS or Telegram message asks for: a command (STOP, START, STATUS <code>,
JOIN, HELP, LANG, COME <meeting code>) or, when it is none of these, a message for the commune (a need).

A keyword counts only when it is the whole message (``STOP``, not "stop the flooding"), as
carriers do, so that a need is never mistaken for an opt-out. Keywords work in Khmer too, and
Telegram's ``/command@bot`` form is understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class CommandName(StrEnum):
    STOP = "stop"
    START = "start"
    STATUS = "status"
    JOIN = "join"
    HELP = "help"
    LANG = "lang"
    COME = "come"


KEYWORDS: dict[str, CommandName] = {
    "STOP": CommandName.STOP,
    "STOPALL": CommandName.STOP,
    "UNSUBSCRIBE": CommandName.STOP,
    "CANCEL": CommandName.STOP,
    "QUIT": CommandName.STOP,
    "ឈប់": CommandName.STOP,
    "START": CommandName.START,
    "UNSTOP": CommandName.START,
    "ចាប់ផ្តើម": CommandName.START,
    "ចាប់ផ្ដើម": CommandName.START,
    "STATUS": CommandName.STATUS,
    "ស្ថានភាព": CommandName.STATUS,
    "JOIN": CommandName.JOIN,
    "SUBSCRIBE": CommandName.JOIN,
    "ចូលរួម": CommandName.JOIN,
    "HELP": CommandName.HELP,
    "INFO": CommandName.HELP,
    "ជំនួយ": CommandName.HELP,
    "LANG": CommandName.LANG,
    "COME": CommandName.COME,
    "មក": CommandName.COME,
}
LANGUAGE_WORDS = {"EN": "en", "ENGLISH": "en", "KM": "km", "KHMER": "km", "ខ្មែរ": "km"}

TRACKING_CODE = re.compile(r"^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{3}$")
_CODE_ATTEMPT = re.compile(r"^[A-Z0-9]{4}-?[A-Z0-9]{3}$")
_TRAILING = re.compile(r"[\s.!?។៕,;:]+$")
_COMMUNE = re.compile(r"^\d{6}$")
MEETING_CODE = re.compile(r"^[A-HJKMNP-Z]{6}$")


@dataclass(frozen=True)
class Command:
    name: CommandName
    argument: str | None = None


def normalise_tracking_code(raw: str) -> str:
    """``abcd efg`` or ``ABCDEFG`` -> ``ABCD-EFG`` (validity is checked separately)."""
    compact = re.sub(r"[\s\-]", "", raw).upper()
    return f"{compact[:4]}-{compact[4:]}" if len(compact) == 7 else compact


def is_tracking_code(code: str) -> bool:
    return bool(TRACKING_CODE.match(code))


def parse_command(text: str) -> Command | None:
    cleaned = _TRAILING.sub("", " ".join(text.split()))
    if not cleaned:
        return None
    first, _, rest = cleaned.partition(" ")
    telegram = first.startswith("/")
    word = first[1:].split("@", 1)[0] if telegram else first
    name = KEYWORDS.get(word.upper())
    if telegram and word.lower() in CommandName.__members__.values():
        name = CommandName(word.lower())
    if name is None:
        language = LANGUAGE_WORDS.get(cleaned.upper())
        return Command(CommandName.LANG, language) if language else None
    rest = rest.strip()
    if name is CommandName.STATUS:
        return _status(rest)
    if name is CommandName.COME:
        return _come(rest)
    if name is CommandName.LANG:
        language = LANGUAGE_WORDS.get(rest.upper())
        return Command(name, language) if language else None
    if name in (CommandName.START, CommandName.JOIN):
        if not rest:
            return Command(name)
        return Command(name, rest) if _COMMUNE.match(rest) else None
    # STOP and HELP stand alone; with more words the message is about something else.
    return None if rest else Command(name)


def _status(rest: str) -> Command | None:
    if not rest:
        return Command(CommandName.STATUS)
    attempt = re.sub(r"\s", "", rest).upper()
    if not _CODE_ATTEMPT.match(attempt):
        return None  # "status of the road is bad": a message, not a command
    return Command(CommandName.STATUS, normalise_tracking_code(attempt))


def _come(rest: str) -> Command | None:
    """``COME KMTRPA``, ``មក KMTRPA``, ``/come kmt rpa``: a meeting's code (see meetings'
    ``meeting_code``). Anything else after the word is a message, not a command."""
    if not rest:
        return Command(CommandName.COME)
    code = re.sub(r"[\s\-]", "", rest).upper()
    return Command(CommandName.COME, code) if MEETING_CODE.match(code) else None
