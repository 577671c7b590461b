"""One erasure protocol: each service says what it holds of a person, the runtime orders the work.

Intake erases a person where the citizen asked (POST /erasures) and publishes PersonErased,
which names them only by keyed digests (:mod:`services.runtime.erasure`). Every service that
holds personal data implements :class:`PersonEraser`, and :class:`PersonErasure` runs its steps
for each PersonErased, always in this order:

1. ``find``: what the service holds of the person, read from the committed store by digests;
2. ``erase_stored``: erase or anonymise it, in one transaction through the unit of work (after a
   version conflict the runtime finds again, on fresh reads, and erases again);
3. ``remove_files``: files outside the store (none of today's services keeps any: voice notes
   and photos are in the store; the step is there so the first one that does cannot forget);
4. ``streams``: the stream subjects to scrub, each with its ``decide``. The runtime first waits
   (briefly; then it raises and the consumer retries) until no unsent outbox row is one a
   ``decide`` would change, since an unpublished event cannot be withdrawn, prunes the outbox
   rows the broker holds, and scrubs each stream (again, in-process, when the broker stalls:
   :class:`ScrubStalledError`);
5. ``finish``: the service's own record that it is done, committed with the inbox mark.

Idempotence goes through the inbox, keyed by the erasure (not the envelope: intake may send
the same erasure anew): a marked erasure is skipped before step 1, and the mark is written only
after the streams are clean, so a crash half-way means a redelivery that finishes the job; each
step finds nothing left to do the second time. Last, the store is asked to forget what was
deleted (SQLite's write-ahead log still holds the old pages).

Budget and oversight implement nothing: they hold no personal data of a citizen. Budget keeps
needs without who raised them (NeedSubmitted's contacts are not copied), answers keyed by
tracking code, and photos of works with their metadata stripped; oversight keeps counts.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Generic, TypeVar

from nats.js import JetStreamContext

from contracts.needs import PERSON_ERASED, PersonErasedV1
from contracts.registry import read_event
from contracts.subjects import all_communes
from services.runtime.application import BusyError, Change, Committer, UnitOfWork
from services.runtime.consumer import ConsumerSpec, Handler
from services.runtime.erasure import KEEP, Scrubbed, ScrubStalledError, Verdict, scrub_stream
from services.runtime.service import Runtime
from services.runtime.stores import Store, Transaction

log = logging.getLogger(__name__)

Found = TypeVar("Found")

STEPS = ("find", "erase_stored", "remove_files", "streams", "finish")
"""The steps of :class:`PersonEraser`, in the order the runtime runs them."""

OUTBOX_WAIT_SECONDS = 5.0
OUTBOX_SCAN = 10_000
SCRUB_ATTEMPTS = 3
"""Walks of one stream in-process before a stalled broker is the consumer's to retry."""


@dataclass(frozen=True)
class StreamScrub:
    """Messages on ``subjects`` in ``stream``; ``decide`` says what becomes of each (and of each
    unsent outbox row, which must be published before the scrub can reach it)."""

    stream: str
    subjects: tuple[str, ...]
    decide: Callable[[str, bytes], Verdict]


class ErasureNotSettledError(Exception):
    """Events naming the person are still in the outbox, unsent: scrubbing now would miss them."""

    def __init__(self, waiting: int) -> None:
        super().__init__(f"{waiting} unsent events name the erased person; retrying once they are published")


class PersonEraser(ABC, Generic[Found]):
    """One service's part in erasing a person. Every step must be given (a service with nothing
    for a step says so in it); the runtime runs them in :data:`STEPS` order.

    ``Found`` is what ``find`` hands the later steps (never logged: it may name the person).
    """

    consumer: str
    """The inbox (and durable consumer) name under which the erasure is marked done."""

    @abstractmethod
    async def find(self, erased: PersonErasedV1) -> Found:
        """What the service holds of the person, read from the committed store by digests."""

    @abstractmethod
    async def erase_stored(self, tx: Transaction, erased: PersonErasedV1, found: Found) -> None:
        """Erase or anonymise what was found, in ``tx``, re-reading each document in it."""

    @abstractmethod
    async def remove_files(self, erased: PersonErasedV1, found: Found) -> None:
        """Delete the person's files kept outside the store."""

    @abstractmethod
    async def streams(self, erased: PersonErasedV1, found: Found) -> Sequence[StreamScrub]:
        """The stream subjects that may hold the person, each with its ``decide``; none for none."""

    @abstractmethod
    async def finish(
        self, tx: Transaction, erased: PersonErasedV1, found: Found, scrubbed: Mapping[str, Scrubbed]
    ) -> None:
        """The service's own record that the erasure is done, in the transaction of the inbox mark."""


