"""Composition root of notify."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from services.notify.api import router
from services.notify.consumers import consumers
from services.runtime.service import create_service_app
from services.runtime.settings import ServiceSettings
from services.runtime.stores import Collection

COLLECTIONS = (Collection("notifications", unique=("dedup_key",), indexes=("audience",)),)


class NotifySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KHUM_NOTIFY_", extra="ignore")

    port: int = 8004
    store_url: str = "sqlite:///var/notify.db"


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    return create_service_app(
        name="notify",
        settings=settings,
        collections=COLLECTIONS,
        routers=[router],
        consumers=consumers,
    )
