"""Composition root of meetings: settings -> store, bus -> FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from services.meetings import api, calendar_api, erasure, intentions_api, planning_api
from services.meetings.consumers import consumers
from services.meetings.settings import MeetingsSettings
from services.meetings.store import COLLECTIONS
from services.runtime.service import create_service_app

__all__ = ["MeetingsSettings", "create_app"]


def create_app(settings: MeetingsSettings | None = None) -> FastAPI:
    settings = settings or MeetingsSettings()
    return create_service_app(
        name="meetings",
        settings=settings,
        collections=COLLECTIONS,
        routers=[api.router, planning_api.router, calendar_api.router, intentions_api.router],
        consumers=lambda runtime: [
            *consumers(runtime),
            *erasure.consumers(runtime),
            *intentions_api.consumers(runtime),
        ],
    )
