"""The child side of :mod:`infra.lifeline`: what runs between a supervisor and its children.

Run as a script (``python -I -S infra/guard.py ...``, standard library only, so it starts
fast and reads nothing of the environment it passes on), in one of two modes:

``exec <supervisor pid> -- <program> <args...>``
    Ask Linux to send SIGTERM to this process when the supervisor dies (the parent-death
    signal, ``prctl(PR_SET_PDEATHSIG)``), then become ``program`` with ``execvp``. The signal
    survives the exec, so it covers programs Khum cannot change, such as nats-server. It is
    set here, in a fresh single-threaded process, rather than in a ``preexec_fn`` between
    fork and exec, which is unsafe when the supervisor has threads (pytest and asyncio do).

``watch``
    The fallback where the parent-death signal is missing (not Linux, or ``prctl`` refused)
    and the second blow where it is not enough (a child that ignores SIGTERM). It reads
    ``+ <pid>`` (started) and ``- <pid>`` (reaped) lines on stdin, a pipe whose only writer
    is the supervisor. End of file means the supervisor is gone, however it died: every
    child still tracked gets SIGTERM, then SIGKILL after a grace period, and the watcher
    exits.
"""

from __future__ import annotations

import os
import signal
import sys
import time

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
GRACE_SECONDS = 10.0
EXIT_PARENT_GONE = 125
EXIT_CANNOT_EXEC = 127


def set_parent_death_signal(signum: int) -> bool:
    """True when the kernel will send ``signum`` to this process when its parent dies."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # only here: the watch mode and other systems never need it

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def run_guarded(supervisor: int, argv: list[str]) -> int:
    # The program starts as if forked by a shell: no signal blocked, whatever the supervisor's
    # thread had blocked, and SIGPIPE and SIGXFSZ back to their defaults (this interpreter
    # ignores them, and an ignored signal stays ignored across exec).
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    for name in ("SIGPIPE", "SIGXFSZ"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    set_parent_death_signal(signal.SIGTERM)
    # The classic race: the supervisor may have died after forking us and before prctl, and
    # then no signal will ever come. It is gone if we have been handed to another parent.
    if os.getppid() != supervisor:
        print(f"guard: supervisor {supervisor} is gone; not starting {argv[0]}", file=sys.stderr)
        return EXIT_PARENT_GONE
    try:
        os.execvp(argv[0], argv)  # noqa: S606 - the argv the supervisor chose, no shell
    except OSError as exc:
        print(f"guard: cannot run {argv[0]}: {exc}", file=sys.stderr)
    return EXIT_CANNOT_EXEC


def start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (field 22 of /proc/pid/stat): a pid reused by
    another program after ours exited has a different one. None without /proc."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[19] if len(fields) > 19 else None


def alive(pid: int, started: str | None) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return False
    except OSError:
        fields = []
    if fields:
        # A zombie waits for its new parent (init) to reap it: it holds no port and no file.
        return fields[0] != "Z" and (started is None or fields[19] == started)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def signal_all(tracked: dict[int, str | None], signum: int) -> None:
    for pid, started in tracked.items():
        if alive(pid, started):
            try:
                # Each child leads its own process group: whatever it started goes too.
                os.killpg(pid, signum)
            except OSError:
                try:
                    os.kill(pid, signum)
                except OSError:
                    pass


def wait_gone(tracked: dict[int, str | None], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while any(alive(pid, started) for pid, started in tracked.items()):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def watch(grace: float = GRACE_SECONDS) -> int:
    # Signals meant for the supervisor's terminal are not for us: we act on end of file only.
    for signum in (signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    tracked: dict[int, str | None] = {}
    for line in sys.stdin:
        op, _, pid_text = line.strip().partition(" ")
        if not pid_text.isdigit():
            continue
        pid = int(pid_text)
        if op == "+":
            tracked[pid] = start_time(pid)
        elif op == "-":
            tracked.pop(pid, None)
    tracked = {pid: started for pid, started in tracked.items() if alive(pid, started)}
    if tracked:
        signal_all(tracked, signal.SIGTERM)
        if not wait_gone(tracked, grace):
            signal_all(tracked, signal.SIGKILL)
            wait_gone(tracked, 5.0)
    return 0


def main(argv: list[str]) -> int:
    if len(argv) >= 4 and argv[0] == "exec" and argv[1].isdigit() and argv[2] == "--":
        return run_guarded(int(argv[1]), argv[3:])
    if argv == ["watch"]:
        return watch()
    print("usage: guard.py exec <supervisor pid> -- <program> [args...] | guard.py watch", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
