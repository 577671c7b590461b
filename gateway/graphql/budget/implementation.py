"""After the money: a project's implementation stages, community checks and citizens' verification.

The budget service keeps the stages and checks and counts the citizens' answers (learned from
intake); these types only translate. Small counts of sensitive groups arrive as "<5" for
callers outside the commune's council: ``participants`` is then null, and so are that group's
scores.
"""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import quote

import strawberry

from contracts.api import budget as api
from contracts.budget import ProjectStage

HIDDEN = ' Null when fewer than 5 of a sensitive group and you are not on the commune\'s council ("<5").'


@strawberry.type(
    description="A stage a project reached, with the day and an optional note and photo reference."
)
class ProjectStageRecord:
    stage: ProjectStage = strawberry.field(description="Which stage.")
    on: date = strawberry.field(description="The day it was reached (Cambodian calendar).")
    note: str | None = strawberry.field(description="What the council noted, e.g. the contractor.")
    photo_ref: str | None = strawberry.field(
        description="A reference to a photo the commune keeps (a file name or number); the image itself "
        "is not stored by Khum."
    )
    set_at: datetime = strawberry.field(description="When it was recorded (UTC).")
    photo_url: str | None = strawberry.field(
        default=None,
        description="The stage's photo on the public site (a path: JPEG or PNG, location metadata removed).",
    )

    @classmethod
    def of(cls, record: api.StageRecord, commune_code: str) -> ProjectStageRecord:
        photo = record.photo_id
        return cls(
            stage=record.stage,
            on=record.on,
            note=record.note,
            photo_ref=record.photo_ref,
            set_at=record.set_at,
            photo_url=photo_path(commune_code, photo) if photo else None,
        )


def photo_path(commune_code: str, photo_id: str) -> str:
    return f"/communes/{quote(commune_code, safe='')}/photos/{quote(photo_id, safe='')}"


def _count(value: int | str) -> int | None:
    """A small sensitive group's count arrives hidden ("<5"): null in GraphQL."""
    return value if isinstance(value, int) else None


@strawberry.type(description="One group's answers at a community check: scores from 1 (no) to 5 (fully).")
class CommunityCheckScore:
    group: str = strawberry.field(
        description="all, women, men, youth, elderly, disability, idpoor, indigenous or migrant."
    )
    participants: int | None = strawberry.field(description="How many took part." + HIDDEN)
    built: int | None = strawberry.field(description="Was it built as planned?" + HIDDEN)
    works: int | None = strawberry.field(description="Does it work?" + HIDDEN)
    used: int | None = strawberry.field(description="Is it used by the people it was for?" + HIDDEN)


@strawberry.type(description="A facilitator-led community check (in the spirit of the ISAF scorecard).")
class CommunityCheck:
    id: strawberry.ID = strawberry.field(description="Stable id.")
    held_on: date = strawberry.field(description="The day of the check.")
    participants: int | None = strawberry.field(description="How many took part (the largest group).")
    scores: list[CommunityCheckScore] = strawberry.field(description="Answers by group.")
    note: str | None = strawberry.field(description="What the community said, in short.")

    @classmethod
    def of(cls, check: api.CommunityCheck) -> CommunityCheck:
        return cls(
            id=strawberry.ID(check.id),
            held_on=check.held_on,
            participants=check.participants,
            scores=[
                CommunityCheckScore(
                    group=s.group,
                    participants=_count(s.participants),
                    built=s.built,
                    works=s.works,
                    used=s.used,
                )
                for s in check.scores
            ],
            note=check.note,
        )


@strawberry.type(description="Averages of the latest community check, weighted by participants (1 to 5).")
class CheckAverages:
    built: float | None = strawberry.field(description="Was it built as planned?")
    works: float | None = strawberry.field(description="Does it work?")
    used: float | None = strawberry.field(description="Is it used?")


@strawberry.type(description="What citizens and the community said of a project's works.")
class Verification:
    citizen_answers: int = strawberry.field(
        description="Answers from the people who raised its needs (one per tracking code; the latest counts)."
    )
    citizen_satisfied: int = strawberry.field(description="Of those, how many were satisfied.")
    citizen_rating: float | None = strawberry.field(description="Their average rating, 1 to 5.")
    checks: list[CommunityCheck] = strawberry.field(description="Community checks, oldest first.")
    latest_check: CheckAverages = strawberry.field(description="The latest check's averages.")

    @classmethod
    def of(cls, verification: api.Verification) -> Verification:
        latest = verification.latest_check
        return cls(
            citizen_answers=verification.citizen_answers,
            citizen_satisfied=verification.citizen_satisfied,
            citizen_rating=verification.citizen_rating,
            checks=[CommunityCheck.of(c) for c in verification.checks],
            latest_check=CheckAverages(built=latest.built, works=latest.works, used=latest.used),
        )


@strawberry.type(description="A project's works in the public view: stages and verification.")
class TransparencyProject:
    project_id: strawberry.ID = strawberry.field(description="The project's global id.")
    title: str = strawberry.field(description="What is built or done.")
    stage: ProjectStage | None = strawberry.field(description="The latest stage reached.")
    stages: list[ProjectStageRecord] = strawberry.field(description="Stages reached, in order.")
    verification: Verification = strawberry.field(description="Citizens' and the community's verdict.")


@strawberry.input(description="Record a funded project's next implementation stage. Commune council only.")
class SetProjectStageInput:
    project_id: strawberry.ID = strawberry.field(description="The project (global or plain id).")
    stage: ProjectStage = strawberry.field(
        description="The next stage, in order: procurement, works started, completed, handed over "
        "(budget.stage_out_of_order otherwise)."
    )
    on: date = strawberry.field(
        description="The day it was reached: not in the future, not before the last stage."
    )
    note: str | None = strawberry.field(default=None, description="Optional, up to 2,000 characters.")
    photo_ref: str | None = strawberry.field(
        default=None, description="Optional reference to a photo the commune keeps (up to 200 characters)."
    )
    photo: str | None = strawberry.field(
        default=None,
        description="Optional photo of the stage: a JPEG or PNG of at most 400 KB, in base64. Its location "
        "and other metadata are removed before it is kept (budget.photo_too_large, budget.photo_type, "
        "budget.photo_invalid).",
    )


@strawberry.input(description="One group's answers: how many took part, and scores from 1 (no) to 5 (fully).")
class CommunityCheckScoreInput:
    group: str = strawberry.field(
        description="all, women, men, youth, elderly, disability, idpoor, indigenous or migrant."
    )
    participants: int = strawberry.field(description="How many of the group took part (1 or more).")
    built: int = strawberry.field(description="Was it built as planned? 1 to 5.")
    works: int = strawberry.field(description="Does it work? 1 to 5.")
    used: int = strawberry.field(description="Is it used by the people it was for? 1 to 5.")


@strawberry.input(
    description="A community check of completed works, led by the commune's facilitators or council."
)
class RecordCommunityCheckInput:
    project_id: strawberry.ID = strawberry.field(description="The project (global or plain id).")
    held_on: date = strawberry.field(description="The day of the check, on or after completion.")
    scores: list[CommunityCheckScoreInput] = strawberry.field(description="Answers by group (at least one).")
    note: str | None = strawberry.field(default=None, description="What the community said, in short.")
