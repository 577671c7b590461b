"""What every service runs on: settings, NATS bus, outbox relay, inbox, storage, health.

The runtime knows no domain: it moves envelopes and documents, never needs or meetings.
"""
