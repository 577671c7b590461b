"""The gateway's own Prometheus counters; ``/metrics`` is the runtime's, shared with the services."""

from __future__ import annotations

from prometheus_client import Counter

SERVICE_CALLS = Counter(
    "khum_gateway_service_calls", "HTTP calls from the gateway to a service", ["service", "method"]
)
