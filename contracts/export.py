"""Write the JSON Schema of the envelope and of every event to contracts/schemas/.

Run ``python -m contracts.export``; a test fails when the committed files drift from the code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from contracts.envelope import Envelope
from contracts.registry import EVENTS

SCHEMA_DIR = Path(__file__).parent / "schemas"


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
    print(f"wrote {len(wanted)} schemas to {SCHEMA_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
