"""Composition root of budget. It runs, provisions its stream and serves health; its domain
(fiscal years, lines, allocations, the ledger) arrives with issue 5."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from services.runtime.service import create_service_app
from services.runtime.settings import ServiceSettings
from services.runtime.stores import Collection

COLLECTIONS = (Collection("budget_lines", indexes=("commune_code",)),)


class BudgetSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KHUM_BUDGET_", extra="ignore")

    port: int = 8003
    store_url: str = "sqlite:///var/budget.db"


def create_app(settings: BudgetSettings | None = None) -> FastAPI:
    settings = settings or BudgetSettings()
    return create_service_app(name="budget", settings=settings, collections=COLLECTIONS)
