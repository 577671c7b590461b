"""Where the MongoDB contract tests find a server: ``MONGODB_URL``, else a throwaway container.

Without either the Mongo tests skip, and the reason (printed by ``-ra``) says which was missing.
"""

from __future__ import annotations

import gc
import os
import time
import warnings
from collections.abc import Iterator

import pytest

MONGO_IMAGE = "mongo:7.0"
REPLICA_SET = "rs0"


def _docker_problem() -> str | None:
    """None if a Docker engine answers, else what went wrong."""
    with warnings.catch_warnings():
        # docker-py leaves its probe socket open when no engine answers; warnings are errors here.
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            import docker

            client = docker.from_env(timeout=5)
            try:
                client.ping()
            finally:
                client.close()
        except Exception as exc:
            problem: str | None = f"{type(exc).__name__}: {exc}"
        else:
            problem = None
        gc.collect()
    return problem


def _initiate_replica_set(url: str) -> None:
    """Make the lone mongod a one-node replica set and wait until it takes writes."""
    from pymongo import MongoClient

    client: MongoClient[dict[str, object]] = MongoClient(url, serverSelectionTimeoutMS=30_000)
    try:
        client.admin.command(
            "replSetInitiate",
            {"_id": REPLICA_SET, "members": [{"_id": 0, "host": "localhost:27017"}]},
        )
        deadline = time.monotonic() + 60
        while not client.admin.command("hello").get("isWritablePrimary"):
            if time.monotonic() > deadline:
                raise TimeoutError("the test replica set elected no primary within 60 s")
            time.sleep(0.2)
    finally:
        client.close()


@pytest.fixture(scope="session")
def mongo_url() -> Iterator[str]:
    """A MongoDB URL whose server runs as a replica set (transactions need one)."""
    url = os.environ.get("MONGODB_URL")
    if url:
        yield url
        return
    problem = _docker_problem()
    if problem is not None:
        pytest.skip(
            f"MongoDB adapter tests skipped: MONGODB_URL is not set and no Docker engine answers ({problem})"
        )

    from testcontainers.community.mongodb import MongoDbContainer

    class SingleNodeReplicaSet(MongoDbContainer):
        def _configure(self) -> None:
            # No root user: with auth on, a replica set would also need a shared key file.
            pass

    container = SingleNodeReplicaSet(MONGO_IMAGE).with_command(f"--replSet {REPLICA_SET} --bind_ip_all")
    with container:
        host = container.get_container_host_ip()
        port = container.get_exposed_port(27017)
        # A direct connection: the member's own name (localhost:27017) means nothing out here.
        url = f"mongodb://{host}:{port}/?directConnection=true"
        _initiate_replica_set(url)
        yield url
