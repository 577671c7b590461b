"""Notify's settings (env prefix ``KHUM_NOTIFY_``). A channel is on only when its settings are
there: no VAPID key, no push; no SMS provider URL and key, no SMS; and so on."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from contracts.local_time import TIME_ZONE
from services.notify.domain.quiet import DEFAULT_QUIET_HOURS, QuietHours
from services.runtime.settings import ServiceSettings


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


class NotifySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KHUM_NOTIFY_", extra="ignore")

    port: int = 8004
    store_url: str = "sqlite:///var/notify.db"
    app_url: str = ""
    """The PWA's public URL, for links in push messages (empty: links are relative)."""
    public_url: str = ""
    """Where the public reaches notify itself (webhooks, e-mail unsubscribe links), e.g.
    https://khum.example/notify; e-mails carry an unsubscribe link only when it is set."""

    # When and how often
    timezone: str = TIME_ZONE
    quiet_hours: str = DEFAULT_QUIET_HOURS
    quiet_channels: tuple[str, ...] = ("sms", "push")
    retry_base_seconds: float = 30.0
    retry_cap_seconds: float = 3600.0
    max_attempts: int = 6
    dispatch_interval_seconds: float = 1.0
    facts_wait_seconds: float = Field(default=20.0, ge=0)
    """How long a need's outcome waits for the facts that explain it (its rank, its project),
    which reach notify on other consumers; then it is sent without them. 0: never waits."""
    sending_lease_seconds: float = 300.0
    rate_limits: dict[str, float] = Field(
        default_factory=lambda: {"sms": 5.0, "telegram": 25.0, "email": 5.0, "push": 50.0}
    )
    webhook_tolerance_seconds: int = 300

    # Web Push (VAPID)
    vapid_private_key: SecretStr | None = None
    vapid_subject: str = "mailto:notify@khum.invalid"
    push_ttl_seconds: int = 86_400
    push_allow_insecure_endpoints: bool = False
    """Plain-http push endpoints: only for a local test push service, refused in production."""

    # SMS through an HTTP provider
    sms_base_url: str = ""
    sms_api_key: SecretStr | None = None
    sms_sender: str = "Khum"
    sms_webhook_secret: SecretStr | None = None
    sms_max_segments: int = 6
    sms_segment_cost_riel: int = Field(default=100, ge=0)
    """What one SMS part costs this deployment, in whole riel (an estimate shown in the
    deliveries log; set it to the provider's price)."""
    sms_numbers: dict[str, str] = Field(default_factory=dict)
    """The commune each of our SMS numbers serves, e.g. {"+85523900101": "160101"}."""
    sms_default_commune: str = ""

    # Which SMS provider: Khum's own HTTP format (above), an Android phone running the
    # open-source "SMS Gateway for Android" app on a local SIM, or Twilio.
    sms_provider: Literal["khum", "android", "twilio"] = "khum"
    sms_android_url: str = ""
    """The app's local server (http://<phone>:8080) or its cloud/private server API base."""
    sms_android_path: str = "/message"
    sms_android_username: str = ""
    sms_android_password: SecretStr | None = None
    sms_android_signing_key: SecretStr | None = None
    """The app's webhook signing key (Settings, Webhooks): incoming SMS and delivery reports."""
    sms_twilio_api_base: str = "https://api.twilio.com"
    sms_twilio_account_sid: str = ""
    sms_twilio_auth_token: SecretStr | None = None
    sms_twilio_from: str = ""
    """A number in E.164, an alphanumeric sender id, or a Messaging Service id (MG...)."""

    # Telegram Bot API
    telegram_api_base: str = "https://api.telegram.org"
    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_url: str = ""
    telegram_default_commune: str = ""

    # Facebook Messenger: each commune's Page, its access token, and the app's webhook secrets
    facebook_graph_base: str = "https://graph.facebook.com"
    facebook_graph_version: str = Field(default="v21.0", pattern=r"^v\d+\.\d+$")
    facebook_app_secret: SecretStr | None = None
    """Signs every webhook POST (X-Hub-Signature-256)."""
    facebook_verify_token: SecretStr | None = None
    """What the app dashboard sends back when it verifies the webhook URL."""
    facebook_pages: dict[str, str] = Field(default_factory=dict)
    """The commune each Page serves, e.g. {"104512345678901": "160101"}."""
    facebook_page_tokens: dict[str, SecretStr] = Field(default_factory=dict)
    """Each Page's access token (Send API), by Page id."""

    # Voice notes (Telegram voice, kept in notify's store for facilitators to play)
    voice_max_bytes: int = Field(default=2_000_000, ge=1_000, le=20_000_000)
    voice_types: tuple[str, ...] = (
        "audio/ogg",
        "audio/mpeg",
        "audio/mp4",
        "audio/aac",
        "audio/amr",
        "audio/webm",
    )

    # E-mail over SMTP
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: SecretStr | None = None
    smtp_from: str = ""
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours_parse(cls, value: str) -> str:
        QuietHours.parse(value)
        return value

    @field_validator("sms_numbers")
    @classmethod
    def _commune_codes(cls, value: dict[str, str]) -> dict[str, str]:
        for number, commune in value.items():
            if not (commune.isdigit() and len(commune) == 6):
                raise ValueError(f"sms_numbers[{number!r}] must be a 6-digit commune code")
        return value

    @field_validator("facebook_pages")
    @classmethod
    def _page_communes(cls, value: dict[str, str]) -> dict[str, str]:
        for page, commune in value.items():
            if not (page.isdigit() and commune.isdigit() and len(commune) == 6):
                raise ValueError(f"facebook_pages[{page!r}]: a numeric Page id to a 6-digit commune code")
        return value

    @field_validator("sms_default_commune", "telegram_default_commune")
    @classmethod
    def _commune_code(cls, value: str) -> str:
        if value and not (value.isdigit() and len(value) == 6):
            raise ValueError("a commune code has 6 digits")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's own rule for secret_token: 1-256 characters of A-Z, a-z, 0-9, _ and -.
        text = _secret(value)
        if text and (len(text) > 256 or not all(c.isascii() and (c.isalnum() or c in "_-") for c in text)):
            raise ValueError("telegram_webhook_secret: 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _no_insecure_push_in_production(self) -> NotifySettings:
        if self.push_allow_insecure_endpoints and self.environment == "production":
            raise ValueError("push_allow_insecure_endpoints is refused in production")
        return self

    def _secrets(self) -> dict[str, str]:
        present = {
            "sms_webhook_secret": _secret(self.sms_webhook_secret),
            "telegram_webhook_secret": _secret(self.telegram_webhook_secret),
            "sms_android_signing_key": _secret(self.sms_android_signing_key),
            # Not the app secret: Facebook makes it (32 hex characters), we cannot choose it.
            "facebook_verify_token": _secret(self.facebook_verify_token),
        }
        return {**super()._secrets(), **{k: v for k, v in present.items() if v}}

    @property
    def quiet(self) -> QuietHours | None:
        return QuietHours.parse(self.quiet_hours, self.timezone)

    @property
    def push_enabled(self) -> bool:
        return bool(_secret(self.vapid_private_key))

    @property
    def sms_enabled(self) -> bool:
        if self.sms_provider == "android":
            return bool(
                self.sms_android_url and self.sms_android_username and _secret(self.sms_android_password)
            )
        if self.sms_provider == "twilio":
            return bool(
                self.sms_twilio_account_sid and _secret(self.sms_twilio_auth_token) and self.sms_twilio_from
            )
        return bool(self.sms_base_url and _secret(self.sms_api_key))

    @property
    def telegram_enabled(self) -> bool:
        return bool(_secret(self.telegram_bot_token))

    @property
    def facebook_enabled(self) -> bool:
        return bool(_secret(self.facebook_app_secret) and self.facebook_pages and self.facebook_page_tokens)

    def facebook_page_token(self, page_id: str) -> str:
        return _secret(self.facebook_page_tokens.get(page_id))

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host and self.smtp_from)

    def secret(self, name: str) -> str:
        value = getattr(self, name)
        return _secret(value) if isinstance(value, SecretStr | None) else str(value)
