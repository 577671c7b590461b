"""Erasing a person's personal data on their request (POST /erasures, national administrators).

A citizen asks at the commune office; the national administrator carries it out, because it
reaches every commune and cannot be undone. The person is found by their contact points (phone,
Telegram chat id, e-mail), anywhere, and by their name on the needs whose tracking codes they
give. Intake erases, in one transaction: the name, individual attributes, consent record and
contact point of every matching raiser or supporter (their counts stay, so every aggregate is
unchanged), and every message draft they sent. It then publishes PersonErased, which carries
only digests, and every other service erases its own copies.

When intake sees its own PersonErased come back from the broker, every event committed before
it has been published: :class:`IntakeEraser` names the KHUM_NEEDS stream (the NeedSubmitted and
NeedSupported events that carried the person's contact get a clean copy) and the dead letters
to scrub, and the runtime prunes the outbox up to that event and scrubs them
(services/runtime/erasure_protocol.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from contracts.api.intake import ErasureDone
from contracts.envelope import new_event, uuid7
from contracts.needs import NEED_SUBMITTED, NEED_SUPPORTED, PERSON_ERASED, ContactChannel, PersonErasedV1
from contracts.subjects import NATIONAL, all_communes
from services.intake.domain import NeedError, group_flags
from services.intake.events import SOURCE
from services.intake.store import need_by_code
from services.intake.tracking import normalise_tracking_code
from services.runtime.consumer import ConsumerSpec
from services.runtime.contacts import InvalidAddressError
from services.runtime.erasure import DROP, KEEP, Digests, Scrubbed, Verdict
from services.runtime.erasure_protocol import PersonEraser, StreamScrub, erasure_consumer
from services.runtime.http import CallerDep
from services.runtime.identity import Identity, Role
from services.runtime.outbox import outbox_row
from services.runtime.service import Runtime, RuntimeDep
from services.runtime.stores import Collection, Transaction

log = logging.getLogger(__name__)

ERASURES = Collection("erasures")
"""What was erased, when and by whom: counts only, never who."""
ERASED_CONTACTS = Collection("erased_contacts")
"""Digest of an erased contact point -> when: a message the person sent before their erasure and
still on its way (notify publishes before it hears of the erasure) must not become a draft
again. Digests only, as in the PersonErased event itself."""
ERASURE_CONSUMER = "intake-erasures"

router = APIRouter(tags=["erasure"])


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: ContactChannel
    address: str = Field(min_length=1, max_length=200)


class ErasureIn(BaseModel):
    """Who to erase: their contact points, and/or their name on the needs they can point to."""

    model_config = ConfigDict(extra="forbid")

    contacts: list[ContactIn] = Field(default_factory=list, max_length=10)
    name: str | None = Field(default=None, max_length=200)
    tracking_codes: list[str] = Field(default_factory=list, max_length=50)


class ErasureError(NeedError):
    pass


def _require_national_admin(caller: Identity) -> None:
    if caller.role is not Role.NATIONAL_ADMIN:
        raise ErasureError(
            "erasure.forbidden",
            "Only a national administrator can erase a person's data.",
            "មានតែអ្នកគ្រប់គ្រងថ្នាក់ជាតិទេ ដែលអាចលុបទិន្នន័យរបស់បុគ្គលម្នាក់បាន។",
            status=403,
        )


def _nothing_to_find() -> ErasureError:
    return ErasureError(
        "erasure.nothing_to_find",
        "Give the person's phone number, Telegram chat id or e-mail, "
        "or their name with the tracking code of a need they raised.",
        "សូមផ្តល់លេខទូរស័ព្ទ លេខ Telegram ឬអ៊ីមែលរបស់បុគ្គលនោះ ឬឈ្មោះរបស់គាត់ ជាមួយលេខតាមដាននៃតម្រូវការដែលគាត់បានលើកឡើង។",
        status=422,
        field="contacts",
    )


def _is_person(entry: dict[str, Any], contacts: set[str], name: str | None, digests: Digests) -> bool:
    contact = entry.get("contact")
    if contact and digests.point(contact) in contacts:
        return True
    return bool(name and entry.get("name") and digests.name(entry["name"]) == name)


_COUNTED = ("kind", "people", "groups", "known", "added_by", "added_at", "merged_from")


def _erase_entry(entry: dict[str, Any], erasure_id: str, now: datetime) -> dict[str, Any]:
    """The same counts, nothing that says who."""
    kept: dict[str, Any] = {key: entry[key] for key in _COUNTED if key in entry}
    return {
        **kept,
        "name": None,
        "attributes": None,
        "consent": None,
        "contact": None,
        "erased": {"erasure_id": erasure_id, "at": now.isoformat()},
    }


async def _erase_in_need(
    tx: Transaction,
    doc: dict[str, Any],
    contacts: set[str],
    name: str | None,
    digests: Digests,
    erasure_id: str,
    now: datetime,
    found_contacts: set[str],
) -> int:
    """Erase the person's entries; the digests of their contact points go to ``found_contacts``
    (a person found by name may have left a phone number the request did not give)."""
    erased = 0
    lists: dict[str, list[dict[str, Any]]] = {}
    for key in ("raised_by", "supporters"):
        entries = []
        for entry in doc[key]:
            if _is_person(entry, contacts, name, digests):
                contact = entry.get("contact")
                digest = digests.point(contact) if contact else None
                if digest:
                    found_contacts.add(digest)
                entries.append(_erase_entry(entry, erasure_id, now))
                erased += 1
            else:
                entries.append(entry)
        lists[key] = entries
    if erased:
        after = {**doc, **lists}
        for flag in [k for k in after if k.startswith("g_")]:
            del after[flag]
        after.update(group_flags(lists["raised_by"] + lists["supporters"]))
        await tx.replace("needs", after, expected_version=doc["version"])
    return erased


@router.post("/erasures", status_code=201, response_model=ErasureDone)
async def erase_person(body: ErasureIn, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    """Erase one person's personal data here, then ask every service to do the same."""
    _require_national_admin(caller)
    digests = Digests(runtime.settings.identity_secret.get_secret_value())
    contacts: set[str] = set()
    for i, point in enumerate(body.contacts):
        digest = digests.contact(point.channel.value, point.address)
        if digest is None:
            raise InvalidAddressError(point.channel.value, field=f"contacts.{i}.address")
        contacts.add(digest)
    name = digests.name(body.name) if body.name else None
    codes = [normalise_tracking_code(code) for code in body.tracking_codes]
    if not contacts and not (name and codes):
        raise _nothing_to_find()
    named_needs = {(await need_by_code(runtime.store, code))["id"] for code in codes}

    erasure_id = uuid7()
    now = datetime.now(UTC)
    people = drafts = 0
    need_ids: list[str] = []
    communes: set[str] = set()
    found_contacts: set[str] = set()
    async with runtime.unit_of_work() as tx:
        # Read inside the write transaction: nothing can add the person half-way through.
        async for doc in runtime.store.iterate("needs", {}):
            named = name if doc["id"] in named_needs else None
            if not any(_is_person(e, contacts, named, digests) for e in doc["raised_by"] + doc["supporters"]):
                continue
            current = await tx.get("needs", doc["id"])
            n = (
                await _erase_in_need(tx, current, contacts, named, digests, erasure_id, now, found_contacts)
                if current
                else 0
            )
            if n:
                people += n
                need_ids.append(doc["id"])
                communes.add(doc["commune_code"])
        contacts |= found_contacts
        for digest in sorted(contacts):
            await tx.upsert("erased_contacts", {"id": digest, "at": now.isoformat()})
        async for draft in runtime.store.iterate("drafts", {}):
            sender = draft.get("sender") or {}
            if sender and digests.point(sender) in contacts:
                await tx.delete("drafts", draft["id"])
                drafts += 1
        record = {
            "id": erasure_id,
            "requested_by": caller.user_id,
            "at": now.isoformat(),
            "people": people,
            "needs": len(need_ids),
            "drafts": drafts,
        }
        await tx.insert("erasures", record)
        event = PersonErasedV1(
            erasure_id=erasure_id,
            contact_digests=sorted(contacts),
            name_digests=[name] if name else [],
            need_ids=need_ids,
            commune_codes=sorted(communes),
            requested_by=caller.user_id,
            erased_at=now,
        )
        await tx.add_outbox(
            outbox_row(
                new_event(
                    event, event_type=PERSON_ERASED, source=SOURCE, communecode=NATIONAL, subject=erasure_id
                )
            )
        )
    await runtime.store.forget_deleted()
    log.info("erasure %s: %d entries on %d needs, %d drafts", erasure_id, people, len(need_ids), drafts)
    return {"erasureId": erasure_id, "people": people, "needs": len(need_ids), "drafts": drafts}


