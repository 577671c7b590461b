"""Running ``wrk`` (a load generator in C, its own process) and reading its summary.

Each run is bounded in time (``-d``) and by a subprocess timeout; the Lua scripts under
tests/bench/wrk/ build the bodies (GraphQL, fresh idempotency keys) and count GraphQL errors.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent / "wrk"
SECONDS = int(os.environ.get("KHUM_BENCH_WRK_SECONDS", "10"))
# Paths compared with each other run in alternating slices, so load from elsewhere on a shared
# machine falls on both alike rather than on whichever ran in the busier ten seconds.
SLICES = int(os.environ.get("KHUM_BENCH_WRK_SLICES", "2"))
CONNECTIONS = int(os.environ.get("KHUM_BENCH_WRK_CONNECTIONS", "16"))
THREADS = int(os.environ.get("KHUM_BENCH_WRK_THREADS", "1"))

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk_binary() -> str | None:
    return shutil.which("wrk")


@dataclass
class WrkFigures:
    name: str
    requests: int
    errors: int
    per_second: float
    p50_ms: float
    p99_ms: float
    # CPU time per request of the processes that served it (ms), from /proc: less distorted by
    # other work on the machine than the rates.
    cpu_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    script: str
    env: dict[str, str]
    pids: dict[str, int]


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unreadable wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(name: str, output: str) -> WrkFigures:
    """Requests, errors (socket errors, non-2xx, GraphQL errors), req/s and p50/p99 from ``--latency``."""
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    per_second = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    errors = 0
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(found.group(1))
    if found := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        errors += sum(int(g) for g in found.groups())
    if found := re.search(r"khum_errors (\d+)", output):
        errors = max(errors, int(found.group(1)))
    return WrkFigures(name, requests, errors, per_second, round(p50, 2), round(p99, 2))


def run_wrk(
    name: str, url: str, script: str, env: dict[str, str] | None = None, seconds: int = SECONDS
) -> WrkFigures:
    binary = wrk_binary()
    assert binary is not None
    argv = [
        binary,
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(SCRIPTS / script),
        url,
    ]
    full_env = {**os.environ, "WRK_SCRIPTS": str(SCRIPTS), **(env or {})}
    done = subprocess.run(
        argv, env=full_env, capture_output=True, text=True, timeout=seconds + 30, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse(name, done.stdout)


def rss_mib(pid: int) -> float:
    """Resident memory of a process, from /proc/<pid>/status (VmRSS, in kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(target: Target, seconds: int = SECONDS) -> WrkFigures:
    before = {name: cpu_seconds(pid) for name, pid in target.pids.items()}
    figures = run_wrk(target.name, target.url, target.script, target.env, seconds)
    spent = {name: cpu_seconds(pid) - before[name] for name, pid in target.pids.items()}
    figures.cpu_ms = {n: round(1000 * s / max(1, figures.requests), 3) for n, s in spent.items()}
    return figures


def alternate(targets: list[Target], slices: int = SLICES) -> list[WrkFigures]:
    """Each target for SECONDS in all, in ``slices`` turns taken in alternation; merged: requests
    and errors summed, the rate over the whole time, p50 the mean of the slices', p99 the worst,
    CPU per request weighted by requests."""
    seconds = max(1, SECONDS // slices)
    runs: list[list[WrkFigures]] = [[] for _ in targets]
    for _ in range(slices):
        for i, target in enumerate(targets):
            runs[i].append(measure(target, seconds))
    merged = []
    for target, parts in zip(targets, runs, strict=True):
        requests = sum(p.requests for p in parts)
        elapsed = sum(p.requests / p.per_second for p in parts if p.per_second)
        cpu = {
            name: round(sum(p.cpu_ms[name] * p.requests for p in parts) / max(1, requests), 3)
            for name in target.pids
        }
        merged.append(
            WrkFigures(
                target.name,
                requests,
                sum(p.errors for p in parts),
                round(requests / elapsed, 1) if elapsed else 0.0,
                round(sum(p.p50_ms for p in parts) / len(parts), 2),
                max(p.p99_ms for p in parts),
                cpu,
            )
        )
    return merged
