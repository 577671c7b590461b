"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

No engine runs in development or CI, so `docker compose config` cannot vet the file. Instead
it is validated against the Compose Specification's own JSON Schema (as bundled and kept
current by the check-jsonschema package, a dev dependency) and a few facts the system depends on are asserted: start order by health, Mongo
as a replica set (transactions need one), one settings prefix per service.
"""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import validators
from jsonschema.protocols import Validator

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE_SCHEMA = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"

APP_SERVICES = {
    "intake": 8001,
    "meetings": 8002,
    "budget": 8003,
    "notify": 8004,
    "oversight": 8005,
    "gateway": 8000,
}
INFRA_SERVICES = ("nats", "mongo")


def _validator_class(schema: dict[str, Any]) -> type[Validator]:
    """The validator for the draft the schema's ``$schema`` names.

    The compose schema writes ``https://json-schema.org/draft-07/schema`` while jsonschema
    knows drafts by their canonical ids (``http://...#`` up to draft 7), so try the spellings.
    """
    declared = schema.get("$schema", "")
    bare = declared.rstrip("#")
    spellings = [declared, bare, bare + "#"]
    for scheme_from, scheme_to in (("https://", "http://"), ("http://", "https://")):
        if bare.startswith(scheme_from):
            swapped = scheme_to + bare.removeprefix(scheme_from)
            spellings += [swapped, swapped + "#"]
    for uri in spellings:
        cls = validators.validator_for({"$schema": uri}, default=None)
        if cls is not None:
            return cls
    pytest.fail(f"jsonschema has no validator for the compose schema's $schema {declared!r}")


@pytest.fixture(scope="module")
def compose_validator() -> Validator:
    if not COMPOSE_SCHEMA.is_file():
        pytest.fail(
            f"Compose Specification schema not found at {COMPOSE_SCHEMA}: check-jsonschema "
            "(a dev dependency, `make bootstrap` installs it) no longer ships it where expected."
        )
    schema = json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))
    cls = _validator_class(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict), "docker-compose.yml must be a mapping"
    return loaded


def _errors(validator: Validator, document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(key): str(value) for key, value in env.items()}


def _setting(service_name: str, service: dict[str, Any], key: str) -> str:
    env = _environment(service)
    name = f"KHUM_{service_name.upper()}_{key}"
    assert name in env, f"{service_name} does not set {name}"
    return env[name]


def _as_text(command: str | list[str]) -> str:
    return command if isinstance(command, str) else " ".join(command)


# --- the compose file against the Compose Specification -------------------------------------


def test_compose_file_conforms_to_the_compose_specification(
    compose_validator: Validator, compose: dict[str, Any]
) -> None:
    assert _errors(compose_validator, compose) == []


@pytest.mark.parametrize(
    "break_it",
    [
        pytest.param(
            lambda doc: doc["services"]["gateway"].__setitem__("ports", "not-a-list-of-ports"),
            id="ports-given-as-a-string",
        ),
        pytest.param(
            lambda doc: doc.__setitem__("servicez", doc["services"]),
            id="unknown-top-level-key",
        ),
        pytest.param(
            lambda doc: doc["services"]["intake"]["depends_on"]["nats"].__setitem__(
                "condition", "service_ready"
            ),
            id="unknown-depends-on-condition",
        ),
        pytest.param(
            lambda doc: doc["services"]["mongo"].__setitem__("restart_policy", "always"),
            id="unknown-service-key",
        ),
    ],
)
def test_schema_validation_rejects_a_broken_compose_file(
    compose_validator: Validator, compose: dict[str, Any], break_it: Any
) -> None:
    broken = copy.deepcopy(compose)
    break_it(broken)
    assert _errors(compose_validator, broken) != []


# --- facts the system relies on -------------------------------------------------------------


def test_compose_defines_nats_mongo_and_all_five_app_services(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) >= {*INFRA_SERVICES, *APP_SERVICES}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_service_has_a_command_and_a_healthcheck(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    assert service.get("command"), f"{name} has no command"
    healthcheck = service.get("healthcheck") or {}
    assert healthcheck.get("test"), f"{name} has no healthcheck"
    assert not healthcheck.get("disable", False)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_service_runs_its_own_module_from_the_shared_image(
    compose: dict[str, Any], name: str
) -> None:
    service = compose["services"][name]
    module = "gateway" if name == "gateway" else f"services.{name}"
    assert _as_text(service["command"]) == f"python -m {module}"
    assert service.get("build") == "."


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_service_waits_for_healthy_nats_and_mongo(compose: dict[str, Any], name: str) -> None:
    depends_on = compose["services"][name].get("depends_on")
    assert isinstance(depends_on, dict), f"{name}: depends_on must carry conditions"
    for infra in INFRA_SERVICES:
        assert depends_on.get(infra, {}).get("condition") == "service_healthy", (
            f"{name} does not wait for {infra} to be healthy"
        )


def test_gateway_starts_only_after_every_service_is_healthy(compose: dict[str, Any]) -> None:
    depends_on = compose["services"]["gateway"]["depends_on"]
    for name in APP_SERVICES.keys() - {"gateway"}:
        assert depends_on.get(name, {}).get("condition") == "service_healthy", name


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_service_stores_its_own_database_in_a_mongodb_replica_set(
    compose: dict[str, Any], name: str
) -> None:
    url = _setting(name, compose["services"][name], "STORE_URL")
    assert url.startswith("mongodb://"), url
    assert "replicaSet=" in url, f"{name}: transactions need a replica set, got {url}"
    assert f"/khum_{name}?" in url, f"{name} must own its database, got {url}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_service_is_configured_under_its_own_prefix_and_probed_on_its_port(
    compose: dict[str, Any], name: str
) -> None:
    service = compose["services"][name]
    env = _environment(service)
    strays = [key for key in env if not key.startswith(f"KHUM_{name.upper()}_")]
    assert strays == [], f"{name} sets another service's settings: {strays}"
    port = APP_SERVICES[name]
    assert _setting(name, service, "PORT") == str(port)
    assert _setting(name, service, "HOST") == "0.0.0.0"  # noqa: S104 - inside the container
    assert _setting(name, service, "ENVIRONMENT") == "production"
    assert _setting(name, service, "NATS_URL") == "nats://nats:4222"
    assert f"127.0.0.1:{port}/readyz" in _as_text(service["healthcheck"]["test"])


@pytest.mark.parametrize("name", APP_SERVICES)
def test_secrets_come_from_required_variables_never_from_literals(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    keys = ["IDENTITY_SECRET"] + (["SESSION_SECRET"] if name == "gateway" else [])
    for key in keys:
        value = _setting(name, service, key)
        # ${VAR:?message} makes compose refuse to start when VAR is unset or empty.
        assert re.fullmatch(r"\$\{KHUM_[A-Z_]+_SECRET:\?[^}]+\}", value), (
            f"{name} {key} must be a required variable, got {value!r}"
        )


def test_gateway_is_the_only_service_published_on_the_host(compose: dict[str, Any]) -> None:
    published = {name for name, svc in compose["services"].items() if svc.get("ports")}
    assert published == {"gateway"}
    assert compose["services"]["gateway"]["ports"] == ["${PORT:-8000}:8000"]


def test_mongo_runs_as_a_replica_set_that_its_healthcheck_initiates(
    compose: dict[str, Any],
) -> None:
    mongo = compose["services"]["mongo"]
    assert "--replSet" in _as_text(mongo["command"])
    probe = _as_text(mongo["healthcheck"]["test"])
    assert "rs.initiate" in probe
    assert "mongo:27017" in probe, "members must be addressable by the other containers"


def test_nats_runs_jetstream_on_a_named_volume_with_monitoring(compose: dict[str, Any]) -> None:
    nats = compose["services"]["nats"]
    command = _as_text(nats["command"]).split()
    assert "-js" in command
    assert "-m" in command and command[command.index("-m") + 1] == "8222"
    store_dir = command[command.index("-sd") + 1]
    volumes = {v.split(":")[0]: v.split(":")[1] for v in nats["volumes"]}
    assert store_dir in volumes.values()
    assert set(volumes) <= set(compose.get("volumes") or {}), "JetStream data needs a volume"
    assert "8222/healthz" in _as_text(nats["healthcheck"]["test"])


# --- the Dockerfile -------------------------------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuations joined."""
    logical: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    pairs = []
    for line in logical:
        keyword, _, rest = line.partition(" ")
        pairs.append((keyword.upper(), rest.strip()))
    return pairs


def test_image_is_built_in_at_least_two_stages() -> None:
    stages = [args for keyword, args in _instructions() if keyword == "FROM"]
    assert len(stages) >= 2, stages


def test_image_runs_as_a_non_root_user() -> None:
    users = [args for keyword, args in _instructions() if keyword == "USER"]
    assert users, "the Dockerfile has no USER line, so the container runs as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}, f"the final USER is {users[-1]!r}"


def test_image_carries_the_pwa_beside_the_code() -> None:
    copies = [args for keyword, args in _instructions() if keyword == "COPY"]
    assert any(re.search(r"(^|\s)\.?/?pwa/?(\s|$)", args) for args in copies), copies
