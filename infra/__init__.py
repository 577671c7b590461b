"""Running Khum: the local process stack (``make run``), NATS configs, deployment notes."""
