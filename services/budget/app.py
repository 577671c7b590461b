"""Composition root of budget: settings -> store, bus -> FastAPI app with its consumers."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from services.budget.api import router
from services.budget.api_implementation import router as implementation
from services.budget.consumers import consumers
from services.budget.queries import router as queries
from services.budget.store import COLLECTIONS
from services.runtime.service import create_service_app
from services.runtime.settings import ServiceSettings


class BudgetSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KHUM_BUDGET_", extra="ignore")

    port: int = 8003
    store_url: str = "sqlite:///var/budget.db"


def create_app(settings: BudgetSettings | None = None) -> FastAPI:
    settings = settings or BudgetSettings()
    return create_service_app(
        name="budget",
        settings=settings,
        collections=COLLECTIONS,
        routers=[router, implementation, queries],
        consumers=consumers,
    )
