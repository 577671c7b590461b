"""Events of the meetings context (published by meetings).

DecisionRecorded is defined first because intake and budget consume it: the prioritised needs
with their ranks (a commune prioritisation meeting) and the approved CIP list (a CIP approval).
The other events tell notify, the gateway's live feeds and integrators what happened to a
meeting: scheduled, agenda published, announced, rescheduled, cancelled, attendance recorded,
minutes published. Times are UTC; ``sequence`` is the meeting's iCalendar SEQUENCE, raised on
every reschedule and on cancellation, so a calendar can tell a newer copy from an older one.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from contracts.needs import PlaceName
from contracts.spec import EventSpec
from contracts.subjects import event_type

DECISION_RECORDED = event_type("meetings", "DecisionRecorded", 1)
MEETING_SCHEDULED = event_type("meetings", "MeetingScheduled", 1)
AGENDA_PUBLISHED = event_type("meetings", "AgendaPublished", 1)
MEETING_ANNOUNCED = event_type("meetings", "MeetingAnnounced", 1)
MEETING_RESCHEDULED = event_type("meetings", "MeetingRescheduled", 1)
MEETING_CANCELLED = event_type("meetings", "MeetingCancelled", 1)
ATTENDANCE_RECORDED = event_type("meetings", "AttendanceRecorded", 1)
MINUTES_PUBLISHED = event_type("meetings", "MinutesPublished", 1)
ATTENDANCE_INTENDED = event_type("meetings", "AttendanceIntended", 1)

_COMMUNE = r"^\d{6}$"


class DecisionKind(StrEnum):
    PRIORITISATION = "prioritisation"
    """Needs ranked at a commune prioritisation meeting: intake marks them prioritised."""
    CIP_APPROVAL = "cip_approval"
    """The approved CIP list: intake marks those needs in CIP for the year."""
    OTHER = "other"


class RankedNeed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    need_id: str
    rank: int = Field(ge=1, description="1 is the highest priority")


class DecisionRecordedV1(BaseModel):
    """A council decision recorded at a meeting."""

    model_config = ConfigDict(extra="forbid", title="DecisionRecorded v1")

    decision_id: str
    meeting_id: str
    commune_code: str = Field(pattern=r"^\d{6}$")
    kind: DecisionKind
    year: int = Field(ge=2000, le=2100, description="The CIP year the decision is for")
    needs: list[RankedNeed] = Field(default_factory=list, description="Needs decided on, with ranks")
    summary: str | None = Field(default=None, max_length=2000)
    decided_by: str = Field(description="Account id of whoever recorded the decision")
    decided_at: datetime


class MeetingType(StrEnum):
    """The CIP meetings of a commune's year, and the council's own monthly meeting."""

    VILLAGE_NEEDS = "village_needs"
    COMMUNE_PRIORITISATION = "commune_prioritisation"
    CIP_APPROVAL = "cip_approval"
    DISTRICT_INTEGRATION_WORKSHOP = "district_integration_workshop"
    BUDGET_DISCLOSURE = "budget_disclosure"
    ISAF_INTERFACE = "isaf_interface"
    COUNCIL_MONTHLY = "council_monthly"


class MeetingState(StrEnum):
    """planned -> announced -> rescheduled* -> held -> minutes_published, or cancelled."""

    PLANNED = "planned"
    ANNOUNCED = "announced"
    RESCHEDULED = "rescheduled"
    HELD = "held"
    MINUTES_PUBLISHED = "minutes_published"
    CANCELLED = "cancelled"


class AgendaItemKind(StrEnum):
    NEED = "need"
    """A citizen's need (from intake's events), to be discussed or ranked."""
    BUDGET = "budget"
    """A budget item: a line, a project, a cut to explain."""
    OTHER = "other"


class Venue(BaseModel):
    """Where a meeting happens: a gazetteer village and a place people recognise."""

    model_config = ConfigDict(extra="forbid")

    village_code: str = Field(pattern=r"^\d{8}$")
    place: str = Field(min_length=1, max_length=200, description="e.g. the pagoda hall, the commune office")
    village_name: PlaceName | None = Field(
        default=None,
        description="The village's names, when the gazetteer knew them (loudspeaker scripts say it)",
    )


class AgendaItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    position: int = Field(ge=1)
    kind: AgendaItemKind
    title: str = Field(min_length=1, max_length=200)
    need_id: str | None = Field(default=None, description="For a need: intake's id of it")
    tracking_code: str | None = Field(default=None, description="For a need: the citizen's tracking code")
    minutes: int = Field(ge=1, le=240, description="The time box")
    owner: str = Field(min_length=1, max_length=100, description="Who leads this item")


class MeetingDetails(BaseModel):
    """What people need to know to come: shared by MeetingScheduled and MeetingAnnounced."""

    model_config = ConfigDict(extra="forbid")

    type: MeetingType
    title: str | None = Field(default=None, max_length=200)
    venue: Venue
    starts_at: datetime
    ends_at: datetime
    languages: list[str] = Field(description="Language codes, Khmer (km) first, e.g. km, jra, tpu")
    interpreter_arranged: bool
    accessibility_notes: str | None = Field(default=None, max_length=1000)
    remote_link: str | None = Field(
        default=None, max_length=500, description="Telegram, Facebook Live, video"
    )


class MeetingScheduledV1(BaseModel):
    """A meeting was put on the commune's calendar (not yet public)."""

    model_config = ConfigDict(extra="forbid", title="MeetingScheduled v1")

    meeting_id: str
    commune_code: str = Field(pattern=_COMMUNE)
    details: MeetingDetails
    ics_uid: str
    sequence: int = Field(ge=0)
    scheduled_by: str
    scheduled_at: datetime


