"""Revocation, pushed: sign-out, deactivation and revoked tokens take effect at once everywhere.

Sessions and API tokens are served from memory (``Accounts``, ``Admin``), so a change that
takes a right away must reach every cache and every open WebSocket, in this process and in
every other gateway replica. ``Revocations.revoke`` does it in two steps:

1. in this process, at once: the caches forget the entry and the affected sockets close;
2. on the NATS core subject ``khum.gateway.revoked``, which every replica subscribes to and
   applies the same way (its own message, echoed back, is applied again: it is idempotent).

Core NATS delivers at most once, so a replica disconnected at that moment could miss one: its
cache entries live at most a minute (``gateway.cache``) and it drops its whole cache when it reconnects.

What is revoked is named by kind and id: ``session`` (the stored session id), ``account`` (every
session of that account) or ``token`` (an API token's id). Sockets are closed with code 4403
(docs/security.md); a change that keeps the rights (a new display name) only refreshes caches.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
import weakref
from collections.abc import Callable, Iterable

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from starlette.websockets import WebSocket, WebSocketState

log = logging.getLogger(__name__)

SUBJECT = "khum.gateway.revoked"
CLOSE_CODE = 4403
CLOSE_REASON = "access revoked"
KINDS = ("session", "account", "token")
Key = tuple[str, str]


class Revocations:
    def __init__(self) -> None:
        self._forget: list[Callable[[str, str], None]] = []
        self._clear: list[Callable[[], None]] = []
        self._sockets: dict[Key, weakref.WeakSet[WebSocket]] = {}
        self._nc: Client | None = None
        self._sub: Subscription | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._origin = uuid.uuid4().hex

    def on_revoke(self, forget: Callable[[str, str], None], clear: Callable[[], None]) -> None:
        """A cache to keep true: ``forget(kind, id)`` per revocation, ``clear()`` after an outage."""
        self._forget.append(forget)
        self._clear.append(clear)

    def watch(self, websocket: WebSocket, keys: Iterable[Key]) -> None:
        """Close this socket when any of ``keys`` is revoked (held weakly: no cleanup needed)."""
        for key in keys:
            self._sockets.setdefault(key, weakref.WeakSet()).add(websocket)

    async def revoke(self, kind: str, id: str, *, close: bool = True) -> None:
        """Apply here at once, then tell every replica (best effort: see the module docstring)."""
        self.apply(kind, id, close=close)
        if self._nc is not None and self._nc.is_connected:
            body = {"kind": kind, "id": id, "close": close, "origin": self._origin}
            try:
                await self._nc.publish(SUBJECT, json.dumps(body).encode())
            except Exception:
                log.warning("revocation not published to other replicas", exc_info=True)

    def apply(self, kind: str, id: str, *, close: bool = True) -> None:
        for forget in self._forget:
            forget(kind, id)
        if close:
            for websocket in list(self._sockets.pop((kind, id), ())):
                self._close(websocket)

    def clear_caches(self) -> None:
        for clear in self._clear:
            clear()

    def _close(self, websocket: WebSocket) -> None:
        if websocket.application_state == WebSocketState.DISCONNECTED:
            return
        task = asyncio.get_running_loop().create_task(self._close_now(websocket))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _close_now(websocket: WebSocket) -> None:
        try:
            await websocket.close(CLOSE_CODE, CLOSE_REASON)
        except (RuntimeError, OSError):
            pass  # closed meanwhile by the client or the server

    async def start(self, nc: Client) -> None:
        self._nc = nc
        self._sub = await nc.subscribe(SUBJECT, cb=self._on_message)

    async def _on_message(self, msg: Msg) -> None:
        try:
            body = json.loads(msg.data)
            kind, id = str(body["kind"]), str(body["id"])
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable revocation message ignored")
            return
        if kind in KINDS:
            self.apply(kind, id, close=bool(body.get("close", True)))

    async def stop(self) -> None:
        if self._sub is not None:
            try:
                await self._sub.unsubscribe()
            except Exception:
                log.debug("revocation subscription already gone", exc_info=True)
        for task in list(self._tasks):
            await asyncio.gather(task, return_exceptions=True)
