"""Meetings settings (env prefix ``KHUM_MEETINGS_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.runtime.settings import ServiceSettings


class MeetingsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KHUM_MEETINGS_", extra="ignore")

    port: int = 8002
    store_url: str = "sqlite:///var/meetings.db"
    # A meeting is announced, with its published agenda, at least this many days before it.
    agenda_notice_days: int = Field(default=7, ge=0, le=60)
    # The attendance counter opens this long before a meeting starts (people arrive early).
    attendance_opens_minutes: int = Field(default=60, ge=0, le=24 * 60)
    # A commune nobody has described yet: this share of its people is assumed to work away.
    default_migrant_share_percent: int = Field(default=15, ge=0, le=100)
    # ...and this share works by day every day (fields, six-day factory shifts): evenings suit them.
    default_day_work_share_percent: int = Field(default=50, ge=0, le=100)
