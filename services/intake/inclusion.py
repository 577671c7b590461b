"""Who raised a need and who supports it: inclusion attributes, consent, and group counts.

Individual attributes (sex, age band, disability, IDPoor level, indigenous group, migrant
status), names and contact points are kept only with recorded consent. Without consent only
non-identifying group counts are kept. Aggregates shown outside the commune's council roles
hide small counts ("<5"), so nobody can be singled out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from contracts.needs import ContactPoint
from contracts.privacy import SMALL_COUNT, SUPPRESSED
from services.runtime.errors import DomainError

__all__ = ["SMALL_COUNT", "SUPPRESSED"]


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


class AgeBand(StrEnum):
    YOUTH = "youth"
    ADULT = "adult"
    ELDERLY = "elderly"


class Severity(StrEnum):
    MILD = "mild"
    MEDIUM = "medium"
    SEVERE = "severe"


class MigrantStatus(StrEnum):
    ABROAD = "working_abroad"
    ELSEWHERE = "working_elsewhere_in_cambodia"
    RETURNED = "returned"


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


@dataclass(frozen=True)
class Attributes:
    sex: Sex | None = None
    age_band: AgeBand | None = None
    disability: Severity | None = None
    idpoor_level: int | None = None
    indigenous_group: str | None = None
    migrant_status: MigrantStatus | None = None

    def is_empty(self) -> bool:
        return all(value is None for value in asdict(self).values())


@dataclass(frozen=True)
class Consent:
    method: ConsentMethod
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class Counts:
    """Non-identifying counts of people; every group count is at most ``people``."""

    people: int = 1
    groups: dict[str, int] = field(default_factory=dict)

    def plus(self, other: Counts) -> Counts:
        merged = dict(self.groups)
        for name, n in other.groups.items():
            merged[name] = merged.get(name, 0) + n
        return Counts(self.people + other.people, merged)


@dataclass(frozen=True)
class Person:
    """Who raised or supports a need: one person, or a group of ``counts.people``."""

    kind: str  # "person" | "group"
    counts: Counts
    name: str | None = None
    attributes: Attributes | None = None
    consent: Consent | None = None
    contact: ContactPoint | None = None


class InclusionError(DomainError):
    pass


def _consent_missing(field_name: str) -> InclusionError:
    return InclusionError(
        "need.consent_missing",
        "Personal details ({what}) can only be kept with the person's consent. "
        "Tick consent, or record group counts only.",
        "ព័ត៌មានផ្ទាល់ខ្លួន ({what}) អាចរក្សាទុកបាន លុះត្រាតែមានការយល់ព្រមពីម្ចាស់។ សូមគូសធីកការយល់ព្រម ឬកត់ត្រាតែចំនួនក្រុមប៉ុណ្ណោះ។",
        field=field_name,
        what=field_name,
    )


def counts_of(attributes: Attributes) -> dict[str, int]:
    """The groups one consenting person counts in."""
    groups: dict[str, int] = {}
    if attributes.sex is Sex.FEMALE:
        groups[Group.WOMEN] = 1
    if attributes.age_band is AgeBand.YOUTH:
        groups[Group.YOUTH] = 1
    if attributes.age_band is AgeBand.ELDERLY:
        groups[Group.ELDERLY] = 1
    if attributes.disability is not None:
        groups[Group.DISABILITY] = 1
    if attributes.idpoor_level is not None:
        groups[Group.IDPOOR] = 1
    if attributes.indigenous_group:
        groups[Group.INDIGENOUS] = 1
    if attributes.migrant_status is not None:
        groups[Group.MIGRANT] = 1
    return groups


def make_person(
    *,
    kind: str,
    name: str | None,
    attributes: Attributes | None,
    consent: Consent | None,
    contact: ContactPoint | None,
    people: int | None,
    group_counts: dict[str, int] | None,
    prefix: str,
) -> Person:
    """Apply the consent rules and derive the counts every aggregate uses."""
    if kind not in ("person", "group"):
        raise InclusionError(
            "need.raiser_kind_invalid",
            "Say whether one person or a group raised it.",
            "សូមបញ្ជាក់ថា ម្នាក់ ឬក្រុមមួយដែលបានលើកឡើង។",
            field=f"{prefix}.kind",
        )
    if attributes is not None and attributes.is_empty():
        attributes = None
    if attributes is not None and attributes.idpoor_level not in (None, 1, 2):
        raise InclusionError(
            "need.idpoor_level_invalid",
            "IDPoor level is 1 or 2.",
            "កម្រិតប័ណ្ណក្រីក្រគឺ ១ ឬ ២។",
            field=f"{prefix}.attributes.idpoorLevel",
        )
    if consent is None:
        for value, what in ((name, "name"), (attributes, "attributes"), (contact, "contact")):
            if value:
                raise _consent_missing(f"{prefix}.{what}")
    if kind == "person":
        if people not in (None, 1):
            raise InclusionError(
                "need.counts_invalid",
                "One person counts as 1; record a group for more people.",
                "មនុស្សម្នាក់រាប់ជា ១ ។ សូមកត់ត្រាជាក្រុម ប្រសិនបើមានច្រើននាក់។",
                field=f"{prefix}.people",
            )
        groups = counts_of(attributes) if attributes is not None else _checked_groups(group_counts, 1, prefix)
        return Person("person", Counts(1, groups), name, attributes, consent, contact)
    if attributes is not None or name:
        raise InclusionError(
            "need.group_attributes",
            "A group is recorded with counts, not with one person's details.",
            "ក្រុមត្រូវកត់ត្រាជាចំនួន មិនមែនជាព័ត៌មានរបស់មនុស្សម្នាក់ទេ។",
            field=f"{prefix}.attributes",
        )
    total = people or 0
    if total < 1 or total > 100_000:
        raise InclusionError(
            "need.counts_invalid",
            "A group has between 1 and 100,000 people.",
            "ក្រុមមួយមានពី ១ ដល់ ១០០,០០០ នាក់។",
            field=f"{prefix}.people",
        )
    return Person(
        "group", Counts(total, _checked_groups(group_counts, total, prefix)), None, None, consent, contact
    )


def _checked_groups(group_counts: dict[str, int] | None, people: int, prefix: str) -> dict[str, int]:
    groups: dict[str, int] = {}
    for name, n in (group_counts or {}).items():
        if name not in Group.__members__.values():
            raise InclusionError(
                "need.group_unknown",
                "Unknown group {group}.",
                "មិនស្គាល់ក្រុម {group}។",
                field=f"{prefix}.groups",
                group=name,
            )
        if n < 0 or n > people:
            raise InclusionError(
                "need.counts_invalid",
                "Group counts must be between 0 and the number of people ({people}).",
                "ចំនួនក្នុងក្រុមត្រូវនៅចន្លោះ ០ និងចំនួនមនុស្ស ({people})។",
                field=f"{prefix}.groups.{name}",
                people=people,
            )
        if n:
            groups[name] = n
    return groups


def person_to_doc(person: Person) -> dict[str, Any]:
    return {
        "kind": person.kind,
        "people": person.counts.people,
        "groups": dict(person.counts.groups),
        "name": person.name,
        "attributes": {k: v for k, v in asdict(person.attributes).items() if v is not None}
        if person.attributes
        else None,
        "consent": {
            "method": person.consent.method.value,
            "recorded_by": person.consent.recorded_by,
            "recorded_at": person.consent.recorded_at.isoformat(),
        }
        if person.consent
        else None,
        "contact": person.contact.model_dump(mode="json") if person.contact else None,
    }
