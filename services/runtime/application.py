"""The application layer every service runs its changes through: one unit of work.

A change loads what it needs in a transaction, asks the domain for a decision, saves the result
at the version it loaded (``Transaction.replace(expected_version=...)``) and writes the events
to the outbox in the same transaction. If someone else saved in between, the store refuses
(``VersionConflictError``) and the whole change runs again from the load, on the newer state,
up to ``CONFLICT_ATTEMPTS`` times; after that the caller gets one stable 409 (``<context>.busy``)
and may try again. Nothing is stored half-way: a refused attempt leaves no trace.

Event handlers use the same unit of work guarded by the inbox: the mark "this consumer handled
this event" commits with the effect, so a redelivered event changes nothing (``inbox_handler``).

Routes and consumers call this; they never write the retry loop or the inbox check themselves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

from contracts.envelope import Envelope
from contracts.registry import read_event
from services.runtime.errors import DomainError
from services.runtime.outbox import outbox_row
from services.runtime.stores import DuplicateKeyError, Transaction, VersionConflictError

CONFLICT_ATTEMPTS = 8
"""Attempts before a change gives up with 409: enough for a burst of editors on one record."""

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class Committer(Protocol):
    """What the unit of work needs of a running service (``Runtime`` is one): a transaction
    that, once committed, wakes the outbox relay."""

    def unit_of_work(self) -> AbstractAsyncContextManager[Transaction]: ...


class BusyError(DomainError):
    """A change lost the race ``CONFLICT_ATTEMPTS`` times: 409 with code ``<context>.busy``."""

    def __init__(
        self,
        context: str,
        en: str = "Someone else changed this at the same moment. Please try again.",
        km: str = "មានអ្នកផ្សេងកំពុងផ្លាស់ប្តូរទិន្នន័យនេះក្នុងពេលតែមួយ។ សូមព្យាយាមម្តងទៀត។",
    ) -> None:
        super().__init__(f"{context}.busy", en, km, status=409)


def _never(_: DuplicateKeyError) -> bool:
    return False


async def retry_conflicts(
    attempt: Callable[[], Awaitable[T]],
    busy: Callable[[], Exception],
    *,
    attempts: int = CONFLICT_ATTEMPTS,
    again: Callable[[DuplicateKeyError], bool] = _never,
) -> T:
    """Run ``attempt`` until it commits without a version conflict, at most ``attempts`` times.

    ``again`` says which duplicate keys also mean "someone got there first: look again" (a
    concurrent repeat of the same request, a tracking code drawn twice); any other duplicate is
    the caller's to handle. This is the only retry loop over the store in Khum.
    """
    for _ in range(attempts):
        try:
            return await attempt()
        except VersionConflictError:
            continue
        except DuplicateKeyError as exc:
            if again(exc):
                continue
            raise
    raise busy()


Change = Callable[[Transaction], Awaitable[T]]


class _Seen:
    """The inbox already held the event: nothing was changed."""


_SEEN = _Seen()


class UnitOfWork:
    """A service's one way to change its state: ``run`` a change, or ``once`` for an event.

    A change normally loads inside its transaction. ``plan_then_commit`` is for a change that
    reads and decides before taking the store's write lock (budget decides on a whole year's
    budget, and two clerks may decide on the same version): it plans again after a conflict,
    on fresh reads.
    """

    def __init__(
        self, committer: Committer, busy: Callable[[], Exception], *, attempts: int = CONFLICT_ATTEMPTS
    ) -> None:
        self.committer = committer
        self.busy = busy
        self.attempts = attempts

    async def _commit(
        self,
        plan: Callable[[], Awaitable[Change[T]]],
        inbox: tuple[str, str] | None,
        again: Callable[[DuplicateKeyError], bool],
    ) -> T | _Seen:
        async def attempt() -> T | _Seen:
            change = await plan()
            async with self.committer.unit_of_work() as tx:
                if inbox is not None and not await tx.mark_processed(*inbox):
                    return _SEEN
                return await change(tx)

        return await retry_conflicts(attempt, self.busy, attempts=self.attempts, again=again)

    async def run(self, change: Change[T], *, again: Callable[[DuplicateKeyError], bool] = _never) -> T:
        """``change`` loads, decides and saves in one transaction; run again after a conflict."""

        async def plan() -> Change[T]:
            return change

        result = await self._commit(plan, None, again)
        assert not isinstance(result, _Seen)  # no inbox, so never seen
        return result

    async def once(
        self,
        consumer: str,
        event_id: str,
        effect: Change[T],
        *,
        again: Callable[[DuplicateKeyError], bool] = _never,
    ) -> T | None:
        """``effect`` of one event for one consumer, committed with its inbox mark; None (and no
        change) when the consumer had already handled the event."""

        async def plan() -> Change[T]:
            return effect

        result = await self._commit(plan, (consumer, event_id), again)
        return None if isinstance(result, _Seen) else result

    async def plan_then_commit(
        self,
        plan: Callable[[], Awaitable[Change[T]]],
        *,
        inbox: tuple[str, str] | None = None,
        again: Callable[[DuplicateKeyError], bool] = _never,
    ) -> T | None:
        """``plan`` reads outside the transaction and returns the change to commit; after a
        conflict it plans again. None when ``inbox`` (consumer, event id) had seen the event."""
        result = await self._commit(plan, inbox, again)
        return None if isinstance(result, _Seen) else result

    async def record_handled(self, consumer: str, event_id: str) -> None:
        """Mark an event handled with no state change of its own (its work was done outside the
        store, such as scrubbing streams, and is safe to repeat)."""

        async def nothing(tx: Transaction) -> None:
            return None

        await self.once(consumer, event_id, nothing)


async def save(
    tx: Transaction, collection: str, before: dict[str, Any], after: dict[str, Any]
) -> dict[str, Any]:
    """``after`` replaces ``before`` only if nobody saved since ``before`` was loaded."""
    return await tx.replace(collection, after, expected_version=before["version"])


async def emit(tx: Transaction, envelopes: Iterable[Envelope]) -> None:
    """The events of a change, in the outbox of the same transaction as the change."""
    for envelope in envelopes:
        await tx.add_outbox(outbox_row(envelope))


EventEffect = Callable[[Transaction, Envelope, M], Awaitable[None]]


def inbox_handler(
    uow: UnitOfWork, consumer: str, model: type[M]
) -> Callable[[EventEffect[M]], Callable[[bytes], Awaitable[None]]]:
    """Decorates ``async def effect(tx, envelope, event)`` into a consumer's handler: the event
    is read (a tolerant reader; unreadable events go to dead letters), and its effect commits
    with the consumer's inbox mark, run again after a version conflict."""

    def decorate(effect: EventEffect[M]) -> Callable[[bytes], Awaitable[None]]:
        async def handle(raw: bytes) -> None:
            envelope, event = read_event(raw, model)

            async def apply(tx: Transaction) -> None:
                await effect(tx, envelope, event)

            await uow.once(consumer, envelope.id, apply)

        handle.__name__ = getattr(effect, "__name__", "handle")
        handle.__doc__ = effect.__doc__
        return handle

    return decorate
