"""A need's lifecycle: which moves are allowed, and which need a reason.

submitted -> validated -> prioritised -> in CIP -> funded | partly funded | deferred | rejected
-> in implementation -> completed -> verified by citizens. Commands (people) must follow the
table exactly. Events from meetings and budget may skip steps intake has not seen yet (a need
funded by a project whose approval intake learned late), but never go backwards from a final
state; a move they cannot make is noted in the history, never lost and never fatal.
"""

from __future__ import annotations

from contracts.needs import NeedStatus as S
from services.runtime.errors import DomainError

COMMAND_MOVES: dict[S, frozenset[S]] = {
    S.SUBMITTED: frozenset({S.VALIDATED, S.REJECTED, S.MERGED, S.REFERRED}),
    S.VALIDATED: frozenset({S.PRIORITISED, S.REJECTED, S.MERGED, S.REFERRED}),
    S.PRIORITISED: frozenset({S.IN_CIP, S.DEFERRED, S.REJECTED}),
    S.IN_CIP: frozenset({S.FUNDED, S.PARTLY_FUNDED, S.DEFERRED, S.REJECTED}),
    S.FUNDED: frozenset({S.IN_IMPLEMENTATION, S.PARTLY_FUNDED, S.DEFERRED}),
    S.PARTLY_FUNDED: frozenset({S.FUNDED, S.IN_IMPLEMENTATION, S.DEFERRED}),
    S.DEFERRED: frozenset({S.PRIORITISED, S.IN_CIP, S.FUNDED, S.PARTLY_FUNDED, S.REJECTED}),
    S.REJECTED: frozenset(),
    S.IN_IMPLEMENTATION: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset({S.VERIFIED}),
    S.VERIFIED: frozenset(),
    S.MERGED: frozenset(),
    S.REFERRED: frozenset(),  # the commune's part ends; the district or department answers
}

# Before the CIP is decided, events may jump ahead to these.
_EARLY = frozenset({S.SUBMITTED, S.VALIDATED, S.PRIORITISED})
_JUMP_TARGETS = frozenset({S.PRIORITISED, S.IN_CIP, S.FUNDED, S.PARTLY_FUNDED, S.DEFERRED, S.REJECTED})

REASON_REQUIRED = frozenset({S.DEFERRED, S.REJECTED, S.MERGED, S.REFERRED})

# Statuses that mean "the commune has decided on the money" (for the public view).
OUTCOMES = frozenset({S.FUNDED, S.PARTLY_FUNDED, S.DEFERRED, S.REJECTED})


class TransitionError(DomainError):
    pass


def can_move(current: S, target: S, *, by_event: bool) -> bool:
    if target in COMMAND_MOVES[current]:
        return True
    return by_event and current in _EARLY and target in _JUMP_TARGETS and target != current


def check_move(current: S, target: S, reason: str | None, *, by_event: bool = False) -> None:
    if not can_move(current, target, by_event=by_event):
        raise TransitionError(
            "need.transition_invalid",
            "A need that is {current} cannot become {target}.",
            "តម្រូវការដែលស្ថិតក្នុងស្ថានភាព {current} មិនអាចប្តូរទៅជា {target} បានទេ។",
            status=409,
            current=current.value,
            target=target.value,
        )
    if target in REASON_REQUIRED and not (reason and reason.strip()):
        raise TransitionError(
            "need.reason_required",
            "Please give the reason: people must be told why.",
            "សូមផ្តល់មូលហេតុ៖ ប្រជាជនត្រូវតែដឹងថាហេតុអ្វី។",
            field="reason",
        )
