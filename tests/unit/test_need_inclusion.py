"""Who raised a need: consent rules, group counts, small-count suppression; merging and support."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from contracts.needs import ContactChannel, ContactPoint, NeedStatus, Sector
from contracts.privacy import suppress
from services.intake import domain
from services.intake.inclusion import (
    AgeBand,
    Attributes,
    Consent,
    ConsentMethod,
    InclusionError,
    MigrantStatus,
    Severity,
    Sex,
    make_person,
)
from services.intake.views import need_view, people_counts, public_view
from services.runtime.identity import Identity, Role

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
CONSENT = Consent(ConsentMethod.VERBAL, "f1", NOW)
FACILITATOR = Identity("f1", Role.FACILITATOR, ("160101",))
COUNCIL = Identity("c1", Role.COUNCIL_MEMBER, ("160101",))
OTHER_COUNCIL = Identity("c2", Role.COUNCIL_MEMBER, ("210103",))


def _person(**overrides: Any) -> Any:
    fields: dict[str, Any] = {
        "kind": "person",
        "name": None,
        "attributes": None,
        "consent": None,
        "contact": None,
        "people": None,
        "group_counts": None,
        "prefix": "raisedBy",
    }
    fields.update(overrides)
    return make_person(**fields)


def test_a_consenting_person_counts_in_each_of_their_groups() -> None:
    attributes = Attributes(Sex.FEMALE, AgeBand.YOUTH, Severity.SEVERE, 1, "Tampuan", MigrantStatus.RETURNED)
    person = _person(name="ស្រីមុំ", attributes=attributes, consent=CONSENT)
    assert person.counts.people == 1
    assert person.counts.groups == {
        "women": 1,
        "youth": 1,
        "disability": 1,
        "idpoor": 1,
        "indigenous": 1,
        "migrant": 1,
    }


@pytest.mark.parametrize(
    "details",
    [
        {"name": "សុខា"},
        {"attributes": Attributes(sex=Sex.FEMALE)},
        {"contact": ContactPoint(channel=ContactChannel.SMS, address="012345678")},
    ],
    ids=["name", "attributes", "contact"],
)
def test_personal_details_without_consent_are_refused(details: dict[str, Any]) -> None:
    with pytest.raises(InclusionError) as refused:
        _person(**details)
    assert refused.value.code == "need.consent_missing"
    assert refused.value.message("km")


def test_without_consent_only_group_counts_are_kept() -> None:
    group = _person(kind="group", people=12, group_counts={"women": 7, "indigenous": 12})
    assert group.name is None and group.attributes is None
    assert group.counts.people == 12
    assert group.counts.groups == {"women": 7, "indigenous": 12}


@pytest.mark.parametrize(
    ("people", "groups", "code"),
    [
        (0, {}, "need.counts_invalid"),
        (5, {"women": 6}, "need.counts_invalid"),
        (5, {"women": -1}, "need.counts_invalid"),
        (5, {"aliens": 1}, "need.group_unknown"),
    ],
)
def test_impossible_group_counts_are_refused(people: int, groups: dict[str, int], code: str) -> None:
    with pytest.raises(InclusionError) as refused:
        _person(kind="group", people=people, group_counts=groups)
    assert refused.value.code == code


def test_an_idpoor_level_other_than_1_or_2_is_refused() -> None:
    with pytest.raises(InclusionError) as refused:
        _person(attributes=Attributes(idpoor_level=3), consent=CONSENT)
    assert refused.value.code == "need.idpoor_level_invalid"


@pytest.mark.parametrize(("count", "shown"), [(0, "<5"), (1, "<5"), (4, "<5"), (5, 5), (120, 120)])
def test_small_counts_are_hidden_outside_the_council(count: int, shown: int | str) -> None:
    assert suppress(count, council=False) == shown
    assert suppress(count, council=True) == count


def _need(commune: str = "160101", code: str = "ABCD-EFG", need_id: str = "n1") -> dict[str, Any]:
    village = domain.Village(commune + "01", commune, "ម៉ាលិក", "Malik")
    raiser = _person(
        name="ស្រីមុំ",
        attributes=Attributes(sex=Sex.FEMALE),
        consent=CONSENT,
        contact=ContactPoint(channel=ContactChannel.SMS, address="012999888"),
    )
    command = domain.SubmitNeed(village.code, "ផ្លូវ", Sector.ECONOMIC, "k", raised_by=raiser)
    doc = domain.new_need(
        command,
        village,
        FACILITATOR,
        need_id=need_id,
        tracking_code=code,
        idempotency_key="f1:k",
        description="ផ្លូវ",
        now=NOW,
    )
    return {**doc, "version": 1}


def test_only_the_communes_council_sees_who_raised_a_need() -> None:
    doc = _need()
    council = need_view(doc, COUNCIL)
    assert council["raised_by"][0]["name"] == "ស្រីមុំ"
    assert council["groups"]["women"] == 1
    for outsider in (FACILITATOR, OTHER_COUNCIL):
        view = need_view(doc, outsider)
        assert view["raised_by"] is None and view["supporters"] is None
        assert view["groups"]["women"] == "<5"
    public = public_view(doc)
    assert "raised_by" not in public and "groups" not in public
    assert "012999888" not in str(public) and "ស្រីមុំ" not in str(public)


def test_supporters_are_counted_and_disaggregated() -> None:
    doc = _need()
    group = _person(kind="group", people=9, group_counts={"women": 5, "disability": 2})
    supported = domain.support(doc, group, FACILITATOR, NOW)
    total, groups = people_counts(supported)
    assert total == 10
    assert groups["women"] == 6 and groups["disability"] == 2
    assert supported["g_disability"] is True


def test_merging_moves_supporters_and_history_and_closes_the_duplicate() -> None:
    survivor, duplicate = _need(need_id="n1", code="AAAA-AAA"), _need(need_id="n2", code="BBBB-BBB")
    kept, closed = domain.merge(survivor, duplicate, COUNCIL, None, NOW)
    assert closed["status"] == NeedStatus.MERGED.value
    assert closed["merged_into"] == "n1"
    assert "AAAA-AAA" in closed["status_reason"]
    assert kept["merged_from"] == ["n2"]
    assert people_counts(kept)[0] == 2
    assert any(h.get("merged_from") == "n2" for h in kept["history"])


def test_needs_of_different_communes_cannot_be_merged() -> None:
    with pytest.raises(domain.NeedError) as refused:
        domain.merge(_need("160101", need_id="n1"), _need("210103", need_id="n2"), COUNCIL, None, NOW)
    assert refused.value.code == "need.merge_across_communes"


def test_only_the_council_validates_and_merges() -> None:
    with pytest.raises(domain.NeedError) as refused:
        domain.validate(_need(), FACILITATOR, None, NOW)
    assert refused.value.code == "need.council_only"
    with pytest.raises(domain.NeedError):
        domain.validate(_need(), OTHER_COUNCIL, None, NOW)
    validated = domain.validate(_need(), COUNCIL, "ពិនិត្យរួច", NOW)
    assert validated["status"] == "validated"
    assert validated["history"][-1] == {
        "at": NOW.isoformat(),
        "actor": "c1",
        "from": "submitted",
        "to": "validated",
        "reason": "ពិនិត្យរួច",
        "source": "council",
    }


def test_citizens_verify_only_a_completed_need() -> None:
    with pytest.raises(Exception) as refused:
        domain.record_feedback(_need(), True, "ល្អ", NOW)
    assert getattr(refused.value, "code", None) == "need.transition_invalid"
    completed = {**_need(), "status": "completed"}
    verified = domain.record_feedback(completed, False, "ផ្លូវខូចវិញហើយ", NOW)
    assert verified["status"] == "verified"
    assert verified["feedback"] == [
        {
            "at": NOW.isoformat(),
            "satisfied": False,
            "rating": None,
            "comment": "ផ្លូវខូចវិញហើយ",
            "key": None,
            "channel": "track_page",
        }
    ]
