"""Child processes that die with their supervisor, however it dies.

:func:`spawn` starts a program in its own session (so a terminal's Ctrl-C reaches only the
supervisor, which stops its children in order) and ties the program's life to this process
twice, so that a supervisor killed with SIGKILL leaves no process and no port behind:

- On Linux, the parent-death signal: the program is started through ``infra/guard.py exec``,
  which sets ``PR_SET_PDEATHSIG`` to SIGTERM and then becomes the program (same pid), so it
  covers nats-server too. ``KHUM_PDEATHSIG=0`` turns it off, to test the fallback.
- Everywhere, one watcher per supervisor (``infra/guard.py watch``, in its own session),
  told each child's pid over a pipe. The pipe's end of file is the supervisor's death: the
  watcher sends SIGTERM to the children still tracked, SIGKILL after a grace, and exits.

The parent-death signal fires when the *thread* that forked the child ends, not the process.
Tests start and restart processes from asyncio's executor threads, which end with their event
loop, so a child forked there would be killed long before its supervisor. Children are
therefore forked from the main thread, or else from one spawner thread that lives as long as
the process.
"""

from __future__ import annotations

import atexit
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import IO

GUARD = Path(__file__).with_name("guard.py")
_Job = tuple[Callable[[], "subprocess.Popen[bytes]"], "Future[subprocess.Popen[bytes]]"]


def parent_death_signal_enabled() -> bool:
    return sys.platform.startswith("linux") and os.environ.get("KHUM_PDEATHSIG", "1") != "0"


class Lifeline:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tracked: set[int] = set()
        self._watcher: subprocess.Popen[bytes] | None = None
        self._jobs: queue.SimpleQueue[_Job] | None = None

    def spawn(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path,
        stdout: int | IO[bytes],
    ) -> subprocess.Popen[bytes]:
        """Start ``argv`` with stderr joined to ``stdout``; :meth:`release` it once reaped."""
        command = list(argv)
        if parent_death_signal_enabled():
            command = [sys.executable, "-I", "-S", str(GUARD), "exec", str(os.getpid()), "--", *command]

        def start() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                command,
                env=dict(env),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        popen = start() if threading.current_thread() is threading.main_thread() else self._in_spawner(start)
        with self._lock:
            self._tracked.add(popen.pid)
            self._tell(f"+ {popen.pid}\n")
        return popen

    def release(self, pid: int) -> None:
        """The child ``pid`` has been reaped: the watcher must never signal that pid again."""
        with self._lock:
            if pid in self._tracked:
                self._tracked.discard(pid)
                self._tell(f"- {pid}\n")

    def close(self, timeout: float = 30.0) -> None:
        """Hang up on the watcher and wait for it: it stops whatever is still tracked, then exits."""
        with self._lock:
            watcher, self._watcher = self._watcher, None
            self._tracked.clear()
        if watcher is None:
            return
        assert watcher.stdin is not None
        try:
            watcher.stdin.close()
        except OSError:
            pass
        try:
            watcher.wait(timeout)
        except subprocess.TimeoutExpired:
            watcher.kill()
            watcher.wait()

    def _tell(self, line: str) -> None:
        """Write to the watcher (under the lock), starting a new one if there is none or it died."""
        if self._watcher is not None and self._watcher.poll() is None:
            assert self._watcher.stdin is not None
            try:
                self._watcher.stdin.write(line.encode())
                self._watcher.stdin.flush()
                return
            except OSError:
                pass
        self._watcher = subprocess.Popen(
            [sys.executable, "-I", "-S", str(GUARD), "watch"],
            # It needs nothing from the environment and should carry none of it.
            env={k: v for k, v in os.environ.items() if k in ("PATH", "LD_LIBRARY_PATH")},
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a signal to the supervisor's group must not take it too
        )
        assert self._watcher.stdin is not None
        self._watcher.stdin.write("".join(f"+ {pid}\n" for pid in sorted(self._tracked)).encode())
        self._watcher.stdin.flush()

    def _in_spawner(self, start: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
        with self._lock:
            if self._jobs is None:
                self._jobs = queue.SimpleQueue()
                threading.Thread(target=_serve, args=(self._jobs,), name="khum-spawner", daemon=True).start()
            jobs = self._jobs
        done: Future[subprocess.Popen[bytes]] = Future()
        jobs.put((start, done))
        return done.result()


def _serve(jobs: queue.SimpleQueue[_Job]) -> None:
    while True:
        start, done = jobs.get()
        try:
            done.set_result(start())
        except BaseException as exc:  # the thread must outlive any failed start
            done.set_exception(exc)


_LIFELINE = Lifeline()
atexit.register(_LIFELINE.close)
spawn = _LIFELINE.spawn
release = _LIFELINE.release
close = _LIFELINE.close
