"""Meetings in GraphQL: schedule with suggestions, agendas from needs, announce, RSVPs,
attendance, decisions, minutes; the live ``meetingChanged`` feed. Meetings holds the data and
the rules; every resolver calls the typed client (gateway/clients/meetings.py) as the caller,
and a refusal reaches the caller as a coded error (gateway/graphql/errors.py).

One module per concept: ``vocabulary`` (enums, constants), ``parts`` and ``meeting`` (the
Meeting node), ``scheduling`` (slots, holidays, profiles), ``inputs``, ``calls`` (checks and
request parts made before a call), and the root types in ``queries``, ``mutations`` and
``changes``."""

from __future__ import annotations

from gateway.graphql.meetings.changes import MeetingsSubscription
from gateway.graphql.meetings.meeting import Meeting
from gateway.graphql.meetings.mutations import MeetingsMutation
from gateway.graphql.meetings.queries import MeetingsQuery

__all__ = ["MUTATIONS", "QUERIES", "SUBSCRIPTIONS", "Meeting"]

QUERIES: tuple[type, ...] = (MeetingsQuery,)
MUTATIONS: tuple[type, ...] = (MeetingsMutation,)
SUBSCRIPTIONS: tuple[type, ...] = (MeetingsSubscription,)
