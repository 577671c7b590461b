"""Cutting links between cluster nodes on ``lo`` with iptables, and always undoing it.

Each node listens on its own loopback address (127.0.0.2-4) and runs as its own user id, because
on ``lo`` every outgoing connection starts from 127.0.0.1 whatever process opens it: the
address tells where a packet goes, the owner match tells which node sent it. Every rule carries
a comment with this run's tag, so cleanup deletes exactly the rules this run added, even after
a crash of the test (``sweep``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field

TAG = f"khum-partition-{os.getpid()}"
PROBE_ADDRESS = "127.0.0.254"


def _iptables() -> str | None:
    return shutil.which("iptables") or next(
        (p for p in ("/usr/sbin/iptables", "/sbin/iptables") if os.access(p, os.X_OK)), None
    )


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    binary = _iptables()
    if binary is None:
        raise RuntimeError("iptables not found")
    return subprocess.run([binary, "-w", "5", *args], capture_output=True, text=True, timeout=30, check=False)


def unusable_reason() -> str | None:
    """Why these tests cannot cut links here, or None: adds and deletes one harmless rule."""
    if _iptables() is None:
        return "iptables is not installed (Debian: apt-get install iptables)"
    if os.geteuid() != 0:
        return "cutting links needs root (iptables, and nodes run as separate users)"
    if shutil.which("setpriv") is None:
        return "setpriv (util-linux) is missing: nodes cannot run as separate users"
    rule = ("OUTPUT", "-o", "lo", "-d", PROBE_ADDRESS, "-m", "comment", "--comment", TAG, "-j", "DROP")
    added = _run("-A", *rule)
    if added.returncode != 0:
        return f"iptables is not permitted here (no CAP_NET_ADMIN?): {added.stderr.strip()[:200]}"
    deleted = _run("-D", *rule)
    if deleted.returncode != 0:
        return f"iptables could add but not delete a rule: {deleted.stderr.strip()[:200]}"
    return None


@dataclass
class Firewall:
    """Drop rules between nodes: ``hosts[N]`` is node N's address, ``uids[N]`` its user id."""

    hosts: dict[int, str]
    uids: dict[int, int]
    route_ports: dict[int, int]
    rules: list[tuple[str, ...]] = field(default_factory=list)

    def _add(self, *match: str) -> None:
        rule = ("OUTPUT", "-o", "lo", *match, "-m", "comment", "--comment", TAG, "-j", "DROP")
        added = _run("-A", *rule)
        if added.returncode != 0:
            raise RuntimeError(f"iptables refused {rule}: {added.stderr}")
        self.rules.append(rule)

    def cut(self, a: int, b: int) -> None:
        """No route traffic between nodes a and b, either way (clients are untouched)."""
        for src, dst in ((a, b), (b, a)):
            self._add(
                "-p",
                "tcp",
                "-d",
                self.hosts[dst],
                "--dport",
                str(self.route_ports[dst]),
                "-m",
                "owner",
                "--uid-owner",
                str(self.uids[src]),
            )

    def isolate(self, node: int) -> None:
        """Node cut off from both peers; its clients still reach it (and get no JetStream)."""
        for other in self.hosts:
            if other != node:
                self.cut(node, other)

    def black_hole(self, node: int) -> None:
        """Nothing in or out of the node: clients and peers see silence, no reset."""
        self._add("-d", self.hosts[node])
        self._add("-s", self.hosts[node])
        self._add("-m", "owner", "--uid-owner", str(self.uids[node]))

    def heal(self) -> None:
        while self.rules:
            rule = self.rules.pop()
            _run("-D", *rule)


def sweep() -> int:
    """Delete every rule carrying this run's tag (whatever added it); returns how many."""
    listed = _run("-S", "OUTPUT")
    gone = 0
    for line in listed.stdout.splitlines():
        if TAG in line and line.startswith("-A "):
            args = line.split()[1:]
            args = [a.strip('"') for a in args]
            if _run("-D", *args).returncode == 0:
                gone += 1
    return gone
