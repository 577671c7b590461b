"""What the gateway and budget exchange over HTTP: request and answer models, used on both sides
(budget's routes declare them, so its OpenAPI is generated from them; gateway/clients/budget.py reads
its answers into them)."""

from __future__ import annotations
