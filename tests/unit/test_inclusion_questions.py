"""The standard questions (Washington Group, indigenous peoples, sex), "unknown" apart from
"none", the stored-data mapping, and the dashboard's reading of unknowns. Pure, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from contracts.api.intake import NeedView, Share
from contracts.inclusion import (
    INDIGENOUS_PEOPLES,
    WgAnswer,
    WgDomain,
    normalise_indigenous,
    wg_disability,
)
from gateway.web import inclusion_view
from services.intake.inclusion import (
    Attributes,
    Consent,
    ConsentMethod,
    InclusionError,
    MigrantStatus,
    Severity,
    Sex,
    make_person,
    person_to_doc,
)
from services.intake.migrations import upgrade_need, upgrade_person
from services.intake.views import people_unknown

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
CONSENT = Consent(ConsentMethod.VERBAL, "f-1", NOW)


def person(**attributes: Any) -> dict[str, Any]:
    made = make_person(
        kind="person",
        name=None,
        attributes=Attributes(**attributes),
        consent=CONSENT,
        contact=None,
        people=None,
        group_counts=None,
        prefix="raisedBy",
    )
    return person_to_doc(made)


def all_six(answer: WgAnswer) -> dict[str, str]:
    return {d.value: answer.value for d in WgDomain}


# --- Washington Group short set ---------------------------------------------------------------


@pytest.mark.parametrize("answer", [WgAnswer.A_LOT_OF_DIFFICULTY, WgAnswer.CANNOT_DO_AT_ALL])
@pytest.mark.parametrize("domain", list(WgDomain))
def test_a_lot_of_difficulty_or_cannot_do_in_any_one_domain_is_a_disability(
    domain: WgDomain, answer: WgAnswer
) -> None:
    assert wg_disability({domain.value: answer.value}) is True
    doc = person(wg={domain.value: answer.value})
    assert doc["groups"] == {"disability": 1} and doc["known"] == {"disability": 1}


def test_some_difficulty_everywhere_is_below_the_cut_off_and_known_as_no_disability() -> None:
    assert wg_disability(all_six(WgAnswer.SOME_DIFFICULTY)) is False
    doc = person(wg=all_six(WgAnswer.SOME_DIFFICULTY))
    assert doc["groups"] == {} and doc["known"] == {"disability": 1}


def test_answers_below_the_cut_off_in_some_domains_only_leave_disability_unknown() -> None:
    answers = {"seeing": "no_difficulty", "walking": "some_difficulty"}
    assert wg_disability(answers) is None
    doc = person(sex=Sex.MALE, wg=answers)
    assert "disability" not in doc["groups"] and "disability" not in doc["known"]


def test_an_answer_outside_the_four_is_refused_at_its_field() -> None:
    with pytest.raises(InclusionError) as refused:
        person(wg={"seeing": "blind"})
    assert refused.value.code == "need.wg_answer_invalid"
    assert refused.value.field == "raisedBy.attributes.wg"


def test_the_old_severity_input_is_read_as_a_washington_group_answer() -> None:
    assert person(disability=Severity.SEVERE)["groups"] == {"disability": 1}
    assert person(disability=Severity.MEDIUM)["groups"] == {"disability": 1}
    mild = person(disability=Severity.MILD)
    assert mild["groups"] == {} and "disability" not in mild["known"]  # unknown, not "no"


# --- sex, IDPoor, migrants: "no" is an answer, "not asked" is unknown -------------------------


def test_sex_has_four_answers_and_prefer_not_to_say_leaves_women_unknown() -> None:
    assert person(sex=Sex.FEMALE)["groups"] == {"women": 1}
    assert person(sex=Sex.OTHER) == person(sex=Sex.OTHER) and person(sex=Sex.OTHER)["groups"] == {}
    assert person(sex=Sex.OTHER)["known"] == {"women": 1}
    assert person(sex=Sex.PREFER_NOT_TO_SAY)["known"] == {}


def test_no_is_an_answer_and_not_asked_is_unknown() -> None:
    said_no = person(idpoor_level=0, migrant_status=MigrantStatus.NOT_MIGRANT, indigenous_group="none")
    assert said_no["groups"] == {}
    assert said_no["known"] == {"idpoor": 1, "migrant": 1, "indigenous": 1}
    need = {"raised_by": [person(sex=Sex.MALE)], "supporters": []}
    assert people_unknown(need) == {
        "women": 0,
        "youth": 1,
        "elderly": 1,
        "disability": 1,
        "idpoor": 1,
        "indigenous": 1,
        "migrant": 1,
    }


def test_a_group_count_left_blank_is_unknown_and_a_zero_is_known() -> None:
    made = make_person(
        kind="group",
        name=None,
        attributes=None,
        consent=None,
        contact=None,
        people=12,
        group_counts={"migrant": 2, "women": 0},
        prefix="raisedBy",
    )
    doc = person_to_doc(made)
    assert doc["groups"] == {"migrant": 2}
    assert doc["known"] == {"migrant": 12, "women": 12}
    unknown = people_unknown({"raised_by": [doc], "supporters": []})
    assert unknown["women"] == 0 and unknown["migrant"] == 0 and unknown["idpoor"] == 12


# --- indigenous peoples -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["Tampuan", "tampuan", "Tompuon", "  TAMPUON ", "Tumpoun", "ទំពួន", "ជនជាតិទំពួន", "ជនជាតិ ទំពួន"]
)
def test_every_spelling_of_tampuan_in_latin_or_khmer_is_one_people(typed: str) -> None:
    assert normalise_indigenous(typed) == ("tampuan", None)


def test_every_listed_people_is_found_by_its_english_and_its_khmer_name() -> None:
    codes = [code for code, *_ in INDIGENOUS_PEOPLES]
    assert len(codes) == len(set(codes)) >= 20
    for code, english, khmer, _ in INDIGENOUS_PEOPLES:
        assert normalise_indigenous(english) == (code, None), english
        assert normalise_indigenous(khmer) == (code, None), khmer
        assert normalise_indigenous(english.upper()) == (code, None), english


def test_an_unlisted_people_is_other_with_its_words_kept_and_no_is_none() -> None:
    assert normalise_indigenous("Cham  Muslim") == ("other", "Cham Muslim")
    assert normalise_indigenous("មិនមែន") == ("none", None)
    assert normalise_indigenous("No") == ("none", None)
    assert normalise_indigenous("  ") == (None, None)
    doc = person(indigenous_group="Kachak village people")
    assert doc["attributes"]["indigenous_group"] == "other"
    assert doc["attributes"]["indigenous_other"] == "Kachak village people"
    assert doc["groups"] == {"indigenous": 1}


# --- the mapping of stored data ----------------------------------------------------------------


def legacy(attributes: dict[str, Any] | None = None, **rest: Any) -> dict[str, Any]:
    base = {"kind": "person", "people": 1, "groups": {}, "name": None, "attributes": attributes}
    return {
        **base,
        "consent": {"method": "verbal", "recorded_by": "f", "recorded_at": NOW.isoformat()},
    } | rest


def test_stored_severities_and_spellings_map_to_the_standard_answers() -> None:
    severe = upgrade_person(
        legacy(
            {"disability": "severe", "indigenous_group": "Tompuon"}, groups={"disability": 1, "indigenous": 1}
        )
    )
    assert severe["attributes"] == {"wg_any_domain": "cannot_do_at_all", "indigenous_group": "tampuan"}
    assert severe["groups"] == {"disability": 1, "indigenous": 1}
    assert severe["known"] == {"disability": 1, "indigenous": 1}
    mild = upgrade_person(
        legacy({"disability": "mild", "sex": "female"}, groups={"disability": 1, "women": 1})
    )
    assert mild["attributes"]["wg_any_domain"] == "some_difficulty"
    assert mild["groups"] == {"women": 1} and mild["known"] == {"women": 1}  # disability: unknown now
    khmer = upgrade_person(legacy({"indigenous_group": "ព្នង"}, groups={"indigenous": 1}))
    assert khmer["attributes"]["indigenous_group"] == "bunong"


def test_stored_counts_are_known_only_where_they_count_someone() -> None:
    group = upgrade_person(
        legacy(None, kind="group", people=30, groups={"women": 10, "migrant": 0}, consent=None)
    )
    assert group["groups"] == {"women": 10} and group["known"] == {"women": 30}
    silent = upgrade_person(legacy(None, groups={}))
    assert silent["known"] == {}


def test_the_mapping_is_idempotent_and_recomputes_the_filter_flags() -> None:
    need = {
        "id": "n1",
        "raised_by": [legacy({"disability": "mild"}, groups={"disability": 1})],
        "supporters": [legacy(None, kind="group", people=3, groups={"migrant": 3}, consent=None)],
        "g_disability": True,
        "g_migrant": True,
    }
    once = upgrade_need(need)
    assert "g_disability" not in once and once["g_migrant"] is True
    assert upgrade_need(once) == once


# --- the dashboard's reading -------------------------------------------------------------------


def need(
    village: str, groups: dict[str, Any], unknown: dict[str, Any], status: str = "submitted"
) -> NeedView:
    return NeedView.model_validate(
        {
            "id": "n1",
            "tracking_code": "ABCD-EFG",
            "commune_code": "210103",
            "village_code": village,
            "description": "A well",
            "status": status,
            "submitted_at": "2026-03-01T02:10:00+00:00",
            "collected_by": "u1",
            "personal_data_visible": False,
            "people": 1,
            "history": [],
            "groups": {g: groups.get(g, 0) for g in inclusion_view.GROUPS},
            "groups_unknown": {g: unknown.get(g, 0) for g in inclusion_view.GROUPS},
        }
    )


def test_the_dashboard_never_reports_a_group_missing_where_its_data_is_unknown() -> None:
    # Village A: one need from a woman, of whom nothing else is known. Village B: a need whose
    # raiser said no to every group. Village C: no needs.
    known_all = dict.fromkeys(inclusion_view.GROUPS, 0)
    unknown_rest = {g: 1 for g in inclusion_view.GROUPS if g != "women"}
    table = inclusion_view.village_table(
        [need("A", {"women": 1}, unknown_rest), need("B", {}, known_all)], ["A", "B", "C"]
    )
    missing = inclusion_view.missing(table)
    assert ("C", "") in missing
    assert ("B", "migrant") in missing and ("B", "women") in missing
    assert not [m for m in missing if m[0] == "A"]
    assert not [m for m in missing if m[0] == ""]  # A's unknowns: no group is missing everywhere
    assert ("", "migrant", 1) in inclusion_view.not_known(table)


def test_a_group_known_absent_everywhere_is_missing_everywhere() -> None:
    table = inclusion_view.village_table([need("A", {"women": 1}, {})], ["A"])
    assert ("", "migrant") in inclusion_view.missing(table)
    assert ("", "women") not in inclusion_view.missing(table)
    assert inclusion_view.not_known(table) == []


def test_a_hidden_small_count_reads_as_unknown_never_as_none() -> None:
    hidden = need("A", {"migrant": "<5"}, {"migrant": "<5"})
    assert inclusion_view.group_state(hidden, "migrant") == "unknown"


def test_outcomes_hide_small_counts_with_their_shares_and_compare_with_the_population() -> None:
    needs = [need("A", {"women": 1}, {}, status="funded") for _ in range(6)]
    needs += [need("A", {}, {"women": 1}, status="prioritised") for _ in range(4)]
    attendance = {"total": 40, "women": 10, "migrant": 3}
    population = {"women": Share(part=510, of=1000)}
    rows = {r["group"]: r for r in inclusion_view.outcomes(needs, attendance, population)}
    women = rows["women"]
    assert women["raised"] == {"count": 6, "share": 60.0, "of": 10}
    assert women["raised_unknown"] == {"count": "<5", "share": None, "of": 10}
    assert women["funded"] == {"count": 6, "share": 100.0, "of": 6}
    assert women["prioritised"] == {"count": 6, "share": 60.0, "of": 10}
    assert women["attendance"] == {"count": 10, "share": 25.0, "of": 40}
    assert women["population"] == {"count": 510, "share": 51.0, "of": 1000}
    assert rows["migrant"]["attendance"]["count"] == "<5" and rows["migrant"]["population"] is None
    csv_text = inclusion_view.outcomes_csv(list(rows.values()))
    assert csv_text.splitlines()[0].startswith("group,needs_raised,needs_raised_percent")
    assert "women,6,60.0,<5,,10,25.0,6,60.0,6,100.0,510,51.0" in csv_text


def test_attendance_that_cannot_be_read_shows_nothing_rather_than_a_zero() -> None:
    rows = inclusion_view.outcomes([need("A", {"women": 1}, {})], None, {})
    assert all(r["attendance"] is None for r in rows)
    assert "women,<5,,<5,,,,<5,,<5,," in inclusion_view.outcomes_csv(rows)


def test_the_drafts_form_sends_only_what_was_answered() -> None:
    from gateway.web.raisers import raiser_body

    assert raiser_body({"kind": "person", "sex": "", "wg_seeing": ""}) is None  # nothing said
    answered = raiser_body(
        {
            "kind": "person",
            "consent": "verbal",
            "sex": "female",
            "wg_walking": "cannot_do_at_all",
            "idpoor_level": "0",
        }
    )
    assert answered == {
        "kind": "person",
        "consent": "verbal",
        "attributes": {"sex": "female", "idpoor_level": 0, "wg": {"walking": "cannot_do_at_all"}},
    }
    group = raiser_body(
        {"kind": "group", "people": "4", "count_migrant": "4", "count_women": "", "count_youth": "x"}
    )
    assert group == {"kind": "group", "people": 4, "groups": {"migrant": 4, "youth": -1}, "consent": None}
