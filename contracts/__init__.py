"""Khum's shared contracts: the event envelope, subjects, streams and event payloads.

This is the only domain code services share. Producers validate strictly (extra fields
forbidden); consumers read tolerantly (extra fields ignored) through :func:`read_event`.
"""

from contracts.envelope import Envelope, new_event, uuid7
from contracts.registry import EVENTS, read_event
from contracts.spec import EventSpec

__all__ = ["EVENTS", "Envelope", "EventSpec", "new_event", "read_event", "uuid7"]
