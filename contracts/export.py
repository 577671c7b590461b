"""Write the JSON Schema of the envelope and of every event to contracts/schemas/.

Run ``python -m contracts.export``; a test fails when the committed files drift from the code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from contracts.envelope import Envelope
from contracts.registry import EVENTS
from contracts.subjects import STREAM_BY_CONTEXT

SCHEMA_DIR = Path(__file__).parent / "schemas"
ASYNCAPI_PATH = Path(__file__).parent / "asyncapi.json"


def rendered_schemas() -> dict[str, str]:
    files: dict[str, str] = {}
    envelope = Envelope.model_json_schema()
    envelope["$id"] = "https://khum.org/schemas/envelope.json"
    files["envelope.json"] = _dump(envelope)
    for spec in EVENTS.values():
        schema = spec.model.model_json_schema()
        schema["$id"] = f"https://khum.org/schemas/{spec.event_type}.json"
        schema["x-khum-producer"] = spec.producer
        files[f"{spec.event_type}.json"] = _dump(schema)
    return files


def asyncapi_document() -> dict[str, Any]:
    """An AsyncAPI 3.0 document of every subject: one channel and one message per event type.

    Each message's payload is the CloudEvents envelope whose ``data`` is the event's schema.
    """
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for spec in sorted(EVENTS.values(), key=lambda s: s.event_type):
        name = spec.event_type.replace(".", "_")
        context = spec.event_type.split(".")[1]
        payload = {
            "allOf": [
                {"$ref": "https://khum.org/schemas/envelope.json"},
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": spec.event_type},
                        "data": {"$ref": f"https://khum.org/schemas/{spec.event_type}.json"},
                    },
                },
            ]
        }
        messages[name] = {
            "name": spec.event_type,
            "title": spec.model.model_json_schema().get("title", spec.event_type),
            "summary": (spec.model.__doc__ or "").strip().splitlines()[0],
            "contentType": "application/cloudevents+json",
            "headers": {
                "type": "object",
                "properties": {"Nats-Msg-Id": {"type": "string", "description": "The event id (dedup)"}},
            },
            "payload": payload,
        }
        channels[name] = {
            "address": f"{spec.event_type}.{{communecode}}",
            "description": f"Stream {STREAM_BY_CONTEXT[context]}; published by {spec.producer}.",
            "parameters": {"communecode": {"description": "Commune gazetteer code, 6 digits"}},
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        operations[f"publish_{name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{name}"},
            "summary": f"{spec.producer} publishes {spec.event_type}",
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Khum events",
            "version": "1.0.0",
            "description": "Every event Khum's services publish on NATS JetStream, in CloudEvents 1.0 "
            "envelopes. Subjects end in the commune code so consumers can filter by commune.",
        },
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def rendered_asyncapi() -> str:
    return json.dumps(asyncapi_document(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _dump(schema: dict[str, object]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> int:
    SCHEMA_DIR.mkdir(exist_ok=True)
    wanted = rendered_schemas()
    for stale in SCHEMA_DIR.glob("*.json"):
        if stale.name not in wanted:
            stale.unlink()
    for name, text in wanted.items():
        (SCHEMA_DIR / name).write_text(text, encoding="utf-8")
    ASYNCAPI_PATH.write_text(rendered_asyncapi(), encoding="utf-8")
    print(f"wrote {len(wanted)} schemas to {SCHEMA_DIR} and {ASYNCAPI_PATH.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
