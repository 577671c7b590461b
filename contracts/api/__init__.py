"""The HTTP contracts between the gateway and each service: one module per service.

A service's routes take and answer these models (its OpenAPI is generated from them), and the
gateway's typed client of that service reads its answers into the same models. Models that
answer ignore fields they do not name, so a service may add a field before the gateway reads it.
"""
