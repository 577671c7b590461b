"""Subject and stream names. Subjects: ``khum.<context>.<Event>.v<N>.<communecode>``.

The commune code comes last so that consumers, GraphQL subscriptions and integrator scopes
can filter by commune with a plain wildcard, and a cluster can partition by it.
"""

from __future__ import annotations

from dataclasses import dataclass

CONTEXTS = ("needs", "meetings", "budget", "notify")

NATIONAL = "000000"
"""The partition of events that concern every commune (no commune has this code)."""


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    description: str


STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec("KHUM_NEEDS", ("khum.needs.>",), "Needs intake events"),
    StreamSpec("KHUM_MEETINGS", ("khum.meetings.>",), "CIP meeting events"),
    StreamSpec("KHUM_BUDGET", ("khum.budget.>",), "Commune budget events"),
    StreamSpec("KHUM_NOTIFY", ("khum.notify.>",), "Notification events"),
    StreamSpec("KHUM_DLQ", ("khum.dlq.>",), "Dead letters: messages no consumer can ever handle"),
)

STREAM_BY_CONTEXT = {
    "needs": "KHUM_NEEDS",
    "meetings": "KHUM_MEETINGS",
    "budget": "KHUM_BUDGET",
    "notify": "KHUM_NOTIFY",
}


def event_type(context: str, event: str, version: int = 1) -> str:
    if context not in CONTEXTS:
        raise ValueError(f"unknown context {context!r}")
    return f"khum.{context}.{event}.v{version}"


def subject_for(event_type_name: str, communecode: str) -> str:
    return f"{event_type_name}.{communecode}"


def all_communes(event_type_name: str) -> str:
    """A filter subject for one event type in every commune."""
    return f"{event_type_name}.*"


def dead_letter_subject(consumer: str, original_subject: str) -> str:
    return f"khum.dlq.{consumer}.{original_subject}"
