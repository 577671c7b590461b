"""``make run``: start everything on the embedded defaults, print the URL, stop on a signal.

SIGTERM, SIGINT (Ctrl-C) and SIGHUP (the terminal closed) all mean "stop": the first one
starts the stop, which runs once and to the end, and any later one is only noted. Children
get SIGTERM, then SIGKILL after a grace (:meth:`infra.stack.Process.stop`), and the runner
exits 0 once every one of them is reaped. If the runner itself is killed with SIGKILL, its
children exit too (:mod:`infra.lifeline`).

Settings: ``PORT`` (the gateway's, default 8000) and ``KHUM_VAR`` (the data folder, default
``var/``).

The demo's channels (:mod:`infra.demo_channels`: a pretend SMS provider, Telegram Bot API and
mail server on 127.0.0.1) start first and notify is pointed at them, so what it sends to
citizens shows on ``/demo/messages``; quiet hours are off in the demo, so it shows at once.
Only here: the tests' stack and a real deployment configure their own channels.
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
import time
from pathlib import Path
from types import FrameType

import httpx

from gateway.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from infra import lifeline
from infra.stack import REPO_ROOT, Process, Stack, StackError, free_port

DEMO_CHANNELS = "demo-channels"

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class StopRequested(BaseException):
    """Raised once, by the first stop signal, out of whatever the runner was waiting on.

    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` swallows it."""


def say(text: str, *, error: bool = False) -> None:
    """Print, but never fail: after SIGHUP the terminal may be gone, and the stop must go on."""
    stream = sys.stderr if error else sys.stdout
    try:
        print(text, file=stream, flush=True)
    except RuntimeError:
        pass  # a signal handler's print inside the main thread's print: skip this line only
    except (OSError, ValueError):
        # Nobody is reading any more: send the rest (and the flush at exit) nowhere.
        devnull = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
        sys.stdout = sys.stderr = devnull


class Signals:
    """The runner's stop signals: the first raises :class:`StopRequested`, later ones are noted.

    ``stopping`` is set before any stop begins (asked for or not), so a signal can never abort
    a stop half-way and leave children behind."""

    def __init__(self) -> None:
        self.stopping = False

    def install(self) -> None:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self.handle)

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.stopping:
            say(f"{name} received: already stopping, please wait ...")
            return
        self.stopping = True
        say(f"\n{name} received: stopping Khum ...")
        raise StopRequested


def start_demo_channels(stack: Stack, timeout: float = 30.0) -> Process:
    """The demo's SMS, Telegram and mail stand-ins, and notify's and the gateway's settings for
    them (read when those processes start)."""
    port, smtp_port = free_port(), free_port()
    sms_key, bot_token = secrets.token_urlsafe(24), f"1:{secrets.token_urlsafe(24)}"
    env = {
        **os.environ,
        "KHUM_DEMO_CHANNELS_PORT": str(port),
        "KHUM_DEMO_CHANNELS_SMTP_PORT": str(smtp_port),
        "KHUM_DEMO_CHANNELS_FILE": str(stack.var / "demo-messages.jsonl"),
        "KHUM_DEMO_CHANNELS_SMS_KEY": sms_key,
        "KHUM_DEMO_CHANNELS_BOT_TOKEN": bot_token,
        "PYTHONUNBUFFERED": "1",
    }
    url = f"http://127.0.0.1:{port}"
    process = Process(
        DEMO_CHANNELS,
        [sys.executable, "-m", "infra.demo_channels"],
        env,
        stack.var / "log" / "demo-channels.log",
        url,
    )
    process.start()
    stack.processes[DEMO_CHANNELS] = process
    deadline = time.monotonic() + timeout
    while True:
        if not process.running:
            raise StackError(f"the demo channels exited:\n{process.log_tail()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2.0).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise StackError(f"the demo channels did not start within {timeout:.0f} s")
        time.sleep(0.1)
    stack.extra_env["notify"] = {
        **stack.extra_env.get("notify", {}),
        "SMS_BASE_URL": url,
        "SMS_API_KEY": sms_key,
        "SMS_SENDER": "Khum",
        "TELEGRAM_API_BASE": url,
        "TELEGRAM_BOT_TOKEN": bot_token,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_FROM": "Khum demo <notify@khum.demo>",
        "SMTP_SECURITY": "none",
        "QUIET_CHANNELS": "[]",
    }
    stack.extra_env["gateway"] = {**stack.extra_env.get("gateway", {}), "DEMO_CHANNELS_URL": url}
    return process


def banner(stack: Stack) -> str:
    lines = [f"\nKhum is running at {stack.url}\n\nDemo logins (password for all: {DEMO_PASSWORD}):"]
    for account in DEMO_ACCOUNTS:
        communes = ", ".join(account.communes)
        lines.append(f"  {account.username:<8} {account.role.value:<16} communes {communes}")
    lines.append(f"\nWhat citizens received (demo channels): {stack.url}/demo/messages")
    lines.append(f"\nGraphQL: {stack.url}/graphql   Logs: {stack.var / 'log'}   Stop: Ctrl-C\n")
    return "\n".join(lines)


def watch(stack: Stack) -> int:
    """Wait until a child stops on its own (exit 1) or a stop signal arrives (raised)."""
    while True:
        for process in stack.processes.values():
            if not process.running:
                say(f"{process.name} stopped unexpectedly:\n{process.log_tail()}", error=True)
                return 1
        time.sleep(1)


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    var = Path(os.environ.get("KHUM_VAR", REPO_ROOT / "var"))
    stack = Stack(var=var, port=port, demo=True)
    signals = Signals()
    signals.install()
    code = 0
    try:
        say(f"Starting Khum (data in {stack.var}) ...")
        try:
            start_demo_channels(stack)
            stack.start()
        except StackError as exc:
            say(f"Khum could not start: {exc}", error=True)
            code = 1
        else:
            say(banner(stack))
            code = watch(stack)
            signals.stopping = True
            say("Stopping Khum ...")
    except StopRequested:
        pass
    finally:
        signals.stopping = True
        stack.stop()
        demo = stack.processes.get(DEMO_CHANNELS)
        if demo is not None:
            demo.stop()
        lifeline.close()
    say("Stopped.")
    return code


if __name__ == "__main__":
    sys.exit(main())
