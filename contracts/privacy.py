"""The privacy rule every service and the gateway apply to what they show (pure, no I/O).

Two rules, in one place so that no route can apply a weaker copy:

* **Small counts.** A count of people in a sensitive group (disability, IDPoor, indigenous,
  migrant) under 5 reads ``"<5"`` for anyone outside the commune's own council roles; zero
  included, so a zero cannot be told apart from a one. It applies to needs' group counts,
  meetings' attendance and RSVP counts, and every aggregate published.
* **Sensitive kinds of need.** A need about child protection, violence or the health of a
  named person shows the public only its category, never its text: a description of such a
  need names or describes a person who can be recognised in a village.

"Council" means the commune's council roles (``Identity.is_council_of``); province and
national admins and integrators see aggregates like the public.
"""

from __future__ import annotations

from collections.abc import Mapping

SMALL_COUNT = 5
SUPPRESSED = "<5"
SENSITIVE_GROUPS = ("disability", "idpoor", "indigenous", "migrant")

# Need types (intake's NEED_TYPES) whose text is never public.
SENSITIVE_NEED_TYPES = frozenset({"child_protection", "domestic_violence", "personal_health"})


def suppress(count: int, *, council: bool) -> int | str:
    """A count as the caller may see it: itself for the council or from 5 up, else "<5"."""
    if council or count >= SMALL_COUNT:
        return count
    return SUPPRESSED


def suppress_groups(counts: Mapping[str, int], *, council: bool) -> dict[str, int | str]:
    """Counts keyed by field: the sensitive groups' counts suppressed, the others as they are."""
    return {
        name: suppress(count, council=council) if name in SENSITIVE_GROUPS else count
        for name, count in counts.items()
    }


def is_sensitive(need_type: str | None) -> bool:
    return need_type in SENSITIVE_NEED_TYPES


def public_description(need_type: str | None, description: str | None) -> str | None:
    """The text the public may see of a need: None (category only) for the sensitive kinds."""
    return None if is_sensitive(need_type) else description
