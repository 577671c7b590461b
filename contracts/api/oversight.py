"""What the gateway and oversight exchange over HTTP: request and answer models, used on both sides
(oversight's routes declare them, so its OpenAPI is generated from them; gateway/clients/oversight.py reads
its answers into them)."""

from __future__ import annotations
