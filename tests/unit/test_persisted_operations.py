"""The PWA's persisted operations: every one valid against the schema, the generated script in
step with pwa/operations.graphql, and no GraphQL text left in the PWA's scripts."""

from __future__ import annotations

import re

from graphql import parse, validate

from gateway import persisted
from gateway.graphql import build_schema
from infra.stack import REPO_ROOT

SCRIPTS = REPO_ROOT / "pwa" / "static" / "js"


def test_every_pwa_operation_is_valid_against_the_schema() -> None:
    schema = build_schema()._schema
    operations = persisted.load()
    assert len(operations) >= 18
    for op in operations.values():
        assert validate(schema, parse(op.text)) == [], op.name


def test_the_generated_script_matches_the_allowlist() -> None:
    assert persisted.check_script() is None


def test_hashes_are_of_the_canonical_text_so_spacing_does_not_matter() -> None:
    op = persisted.load()["ValidateNeed"]
    sloppy = "mutation   ValidateNeed($id: ID!)\n{ validateNeed(id: $id) {\n id status } }"
    assert persisted.digest(persisted.canonical(parse(sloppy))) == op.hash
    changed = "mutation ValidateNeed($id: ID!) { validateNeed(id: $id) { id status description } }"
    assert persisted.digest(persisted.canonical(parse(changed))) != op.hash


def test_the_pwa_scripts_name_only_allowlisted_operations_and_hold_no_graphql_text() -> None:
    known = set(persisted.load())
    graphql_text = re.compile(r"""["'`]\s*(query|mutation|subscription)\b[^"'`]*[{(]""")
    named: set[str] = set()
    for path in SCRIPTS.glob("*.js"):
        if path.name == "operations.js":
            continue
        source = path.read_text(encoding="utf-8")
        assert not graphql_text.search(source), f"{path.name} carries GraphQL text"
        named |= set(re.findall(r"""(?:gql|khumRequest)\(\s*"([A-Za-z]+)\"""", source))
        named |= set(re.findall(r"""const [A-Z_]+ = "([A-Z][A-Za-z]+)";""", source))
        named |= set(re.findall(r"""KhumOperations\.([A-Za-z]+)""", source))
    assert named, "the check found the scripts' operation names"
    assert named <= known, named - known
    assert {"SubmitNeed", "Notifications", "NotificationAdded", "ValidateNeed"} <= named
