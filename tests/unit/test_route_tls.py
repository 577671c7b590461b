"""Route certificates name the nodes as the cluster configuration does, and rotate safely."""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

import pytest
from cryptography import x509

from infra.cluster import CONFIG_DIR, node_names
from infra.route_tls import (
    CertificateError,
    NodeNames,
    TlsFolder,
    make_ca,
    make_node_certificate,
    names_from_configs,
)


def _sans(path: Path) -> set[str]:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(v) for v in sans.get_values_for_type(x509.DNSName)} | {
        str(v) for v in sans.get_values_for_type(x509.IPAddress)
    }


def _conf(index: int, listen: str, routes: list[str]) -> str:
    listed = "\n".join(f"    nats-route://{r}" for r in routes)
    return (
        f"server_name: khum-n{index}\nlisten: 0.0.0.0:4222\n\ncluster {{\n  name: khum\n"
        f"  listen: {listen}\n  routes: [\n{listed}\n  ]\n}}\n"
    )


@pytest.fixture
def real_hosts(tmp_path: Path) -> Path:
    """Three machines: each node's routes name the others by DNS name or address."""
    (tmp_path / "node-1.conf").write_text(
        _conf(1, "10.20.0.1:6222", ["khum-n2.commune.local:6223", "10.20.0.3:6224"])
    )
    (tmp_path / "node-2.conf").write_text(_conf(2, "10.20.0.2:6223", ["10.20.0.1:6222", "10.20.0.3:6224"]))
    (tmp_path / "node-3.conf").write_text(
        _conf(3, "0.0.0.0:6224", ["10.20.0.1:6222", "khum-n2.commune.local:6223"])
    )
    return tmp_path


def test_names_come_from_the_configs_and_the_environment(
    real_hosts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KHUM_CLUSTER_NODE_3_NAMES", "khum-n3.commune.local, 10.20.0.30")
    names = {n.index: n.names for n in names_from_configs(real_hosts)}
    assert names[1] == ("khum-n1", "10.20.0.1")
    assert names[2] == ("khum-n2", "10.20.0.2", "khum-n2.commune.local")
    # Listening on every address names none; the peers' routes and the operator do.
    assert names[3] == ("khum-n3", "10.20.0.3", "khum-n3.commune.local", "10.20.0.30")
    assert "localhost" not in names[1], "loopback names only for a cluster on loopback"


def test_each_certificate_carries_its_nodes_names_and_addresses_as_sans(
    real_hosts: Path, tmp_path: Path
) -> None:
    folder = TlsFolder(tmp_path / "tls")
    nodes = names_from_configs(real_hosts)
    folder.ensure(nodes)
    assert _sans(folder.node_files(2)[0]) == {"khum-n2", "10.20.0.2", "khum-n2.commune.local"}
    cert = x509.load_pem_x509_certificate(folder.node_files(1)[0].read_bytes())
    ips = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.IPAddress
    )
    assert ips == [ipaddress.ip_address("10.20.0.1")], "addresses are IP entries, not DNS names"
    assert all(not r.problems(dt.datetime.now(dt.UTC)) for r in folder.check(nodes))


def test_the_committed_loopback_cluster_and_other_loopback_addresses(tmp_path: Path) -> None:
    named = {n.index: n.names for n in names_from_configs(CONFIG_DIR)}
    assert {"khum-n1", "127.0.0.1", "localhost"} <= set(named[1])
    moved = {n.index: n.names for n in node_names(hosts={1: "127.0.0.2", 2: "127.0.0.3", 3: "127.0.0.4"})}
    assert "127.0.0.3" in moved[2] and "127.0.0.1" in moved[2]


def test_check_finds_a_certificate_close_to_expiry_and_a_name_it_lacks(tmp_path: Path) -> None:
    folder = TlsFolder(tmp_path / "tls")
    nodes = [NodeNames(1, ("khum-n1", "10.0.0.1"))]
    folder.ensure(nodes)
    ca_cert = x509.load_pem_x509_certificate(folder.ca_cert.read_bytes())
    from infra.route_tls import _load_key, _pem, _write_private  # the same writers the folder uses

    cert, key = make_node_certificate(nodes[0], ca_cert, _load_key(folder.ca_key), days=10)
    folder.node_files(1)[0].write_bytes(_pem(cert))
    _write_private(folder.node_files(1)[1], key)
    now = dt.datetime.now(dt.UTC)
    [report] = folder.check(nodes)
    assert report.problems(now) == [f"expires {report.expires:%Y-%m-%d}, within 30 days"]
    [report] = folder.check([NodeNames(1, ("khum-n1", "10.0.0.1", "10.0.0.9"))])
    assert any("does not name 10.0.0.9" in p for p in report.problems(now))
    folder.renew(nodes)
    [report] = folder.check(nodes)
    assert report.problems(now) == []


def test_a_ca_rollover_trusts_both_cas_while_switching_then_only_the_new_one(tmp_path: Path) -> None:
    folder = TlsFolder(tmp_path / "tls")
    nodes = [NodeNames(i, (f"khum-n{i}", f"10.0.0.{i}")) for i in (1, 2, 3)]
    folder.ensure(nodes)
    old = x509.load_pem_x509_certificate(folder.ca_cert.read_bytes())
    old_node_3 = folder.node_files(3)[0].read_bytes()
    with pytest.raises(CertificateError, match="add-ca first"):
        folder.switch_ca(nodes)
    folder.add_ca()
    assert [c.subject for c in folder.trusted()][:1] == [old.subject] and len(folder.trusted()) == 2
    with pytest.raises(CertificateError, match="run switch-ca first"):
        folder.drop_old_ca()
    folder.switch_ca(nodes)
    new = x509.load_pem_x509_certificate(folder.ca_cert.read_bytes())
    assert new.subject != old.subject and len(folder.trusted()) == 2
    for index in (1, 2, 3):
        node_cert = x509.load_pem_x509_certificate(folder.node_files(index)[0].read_bytes())
        node_cert.verify_directly_issued_by(new)
    folder.node_files(3)[0].write_bytes(old_node_3)
    with pytest.raises(CertificateError, match=r"node-3\.pem is still signed by the old CA"):
        folder.drop_old_ca()
    folder.renew(nodes)
    folder.drop_old_ca()
    assert [c.subject for c in folder.trusted()] == [new.subject]
    assert all(r.trusted for r in folder.check(nodes))


def test_a_node_certificate_never_outlives_its_ca() -> None:
    ca_cert, ca_key = make_ca("short", days=5)
    cert, _key = make_node_certificate(NodeNames(1, ("khum-n1",)), ca_cert, ca_key)
    assert cert.not_valid_after_utc <= ca_cert.not_valid_after_utc
