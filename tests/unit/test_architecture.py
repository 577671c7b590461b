"""The import contracts in `.importlinter` hold on the tree, and each one bites.

Each case copies the source packages to a temporary directory, adds one import that crosses a
line, and runs the real `lint-imports` on the copy: the contract named must come out broken.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from configparser import ConfigParser
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("contracts", "services", "gateway", "infra")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def run_lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), str(tree / ".importlinter"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the source packages and the contracts, to break on purpose."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.json", "*.graphql", "templates", "demo", "nats"),
        )
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def contract_names() -> dict[str, str]:
    config = ConfigParser()
    config.read(ROOT / ".importlinter")
    return {
        section.removeprefix("importlinter:contract:"): config[section]["name"]
        for section in config.sections()
        if section.startswith("importlinter:contract:")
    }


def test_the_contracts_cover_the_rules() -> None:
    assert set(contract_names()) >= {
        "domains-are-pure",
        "services-are-independent",
        "contracts-import-nothing-of-khum",
        "pages-and-graphql-apart",
        "services-only-through-typed-clients",
        "gateway-layers",
    }


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    result = run_lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


CROSSINGS = [
    pytest.param(
        "services/intake/domain.py", "import fastapi", "domains-are-pure", id="domain-imports-fastapi"
    ),
    pytest.param(
        "services/meetings/domain.py",
        "from services.runtime import service",
        "domains-are-pure",
        id="domain-imports-fastapi-through-the-runtime",
    ),
    pytest.param(
        "services/intake/lifecycle.py",
        "from services.runtime.http import CallerDep",
        "domains-are-pure",
        id="module-under-a-domain-imports-the-http-half",
    ),
    pytest.param(
        "services/notify/domain/quiet.py", "import nats", "domains-are-pure", id="notify-domain-imports-nats"
    ),
    pytest.param(
        "services/budget/model.py",
        "import services.runtime.stores.sqlite",
        "domains-are-pure",
        id="module-under-a-domain-imports-the-store",
    ),
    pytest.param(
        "services/intake/api.py",
        "import services.budget.domain",
        "services-are-independent",
        id="one-service-imports-another",
    ),
    pytest.param(
        "contracts/needs.py", "import infra", "contracts-import-nothing-of-khum", id="contracts-import-khum"
    ),
    pytest.param(
        "gateway/web/needs.py",
        "import gateway.graphql.needs",
        "pages-and-graphql-apart",
        id="pages-import-graphql",
    ),
    pytest.param(
        "gateway/graphql/needs/queries.py",
        "import gateway.web.needs",
        "pages-and-graphql-apart",
        id="graphql-imports-pages",
    ),
    pytest.param(
        "gateway/web/needs.py",
        "from gateway.clients.http import ServiceClient",
        "services-only-through-typed-clients",
        id="pages-import-the-raw-transport",
    ),
    pytest.param(
        "gateway/graphql/needs/queries.py",
        "import httpx",
        "services-only-through-typed-clients",
        id="graphql-calls-a-service-by-hand",
    ),
    pytest.param(
        "gateway/identity/accounts.py",
        "import gateway.web.render",
        # The pages import identity, so GraphQL would now reach them through it as well.
        ("gateway-layers", "pages-and-graphql-apart"),
        id="identity-imports-the-pages",
    ),
    pytest.param(
        "gateway/clients/intake.py",
        "import gateway.graphql.needs",
        ("gateway-layers", "pages-and-graphql-apart"),
        id="a-client-imports-graphql",
    ),
]


@pytest.mark.parametrize(("module", "line", "contract"), CROSSINGS)
def test_crossing_a_line_breaks_its_contract(
    tree: Path, module: str, line: str, contract: str | tuple[str, ...]
) -> None:
    broken = (contract,) if isinstance(contract, str) else contract
    path = tree / module
    path.write_text(
        path.read_text(encoding="utf-8") + f"\n{line}  # crosses the line on purpose\n", encoding="utf-8"
    )
    result = run_lint_imports(tree)
    assert result.returncode != 0, result.stdout
    for key in broken:
        name = contract_names()[key]
        # The report of broken contracts heads each one with its full name, underlined.
        assert f"{name}\n{'-' * len(name)}\n" in result.stdout, result.stdout
    assert f", {len(broken)} broken." in result.stdout, result.stdout


def test_loading_every_domain_loads_no_web_framework_nor_jwt() -> None:
    probe = (
        "import sys\n"
        "import services.intake.domain, services.meetings.domain, services.budget.domain, services.notify.domain\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'fastapi', 'starlette', 'jwt', 'nats', 'httpx'})\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == ""


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (Tarjan's strongly
    connected components, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[module] = min(low[module], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == module:
                        break
                if len(group) > 1:
                    cycles.append(sorted(group))
    return cycles


def test_no_import_cycle_anywhere_in_khum() -> None:
    # Imports under `if TYPE_CHECKING:` count: a circle hidden there is still a circle in the design.
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    assert import_cycles(graph) == []


def test_the_cycle_finder_finds_a_circle_round_three_modules() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [("k.a", "k.b"), ("k.b", "k.c"), ("k.c", "k.a"), ("k.c", "k.d")]:
        graph.add_import(importer=importer, imported=imported)
    assert import_cycles(graph) == [["k.a", "k.b", "k.c"]]


def hand_written_plumbing(source: str) -> list[str]:
    """Retry loops over the store and inbox checks written outside the runtime's unit of work."""
    found: list[str] = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.For | ast.While | ast.AsyncFor):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Try):
                    for handler in inner.handlers:
                        caught = ast.unparse(handler.type) if handler.type is not None else ""
                        if "VersionConflictError" in caught or "DuplicateKeyError" in caught:
                            found.append(f"line {inner.lineno}: a retry loop on {caught}")
        if isinstance(node, ast.Attribute) and node.attr == "mark_processed":
            found.append(f"line {node.lineno}: an inbox check")
    return found


def test_no_service_writes_its_own_retry_loop_or_inbox_check() -> None:
    offenders = {
        str(path.relative_to(ROOT)): found
        for package in ("services", "gateway")
        for path in sorted((ROOT / package).rglob("*.py"))
        if not path.is_relative_to(ROOT / "services" / "runtime")
        and (found := hand_written_plumbing(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_plumbing_finder_sees_a_hand_written_loop_and_inbox_check() -> None:
    source = (
        "async def change(runtime):\n"
        "    for _ in range(5):\n"
        "        try:\n"
        "            async with runtime.unit_of_work() as tx:\n"
        "                if not await tx.mark_processed('c', 'e'):\n"
        "                    return\n"
        "        except (VersionConflictError, DuplicateKeyError):\n"
        "            continue\n"
    )
    assert hand_written_plumbing(source) == [
        "line 3: a retry loop on (VersionConflictError, DuplicateKeyError)",
        "line 5: an inbox check",
    ]