class AgendaPublishedV1(BaseModel):
    """A meeting's agenda, with time boxes and owners, was published (or replaced)."""

    model_config = ConfigDict(extra="forbid", title="AgendaPublished v1")

    meeting_id: str
    commune_code: str = Field(pattern=_COMMUNE)
    items: list[AgendaItem]
    total_minutes: int = Field(ge=1)
    published_by: str
    published_at: datetime


class MeetingAnnouncedV1(BaseModel):
    """A meeting was announced to the public with its agenda: notify tells people."""

    model_config = ConfigDict(extra="forbid", title="MeetingAnnounced v1")

    meeting_id: str
    commune_code: str = Field(pattern=_COMMUNE)
    details: MeetingDetails
    agenda: list[AgendaItem]
    ics_uid: str
    sequence: int = Field(ge=0)
    announced_by: str
    announced_at: datetime
    code: str | None = Field(
        default=None, max_length=12, description="The meeting's short code, for COME <code> by SMS"
    )


class MeetingRescheduledV1(BaseModel):
    """A meeting moved in time (and maybe place). ``was_announced``: people must be told again."""

    model_config = ConfigDict(extra="forbid", title="MeetingRescheduled v1")

    meeting_id: str
    commune_code: str = Field(pattern=_COMMUNE)
    previous_starts_at: datetime
    previous_ends_at: datetime
    starts_at: datetime
    ends_at: datetime
    venue: Venue
    reason: str | None = Field(default=None, max_length=1000)
    was_announced: bool
    ics_uid: str
    sequence: int = Field(ge=1)
    rescheduled_by: str
    rescheduled_at: datetime
    emergency_reason: str | None = Field(
        default=None,
        max_length=1000,
        description="Set when the council overrode the notice period or the night-hours rule",
    )
    answered_by: list[str] = Field(
        default_factory=list, description="Account ids of whoever answered for a group that they will come"
    )


