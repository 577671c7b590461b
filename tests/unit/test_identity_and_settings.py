"""Identity tokens between gateway and services, and settings that refuse unsafe defaults."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

import pytest
from pydantic import ValidationError

from gateway.settings import GatewaySettings
from services.intake.app import IntakeSettings
from services.runtime.identity import Identity, Role
from services.runtime.settings import DEVELOPMENT_SECRET
from services.runtime.tokens import InvalidIdentityError, issue_token, verify_token

SECRET = "s" * 40


def test_a_token_round_trips_the_callers_identity() -> None:
    identity = Identity("u1", Role.COUNCIL_MEMBER, ("160101", "210103"))
    assert verify_token(issue_token(identity, SECRET), SECRET) == identity


def test_a_token_signed_with_another_secret_is_refused() -> None:
    token = issue_token(Identity("u1", Role.FACILITATOR, ("160101",)), "x" * 40)
    with pytest.raises(InvalidIdentityError):
        verify_token(token, SECRET)


def test_an_expired_token_is_refused() -> None:
    token = issue_token(Identity("u1", Role.FACILITATOR, ("160101",)), SECRET, ttl=-1)
    time.sleep(0.01)
    with pytest.raises(InvalidIdentityError):
        verify_token(token, SECRET)


def test_production_refuses_the_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KHUM_INTAKE_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="identity_secret"):
        IntakeSettings()
    monkeypatch.setenv("KHUM_INTAKE_IDENTITY_SECRET", "short")
    with pytest.raises(ValidationError, match="identity_secret"):
        IntakeSettings()
    monkeypatch.setenv("KHUM_INTAKE_IDENTITY_SECRET", secrets.token_hex(32))
    assert IntakeSettings().environment == "production"


@pytest.mark.parametrize(
    "weak",
    [
        "a" * 32,
        "changeme" * 4,
        "ab" * 20,
        "my-secret-" + "x1y2z3" * 5,
        "0123456789abcdef" * 2,
        "aaaaabbbbbcccccdddddeeeeefffffgg",
    ],
)
def test_production_refuses_placeholder_and_low_entropy_secrets(
    monkeypatch: pytest.MonkeyPatch, weak: str
) -> None:
    monkeypatch.setenv("KHUM_INTAKE_ENVIRONMENT", "production")
    monkeypatch.setenv("KHUM_INTAKE_IDENTITY_SECRET", weak)
    with pytest.raises(ValidationError, match="identity_secret"):
        IntakeSettings()


@pytest.mark.parametrize(
    "make", [lambda: secrets.token_hex(16), lambda: secrets.token_hex(32), lambda: secrets.token_urlsafe(32)]
)
def test_production_accepts_generated_secrets(
    monkeypatch: pytest.MonkeyPatch, make: Callable[[], str]
) -> None:
    monkeypatch.setenv("KHUM_INTAKE_ENVIRONMENT", "production")
    for _ in range(20):
        monkeypatch.setenv("KHUM_INTAKE_IDENTITY_SECRET", make())
        assert IntakeSettings().environment == "production"


def test_the_gateway_refuses_a_default_session_secret_and_demo_accounts_in_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KHUM_GATEWAY_ENVIRONMENT", "production")
    monkeypatch.setenv("KHUM_GATEWAY_IDENTITY_SECRET", secrets.token_hex(32))
    with pytest.raises(ValidationError, match="session_secret"):
        GatewaySettings()
    monkeypatch.setenv("KHUM_GATEWAY_SESSION_SECRET", secrets.token_hex(32))
    assert GatewaySettings().demo is False
    monkeypatch.setenv("KHUM_GATEWAY_DEMO", "true")
    with pytest.raises(ValidationError, match="demo"):
        GatewaySettings()


def test_development_accepts_the_default_secret() -> None:
    assert IntakeSettings().identity_secret.get_secret_value() == DEVELOPMENT_SECRET
