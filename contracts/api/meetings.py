"""What the gateway and meetings exchange over HTTP: request and answer models, used on both sides
(meetings's routes declare them, so its OpenAPI is generated from them; gateway/clients/meetings.py reads
its answers into them)."""

from __future__ import annotations
