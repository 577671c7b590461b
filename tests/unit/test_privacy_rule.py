"""The one privacy rule (contracts/privacy.py) and the views that apply it: meetings'
attendance by group, the budget's public transparency view."""

from __future__ import annotations

from contracts.privacy import SUPPRESSED, public_description, suppress, suppress_groups
from services.budget.views import transparency_view
from services.meetings.attendance import record_attendance
from services.meetings.views import show
from services.runtime.identity import Identity, Role
from tests.unit.test_budget_views import NEEDS, _budget
from tests.unit.test_meeting_attendance import GOOD, OPENS, announced_meeting, during
from tests.unit.test_meeting_rules import COUNCIL


def test_small_counts_are_hidden_outside_the_council_zero_included() -> None:
    assert [suppress(n, council=False) for n in (0, 1, 4, 5, 9)] == [SUPPRESSED] * 3 + [5, 9]
    assert [suppress(n, council=True) for n in (0, 4)] == [0, 4]
    assert suppress_groups({"women": 2, "disability": 3, "migrant": 7}, council=False) == {
        "women": 2,
        "disability": SUPPRESSED,
        "migrant": 7,
    }


def test_attendance_by_group_is_shown_whole_only_to_the_communes_council() -> None:
    meeting = announced_meeting()
    held = record_attendance(
        meeting, {**GOOD, "disability": 3, "migrant": 0}, None, COUNCIL, during(meeting), OPENS
    )
    own = show(held, COUNCIL).attendance
    assert own is not None and own.counts.disability == 3 and own.counts.migrant == 0
    for outsider in (
        None,
        Identity("p1", Role.PROVINCE_ADMIN, ("16",)),
        Identity("f1", Role.FACILITATOR, (held.commune_code,)),
        Identity("c9", Role.COUNCIL_MEMBER, ("210103",)),
    ):
        shown = show(held, outsider).attendance
        assert shown is not None
        assert (shown.counts.disability, shown.counts.migrant) == (SUPPRESSED, SUPPRESSED), outsider
        assert shown.counts.idpoor == GOOD["idpoor"] and shown.counts.total == GOOD["total"]


def test_the_transparency_view_shows_a_sensitive_need_by_its_category_only() -> None:
    needs = {**NEEDS, "n2": {**NEEDS["n2"], "need_type": "child_protection", "sector": "gender"}}
    view = transparency_view(_budget(), needs)
    [deferred] = view["deferred_needs"]
    assert deferred["description"] is None and deferred["sector"] == "gender"
    assert view["funded_needs"][0]["description"] == "Need 1"
    assert public_description("domestic_violence", "x") is None and public_description("road", "x") == "x"
