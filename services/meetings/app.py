"""Composition root of meetings."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from services.meetings.api import router
from services.meetings.consumers import consumers
from services.runtime.service import create_service_app
from services.runtime.settings import ServiceSettings
from services.runtime.stores import Collection

COLLECTIONS = (Collection("agenda_candidates", indexes=("commune_code",)),)


class MeetingsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KHUM_MEETINGS_", extra="ignore")

    port: int = 8002
    store_url: str = "sqlite:///var/meetings.db"


def create_app(settings: MeetingsSettings | None = None) -> FastAPI:
    settings = settings or MeetingsSettings()
    return create_service_app(
        name="meetings",
        settings=settings,
        collections=COLLECTIONS,
        routers=[router],
        consumers=consumers,
    )
