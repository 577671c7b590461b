"""Needs in GraphQL: record, validate, support, merge, follow. Intake holds data and rules.

Personal data (who raised a need, their attributes and contacts) reaches only the commune's
own council roles: intake decides that per call, and these types simply pass on what it sent.
One module per concept: ``need`` (the node), ``villages``, ``public`` (the tracking-code view),
``lists`` (pages, filter, statistics), ``drafts``, ``inputs``, and the root types in
``queries``, ``mutations`` and ``changes``.
"""

from __future__ import annotations

from gateway.graphql.needs.changes import NeedsSubscription
from gateway.graphql.needs.mutations import NeedsMutation
from gateway.graphql.needs.need import Need
from gateway.graphql.needs.populations import PopulationMutation, PopulationQuery
from gateway.graphql.needs.queries import NeedsQuery
from gateway.graphql.needs.triage import TriageMutation, TriageQuery

__all__ = ["MUTATIONS", "QUERIES", "SUBSCRIPTIONS", "Need"]

QUERIES: tuple[type, ...] = (NeedsQuery, TriageQuery, PopulationQuery)
MUTATIONS: tuple[type, ...] = (NeedsMutation, TriageMutation, PopulationMutation)
SUBSCRIPTIONS: tuple[type, ...] = (NeedsSubscription,)
