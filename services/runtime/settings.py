"""Settings shared by every service; each service subclasses with its own env prefix."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.runtime.secret_strength import weakness

# Public on purpose: only ever accepted in development, refused anywhere else.
DEVELOPMENT_SECRET = "khum-development-secret-not-for-production-use"  # noqa: S105


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KHUM_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 8001
    nats_url: str = "nats://127.0.0.1:4222"
    store_url: str = "sqlite:///var/service.db"
    identity_secret: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    stream_replicas: int = 1
    # How soon a silent or cut-off NATS node is noticed (services/runtime/bus.py): a ping every
    # 2 s with two unanswered allowed (~4-6 s), and a JetStream probe every 2 s whose
    # consecutive failures move the connection to another node of the cluster.
    nats_ping_interval: int = 2
    nats_max_outstanding_pings: int = 2
    nats_probe_interval: float = 2.0
    nats_probe_timeout: float = 1.5
    nats_probe_failures: int = 2
    log_level: str = "info"
    log_format: Literal["json", "text"] = "json"
    # Traces are off unless set: "otlp" (OTEL_EXPORTER_OTLP_ENDPOINT) or "jsonl:<path>".
    trace_export: str | None = None

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> ServiceSettings:
        if self.environment != "development":
            for name, value in self._secrets().items():
                why = "the development secret" if value == DEVELOPMENT_SECRET else weakness(value)
                if why:
                    raise ValueError(
                        f"{name} must be a random secret of 32+ characters outside development "
                        f"(environment={self.environment}): it is {why}. "
                        "Make one with `openssl rand -hex 32`."
                    )
        return self

    def _secrets(self) -> dict[str, str]:
        return {"identity_secret": self.identity_secret.get_secret_value()}
