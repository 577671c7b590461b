"""Property-based: whatever sequence of moves people and events attempt, a need's story stays
consistent — every recorded step was allowed, reasons are never missing where required, the
history only grows, and a final status never changes again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.needs import NeedStatus as S
from services.intake import domain
from services.intake.lifecycle import COMMAND_MOVES, REASON_REQUIRED, TransitionError, can_move

FINAL = {S.REJECTED, S.VERIFIED, S.MERGED}
START = datetime(2026, 1, 1, tzinfo=UTC)

attempts = st.lists(
    st.tuples(st.sampled_from(list(S)), st.sampled_from([None, "", "ថវិកាមិនគ្រប់ (no money)"]), st.booleans()),
    max_size=30,
)


def _need() -> dict[str, Any]:
    return {
        "id": "n",
        "status": "submitted",
        "status_reason": None,
        "history": [
            {
                "at": START.isoformat(),
                "actor": "f",
                "from": None,
                "to": "submitted",
                "reason": None,
                "source": "intake",
            }
        ],
    }


@settings(max_examples=300, deadline=None)
@given(attempts)
def test_any_sequence_of_moves_leaves_a_consistent_story(moves: list[tuple[S, str | None, bool]]) -> None:
    need = _need()
    for n, (target, reason, by_event) in enumerate(moves):
        before = need
        current = S(before["status"])
        try:
            need = domain.move(
                before,
                target,
                actor="a",
                reason=reason,
                now=START + timedelta(minutes=n),
                source="test",
                by_event=by_event,
            )
        except TransitionError:
            assert need is before
            continue
        assert current not in FINAL
        assert can_move(current, target, by_event=by_event)
        if target in REASON_REQUIRED:
            assert reason and reason.strip()
        assert len(need["history"]) == len(before["history"]) + 1
        assert need["history"][-1]["from"] == current.value and need["history"][-1]["to"] == target.value
    for step, following in zip(need["history"], need["history"][1:], strict=False):
        assert following["from"] == step["to"]
        moved_from = S(step["to"])
        assert S(following["to"]) in COMMAND_MOVES[moved_from] or can_move(
            moved_from, S(following["to"]), by_event=True
        )
