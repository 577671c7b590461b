"""Route certificates for Khum's NATS cluster: made for the nodes' real names and addresses.

A node's names come from its config (``server_name``, the host of ``cluster.listen``, and the
hosts the other nodes' ``routes`` use for its route port) plus any the operator adds
(``KHUM_CLUSTER_NODE_<N>_NAMES="khum-n1.example.org,10.0.0.1"``). Each certificate carries them
all as subject alternative names (IP addresses as IP entries), so three machines need no
certificate made by hand.

The files, in the TLS folder (``var/nats-cluster/tls/``):

- ``ca.pem``: the CAs the nodes trust (``ca_file``); one, or two during a CA rollover;
- ``ca-cert.pem``, ``ca-key.pem``: the CA that signs node certificates now;
- ``ca-next-cert.pem``, ``ca-next-key.pem``: a new CA, trusted but not yet signing;
- ``node-N.pem``, ``node-N-key.pem``: each node's certificate and key.

Rotation (``python -m infra.cluster --certs ...``; docs/operations.md): ``renew`` re-issues node
certificates from the signing CA; a CA rollover is ``add-ca`` (trust both), reload every node,
``switch-ca`` (the new CA signs new node certificates), reload, ``drop-old-ca``, reload.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CERT_DAYS = 825
RENEW_WITHIN_DAYS = 30
LOOPBACK_NAMES = ("127.0.0.1", "localhost")


class CertificateError(Exception):
    """A TLS folder in a state the requested step cannot start from."""


@dataclass(frozen=True)
class NodeNames:
    index: int
    names: tuple[str, ...]
    """DNS names and IP addresses (as text), the server name first."""


def _host(value: str) -> str:
    value = value.split("://", 1)[-1].rsplit("@", 1)[-1]
    host = value.rsplit(":", 1)[0] if value.count(":") == 1 or value.startswith("[") else value
    return host.strip("[]")


def names_from_configs(config_dir: Path, nodes: tuple[int, ...] = (1, 2, 3)) -> list[NodeNames]:
    """Each node's names, read from ``node-N.conf`` (and the environment)."""
    texts = {n: (config_dir / f"node-{n}.conf").read_text() for n in nodes}
    listen: dict[int, tuple[str, str]] = {}
    server: dict[int, str] = {}
    for n, text in texts.items():
        name = re.search(r"^\s*server_name:\s*(\S+)", text, re.M)
        server[n] = name.group(1).strip("\"'") if name else f"khum-n{n}"
        block = re.search(r"cluster\s*\{(.*?)\n\}", text, re.S)
        route_listen = re.search(r"^\s*listen:\s*(\S+)", block.group(1), re.M) if block else None
        if route_listen:
            address = route_listen.group(1).strip("\"'")
            listen[n] = (_host(address), address.rsplit(":", 1)[-1])
    found = []
    for n in nodes:
        names = [server[n]]
        host, port = listen.get(n, ("", ""))
        if host and host not in ("0.0.0.0", "::"):  # noqa: S104 - a name to leave out, not a bind
            names.append(host)
        for other, text in texts.items():
            if other == n:
                continue
            for url in re.findall(r"nats-route://(\S+)", text):
                if port and url.rsplit(":", 1)[-1] == port:
                    names.append(_host(url))
        extra = os.environ.get(f"KHUM_CLUSTER_NODE_{n}_NAMES", "")
        names += [e.strip() for e in extra.split(",") if e.strip()]
        if any(_is_loopback(name) for name in names):
            names += LOOPBACK_NAMES
        found.append(NodeNames(n, tuple(dict.fromkeys(names))))
    return found


def _is_loopback(name: str) -> bool:
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return name == "localhost"