def check_eraser(eraser: object) -> None:
    """Refuse an eraser that lacks a step or its consumer name: it would skip part of an erasure."""
    if not isinstance(eraser, PersonEraser):
        raise TypeError(f"{type(eraser).__name__} is no PersonEraser")
    missing = [
        step
        for step in STEPS
        if getattr(getattr(type(eraser), step, None), "__isabstractmethod__", False)
        or not inspect.iscoroutinefunction(getattr(eraser, step, None))
    ]
    if missing:
        raise TypeError(f"{type(eraser).__name__} does not implement the erasure steps {missing}")
    if not isinstance(getattr(eraser, "consumer", None), str) or not eraser.consumer:
        raise TypeError(f"{type(eraser).__name__} names no consumer to mark the erasure done")


def inbox_key(erased: PersonErasedV1) -> str:
    """The inbox entry of one erasure: the same however often intake sends it."""
    return f"erasure:{erased.erasure_id}"


class PersonErasure(Generic[Found]):
    """Runs one service's :class:`PersonEraser` for a PersonErased, steps in order."""

    def __init__(
        self,
        eraser: PersonEraser[Found],
        *,
        store: Store,
        committer: Committer,
        js: Callable[[], JetStreamContext],
        wake_relay: Callable[[], None],
    ) -> None:
        check_eraser(eraser)
        self.eraser = eraser
        self.store = store
        self.uow = UnitOfWork(committer, lambda: BusyError("erasure"))
        self.js = js
        self.wake_relay = wake_relay

    @classmethod
    def of(cls, runtime: Runtime, eraser: PersonEraser[Found]) -> PersonErasure[Found]:
        return cls(
            eraser,
            store=runtime.store,
            committer=runtime,
            js=lambda: runtime.bus.js,
            wake_relay=runtime.relay.wake,
        )

    async def __call__(self, raw: bytes) -> None:
        envelope, erased = read_event(raw, PersonErasedV1)
        eraser, key = self.eraser, inbox_key(erased)
        if await self.store.processed(eraser.consumer, key):
            return
        holding: list[Found] = []

        async def plan() -> Change[None]:
            found = await eraser.find(erased)
            holding[:] = [found]

            async def erase(tx: Transaction) -> None:
                await eraser.erase_stored(tx, erased, found)

            return erase

        await self.uow.plan_then_commit(plan)
        [found] = holding
        await eraser.remove_files(erased, found)
        scrubs = list(await eraser.streams(erased, found))
        scrubbed: dict[str, Scrubbed] = {}
        if scrubs:
            await self._outbox_published(scrubs)
            await self.store.prune_outbox(through=envelope.id)
            for scrub in scrubs:
                result = await self._scrub(scrub)
                before = scrubbed.get(scrub.stream, Scrubbed())
                scrubbed[scrub.stream] = Scrubbed(
                    before.examined + result.examined,
                    before.deleted + result.deleted,
                    before.replaced + result.replaced,
                )

        async def finish(tx: Transaction) -> None:
            await eraser.finish(tx, erased, found, scrubbed)

        await self.uow.once(eraser.consumer, key, finish)
        await self.store.forget_deleted()
        log.info(
            "erasure %s done by %s; streams %s",
            erased.erasure_id,
            eraser.consumer,
            {name: asdict(s) for name, s in scrubbed.items()},
        )

    async def _scrub(self, scrub: StreamScrub) -> Scrubbed:
        for attempt in range(1, SCRUB_ATTEMPTS + 1):
            try:
                return await scrub_stream(self.js(), scrub.stream, scrub.subjects, scrub.decide)
            except ScrubStalledError:
                if attempt == SCRUB_ATTEMPTS:
                    raise
                log.warning("scrubbing %s stalled; walking it again", scrub.stream)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _outbox_published(self, scrubs: Sequence[StreamScrub]) -> None:
        """Wait (briefly) until no unsent outbox row is one a scrub would change."""
        deadline = time.monotonic() + OUTBOX_WAIT_SECONDS
        while True:
            rows = await self.store.pending_outbox(OUTBOX_SCAN)
            waiting = sum(
                1 for row in rows if any(s.decide(row.subject, row.payload) != KEEP for s in scrubs)
            )
            if not waiting and len(rows) < OUTBOX_SCAN:
                return
            if time.monotonic() > deadline:
                raise ErasureNotSettledError(waiting)
            self.wake_relay()
            await asyncio.sleep(0.2)


def erasure_handler(runtime: Runtime, eraser: PersonEraser[Found]) -> Handler:
    """The handler of PersonErased for a consumer that also handles other events."""
    return PersonErasure.of(runtime, eraser)


def erasure_consumer(runtime: Runtime, eraser: PersonEraser[Found]) -> ConsumerSpec:
    """A durable consumer of its own (``eraser.consumer``) for PersonErased on KHUM_NEEDS."""
    return ConsumerSpec(
        eraser.consumer, "KHUM_NEEDS", (all_communes(PERSON_ERASED),), erasure_handler(runtime, eraser)
    )
