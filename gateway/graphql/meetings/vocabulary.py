"""The meetings schema's shared words: its enums, constants and the privacy mask."""

from __future__ import annotations

import re
from typing import Any

import strawberry
from pydantic import BaseModel

from contracts.meetings import AgendaItemKind, DecisionKind, MeetingState, MeetingType
from contracts.meetings import RsvpResponse as RsvpResponse  # the schema's enum: decorated below
from contracts.privacy import SUPPRESSED

CURSOR_KIND = "meeting"
# Integrators' API tokens need this scope to change meetings (people need the page's CSRF token).
WRITE_SCOPE = "write:meetings"
MEETING_ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")
COMMUNE_CODE = re.compile(r"^\d{6}$")

strawberry.enum(
    MeetingType, description="The CIP meetings of a commune's year, and the council's monthly one."
)
strawberry.enum(
    MeetingState,
    description="planned -> announced -> rescheduled* -> held -> minutes published, or cancelled.",
)
strawberry.enum(AgendaItemKind, description="What an agenda item is about.")
strawberry.enum(DecisionKind, description="What a council decision is about.")
strawberry.enum(RsvpResponse, description="An answer to a meeting invitation, for a group of people.")


def pick(words: dict[str, str], lang: str) -> str:
    return words.get(lang) or words.get("km") or next(iter(words.values()), "")


HIDDEN = ' Null when fewer than 5 and you are not on the commune\'s council ("<5", contracts/privacy.py).'


def shown(counts: BaseModel) -> dict[str, Any]:
    """The service's "<5" (an Int field cannot carry it) becomes null."""
    return {k: None if v == SUPPRESSED else v for k, v in counts}
