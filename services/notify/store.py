"""Notify's collections on the storage port.

Citizens' personal data: ``contacts`` (phone numbers, chat ids, e-mail addresses), and
wherever a contact's id (``<channel>:<address>``) is written: ``subscriptions``,
``inbound_messages`` (with the person's own text), ``needs`` (who to tell), ``deliveries`` (the
target, the dedup key, a masked address, the text sent), ``meeting_people`` (who was told of a
meeting or said they will come) and, through the provider's message id, ``pending_receipts``.
Staff's phones are in ``push_endpoints``. ``services/notify/erasure.py`` erases a person from
all of them when intake publishes PersonErased.
"""

from __future__ import annotations

from services.runtime.stores import Collection

NOTIFICATIONS = Collection("notifications", unique=("dedup_key",), indexes=("audience",))
READS = Collection("reads")
"""Who read which in-app notification: id ``<user id>|<notification id>``."""
DELIVERIES = Collection(
    "deliveries",
    unique=("dedup_key", "provider_id"),
    indexes=("status", "commune_code", "channel", "ref", "target"),
)
CONTACTS = Collection("contacts")
"""A citizen's contact point: id ``<channel>:<address>``, with language, consent and opt-out."""
NEEDS = Collection("needs", unique=("tracking_code",), indexes=("commune_code",))
"""Notify's copy of each need: status, reason, and the contacts of the people who raised it."""
PUSH_ENDPOINTS = Collection("push_endpoints", indexes=("user_id",))
"""A phone's Web Push subscription (endpoint, keys, owner, language): id = hash of the endpoint."""
PUSH_SUBSCRIPTIONS = Collection("push_subscriptions", indexes=("audience", "endpoint_hash"))
"""Which audiences each push endpoint listens to: one small document per (endpoint, audience)."""
SUBSCRIPTIONS = Collection("subscriptions", indexes=("commune_code", "contact_id"))
"""A citizen's subscription to a commune's news (meetings, budget): id ``<contact>|<commune>``."""
LOUDSPEAKER = Collection("loudspeaker_scripts", indexes=("village_code", "commune_code", "status"))
INBOUND = Collection("inbound_messages", unique=("provider_key",), indexes=("commune_code", "contact_id"))
PENDING_RECEIPTS = Collection("pending_receipts")
"""Delivery receipts that came before the send's own answer was committed (id: provider id)."""
ERASURES = Collection("erasures")
"""Each PersonErased notify carried out (id: intake's erasure id): counts and times, never who."""
PROJECTS = Collection("projects", indexes=("commune_code",))
"""Budget's CIP projects as notify needs them for messages: title, riel allocated, year, stage."""
DIGEST_ITEMS = Collection("digest_items", indexes=("facilitator", "digested"))
"""Outcomes for needs nobody gave a contact for, waiting for their facilitator's daily digest."""

MEETINGS = Collection("meetings", indexes=("code", "commune_code"))
"""Notify's copy of each announced meeting: what its messages say (type, title, code, place, time)."""
MEETING_PEOPLE = Collection("meeting_people", indexes=("meeting_id", "contact_id"))
"""Who was told of a meeting or said they will come: id ``<meeting>|<contact>``, to tell them
again when it moves."""

COLLECTIONS = (
    NOTIFICATIONS,
    READS,
    DELIVERIES,
    CONTACTS,
    NEEDS,
    PUSH_ENDPOINTS,
    PUSH_SUBSCRIPTIONS,
    SUBSCRIPTIONS,
    LOUDSPEAKER,
    INBOUND,
    PENDING_RECEIPTS,
    ERASURES,
    PROJECTS,
    DIGEST_ITEMS,
    MEETINGS,
    MEETING_PEOPLE,
)
