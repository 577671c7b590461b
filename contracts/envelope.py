"""The CloudEvents 1.0 envelope every Khum event travels in.

Attribute names follow the CloudEvents spec (structured JSON mode). Khum adds four
extensions: ``communecode`` (the partition key, also the last subject token),
``correlationid`` (the user action that started a chain), ``causationid`` (the event that
directly caused this one) and ``traceparent`` (W3C trace context).
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

COMMUNE_CODE_PATTERN = r"^\d{6}$"


def uuid7() -> str:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits, so ids sort by time."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 62) & 0xFFF) << 64  # rand_a, 12 bits
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)  # rand_b, 62 bits
    return str(uuid.UUID(int=value))


class Envelope(BaseModel):
    """A CloudEvent in structured mode. ``data`` holds the event payload as a plain dict."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=64)
    source: str = Field(min_length=1, description="The producing service, e.g. /khum/intake")
    type: str = Field(pattern=r"^khum\.[a-z]+\.[A-Za-z]+\.v\d+$")
    subject: str | None = Field(default=None, description="The entity the event is about")
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]
    communecode: str = Field(pattern=COMMUNE_CODE_PATTERN)
    correlationid: str | None = None
    causationid: str | None = None
    traceparent: str | None = None

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time must carry a timezone")
        return value.astimezone(UTC)

    @property
    def nats_subject(self) -> str:
        """Where this event is published: its type, then the commune code."""
        return f"{self.type}.{self.communecode}"

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        return cls.model_validate_json(raw)


def new_event(
    payload: BaseModel,
    *,
    event_type: str,
    source: str,
    communecode: str,
    subject: str | None = None,
    correlationid: str | None = None,
    causationid: str | None = None,
    traceparent: str | None = None,
) -> Envelope:
    """Wrap a validated payload in a fresh envelope with a time-ordered id."""
    return Envelope(
        id=uuid7(),
        source=source,
        type=event_type,
        subject=subject,
        time=datetime.now(UTC),
        data=payload.model_dump(mode="json"),
        communecode=communecode,
        correlationid=correlationid,
        causationid=causationid,
        traceparent=traceparent,
    )
