"""Oversight's pure rules: contributions, scope, suppression of small cells, comparisons."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from services.oversight.domain import (
    OversightError,
    answer_contribution,
    apply,
    check_contribution,
    compare,
    effective_unit,
    group_by_child,
    had_notice,
    meeting_contribution,
    need_contribution,
    require_overseer,
)
from services.runtime.identity import Identity, Role

PROVINCE = Identity("sokha", Role.PROVINCE_ADMIN, ("16",))
NATIONAL = Identity("visal", Role.NATIONAL_ADMIN, ("*",))
PARTNER = Identity("ngo", Role.NGO_PARTNER, (), oversees=("160101", "210103"))


def tallies(*rows: tuple[str, dict[str, int]]) -> list[dict[str, Any]]:
    return [{"commune_code": code, "counts": counts} for code, counts in rows]


def test_a_need_whose_raisers_were_never_recorded_counts_as_unknown_not_as_no_group() -> None:
    unknown = need_contribution({"status": "submitted", "sector": None, "groups": None})
    nobody = need_contribution({"status": "submitted", "sector": "social", "groups": []})
    assert unknown["group:unknown"] == 1 and unknown["sector:unknown"] == 1
    assert nobody["group:unknown"] == 0 and not any(k.startswith("group:") for k in nobody)


def test_a_status_change_moves_the_need_from_one_count_to_the_other() -> None:
    before = need_contribution({"status": "submitted", "sector": "economic", "groups": ["migrant"]})
    after = need_contribution({"status": "funded", "sector": "economic", "groups": ["migrant"]})
    counts = apply(apply({}, Counter(), before), before, after)
    assert counts == {"needs": 1, "status:funded": 1, "sector:economic": 1, "group:migrant": 1}


def test_a_merged_duplicate_leaves_the_totals_and_counts_only_as_merged() -> None:
    need = {"status": "submitted", "sector": "social", "groups": ["women"]}
    counts = apply({}, Counter(), need_contribution(need))
    counts = apply(counts, need_contribution(need), need_contribution({**need, "status": "merged"}))
    assert counts == {"status:merged": 1}


def test_a_meeting_counts_as_held_with_notice_only_when_announced_seven_days_ahead() -> None:
    base = {"type": "village_needs", "starts_at": "2031-02-20T10:00:00+00:00", "attendance": {"total": 30}}
    early = {**base, "announced_at": "2031-02-13T10:00:00+00:00"}
    late = {**base, "announced_at": "2031-02-14T10:00:01+00:00"}
    assert had_notice(early) and not had_notice(late)
    assert meeting_contribution(early)["meetings:notice"] == 1
    assert (
        meeting_contribution(late)["meetings:held"] == 1
        and meeting_contribution(late)["meetings:notice"] == 0
    )
    cancelled = meeting_contribution({**early, "cancelled": True})
    assert cancelled == Counter({"meetings:cancelled": 1})


def test_small_counts_of_sensitive_groups_read_under_five_and_others_do_not() -> None:
    total, _ = compare(
        {"160101": Counter({"needs": 3, "group:women": 2, "group:migrant": 4, "attendance:disability": 1})}
    )
    assert total["needs"]["by_group"]["women"] == 2  # women are not a sensitive group
    assert total["needs"]["by_group"]["migrant"] == "<5"
    assert total["needs"]["by_group"]["idpoor"] == "<5"  # zero included: 0 and 1 look alike
    assert total["meetings"]["attendance"]["disability"] == "<5"


def test_a_lone_hidden_cell_takes_the_smallest_shown_one_with_it() -> None:
    """Otherwise the total (19) minus the shown cells (7 + 9) would give the hidden 3 back."""
    _, rows = compare(
        {
            "1601": Counter({"group:migrant": 3}),
            "1602": Counter({"group:migrant": 7}),
            "1603": Counter({"group:migrant": 9}),
        }
    )
    migrants = {r["code"]: r["needs"]["by_group"]["migrant"] for r in rows}
    assert migrants == {"1601": "<5", "1602": "<5", "1603": 9}


def test_two_hidden_cells_need_no_third() -> None:
    _, rows = compare(
        {
            "1601": Counter({"group:migrant": 3}),
            "1602": Counter({"group:migrant": 2}),
            "1603": Counter({"group:migrant": 9}),
        }
    )
    assert [r["needs"]["by_group"]["migrant"] for r in rows] == ["<5", "<5", 9]


def test_a_province_admin_compares_her_districts_or_her_communes() -> None:
    data = tallies(("160101", {"needs": 2}), ("160103", {"needs": 3}), ("160201", {"needs": 1}))
    assert effective_unit(PROVINCE, None) == "16"
    by_district = group_by_child(data, "16", PROVINCE)
    assert {k: v["needs"] for k, v in by_district.items()} == {"1601": 5, "1602": 1}
    by_commune = group_by_child(data, "16", PROVINCE, "commune")
    assert {k: v["needs"] for k, v in by_commune.items()} == {"160101": 2, "160103": 3, "160201": 1}


def test_a_national_admin_compares_provinces() -> None:
    data = tallies(("160101", {"needs": 2}), ("210103", {"needs": 4}))
    assert effective_unit(NATIONAL, None) is None
    assert {k: v["needs"] for k, v in group_by_child(data, None, NATIONAL).items()} == {"16": 2, "21": 4}


def test_a_partner_sees_only_the_communes_it_supports() -> None:
    data = tallies(("160101", {"needs": 2}), ("160103", {"needs": 3}), ("210103", {"needs": 4}))
    assert {k: v["needs"] for k, v in group_by_child(data, None, PARTNER).items()} == {
        "160101": 2,
        "210103": 4,
    }
    assert {k: v["needs"] for k, v in group_by_child(data, "16", PARTNER).items()} == {"1601": 2}
    require_overseer(PARTNER, "16")  # a province it works in: only its communes are summed
    with pytest.raises(OversightError) as refused:
        require_overseer(PARTNER, "17")
    assert refused.value.code == "oversight.forbidden" and refused.value.status == 403


@pytest.mark.parametrize(
    "caller",
    [
        Identity("dara", Role.COUNCIL_MEMBER, ("160101",)),
        Identity("sophea", Role.FACILITATOR, ("160101",)),
        Identity("anonymous", Role.PUBLIC, ()),
    ],
)
def test_commune_roles_and_the_public_have_no_oversight_view(caller: Identity) -> None:
    with pytest.raises(OversightError):
        require_overseer(caller, None)


def test_a_district_admin_reaches_its_district_only() -> None:
    district = Identity("rathana", Role.DISTRICT_ADMIN, ("1601",))
    require_overseer(district, "1601")
    require_overseer(district, "160101")
    with pytest.raises(OversightError):
        require_overseer(district, "1602")
    with pytest.raises(OversightError) as bad:
        require_overseer(district, "16a")
    assert bad.value.code == "oversight.unit_invalid"
    assert "ខ្ទង់" in bad.value.messages["km"]


def test_community_check_scores_average_over_the_people_who_gave_them() -> None:
    check = {
        "scores": [
            {"group": "women", "participants": 9, "built": 5, "works": 4, "used": 5},
            {"group": "migrant", "participants": 3, "built": 1, "works": 2, "used": 1},
        ]
    }
    answers = [{"satisfied": True, "rating": 5}, {"satisfied": False, "rating": None}]
    counts: Counter[str] = Counter(check_contribution(check))
    for answer in answers:
        counts.update(answer_contribution(answer))
    total, _ = compare({"160101": counts})
    checks = total["community_check"]
    assert (checks["checks"], checks["participants"]) == (1, 12)
    assert (checks["built"], checks["works"], checks["used"]) == (4.0, 3.5, 4.0)  # (45+3)/12, (36+6)/12
    assert checks["participants_by_group"]["women"] == 9
    assert checks["participants_by_group"]["migrant"] == "<5"
    assert (checks["answers"], checks["satisfied"], checks["rating"]) == (2, 1, 5.0)


def test_no_check_and_no_rating_read_as_none_not_zero() -> None:
    total, _ = compare({"160101": Counter({"needs": 1})})
    assert total["community_check"]["works"] is None and total["community_check"]["rating"] is None
    assert total["budget"]["execution_percent"] is None
