"""Composition root of intake: settings -> store, bus -> FastAPI app."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from services.intake import drafts, erasure, reserved
from services.intake.api import router as commands
from services.intake.consumers import consumers
from services.intake.gazetteer import import_gazetteer
from services.intake.queries import router as queries
from services.intake.store import COLLECTIONS
from services.runtime.service import Runtime, create_service_app
from services.runtime.settings import ServiceSettings

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KHUM_INTAKE_", extra="ignore")

    port: int = 8001
    store_url: str = "sqlite:///var/intake.db"
    gazetteer_dir: Path = REPO_ROOT / "infra" / "demo" / "gazetteer"
    # Off only in crash-safety tests: commit needs, publish nothing, as if killed before the relay ran.
    relay_enabled: bool = True


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()

    async def load_gazetteer(runtime: Runtime) -> None:
        result = await import_gazetteer(runtime.store, settings.gazetteer_dir)
        log.info(
            "gazetteer %s: %d communes, %d villages",
            "unchanged" if result.skipped else "imported",
            result.communes,
            result.villages,
        )

    return create_service_app(
        name="intake",
        settings=settings,
        collections=(
            *COLLECTIONS,
            reserved.RESERVED,
            drafts.DRAFTS,
            erasure.ERASURES,
            erasure.ERASED_CONTACTS,
        ),
        routers=[commands, queries, drafts.router, erasure.router, reserved.router],
        consumers=lambda rt: [*consumers(rt), *drafts.consumers(rt), *erasure.consumers(rt)],
        on_start=load_gazetteer,
        relay_enabled=settings.relay_enabled,
    )
