"""How a contracts module declares its events, so the registry can collect them."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel


@dataclass(frozen=True)
class EventSpec:
    event_type: str
    model: type[BaseModel]
    producer: str
