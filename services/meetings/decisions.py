"""Decisions and minutes of a held meeting. Pure.

A decision needs a quorum, and a decision about needs may only rank needs that were on the
published agenda: what people could read in advance is what gets decided. Ranks are 1..n with
no gaps and no ties. A prioritisation is made at a commune prioritisation meeting, a CIP
approval at a CIP approval meeting; other decisions at any meeting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from contracts.meetings import DecisionKind, MeetingState, MeetingType, RankedNeed
from services.meetings.domain import Decision, Meeting, MeetingError, clean_text, local, require_manager
from services.runtime.identity import Identity

SUMMARY_MAX = 2000
MINUTES_MAX = 20_000
MAX_DECISIONS = 50
MAX_NEEDS = 200

KIND_AT: dict[DecisionKind, frozenset[MeetingType]] = {
    DecisionKind.PRIORITISATION: frozenset({MeetingType.COMMUNE_PRIORITISATION}),
    DecisionKind.CIP_APPROVAL: frozenset({MeetingType.CIP_APPROVAL}),
    DecisionKind.OTHER: frozenset(MeetingType),
}
NEEDS_REQUIRED = frozenset({DecisionKind.PRIORITISATION, DecisionKind.CIP_APPROVAL})


@dataclass(frozen=True)
class RecordDecision:
    kind: DecisionKind
    year: int
    needs: Sequence[tuple[str, int]]
    summary: str | None = None
    idempotency_key: str | None = None


def _require_held(meeting: Meeting, code_prefix: str) -> None:
    if meeting.state is MeetingState.MINUTES_PUBLISHED:
        raise MeetingError(
            f"{code_prefix}.minutes_published",
            "The minutes of this meeting are published: its record is closed.",
            "កំណត់ហេតុនៃកិច្ចប្រជុំនេះត្រូវបានផ្សព្វផ្សាយហើយ៖ កំណត់ត្រារបស់វាត្រូវបានបិទ។",
            status=409,
        )
    if meeting.state is not MeetingState.HELD:
        raise MeetingError(
            f"{code_prefix}.meeting_not_held",
            "This meeting has not been held yet: record its attendance first.",
            "កិច្ចប្រជុំនេះមិនទាន់បានប្រព្រឹត្តទៅនៅឡើយទេ៖ សូមកត់ត្រាវត្តមានជាមុនសិន។",
            status=409,
        )


def record_decision(
    meeting: Meeting, command: RecordDecision, caller: Identity, now: datetime, *, decision_id: str
) -> tuple[Meeting, Decision, bool]:
    """Returns the meeting, the decision, and whether it is new (False for a repeated key)."""
    require_manager(caller, meeting.commune_code)
    if command.idempotency_key:
        for earlier in meeting.decisions:
            if earlier.idempotency_key == command.idempotency_key:
                return meeting, earlier, False
    _require_held(meeting, "decision")
    if meeting.attendance is None or not meeting.attendance.quorum_met:
        raise MeetingError(
            "decision.no_quorum",
            "There is no quorum: more than half of the council members must be present.",
            "មិនគ្រប់កូរ៉ុម៖ សមាជិកក្រុមប្រឹក្សាច្រើនជាងពាក់កណ្តាលត្រូវតែមានវត្តមាន។",
            status=409,
        )
    if meeting.type not in KIND_AT[command.kind]:
        raise MeetingError(
            "decision.kind_not_for_meeting",
            "This kind of decision is not made at this kind of meeting.",
            "ប្រភេទសេចក្តីសម្រេចនេះ មិនត្រូវបានធ្វើឡើងនៅក្នុងប្រភេទកិច្ចប្រជុំនេះទេ។",
            field="kind",
        )
    year = local(meeting.starts_at).year
    if not year - 1 <= command.year <= year + 3:
        raise MeetingError(
            "decision.year_invalid",
            "The CIP year must be between {first} and {last}.",
            "ឆ្នាំនៃកម្មវិធីវិនិយោគឃុំត្រូវនៅចន្លោះ {first} និង {last}។",
            field="year",
            first=year - 1,
            last=year + 3,
        )
    if len(meeting.decisions) >= MAX_DECISIONS:
        raise MeetingError(
            "decision.too_many",
            "This meeting has too many decisions already.",
            "កិច្ចប្រជុំនេះមានសេចក្តីសម្រេចច្រើនពេកហើយ។",
            status=409,
        )
    ranked = _check_needs(meeting, command)
    summary = clean_text(command.summary, SUMMARY_MAX, "summary")
    decision = Decision(
        id=decision_id,
        kind=command.kind,
        year=command.year,
        needs=ranked,
        summary=summary,
        decided_by=caller.user_id,
        decided_at=now,
        idempotency_key=command.idempotency_key,
    )
    updated = meeting.model_copy(update={"decisions": [*meeting.decisions, decision], "updated_at": now})
    return updated, decision, True


def _check_needs(meeting: Meeting, command: RecordDecision) -> list[RankedNeed]:
    if command.kind in NEEDS_REQUIRED and not command.needs:
        raise MeetingError(
            "decision.needs_missing",
            "Rank the needs this decision is about.",
            "សូមចាត់ថ្នាក់តម្រូវការដែលសេចក្តីសម្រេចនេះនិយាយអំពី។",
            field="needs",
        )
    if len(command.needs) > MAX_NEEDS:
        raise MeetingError(
            "decision.too_many_needs",
            "A decision ranks at most {limit} needs.",
            "សេចក្តីសម្រេចមួយចាត់ថ្នាក់តម្រូវការបានយ៉ាងច្រើន {limit}។",
            field="needs",
            limit=MAX_NEEDS,
        )
    ids = [need_id for need_id, _ in command.needs]
    if len(set(ids)) != len(ids):
        raise MeetingError(
            "decision.need_twice",
            "A need appears twice in the ranking.",
            "តម្រូវការមួយលេចឡើងពីរដងក្នុងចំណាត់ថ្នាក់។",
            field="needs",
        )
    ranks = sorted(rank for _, rank in command.needs)
    if ranks != list(range(1, len(ranks) + 1)):
        raise MeetingError(
            "decision.ranks_invalid",
            "Ranks must run 1, 2, 3… with no gaps and no ties.",
            "ចំណាត់ថ្នាក់ត្រូវតែជា ១, ២, ៣… ដោយគ្មានចន្លោះ និងគ្មានលេខស្ទួន។",
            field="needs",
        )
    on_agenda = {
        item.need_id: item for item in (meeting.agenda.items if meeting.agenda else []) if item.need_id
    }
    for need_id in ids:
        if need_id not in on_agenda:
            raise MeetingError(
                "decision.need_not_on_agenda",
                "Only needs on the published agenda can be decided on.",
                "មានតែតម្រូវការដែលមាននៅក្នុងរបៀបវារៈដែលបានផ្សព្វផ្សាយប៉ុណ្ណោះ ទើបអាចសម្រេចបាន។",
                field="needs",
            )
    return [
        RankedNeed(need_id=need_id, rank=rank) for need_id, rank in sorted(command.needs, key=lambda n: n[1])
    ]


def publish_minutes(meeting: Meeting, minutes: str | None, caller: Identity, now: datetime) -> Meeting:
    require_manager(caller, meeting.commune_code)
    _require_held(meeting, "minutes")
    text = clean_text(minutes, MINUTES_MAX, "minutes", required=True)
    return meeting.moved(MeetingState.MINUTES_PUBLISHED, caller.user_id, now, minutes=text)
