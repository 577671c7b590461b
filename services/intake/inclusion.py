"""Who raised a need and who supports it: inclusion attributes, consent, and group counts.

Individual attributes (sex, age band, disability, IDPoor level, indigenous group, migrant
status), names and contact points are kept only with recorded consent. Without consent only
non-identifying group counts are kept. Aggregates shown outside the commune's council roles
hide small counts ("<5"), so nobody can be singled out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from contracts.inclusion import (
    INDIGENOUS_NONE,
    INDIGENOUS_OTHER,
    SEVERITY_TO_WG,
    AgeBand,
    ConsentMethod,
    Group,
    MigrantStatus,
    Severity,
    Sex,
    WgAnswer,
    WgDomain,
    normalise_indigenous,
    wg_disability,
)
from contracts.needs import ContactPoint
from contracts.privacy import SMALL_COUNT, SUPPRESSED
from services.runtime.errors import DomainError

__all__ = [
    "SMALL_COUNT",
    "SUPPRESSED",
    "AgeBand",
    "ConsentMethod",
    "Group",
    "MigrantStatus",
    "Severity",
    "Sex",
]


@dataclass(frozen=True)
class Attributes:
    """One consenting person's answers; None is "not asked or not answered", never "no".

    ``idpoor_level`` 0 is "not an IDPoor household"; ``indigenous_group`` is a code of
    ``contracts.inclusion.INDIGENOUS_PEOPLES``, "none" or "other" (with ``indigenous_other``);
    ``wg`` holds the Washington Group answers by domain; ``wg_any_domain`` an answer whose
    domain was not kept (records from before the WG questions).
    """

    sex: Sex | None = None
    age_band: AgeBand | None = None
    disability: Severity | None = None  # deprecated input: read into wg_any_domain
    idpoor_level: int | None = None
    indigenous_group: str | None = None
    migrant_status: MigrantStatus | None = None
    wg: dict[str, str] | None = None
    wg_any_domain: str | None = None
    indigenous_other: str | None = None

    def is_empty(self) -> bool:
        return all(value in (None, {}) for value in asdict(self).values())


@dataclass(frozen=True)
class Consent:
    method: ConsentMethod
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class Counts:
    """Non-identifying counts of people; every group count is at most ``people``.

    ``known`` says, per group, of how many of the people it is known whether they belong:
    the rest are "unknown", which no aggregate may read as "not in the group".
    """

    people: int = 1
    groups: dict[str, int] = field(default_factory=dict)
    known: dict[str, int] = field(default_factory=dict)

    def plus(self, other: Counts) -> Counts:
        merged = dict(self.groups)
        for name, n in other.groups.items():
            merged[name] = merged.get(name, 0) + n
        known = dict(self.known)
        for name, n in other.known.items():
            known[name] = known.get(name, 0) + n
        return Counts(self.people + other.people, merged, known)


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
    if wg_disability(attributes.wg, attributes.wg_any_domain):
        groups[Group.DISABILITY] = 1
    if attributes.idpoor_level in (1, 2):
        groups[Group.IDPOOR] = 1
    if attributes.indigenous_group not in (None, INDIGENOUS_NONE):
        groups[Group.INDIGENOUS] = 1
    if attributes.migrant_status not in (None, MigrantStatus.NOT_MIGRANT):
        groups[Group.MIGRANT] = 1
    return groups


def known_of(attributes: Attributes | None) -> dict[str, int]:
    """The groups for which one person's answers say in or out (1); the others are unknown.

    "Prefer not to say" leaves women unknown; partial WG answers below the cut-off leave
    disability unknown.
    """
    if attributes is None:
        return {}
    known: dict[str, int] = {}
    if attributes.sex in (Sex.FEMALE, Sex.MALE, Sex.OTHER):
        known[Group.WOMEN] = 1
    if attributes.age_band is not None:
        known[Group.YOUTH] = known[Group.ELDERLY] = 1
    if wg_disability(attributes.wg, attributes.wg_any_domain) is not None:
        known[Group.DISABILITY] = 1
    if attributes.idpoor_level is not None:
        known[Group.IDPOOR] = 1
    if attributes.indigenous_group is not None:
        known[Group.INDIGENOUS] = 1
    if attributes.migrant_status is not None:
        known[Group.MIGRANT] = 1
    return known


def _standardised(attributes: Attributes, prefix: str) -> Attributes:
    """The answers in their standard form: the WG answers checked, a severity read as WG,
    the indigenous group named from the list (any spelling, Khmer or Latin) or kept as "other"."""
    wg: dict[str, str] = {}
    for domain, answer in (attributes.wg or {}).items():
        try:
            wg[WgDomain(domain).value] = WgAnswer(answer).value
        except ValueError:
            raise InclusionError(
                "need.wg_answer_invalid",
                "Answer each Washington Group question with one of its four answers.",
                "សូមឆ្លើយសំណួរនីមួយៗរបស់ Washington Group ដោយជ្រើសចម្លើយមួយក្នុងចំណោមបួន។",
                field=f"{prefix}.attributes.wg",
            ) from None
    any_domain = attributes.wg_any_domain
    if attributes.disability is not None:
        any_domain = SEVERITY_TO_WG[attributes.disability.value].value
    code, other = attributes.indigenous_group, attributes.indigenous_other
    if code is not None:
        code, free_text = normalise_indigenous(code)
        if code == INDIGENOUS_OTHER:
            other = free_text or (" ".join(other.split()) if other else None)
    if code != INDIGENOUS_OTHER:
        other = None
    return Attributes(
        sex=attributes.sex,
        age_band=attributes.age_band,
        disability=None,
        idpoor_level=attributes.idpoor_level,
        indigenous_group=code,
        migrant_status=attributes.migrant_status,
        wg=wg or None,
        wg_any_domain=any_domain,
        indigenous_other=other,
    )


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
    if attributes is not None and attributes.idpoor_level not in (None, 0, 1, 2):
        raise InclusionError(
            "need.idpoor_level_invalid",
            "IDPoor level is 1 or 2 (0 for a household that is not IDPoor).",
            "កម្រិតប័ណ្ណក្រីក្រគឺ ១ ឬ ២ (០ សម្រាប់គ្រួសារដែលមិនមែនក្រីក្រ)។",
            field=f"{prefix}.attributes.idpoorLevel",
        )
    if attributes is not None:
        attributes = _standardised(attributes, prefix)
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
        if attributes is not None:
            groups, known = counts_of(attributes), known_of(attributes)
        else:
            groups = _checked_groups(group_counts, 1, prefix)
            known = dict.fromkeys((group_counts or {}), 1)
        return Person("person", Counts(1, groups, known), name, attributes, consent, contact)
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
    # A count given (0 included) is known for the whole group; a count left blank is unknown.
    known = dict.fromkeys((group_counts or {}), total)
    return Person(
        "group",
        Counts(total, _checked_groups(group_counts, total, prefix), known),
        None,
        None,
        consent,
        contact,
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
        "known": dict(person.counts.known),
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
