"""Stopping `make run` leaves nothing behind: every stop signal stops every process once and to
the end, and a runner killed with SIGKILL takes its children (nats-server included) with it.

Real processes throughout: `python -m infra.run` on a fresh data folder and free ports, found
afterwards through /proc."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from infra.stack import REPO_ROOT, free_port

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="finds the runner's children through Linux's /proc"
)


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/pid/stat from the state on (state is [0], ppid [1], start time [19])."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@dataclass(frozen=True)
class Started:
    pid: int
    start_time: str
    cmdline: str

    def alive(self) -> bool:
        """Running (a zombie is not: it holds no port) and still the same process, not a reused pid."""
        fields = _stat(self.pid)
        return fields is not None and fields[0] != "Z" and fields[19] == self.start_time


def _descendants(root: int) -> list[Started]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[Started] = []
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        fields = _stat(pid)
        if fields is not None and fields[0] != "Z":
            found.append(Started(pid, fields[19], _cmdline(pid)))
        todo.extend(children.get(pid, []))
    return found


def _mentioning(var: Path) -> list[int]:
    """Any process whose command line or environment points into this run's data folder."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            text = (proc / "environ").read_bytes() + (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if str(var).encode() in text:
            found.append(int(proc.name))
    return found


def _port_free(port: int) -> bool:
    """Whether a server could listen on the port now, as the next `make run` would (SO_REUSEADDR:
    connections left in TIME_WAIT do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class Runner:
    """`python -m infra.run` with its output read as it comes (a thread), so waits can time out."""

    var: Path
    port: int
    popen: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)
    reader: threading.Thread | None = None

    @classmethod
    def start(cls, tmp_path: Path, argv: list[str] | None = None, **env: str) -> Runner:
        """`python -m infra.run` (or ``argv``, given the data folder and the port) until ready."""
        var, port = tmp_path / "var", free_port()
        popen = subprocess.Popen(
            [sys.executable, *(argv or ["-m", "infra.run"])],
            cwd=REPO_ROOT,
            env={**os.environ, "PORT": str(port), "KHUM_VAR": str(var), **env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, like a shell job: killpg reaches it only
        )
        runner = cls(var, port, popen)
        runner.reader = threading.Thread(target=runner._read, daemon=True)
        runner.reader.start()
        try:
            runner.wait_line("GraphQL:", timeout=120)
        except BaseException:
            runner.close()
            raise
        return runner

    def close(self) -> None:
        """Kill the runner if a test failed half-way, and read its output to the end."""
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(30)
        if self.reader is not None:
            self.reader.join(30)
        assert self.popen.stdout is not None
        self.popen.stdout.close()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()

    @property
    def output(self) -> str:
        with self.changed:
            return "\n".join(self.lines)

    def wait_line(self, needle: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not any(needle in line for line in self.lines):
                left = deadline - time.monotonic()
                if left <= 0 or (self.popen.poll() is not None and not self.changed.wait(0.5)):
                    raise AssertionError(
                        f"no line with {needle!r} from the runner:\n" + "\n".join(self.lines)
                    )
                self.changed.wait(min(left, 0.5))

    def started(self) -> list[Started]:
        """What the runner started: nats-server, four services, the gateway and the watcher."""
        found = _descendants(self.popen.pid)
        names = " ".join(p.cmdline for p in found)
        assert "nats-server" in names and "-m gateway" in names, names
        for service in ("intake", "meetings", "budget", "notify", "oversight"):
            assert f"-m services.{service}" in names, names
        assert "guard.py watch" in names, names
        assert len(found) >= 7, "\n".join(p.cmdline for p in found)
        return found

    def ports(self, started: list[Started]) -> list[int]:
        ports = {self.port}
        for process in started:
            try:
                environ = Path(f"/proc/{process.pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            for entry in environ:
                key, _, value = entry.decode(errors="replace").partition("=")
                if key.startswith("KHUM_") and key.endswith("_PORT") and value.isdigit():
                    ports.add(int(value))
        for ports_file in (self.var / "run").glob("nats-server_*.ports"):
            ports.update(int(url.rsplit(":", 1)[1]) for url in json.loads(ports_file.read_text())["nats"])
        assert len(ports) >= 6, ports  # the gateway, four services, NATS
        return sorted(ports)


def _wait_all_gone(started: list[Started], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while left := [p for p in started if p.alive()]:
        if time.monotonic() > deadline:
            listing = "\n".join(f"  {p.pid}: {p.cmdline}" for p in left)
            raise AssertionError(f"still running {timeout:.0f} s after the runner was killed:\n{listing}")
        time.sleep(0.2)


def _assert_nothing_left(runner: Runner, started: list[Started], ports: list[int]) -> None:
    assert [p.cmdline for p in started if p.alive()] == []
    assert _mentioning(runner.var) == []
    assert [port for port in ports if not _port_free(port)] == []


@pytest.mark.parametrize(
    ("how", "env"),
    [
        ("runner", {}),  # both: the parent-death signal and the watcher
        ("runner", {"KHUM_PDEATHSIG": "0"}),  # the watcher alone, as where prctl does not exist
        ("watcher and runner", {}),  # the parent-death signal alone
    ],
    ids=["both", "watcher-only", "pdeathsig-only"],
)
def test_a_runner_killed_with_sigkill_leaves_no_process_and_no_port(
    tmp_path: Path, how: str, env: dict[str, str]
) -> None:
    runner = Runner.start(tmp_path, **env)
    try:
        started = runner.started()
        ports = runner.ports(started)
        if how == "watcher and runner":
            (watcher,) = [p for p in started if "guard.py watch" in p.cmdline]
            os.kill(watcher.pid, signal.SIGKILL)
        os.kill(runner.popen.pid, signal.SIGKILL)
        assert runner.popen.wait(30) == -signal.SIGKILL
        _wait_all_gone(started)
    finally:
        runner.close()
    _assert_nothing_left(runner, started, ports)


@pytest.mark.parametrize(
    ("signum", "to_group"),
    [(signal.SIGTERM, False), (signal.SIGINT, True), (signal.SIGHUP, True)],
    ids=["sigterm-twice", "sigint-twice-to-the-group", "sighup-twice-to-the-group"],
)
def test_a_second_signal_during_the_stop_is_absorbed_and_everything_stops(
    tmp_path: Path, signum: signal.Signals, to_group: bool
) -> None:
    runner = Runner.start(tmp_path)
    try:
        started = runner.started()
        ports = runner.ports(started)

        def send() -> None:
            if to_group:  # as a terminal does on Ctrl-C or hang-up: the whole foreground group
                os.killpg(runner.popen.pid, signum)
            else:
                runner.popen.send_signal(signum)

        send()
        runner.wait_line("stopping Khum", timeout=30)
        send()  # the impatient second Ctrl-C, while the children are being stopped
        code = runner.popen.wait(120)
        runner.wait_line("Stopped.", timeout=10)
    finally:
        runner.close()
    assert code == 0, runner.output
    assert f"{signum.name} received: already stopping" in runner.output
    # No wait here: the runner reaps every child (and the watcher) before it exits.
    _assert_nothing_left(runner, started, ports)


# What a test session does: a Stack started from a worker thread (asyncio.to_thread) that has
# ended by the time the session is killed. The parent-death signal follows the forking thread,
# so this also checks that the children outlive that thread and die only with the process.
STACK_IN_A_THREAD = """
import os, threading, time
from pathlib import Path
from infra.stack import Stack

stack = Stack(var=Path(os.environ["KHUM_VAR"]), port=int(os.environ["PORT"]), demo=False)
starter = threading.Thread(target=stack.start)
starter.start()
starter.join()
print("GraphQL: started", flush=True)
time.sleep(600)
"""


def test_a_killed_test_session_leaves_no_process_of_its_stack(tmp_path: Path) -> None:
    session = Runner.start(tmp_path, ["-c", STACK_IN_A_THREAD])
    try:
        started = session.started()  # all seven still there after the starting thread ended
        ports = session.ports(started)
        assert httpx.get(f"http://127.0.0.1:{session.port}/readyz").status_code == 200
        os.kill(session.popen.pid, signal.SIGKILL)
        assert session.popen.wait(30) == -signal.SIGKILL
        _wait_all_gone(started)
    finally:
        session.close()
    _assert_nothing_left(session, started, ports)
