"""Gateway settings (env prefix ``KHUM_GATEWAY_``)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from services.runtime.settings import DEVELOPMENT_SECRET, ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KHUM_GATEWAY_", extra="ignore")

    port: int = 8000
    store_url: str = "sqlite:///var/gateway.db"
    session_secret: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    intake_url: str = "http://127.0.0.1:8001"
    meetings_url: str = "http://127.0.0.1:8002"
    budget_url: str = "http://127.0.0.1:8003"
    notify_url: str = "http://127.0.0.1:8004"
    oversight_url: str = "http://127.0.0.1:8005"
    # Seeds the demo accounts (with their published passwords): never in production.
    demo: bool = False
    session_hours: int = 12
    # Requests a minute per caller at /graphql (see gateway/limits.py and docs/integrators.md).
    rate_token_per_minute: int = 600
    rate_session_per_minute: int = 240
    rate_anonymous_per_minute: int = 120
    service_timeout_seconds: float = 10.0
    # Browser sessions may send only the PWA's persisted operations (gateway/persisted.py).
    # Unset: on in production, off elsewhere (the explorer and the tests send their own queries).
    persisted_only: bool | None = None
    # Plain objects (attributes only) are written out by a walk of the selection rather than
    # field by field (gateway/graphql/executor.py); off, graphql-core completes every field.
    plain_fields: bool = True
    # Request bodies past this are refused with 413 before they are read (gateway/bodylimit.py).
    max_body_bytes: int = 1_000_000
    # Proxies (addresses or networks) whose X-Forwarded-For / -Proto are believed
    # (gateway/client_address.py); none by default, so a client cannot pick its own address.
    trusted_proxies: tuple[str, ...] = ()
    # Failed logins from one address (any accounts) within 15 minutes before it waits.
    login_failures_per_address: int = 30
    # Live events a subscriber may have waiting before it is closed with 4420 "too slow" (it
    # resumes from its cursor, nothing is lost): room for a burst, not for a phone gone quiet.
    live_backlog: int = Field(default=500, ge=1)
    # The communes this deployment serves: an anonymous visit to / shows theirs (a picker when
    # several). Empty: the visitor chooses with ?commune=, or the demo's communes in the demo.
    home_communes: tuple[str, ...] = ()
    # The demo's pretend SMS, Telegram and mail channels (infra/demo_channels.py), set by
    # `make run` only: /demo/messages shows what citizens received. Refused in production.
    demo_channels_url: str = ""

    @model_validator(mode="after")
    def _no_demo_in_production(self) -> GatewaySettings:
        if self.demo and self.environment == "production":
            raise ValueError("demo accounts have public passwords: demo=true is refused in production")
        if self.demo_channels_url and self.environment == "production":
            raise ValueError("demo_channels_url is for the embedded demo only: refused in production")
        return self

    def _secrets(self) -> dict[str, str]:
        return {**super()._secrets(), "session_secret": self.session_secret.get_secret_value()}
