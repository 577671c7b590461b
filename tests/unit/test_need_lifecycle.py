"""Every lifecycle move, allowed and refused, for commands and for events."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from contracts.needs import NeedStatus as S
from services.intake.lifecycle import COMMAND_MOVES, REASON_REQUIRED, TransitionError, can_move, check_move

ALLOWED = sorted((a, b) for a, targets in COMMAND_MOVES.items() for b in targets)
REFUSED = sorted((a, b) for a, b in itertools.product(S, S) if b not in COMMAND_MOVES[a])
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_the_table_covers_every_status() -> None:
    assert set(COMMAND_MOVES) == set(S)


@pytest.mark.parametrize(("current", "target"), ALLOWED, ids=lambda s: s.value)
def test_an_allowed_move_passes_with_a_reason(current: S, target: S) -> None:
    check_move(current, target, "ថវិកាមិនគ្រប់គ្រាន់ (budget too small)")


@pytest.mark.parametrize(("current", "target"), ALLOWED, ids=lambda s: s.value)
def test_a_move_that_needs_a_reason_is_refused_without_one(current: S, target: S) -> None:
    if target in REASON_REQUIRED:
        for missing in (None, "", "   "):
            with pytest.raises(TransitionError) as refused:
                check_move(current, target, missing)
            assert refused.value.code == "need.reason_required"
            assert refused.value.field == "reason"
    else:
        check_move(current, target, None)


@pytest.mark.parametrize(("current", "target"), REFUSED, ids=lambda s: s.value)
def test_a_move_outside_the_table_is_refused_for_people(current: S, target: S) -> None:
    with pytest.raises(TransitionError) as refused:
        check_move(current, target, "because")
    assert refused.value.code == "need.transition_invalid"
    assert refused.value.status == 409
    assert current.value in refused.value.message("en")
    assert refused.value.message("km")


@pytest.mark.parametrize("current", [S.SUBMITTED, S.VALIDATED, S.PRIORITISED])
@pytest.mark.parametrize("target", [S.IN_CIP, S.FUNDED, S.PARTLY_FUNDED, S.DEFERRED, S.REJECTED])
def test_events_may_catch_up_on_steps_intake_has_not_seen(current: S, target: S) -> None:
    assert can_move(current, target, by_event=True)


@pytest.mark.parametrize("final", [S.REJECTED, S.VERIFIED, S.MERGED])
@pytest.mark.parametrize("target", list(S))
def test_nothing_moves_a_final_need_not_even_an_event(final: S, target: S) -> None:
    assert not can_move(final, target, by_event=True)


def test_events_never_move_a_need_backwards() -> None:
    assert not can_move(S.COMPLETED, S.FUNDED, by_event=True)
    assert not can_move(S.IN_IMPLEMENTATION, S.PRIORITISED, by_event=True)
    assert not can_move(S.FUNDED, S.VALIDATED, by_event=True)
