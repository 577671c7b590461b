"""``make run``: start everything on the embedded defaults, print the URL, stop on Ctrl-C."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from gateway.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from infra.stack import REPO_ROOT, Stack, StackError


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    var = Path(os.environ.get("KHUM_VAR", REPO_ROOT / "var"))
    stack = Stack(var=var, port=port, demo=True)

    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"Starting Khum (data in {stack.var}) ...", flush=True)
    try:
        stack.start()
    except StackError as exc:
        print(f"Khum could not start: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(f"\nKhum is running at {stack.url}\n\nDemo logins (password for all: {DEMO_PASSWORD}):")
    for account in DEMO_ACCOUNTS:
        print(f"  {account.username:<8} {account.role.value:<16} communes {', '.join(account.communes)}")
    print(f"\nGraphQL: {stack.url}/graphql   Logs: {stack.var / 'log'}   Stop: Ctrl-C\n", flush=True)
    try:
        while True:
            for process in stack.processes.values():
                if not process.running:
                    print(
                        f"{process.name} stopped unexpectedly:\n{process.log_tail()}",
                        file=sys.stderr,
                    )
                    raise KeyboardInterrupt
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping Khum ...", flush=True)
    finally:
        stack.stop()
    print("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
