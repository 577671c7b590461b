"""Running ``wrk`` (a load generator in C, its own process) and reading its summary.

Each run is bounded in time (``-d``) and by a subprocess timeout; the Lua scripts under
tests/bench/wrk/ build the bodies (GraphQL, fresh idempotency keys) and count GraphQL errors.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent / "wrk"
SECONDS = int(os.environ.get("KHUM_BENCH_WRK_SECONDS", "10"))
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


def run_wrk(name: str, url: str, script: str, env: dict[str, str] | None = None) -> WrkFigures:
    binary = wrk_binary()
    assert binary is not None
    argv = [
        binary,
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{SECONDS}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(SCRIPTS / script),
        url,
    ]
    full_env = {**os.environ, "WRK_SCRIPTS": str(SCRIPTS), **(env or {})}
    done = subprocess.run(
        argv, env=full_env, capture_output=True, text=True, timeout=SECONDS + 30, check=False
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
