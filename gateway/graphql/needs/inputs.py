"""What callers send to record a need, or to make a citizen's message one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from contracts.api.intake import AttributesIn, PersonIn
from contracts.needs import ContactPoint
from gateway.graphql.ids import KEY_FORMAT
from gateway.graphql.needs.vocabulary import Sector

WG_ANSWERS = "no_difficulty, some_difficulty, a_lot_of_difficulty or cannot_do_at_all"


@strawberry.input(
    description="Who raised or supports a need. Name, attributes and contact need consent. Leave out "
    'what was not asked: it counts as unknown, never as "no". Disability is the Washington Group '
    "short set (wgSeeing ... wgCommunicating, each: " + WG_ANSWERS + '); "a lot of difficulty" or '
    '"cannot do at all" in any of them counts as a disability.'
)
class PersonInput:
    kind: str = strawberry.field(default="person", description="person or group")
    name: str | None = None
    sex: str | None = strawberry.field(
        default=None, description="female, male, other or prefer_not_to_say (leave out if not asked)"
    )
    age_band: str | None = strawberry.field(default=None, description="youth, adult or elderly")
    disability: str | None = strawberry.field(
        default=None,
        description="mild, medium or severe, if any",
        deprecation_reason="Use the Washington Group answers (wgSeeing ... wgCommunicating).",
    )
    idpoor_level: int | None = strawberry.field(
        default=None, description="1 or 2 if an IDPoor household, 0 if not (leave out if not asked)"
    )
    indigenous_group: str | None = strawberry.field(
        default=None,
        description="A people of indigenousPeoples (its code or any of its names, Khmer or Latin), "
        "none, or other (with indigenousOther); unlisted words are kept as other.",
    )
    indigenous_other: str | None = strawberry.field(
        default=None, description="The people's name when indigenousGroup is other."
    )
    migrant_status: str | None = strawberry.field(
        default=None,
        description="working_abroad, working_elsewhere_in_cambodia, returned or not_migrant "
        "(leave out if not asked)",
    )
    wg_seeing: str | None = strawberry.field(
        default=None,
        description="Washington Group: difficulty seeing, even if wearing glasses? " + WG_ANSWERS,
    )
    wg_hearing: str | None = strawberry.field(
        default=None,
        description="Washington Group: difficulty hearing, even if using a hearing aid? " + WG_ANSWERS,
    )
    wg_walking: str | None = strawberry.field(
        default=None, description="Washington Group: difficulty walking or climbing steps? " + WG_ANSWERS
    )
    wg_remembering: str | None = strawberry.field(
        default=None, description="Washington Group: difficulty remembering or concentrating? " + WG_ANSWERS
    )
    wg_self_care: str | None = strawberry.field(
        default=None,
        description="Washington Group: difficulty with self-care, such as washing or dressing? " + WG_ANSWERS,
    )
    wg_communicating: str | None = strawberry.field(
        default=None,
        description="Washington Group: difficulty communicating, in the usual language? " + WG_ANSWERS,
    )
    consent: str | None = strawberry.field(default=None, description="verbal, signed or in_app")
    contact_channel: str | None = strawberry.field(default=None, description="sms, telegram or email")
    contact_address: str | None = None
    contact_language: str = "km"
    people: int | None = strawberry.field(default=None, description="For a group: how many people")
    women: int | None = None
    youth: int | None = None
    elderly: int | None = None
    with_disability: int | None = None
    idpoor: int | None = None
    indigenous: int | None = None
    migrant: int | None = None

    def body(self) -> PersonIn:
        """Intake's request model, unchecked: intake refuses what is wrong, with its own codes."""
        wg = {
            "seeing": self.wg_seeing,
            "hearing": self.wg_hearing,
            "walking": self.wg_walking,
            "remembering": self.wg_remembering,
            "self_care": self.wg_self_care,
            "communicating": self.wg_communicating,
        }
        attributes = {
            "sex": self.sex,
            "age_band": self.age_band,
            "disability": self.disability,
            "idpoor_level": self.idpoor_level,
            "indigenous_group": self.indigenous_group,
            "indigenous_other": self.indigenous_other,
            "migrant_status": self.migrant_status,
            "wg": {k: v for k, v in wg.items() if v is not None} or None,
        }
        groups = {
            "women": self.women,
            "youth": self.youth,
            "elderly": self.elderly,
            "disability": self.with_disability,
            "idpoor": self.idpoor,
            "indigenous": self.indigenous,
            "migrant": self.migrant,
        }
        # The caller's words as typed (plain strings where intake names its vocabularies).
        contact: dict[str, Any] | None = None
        if self.contact_channel or self.contact_address:
            contact = {
                "channel": self.contact_channel,
                "address": self.contact_address,
                "language": self.contact_language,
            }
        given: dict[str, Any] = {k: v for k, v in attributes.items() if v is not None}
        person: dict[str, Any] = {
            "kind": self.kind,
            "name": self.name,
            "attributes": AttributesIn.model_construct(**given) if given else None,
            "consent": self.consent,
            "contact": ContactPoint.model_construct(**contact) if contact else None,
            "people": self.people,
            "groups": {k: v for k, v in groups.items() if v is not None} or None,
        }
        return PersonIn.model_construct(**person)


@strawberry.input(description="A need to record.")
class SubmitNeedInput:
    village_code: str = strawberry.field(description="Gazetteer code of the village (8 digits).")
    description: str = strawberry.field(description="What is needed (1 to 2,000 characters).")
    idempotency_key: str = strawberry.field(
        description="Made by the client once per need; a repeat returns the first need, never a second. "
        + KEY_FORMAT
    )
    sector: Sector | None = strawberry.field(default=None, description="CIP sector.")
    need_type: str | None = strawberry.field(default=None, description="Type within the sector.")
    beneficiaries: int | None = strawberry.field(default=None, description="Estimated beneficiaries.")
    channel: str = strawberry.field(default="village_meeting", description="How the need was collected.")
    collected_at: datetime | None = strawberry.field(
        default=None, description="When it was collected, if not now."
    )
    raised_by: PersonInput | None = strawberry.field(default=None, description="Who raised it.")
    tracking_code: str | None = strawberry.field(
        default=None,
        description="A code reserved for this account with reserveTrackingCodes (given to the citizen "
        "offline); the need gets exactly this code.",
    )


@strawberry.input(description="What a facilitator adds to a citizen's message to make it a need.")
class ConfirmNeedDraftInput:
    village_code: str
    idempotency_key: str = strawberry.field(description="Made by the client once per draft. " + KEY_FORMAT)
    description: str | None = strawberry.field(
        default=None, description="Edited text; the message if left out."
    )
    sector: Sector | None = None
    need_type: str | None = None
    raised_by: PersonInput | None = strawberry.field(
        default=None,
        description="Who raised it, as submitNeed records it (details only with consent). The "
        "sender's contact is added by Khum; without this the sender's groups are unknown.",
    )
