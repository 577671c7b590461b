"""Erasing a person's data: digests to find it without naming it, and scrubbing the streams.

A PersonErased event must not itself carry the phone number or name it asks everyone to forget,
so it carries keyed digests. Every service derives the same key from the secret they already
share (the identity secret), digests what it holds the same way, and compares. A plain hash
would not do: Cambodia's phone numbers are few enough to hash them all.

Events that carried the person's data stay in JetStream streams (and may sit in the dead
letters). :func:`scrub_stream` walks a stream, securely deletes each message that names the
person, and publishes a cleaned copy in its place when the event must live on. Consumers that
already handled the original skip the copy (same event id, their inbox remembers it); the copy
sits at the end of the stream, so a consumer replaying from the start sees it after the
original's neighbours.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from services.runtime.contacts import InvalidAddressError, normalise_address

log = logging.getLogger(__name__)

_KEY_LABEL = b"khum erasure digests v1"


class Digests:
    """Keyed digests of contact points and names, the same in every service."""

    def __init__(self, shared_secret: str) -> None:
        self._key = hmac.new(shared_secret.encode(), _KEY_LABEL, hashlib.sha256).digest()

    def _digest(self, kind: str, value: str) -> str:
        return hmac.new(self._key, f"{kind}|{value}".encode(), hashlib.sha256).hexdigest()

    def contact(self, channel: str, address: str) -> str | None:
        """The digest of a contact point, written the one way; None if it is no valid address."""
        try:
            return self._digest("contact", f"{channel}:{normalise_address(channel, address)}")
        except InvalidAddressError:
            return None

    def point(self, point: Mapping[str, Any]) -> str | None:
        """The digest of a stored or published contact point (``channel`` and ``address``)."""
        return self.contact(str(point.get("channel")), str(point.get("address")))

    def name(self, name: str) -> str | None:
        """The digest of a name as written (Unicode NFC, case and spacing ignored); None if blank."""
        written = " ".join(unicodedata.normalize("NFC", name).casefold().split())
        return self._digest("name", written) if written else None


COPY_HEADER = "Khum-Erasure-Copy"
"""Marks a cleaned copy, so a live listener (not a durable consumer) can tell it is no news."""

KEEP = "keep"
DROP = "drop"

Verdict = str | bytes
"""``KEEP``, ``DROP`` (delete it), or the bytes of a cleaned copy to publish in its place."""


MAX_STALLS = 5


class ScrubStalledError(Exception):
    """The broker stopped answering half-way through a stream: the erasure is retried."""

    def __init__(self, stream: str) -> None:
        super().__init__(f"scrubbing {stream} stalled with messages still to read")


@dataclass
class Scrubbed:
    examined: int = 0
    deleted: int = 0
    replaced: int = 0


async def scrub_stream(
    js: JetStreamContext,
    stream: str,
    filter_subjects: Sequence[str],
    decide: Callable[[str, bytes], Verdict],
    *,
    batch: int = 256,
) -> Scrubbed:
    """Walk ``stream`` (messages on ``filter_subjects`` up to its last one now) and apply
    ``decide`` to each. A cleaned copy is published, and acknowledged by the broker, before the
    original is erased, so an event is never lost half-way: a crash in between leaves a second
    clean copy at worst (same event id: consumers' inboxes absorb it), and a retry keeps the
    copies it finds clean."""
    result = Scrubbed()
    info = await js.stream_info(stream)
    last = info.state.last_seq
    if info.state.messages == 0:
        return result
    config = ConsumerConfig(
        ack_policy=AckPolicy.NONE,
        deliver_policy=DeliverPolicy.ALL,
        filter_subjects=list(filter_subjects),
        inactive_threshold=60.0,
        mem_storage=True,
    )
    sub = await js.pull_subscribe(filter_subjects[0], stream=stream, config=config)
    stalls = 0
    try:
        done = False
        while not done:
            try:
                msgs = await sub.fetch(batch, timeout=2.0)
            except (NatsTimeoutError, TimeoutError):
                # Nothing more on these subjects, or a slow broker: only the first ends the walk.
                # An erasure must not stop half-way and say it is done; the caller retries.
                if (await sub.consumer_info()).num_pending == 0:
                    break
                stalls += 1
                if stalls >= MAX_STALLS:
                    raise ScrubStalledError(stream) from None
                continue
            for msg in msgs:
                meta = msg.metadata
                seq = meta.sequence.stream
                if seq > last:
                    done = True
                    break
                result.examined += 1
                verdict = decide(msg.subject, msg.data)
                if isinstance(verdict, bytes):
                    headers = {k: v for k, v in (msg.headers or {}).items() if not k.startswith("Nats-")}
                    headers[COPY_HEADER] = "true"
                    await js.publish(msg.subject, verdict, headers=headers)
                    result.replaced += 1
                if verdict == DROP or isinstance(verdict, bytes):
                    await js.delete_msg(stream, seq)
                    result.deleted += 1
                if seq >= last:
                    done = True
                    break
            if msgs and msgs[-1].metadata.num_pending == 0:
                done = True
    finally:
        try:
            await sub.unsubscribe()
        except Exception:
            log.debug("unsubscribe after scrubbing %s failed", stream, exc_info=True)
    log.info(
        "scrubbed %s: %d examined, %d erased, %d replaced by a clean copy",
        stream,
        result.examined,
        result.deleted - result.replaced,
        result.replaced,
    )
    return result
