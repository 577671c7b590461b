"""A paced client, run as its own process: submitNeed at a steady rate (open loop), printing
one JSON line per answer with the tracking code and when the request was sent.

Open loop: request i is sent at start + i/rate whether or not earlier ones have answered, so a
slow server shows up as latency rather than as a lower rate. ``time.monotonic`` is one clock
for every process on the machine, so the bench compares these times with its subscriber's.

    python -m tests.bench.paced_submit URL TOKEN RATE COUNT
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid

import httpx

QUERY = "mutation($i: SubmitNeedInput!) { submitNeed(input: $i) { trackingCode } }"


async def main(url: str, token: str, rate: float, count: int) -> None:
    prefix = uuid.uuid4().hex[:12]
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(
        base_url=url, timeout=30, limits=limits, headers={"authorization": f"Bearer {token}"}
    ) as http:

        async def submit(i: int) -> None:
            variables = {
                "i": {
                    "villageCode": f"1601010{1 + i % 4}",
                    "description": f"ផ្លូវ {i}",
                    "idempotencyKey": f"{prefix}-{i}",
                }
            }
            sent = time.monotonic()
            try:
                response = await http.post("/graphql", json={"query": QUERY, "variables": variables})
                body = response.json()
                code = body["data"]["submitNeed"]["trackingCode"]
            except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
                print(json.dumps({"error": repr(exc)[:200]}), flush=True)
                return
            print(json.dumps({"code": code, "sent": sent, "answered": time.monotonic()}), flush=True)

        start = time.monotonic()
        tasks = []
        for i in range(count):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(submit(i)))
        await asyncio.wait_for(asyncio.gather(*tasks), 60)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])))
