"""What the gateway and intake exchange over HTTP: request and answer models, used on both sides
(intake's routes declare them, so its OpenAPI is generated from them; gateway/clients/intake.py reads
its answers into them)."""

from __future__ import annotations
