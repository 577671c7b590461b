"""Notify's event handlers: one durable consumer per context it listens to, derived from the
rules table (``notify-needs`` on KHUM_NEEDS today; ``notify-meetings`` appears with the first
meeting rule).

Each consumer names the event types (and versions) it handles: those with a rule or a
projection, and PersonErased. The runtime dead-letters any other version of them (a
``NeedSubmitted`` v2 shipped before notify learns it lands in KHUM_DLQ, to be replayed once
notify knows it), and other event types never reach it. For one
event, the inbox mark, notify's copy of the need, the inbox entries, queued deliveries and their
events all commit in one transaction, so a redelivered event changes nothing. PersonErased is
handled by ``erasure.py`` on the same consumer, so it comes after every event before it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from contracts.envelope import Envelope
from contracts.needs import NEED_STATUS_CHANGED, PERSON_ERASED, NeedStatusChangedV1
from contracts.registry import UnreadableEvent, read_event
from contracts.subjects import STREAM_BY_CONTEXT, all_communes
from services.notify.deliveries import Cause
from services.notify.dispatcher import Wakeup
from services.notify.domain.rules import RULES, Rule, rules_by_type
from services.notify.erasure import NotifyEraser
from services.notify.exchange import Exchange
from services.notify.facts import FactsNotYet, unexplained
from services.notify.planner import Planner
from services.notify.projections import PROJECTIONS
from services.notify.wiring import Collaborators
from services.runtime.application import BusyError, UnitOfWork
from services.runtime.consumer import ConsumerSpec, Handler
from services.runtime.erasure_protocol import erasure_handler
from services.runtime.service import Runtime
from services.runtime.stores import Transaction

log = logging.getLogger(__name__)


def context_of(event_type: str) -> str:
    """``khum.needs.NeedSubmitted.v1`` -> ``needs``."""
    return event_type.split(".")[1]


def durable_name(context: str) -> str:
    return f"notify-{context}"


def _event_type(raw: bytes) -> str:
    # The runtime has already checked the envelope is JSON with a type this consumer names.
    kind: str = json.loads(raw)["type"]
    return kind


def make_handler(
    runtime: Runtime,
    exchange: Exchange,
    planner: Planner,
    wakeup: Wakeup,
    durable: str,
    rules: Sequence[Rule[Any]],
) -> Handler:
    by_type = rules_by_type(rules)
    uow = UnitOfWork(runtime, lambda: BusyError("notify"))
    erasure = erasure_handler(runtime, NotifyEraser(runtime, exchange.clock, durable))
    # Outcomes put back to wait for their facts: event id -> when first put back (monotonic,
    # so a test's fixed clock cannot make the wait endless). Bounded: the oldest go first. An
    # event older than the wait by its envelope's time is never put back, so a restart during
    # the wait cannot use up the consumer's deliveries and dead-letter the outcome.
    waiting: dict[str, float] = {}
    wait = exchange.settings.facts_wait_seconds

    async def wait_for_facts(tx: Transaction, envelope: Envelope, event: BaseModel) -> None:
        event_id = envelope.id
        age = (datetime.now(UTC) - envelope.time).total_seconds()
        if (
            not isinstance(event, NeedStatusChangedV1)
            or wait <= 0
            or age >= wait
            or not await unexplained(tx, event)
        ):
            waiting.pop(event_id, None)
            return
        first = waiting.setdefault(event_id, time.monotonic())
        if len(waiting) > 10_000:
            waiting.pop(next(iter(waiting)))
        if time.monotonic() - first < wait:
            raise FactsNotYet(f"{event.status.value} before its facts: waiting up to {wait:.0f} s")
        waiting.pop(event_id, None)

    async def handle(raw: bytes) -> None:
        kind = _event_type(raw)
        if kind == PERSON_ERASED:
            await erasure(raw)
            return
        rule = by_type.get(kind)
        projection = PROJECTIONS.get(kind)
        if rule is None and projection is None:
            # Unreachable while the filters come from the same rules; never a silent skip.
            raise UnreadableEvent(f"{durable} has no rule or projection for {kind!r}")
        if rule is not None:
            model: type[BaseModel] = rule.model
        else:
            assert projection is not None
            model = projection[0]
        envelope, event = read_event(raw, model)

        async def effect(tx: Transaction) -> int:
            now = exchange.clock.now()
            if projection is not None:
                await projection[1](tx, event, now)
            if rule is None:
                return 0
            if kind == NEED_STATUS_CHANGED:
                await wait_for_facts(tx, envelope, event)
            cause = Cause(envelope.id, envelope.correlationid)
            return await planner.plan(tx, cause, list(rule.notices(event)), now)

        if await uow.once(durable, envelope.id, effect):
            wakeup.ring()

    return handle


def consumer_factory(
    exchange: Exchange, collaborators: Callable[[], Collaborators], rules: Sequence[Rule[Any]] = RULES
) -> Callable[[Runtime], list[ConsumerSpec]]:
    """One consumer per context that has a rule or a projection (and needs, for PersonErased).

    ``collaborators`` is read when the consumers start, after ``app.py`` built them."""
    types = {rule.event_type for rule in rules} | set(PROJECTIONS) | {PERSON_ERASED}
    contexts = sorted({context_of(t) for t in types})

    def consumers(runtime: Runtime) -> list[ConsumerSpec]:
        wired = collaborators()
        return [
            ConsumerSpec(
                durable=durable_name(context),
                stream=STREAM_BY_CONTEXT[context],
                filter_subjects=tuple(all_communes(t) for t in sorted(types) if context_of(t) == context),
                handler=make_handler(
                    runtime, exchange, wired.planner, wired.dispatcher.wakeup, durable_name(context), rules
                ),
            )
            for context in contexts
        ]

    return consumers
