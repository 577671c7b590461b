"""The one loop behind every subscription: resume from a cursor, close a subscriber too slow.

A live event's cursor is its stream sequence, opaque to clients (base64, kind-checked like a
page cursor). Pass it back as ``after`` when subscribing again: what came since is delivered
first, then live events, each once. A subscriber that falls behind is closed with WebSocket
code ``CLOSE_TOO_SLOW`` (4420) after the events it had; it resubscribes with its last cursor.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

from starlette.websockets import WebSocket
from strawberry.types import Info

from gateway.bridge import CLOSE_TOO_SLOW, Delivery, ReplayTooLong, SubscriberTooSlow
from gateway.graphql.context import Context
from gateway.graphql.errors import graphql_error
from gateway.graphql.relay import decode_cursor, encode_cursor

AFTER_DESCRIPTION = (
    "The `cursor` of the last event you received: what came since is delivered first, "
    "then live events, each once."
)


def _kind(feed: str) -> str:
    return f"live.{feed}"


def live_cursor(feed: str, delivery: Delivery) -> str:
    return encode_cursor(_kind(feed), str(delivery.seq))


def _after(info: Info[Context, None], feed: str, after: str | None) -> int | None:
    raw = decode_cursor(_kind(feed), after, info.context.lang)
    if raw is None:
        return None
    if not raw.isdigit():
        raise graphql_error("page.cursor_invalid", info.context.t("Invalid cursor."), "after")
    return int(raw)


async def deliveries(
    info: Info[Context, None], feed: str, keys: Iterable[str], after: str | None
) -> AsyncIterator[Delivery]:
    """Every delivery of ``feed`` for ``keys`` after the cursor, until the client leaves."""
    start = _after(info, feed, after)
    ctx = info.context
    async with ctx.gateway.bridge.listen(feed, keys, start) as listener:
        while True:
            try:
                delivery = await listener.next()
            except ReplayTooLong:
                raise graphql_error(
                    "subscription.cursor_expired",
                    ctx.t("Too much happened since this cursor: reload the list, then subscribe again."),
                    "after",
                ) from None
            except SubscriberTooSlow:
                connection = ctx.request
                if isinstance(connection, WebSocket):
                    await connection.close(
                        code=CLOSE_TOO_SLOW, reason="too slow: resubscribe from your cursor"
                    )
                    return
                raise graphql_error(
                    "subscription.too_slow",
                    ctx.t("You fell behind: subscribe again from your last cursor."),
                ) from None
            yield delivery
