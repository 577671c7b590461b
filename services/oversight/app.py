"""Composition root of oversight: settings -> store, bus -> FastAPI app with its consumers.

Oversight publishes nothing (it only reads events into its tallies), so its outbox relay is
off."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from services.oversight.api import router
from services.oversight.consumers import consumers
from services.oversight.store import COLLECTIONS
from services.runtime.service import create_service_app
from services.runtime.settings import ServiceSettings


class OversightSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KHUM_OVERSIGHT_", extra="ignore")

    port: int = 8005
    store_url: str = "sqlite:///var/oversight.db"


def create_app(settings: OversightSettings | None = None) -> FastAPI:
    settings = settings or OversightSettings()
    return create_service_app(
        name="oversight",
        settings=settings,
        collections=COLLECTIONS,
        routers=[router],
        consumers=consumers,
        relay_enabled=False,
    )