class MeetingCancelledV1(BaseModel):
    """A meeting was cancelled, always with the reason."""

    model_config = ConfigDict(extra="forbid", title="MeetingCancelled v1")

    meeting_id: str
    commune_code: str = Field(pattern=_COMMUNE)
    reason: str = Field(min_length=1, max_length=1000)
    was_announced: bool
    ics_uid: str
    sequence: int = Field(ge=1)
    cancelled_by: str
    cancelled_at: datetime
    emergency_reason: str | None = Field(
        default=None,
        max_length=1000,
        description="Set when the council overrode the notice period or the night-hours rule",
    )
    answered_by: list[str] = Field(
        default_factory=list, description="Account ids of whoever answered for a group that they will come"
    )


class AttendanceCounts(BaseModel):
    """Who came, as counts (never names). Every group is a subset of ``total``."""

    model_config = ConfigDict(extra="forbid")

    total: int = Field(ge=0)
    in_person: int = Field(ge=0)
    remote: int = Field(ge=0)
    women: int = Field(ge=0)
    men: int = Field(ge=0)
    disability: int = Field(ge=0)
    idpoor: int = Field(ge=0, description="Members of IDPoor households")
    indigenous: int = Field(ge=0)
    migrant: int = Field(ge=0, description="People who work away from home")
    youth: int = Field(ge=0)
    council_present: int = Field(ge=0)
    council_total: int = Field(ge=0)


class AttendanceRecordedV1(BaseModel):
    """Attendance was recorded at a meeting (the meeting is then held)."""

    model_config = ConfigDict(extra="forbid", title="AttendanceRecorded v1")

    meeting_id: str
    commune_code: str = Field(pattern=_COMMUNE)
    type: MeetingType
    counts: AttendanceCounts
    quorum_met: bool
    recorded_by: str
    recorded_at: datetime


class MinutesPublishedV1(BaseModel):
    """The minutes of a held meeting were published, with the decisions taken at it."""

    model_config = ConfigDict(extra="forbid", title="MinutesPublished v1")

    meeting_id: str
    commune_code: str = Field(pattern=_COMMUNE)
    minutes: str = Field(min_length=1, max_length=20_000)
    decision_ids: list[str]
    published_by: str
    published_at: datetime


class RsvpResponse(StrEnum):
    """An answer to a meeting invitation, given for a group of people."""

    ATTENDING = "attending"
    MAYBE = "maybe"
    NOT_ATTENDING = "not_attending"


class IntentionChannel(StrEnum):
    WEB = "web"
    SMS = "sms"
    TELEGRAM = "telegram"
    FACEBOOK = "facebook"
    FACILITATOR = "facilitator"


class AttendanceIntendedV1(BaseModel):
    """Someone said they will come to a meeting ("I will come", COME <code>). No personal data:
    notify keeps who sent it (to tell them if the meeting moves); meetings counts it."""

    model_config = ConfigDict(extra="forbid", title="AttendanceIntended v1")

    intention_id: str = Field(
        min_length=1, max_length=100, description="Counted once, however often delivered"
    )
    meeting_id: str
    commune_code: str = Field(pattern=_COMMUNE)
    channel: IntentionChannel
    groups: list[str] = Field(
        default_factory=list,
        max_length=7,
        description="Groups the person said they belong to: women, disability, idpoor, indigenous, "
        "migrant, youth, remote",
    )
    intended_at: datetime


SPECS = (
    EventSpec(DECISION_RECORDED, DecisionRecordedV1, "meetings"),
    EventSpec(MEETING_SCHEDULED, MeetingScheduledV1, "meetings"),
    EventSpec(AGENDA_PUBLISHED, AgendaPublishedV1, "meetings"),
    EventSpec(MEETING_ANNOUNCED, MeetingAnnouncedV1, "meetings"),
    EventSpec(MEETING_RESCHEDULED, MeetingRescheduledV1, "meetings"),
    EventSpec(MEETING_CANCELLED, MeetingCancelledV1, "meetings"),
    EventSpec(ATTENDANCE_RECORDED, AttendanceRecordedV1, "meetings"),
    EventSpec(MINUTES_PUBLISHED, MinutesPublishedV1, "meetings"),
    EventSpec(ATTENDANCE_INTENDED, AttendanceIntendedV1, "notify and meetings"),
)
