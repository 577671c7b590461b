"""Who is told about what, and in which words. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.needs import NeedSubmittedV1
from contracts.notify import audiences_for, council_audience
from services.runtime.identity import Identity

EXCERPT = 140


@dataclass(frozen=True)
class Message:
    audience: str
    kind: str
    text: dict[str, str]
    ref: str | None


def audiences_of(identity: Identity) -> tuple[str, ...]:
    return audiences_for(identity.role.value, identity.communes)


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def need_submitted_messages(need: NeedSubmittedV1) -> list[Message]:
    """A recorded need goes to the council of its commune."""
    excerpt = _excerpt(need.description)
    where_km = need.village_name.km if need.village_name else need.village_code
    where_en = need.village_name.latin if need.village_name else need.village_code
    return [
        Message(
            audience=council_audience(need.commune_code),
            kind="need_submitted",
            text={
                "en": f"New need {need.tracking_code} in {where_en} village: {excerpt}",
                "km": f"តម្រូវការថ្មី {need.tracking_code} នៅភូមិ{where_km}៖ {excerpt}",
            },
            ref=need.tracking_code,
        )
    ]
