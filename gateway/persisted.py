"""Persisted operations: the PWA sends its GraphQL operations by hash, from an allowlist.

The allowlist is ``pwa/operations.graphql``. Each named operation, with the fragments it uses,
is printed in graphql-core's canonical form and hashed (SHA-256); ``pwa/static/js/operations.js``
is generated from it (``python -m gateway.persisted``, part of ``make schemas``) so the scripts
send ``{"operationName", "extensions": {"persistedQuery": {"sha256Hash"}}}`` and no query text.

Every gateway resolves a known hash. Where only the allowlist is accepted (production, or
``KHUM_GATEWAY_PERSISTED_ONLY``), a browser session or an anonymous caller that sends its own
query text is refused unless that text is an allowlisted operation (a subscription's text, for
one); integrators with an API token may send their own queries, within the limits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    Node,
    OperationDefinitionNode,
    OperationType,
    parse,
    print_ast,
    visit,
)
from graphql.language import Visitor

from gateway.i18n import REPO_ROOT

OPERATIONS_FILE = REPO_ROOT / "pwa" / "operations.graphql"
SCRIPT_FILE = REPO_ROOT / "pwa" / "static" / "js" / "operations.js"


@dataclass(frozen=True)
class Operation:
    name: str
    kind: OperationType
    text: str
    hash: str


def _spreads(node: Node) -> set[str]:
    names: set[str] = set()

    class Spreads(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: object) -> None:
            names.add(spread.name.value)

    visit(node, Spreads())
    return names


def _needed(operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]) -> list[str]:
    """The fragments an operation uses, directly or through other fragments, in file order."""
    wanted, todo = set(), list(_spreads(operation))
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        if name not in fragments:
            raise ValueError(f"fragment {name} is used but not defined")
        wanted.add(name)
        todo.extend(_spreads(fragments[name]))
    return [name for name in fragments if name in wanted]


def canonical(document: DocumentNode) -> str:
    return print_ast(document)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def load(path: Path = OPERATIONS_FILE) -> dict[str, Operation]:
    """Every named operation of the file, standalone (with its fragments), by name."""
    document = parse(path.read_text(encoding="utf-8"))
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations: dict[str, Operation] = {}
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if definition.name is None:
            raise ValueError("every operation in the allowlist needs a name")
        name = definition.name.value
        if name in operations:
            raise ValueError(f"operation {name} is defined twice")
        parts = [definition, *(fragments[f] for f in _needed(definition, fragments))]
        text = canonical(DocumentNode(definitions=tuple(parts)))
        operations[name] = Operation(name, definition.operation, text, digest(text))
    return operations


@cache
def allowlist() -> dict[str, Operation]:
    """By hash."""
    return {op.hash: op for op in load().values()}


def script(operations: dict[str, Operation]) -> str:
    """pwa/static/js/operations.js: names to hashes, and the text of subscriptions (the
    WebSocket protocol carries a query)."""
    entries = {
        name: {"hash": op.hash, **({"query": op.text} if op.kind is OperationType.SUBSCRIPTION else {})}
        for name, op in sorted(operations.items())
    }
    body = json.dumps(entries, indent=2, ensure_ascii=False)
    return (
        "/* Generated from pwa/operations.graphql by `python -m gateway.persisted` (make schemas):\n"
        "   do not edit. The PWA sends its GraphQL operations by these hashes. */\n"
        f"self.KhumOperations = {body};\n"
        "/* The JSON body of a POST /graphql for one of them. */\n"
        "self.khumRequest = (name, variables) => {\n"
        "  const op = self.KhumOperations[name];\n"
        '  if (!op) throw new Error("unknown GraphQL operation " + name);\n'
        "  return JSON.stringify({\n"
        "    operationName: name,\n"
        "    variables: variables || {},\n"
        "    extensions: { persistedQuery: { version: 1, sha256Hash: op.hash } },\n"
        "  });\n"
        "};\n"
    )


def check_script() -> str | None:
    """What is wrong with the committed script, if anything (the drift test asks)."""
    wanted = script(load())
    if not SCRIPT_FILE.exists() or SCRIPT_FILE.read_text(encoding="utf-8") != wanted:
        return f"{SCRIPT_FILE} is out of date: run `make schemas`"
    return None


def main() -> None:
    SCRIPT_FILE.write_text(script(load()), encoding="utf-8")
    print(f"wrote {SCRIPT_FILE}")


if __name__ == "__main__":
    main()
