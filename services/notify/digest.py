"""The facilitator's daily digest: outcomes for the people they recorded who gave no contact.

A need raised by someone without a phone is told through its village loudspeaker, and through
the facilitator who wrote it down and can walk back to them. Each outcome is kept as a digest
item in the consumer's own transaction (so it is never lost, and a redelivered event adds
nothing: the item's id is the event's); once that day is over (Asia/Phnom_Penh), the items of
the day become one in-app notification for that facilitator alone. Its dedup key is
``digest|<facilitator>|<day>``: however often the pass runs, one digest a day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from contracts.local_time import TIME_ZONE
from contracts.notify import DeliveryChannel, person_audience
from services.notify.deliveries import Cause
from services.notify.domain.rules import Notice, ToAudience
from services.notify.local_channels import write_in_app
from services.notify.rendering import LANGUAGES, render
from services.runtime.application import BusyError, retry_conflicts
from services.runtime.stores import Store, Transaction

DIGEST_KIND = "facilitator_digest"


def local_day(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(TIME_ZONE)).date().isoformat()


async def add_to_digest(
    tx: Transaction,
    cause: Cause,
    notice: Notice,
    need: Mapping[str, Any],
    context: Mapping[str, Any],
    now: datetime,
) -> None:
    facilitator = need.get("collected_by")
    if not facilitator:
        return  # a need from before notify kept who recorded it
    item_id = f"{cause.id}|{need['id']}"
    if await tx.get("digest_items", item_id) is not None:
        return
    lines = {
        lang: render(notice.kind, "digest", lang, {"brief": False, **context}).text for lang in LANGUAGES
    }
    await tx.insert(
        "digest_items",
        {
            "id": item_id,
            "facilitator": facilitator,
            "commune_code": notice.commune_code,
            "day": local_day(now),
            "ref": notice.ref,
            "village": (need.get("village") or {}),
            "text": lines,
            "digested": False,
            "created_at": now.isoformat(),
        },
    )


def _busy() -> BusyError:
    return BusyError("notify")


class DailyDigest:
    """Writes the digests of finished days; run by the dispatcher's loop."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def run_once(self, now: datetime) -> int:
        """Digests written in this pass (0 when every finished day is already done)."""
        today = local_day(now)
        groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        async for item in self.store.iterate("digest_items", {"digested": False}):
            if item["day"] < today:
                groups[(item["facilitator"], item["day"])].append(item)
        written = 0
        for (facilitator, day), items in sorted(groups.items()):
            items.sort(key=lambda i: (i["created_at"], i["id"]))
            # After a conflict (another replica digesting the same day) the pass runs again:
            # the digest's dedup key and each item's flag keep it to one notification.
            await retry_conflicts(partial(self._commit, facilitator, day, items, now), _busy)
            written += 1
        return written

    async def _commit(self, facilitator: str, day: str, items: list[dict[str, Any]], now: datetime) -> None:
        async with self.store.transaction() as tx:
            await self._write(tx, facilitator, day, items, now)

    async def _write(
        self, tx: Transaction, facilitator: str, day: str, items: list[dict[str, Any]], now: datetime
    ) -> None:
        audience = person_audience(facilitator)
        cause = Cause(f"digest|{facilitator}|{day}", f"digest|{facilitator}|{day}")
        context = {"day": day, "items": items, "need": None, "count": len(items)}
        notice = Notice(
            DIGEST_KIND,
            ToAudience(audience, (DeliveryChannel.IN_APP,)),
            items[0]["commune_code"],
            context,
            ref=day,
        )
        # write_in_app skips a digest already written (same cause, same audience).
        await write_in_app(tx, cause, notice, audience, context, now, live=False)
        for item in items:
            current = await tx.get("digest_items", item["id"])
            if current is not None and not current["digested"]:
                await tx.replace(
                    "digest_items",
                    {**current, "digested": True, "digested_at": now.isoformat()},
                    expected_version=current["version"],
                )
