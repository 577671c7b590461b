"""What the gateway and notify exchange over HTTP: request and answer models, used on both sides
(notify's routes declare them, so its OpenAPI is generated from them; gateway/clients/notify.py reads
its answers into them)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PushConfig(BaseModel):
    """GET /push/config."""

    public_key: str | None = Field(description="VAPID public key (base64url); null when push is off")