def _san(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _write_private(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    path.chmod(0o600)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CertificateError(f"{path} is not an EC private key")
    return key


def make_ca(label: str, days: int = CERT_DAYS) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Khum NATS cluster CA {label}")])
    usage = x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def make_node_certificate(
    node: NodeNames, ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, days: int = CERT_DAYS
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, node.names[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(min(now + dt.timedelta(days=days), ca_cert.not_valid_after_utc))
        .add_extension(x509.SubjectAlternativeName([_san(n) for n in node.names]), critical=False)
        # A route is both ends at once: it serves the routes others open and opens its own.
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


@dataclass(frozen=True)
class CertificateReport:
    node: int
    names: tuple[str, ...]
    missing: tuple[str, ...]
    expires: dt.datetime
    trusted: bool

    def problems(self, now: dt.datetime, within_days: int = RENEW_WITHIN_DAYS) -> list[str]:
        found = []
        if self.missing:
            found.append(f"does not name {', '.join(self.missing)}")
        if self.expires - now < dt.timedelta(days=within_days):
            found.append(f"expires {self.expires:%Y-%m-%d}, within {within_days} days")
        if not self.trusted:
            found.append("is not signed by a CA in ca.pem")
        return found


class TlsFolder:
    """The route TLS files of one cluster, and the steps of their rotation."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.bundle = folder / "ca.pem"
        self.ca_cert, self.ca_key = folder / "ca-cert.pem", folder / "ca-key.pem"
        self.next_cert, self.next_key = folder / "ca-next-cert.pem", folder / "ca-next-key.pem"

    def node_files(self, index: int) -> tuple[Path, Path]:
        return self.folder / f"node-{index}.pem", self.folder / f"node-{index}-key.pem"

    def trusted(self) -> list[x509.Certificate]:
        return x509.load_pem_x509_certificates(self.bundle.read_bytes()) if self.bundle.exists() else []

    def _signing(self) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        if not self.ca_key.exists():
            raise CertificateError(f"no CA key in {self.folder}")
        key = _load_key(self.ca_key)
        if not self.ca_cert.exists():
            # Folders made before rotation existed hold the CA only in ca.pem.
            mine = [c for c in self.trusted() if c.public_key() == key.public_key()]
            if not mine:
                raise CertificateError(f"no certificate for {self.ca_key} in {self.bundle}")
            self.ca_cert.write_bytes(_pem(mine[0]))
        return x509.load_pem_x509_certificate(self.ca_cert.read_bytes()), key

    def _write_bundle(self, certs: list[x509.Certificate]) -> None:
        self.bundle.write_bytes(b"".join(_pem(c) for c in certs))

    def ensure(self, nodes: list[NodeNames]) -> None:
        """A CA and a certificate per node, for whatever is missing; nothing present is replaced."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if not self.ca_key.exists():
            cert, key = make_ca(f"{dt.datetime.now(dt.UTC):%Y-%m}")
            _write_private(self.ca_key, key)
            self.ca_cert.write_bytes(_pem(cert))
            self._write_bundle([cert])
        ca_cert, ca_key = self._signing()
        for node in nodes:
            cert_path, key_path = self.node_files(node.index)
            if not (cert_path.exists() and key_path.exists()):
                self._issue(node, ca_cert, ca_key)

    def _issue(self, node: NodeNames, ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey) -> None:
        cert, key = make_node_certificate(node, ca_cert, ca_key)
        cert_path, key_path = self.node_files(node.index)
        _write_private(key_path, key)
        cert_path.write_bytes(_pem(cert))

    def renew(self, nodes: list[NodeNames]) -> None:
        """New node certificates (names as configured now) from the signing CA."""
        ca_cert, ca_key = self._signing()
        for node in nodes:
            self._issue(node, ca_cert, ca_key)

    def add_ca(self) -> None:
        """Step 1 of a CA rollover: a new CA, trusted next to the old one (reload the nodes)."""
        if self.next_key.exists():
            raise CertificateError("a new CA is already added; run switch-ca next")
        current, _key = self._signing()
        cert, key = make_ca(f"{dt.datetime.now(dt.UTC):%Y-%m-%d}")
        _write_private(self.next_key, key)
        self.next_cert.write_bytes(_pem(cert))
        self._write_bundle([current, cert])

    def switch_ca(self, nodes: list[NodeNames]) -> None:
        """Step 2: the new CA signs new node certificates; both CAs stay trusted (reload)."""
        if not self.next_key.exists():
            raise CertificateError("no new CA: run add-ca first")
        old_cert, _old_key = self._signing()
        new_cert = x509.load_pem_x509_certificate(self.next_cert.read_bytes())
        (self.folder / "ca-old-cert.pem").write_bytes(_pem(old_cert))
        self.next_key.replace(self.ca_key)
        self.next_cert.replace(self.ca_cert)
        self._write_bundle([new_cert, old_cert])
        self.renew(nodes)

    def drop_old_ca(self) -> None:
        """Step 3: only the new CA is trusted (reload the nodes once all run new certificates)."""
        if self.next_key.exists():
            raise CertificateError("the new CA does not sign yet: run switch-ca first")
        current, _key = self._signing()
        for index in self._node_indexes():
            cert = x509.load_pem_x509_certificate(self.node_files(index)[0].read_bytes())
            if cert.issuer != current.subject:
                raise CertificateError(f"node-{index}.pem is still signed by the old CA: run switch-ca")
        self._write_bundle([current])
        (self.folder / "ca-old-cert.pem").unlink(missing_ok=True)

    def _node_indexes(self) -> list[int]:
        found = (re.fullmatch(r"node-(\d+)\.pem", p.name) for p in self.folder.glob("node-*.pem"))
        return sorted(int(m.group(1)) for m in found if m)

    def check(self, nodes: list[NodeNames]) -> list[CertificateReport]:
        trusted = self.trusted()
        reports = []
        for node in nodes:
            cert_path, _key_path = self.node_files(node.index)
            if not cert_path.exists():
                raise CertificateError(f"{cert_path} is missing")
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            present = {str(v) for v in sans.get_values_for_type(x509.DNSName)}
            present |= {str(v) for v in sans.get_values_for_type(x509.IPAddress)}
            missing = tuple(n for n in node.names if str(_san_value(n)) not in present)
            signed = any(_signed_by(cert, ca) for ca in trusted)
            reports.append(
                CertificateReport(
                    node.index, tuple(sorted(present)), missing, cert.not_valid_after_utc, signed
                )
            )
        return reports


def _san_value(name: str) -> object:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return name


def _signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
