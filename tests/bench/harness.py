"""Load loops for benchmarks: bounded in count and in time, on loopback only."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import httpx

from infra.stack import REPO_ROOT, free_port


@dataclass
class Figures:
    name: str
    requests: int
    errors: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


async def run_load(
    name: str,
    call: Callable[[int], Awaitable[bool]],
    *,
    concurrency: int,
    total: int,
    max_seconds: float,
) -> Figures:
    """Run ``call(i)`` ``total`` times across ``concurrency`` workers, stopping early at ``max_seconds``."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))
    deadline = time.monotonic() + max_seconds

    async def worker() -> None:
        nonlocal errors
        for i in counter:
            if time.monotonic() > deadline:
                return
            started = time.perf_counter()
            ok = await call(i)
            latencies.append(time.perf_counter() - started)
            errors += 0 if ok else 1

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    return Figures(
        name=name,
        requests=len(latencies),
        errors=errors,
        seconds=round(elapsed, 3),
        per_second=round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        p50_ms=round(percentile(latencies, 0.50) * 1000, 2),
        p99_ms=round(percentile(latencies, 0.99) * 1000, 2),
    )


@contextmanager
def baseline_server() -> Iterator[str]:
    """uvicorn with one worker serving tests/bench/baseline_app.py on a free loopback port."""
    with baseline_process() as (url, _):
        yield url


@contextmanager
def baseline_process() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The baseline server, with its process (for its resident memory)."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tests.bench.baseline_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/hello", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("baseline server did not start")
            time.sleep(0.1)
        yield url, proc
    finally:
        proc.terminate()
        proc.wait(10)


def report(title: str, measured: Figures, baseline: Figures, out_name: str) -> None:
    ratio_rate = measured.per_second / baseline.per_second if baseline.per_second else float("nan")
    ratio_p50 = measured.p50_ms / baseline.p50_ms if baseline.p50_ms else float("nan")
    ratio_p99 = measured.p99_ms / baseline.p99_ms if baseline.p99_ms else float("nan")
    print(f"\n== {title} ==")
    for fig in (measured, baseline):
        print(
            f"  {fig.name:<40} {fig.requests:>6} req  {fig.errors:>3} err  {fig.per_second:>8.1f} req/s"
            f"  p50 {fig.p50_ms:>8.2f} ms  p99 {fig.p99_ms:>8.2f} ms"
        )
    print(
        f"  ratio (Khum / baseline): throughput {ratio_rate:.3f}, p50 {ratio_p50:.1f}x, p99 {ratio_p99:.1f}x"
    )
    out = REPO_ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{out_name}.json").write_text(
        json.dumps(
            {
                "measured": asdict(measured),
                "baseline": asdict(baseline),
                "ratios": {"throughput": ratio_rate, "p50": ratio_p50, "p99": ratio_p99},
                "median_of_latencies_ms": statistics.median([measured.p50_ms, baseline.p50_ms]),
            },
            indent=2,
        )
    )