def _clean_event(data: bytes, contacts: set[str], digests: Digests) -> Verdict:
    """A NeedSubmitted or NeedSupported without the erased person's contact points."""
    try:
        envelope = json.loads(data)
        payload = envelope["data"]
        listed = payload.get("contacts") or []
    except (ValueError, KeyError, TypeError, AttributeError):
        return KEEP
    kept = [c for c in listed if not (isinstance(c, dict) and digests.point(c) in contacts)]
    if len(kept) == len(listed):
        return KEEP
    envelope["data"] = {**payload, "contacts": kept}
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


def _dead_letter_verdict(data: bytes, contacts: set[str], digests: Digests) -> Verdict:
    """A dead letter that names the person goes; one that cannot be read is kept for operators."""
    cleaned = _clean_event(data, contacts, digests)
    return DROP if isinstance(cleaned, bytes) else KEEP


async def erased_before(
    tx: Transaction, digests: Digests, channel: str, address: str, when: datetime
) -> bool:
    """Whether this contact point was erased after ``when`` (so what it sent then must go)."""
    digest = digests.contact(channel, address)
    erased = await tx.get("erased_contacts", digest) if digest else None
    return erased is not None and datetime.fromisoformat(erased["at"]) >= when


class IntakeEraser(PersonEraser[None]):
    """Intake's part when its own PersonErased comes back: the store was erased by the request,
    in the transaction that wrote the event, so what is left is the streams. Every event
    committed before it has been published by then, so the runtime's outbox prune removes them
    all (``through`` the erasure's own event)."""

    consumer = ERASURE_CONSUMER

    def __init__(self, runtime: Runtime) -> None:
        self.digests = Digests(runtime.settings.identity_secret.get_secret_value())

    async def find(self, erased: PersonErasedV1) -> None:
        """Nothing left in the store: :func:`erase_person` erased it before publishing."""

    async def erase_stored(self, tx: Transaction, erased: PersonErasedV1, found: None) -> None:
        """Done by :func:`erase_person`, in the transaction that wrote this event."""

    async def remove_files(self, erased: PersonErasedV1, found: None) -> None:
        """Intake keeps no files."""

    async def streams(self, erased: PersonErasedV1, found: None) -> Sequence[StreamScrub]:
        """NeedSubmitted and NeedSupported carried the person's contact points; dead letters of
        needs events may too."""
        contacts = set(erased.contact_digests)
        if not contacts:
            return ()
        digests = self.digests
        return (
            StreamScrub(
                "KHUM_NEEDS",
                (all_communes(NEED_SUBMITTED), all_communes(NEED_SUPPORTED)),
                lambda _subject, data: _clean_event(data, contacts, digests),
            ),
            StreamScrub(
                "KHUM_DLQ",
                ("khum.dlq.*.khum.needs.>",),
                lambda _subject, data: _dead_letter_verdict(data, contacts, digests),
            ),
        )

    async def finish(
        self, tx: Transaction, erased: PersonErasedV1, found: None, scrubbed: Mapping[str, Scrubbed]
    ) -> None:
        """The ``erasures`` record was written by the request; the inbox mark is enough."""


def consumers(runtime: Runtime) -> list[ConsumerSpec]:
    return [erasure_consumer(runtime, IntakeEraser(runtime))]
