"""Every event type Khum knows, with its payload model, for producers, consumers and export."""

from __future__ import annotations

from functools import cache
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from contracts import budget, meetings, needs, notify
from contracts.envelope import Envelope
from contracts.spec import EventSpec

EVENTS: dict[str, EventSpec] = {
    spec.event_type: spec for module in (needs, meetings, budget, notify) for spec in module.SPECS
}


class UnreadableEvent(Exception):
    """A message that no consumer can ever handle: it belongs in the dead-letter stream."""


M = TypeVar("M", bound=BaseModel)


@cache
def _tolerant(model: type[BaseModel]) -> type[BaseModel]:
    return type(f"Tolerant{model.__name__}", (model,), {"model_config": ConfigDict(extra="ignore")})


def read_event(raw: bytes, model: type[M]) -> tuple[Envelope, M]:
    """Parse an envelope and its payload tolerantly: unknown payload fields are ignored."""
    try:
        envelope = _TolerantEnvelope.model_validate_json(raw)
    except ValidationError as exc:
        raise UnreadableEvent(f"invalid envelope: {_brief(exc)}") from exc
    if envelope.type not in EVENTS or EVENTS[envelope.type].model is not model:
        raise UnreadableEvent(f"unexpected event type {envelope.type!r} for {model.__name__}")
    try:
        payload = _tolerant(model).model_validate(envelope.data)
    except ValidationError as exc:
        raise UnreadableEvent(f"invalid {envelope.type} payload: {_brief(exc)}") from exc
    return Envelope.model_construct(**dict(envelope)), payload  # type: ignore[return-value]


class _TolerantEnvelope(Envelope):
    model_config = ConfigDict(extra="ignore", frozen=True)


def _brief(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
    )[:500]
