"""Khum stands alone: every install takes the one lock, and no document points outside the clone.

A ministry or NGO that clones Khum must get exactly what was tested, with nothing beside the
repository. These checks read files only; the clean-clone run of `make test` in CI is what
proves the whole.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _locked() -> dict[str, Version]:
    return {canonicalize_name(name): Version(version) for name, version in _PIN.findall(LOCK.read_text())}


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    found = [Requirement(r) for r in project["project"]["dependencies"]]
    for extra in project["project"]["optional-dependencies"].values():
        found += [Requirement(r) for r in extra]
    for group in project.get("dependency-groups", {}).values():
        found += [Requirement(r) for r in group]
    return found


def test_every_declared_dependency_is_locked_at_a_version_its_bound_allows() -> None:
    locked = _locked()
    problems = []
    for requirement in _declared():
        version = locked.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name} is declared but not in requirements.lock (run make lock)")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}=={version} in the lock breaks pyproject's {requirement}")
    assert problems == []


def test_every_locked_package_carries_hashes() -> None:
    blocks = re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text().split("\n", 2)[-1])
    unhashed = [b.split()[0] for b in blocks if "==" in b and "--hash=sha256:" not in b]
    assert unhashed == []


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("Makefile", "--require-hashes --no-deps -r $(LOCK)"),
        ("Dockerfile", "-c requirements.lock --verify-hashes"),
        (".ci/run", "make test"),
    ],
)
def test_every_install_path_installs_from_the_lock(path: str, needle: str) -> None:
    text = (ROOT / path).read_text()
    assert needle in text
    assert "pip install -e" not in text and "pip install ." not in text


def _documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), *sorted(ROOT.glob("*/README.md"))]


def test_every_relative_link_in_the_documents_stays_in_the_repository_and_exists() -> None:
    broken = []
    for doc in _documents():
        for target in _LINK.findall(doc.read_text(encoding="utf-8")):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue
            path = (doc.parent / target.split("#", 1)[0]).resolve()
            if not path.is_relative_to(ROOT):
                broken.append(f"{doc.relative_to(ROOT)}: {target} leaves the repository")
            elif not path.exists():
                broken.append(f"{doc.relative_to(ROOT)}: {target} points at nothing")
    assert broken == []


def test_the_link_check_sees_a_link_that_leaves_the_repository() -> None:
    text = "See [notes](../elsewhere/notes.md) and [ops](docs/operations.md)."
    assert _LINK.findall(text) == ["../elsewhere/notes.md", "docs/operations.md"]


def test_no_source_or_test_reads_a_folder_beside_the_clone() -> None:
    offenders = []
    for path in ROOT.rglob("*.py"):
        if any(part in {".venv", "node_modules", "var"} for part in path.relative_to(ROOT).parts):
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"""parent\s*/\s*["']shared["']|\.\./shared""", text) and path != Path(__file__):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_bootstrap_installs_the_node_packages_the_browser_tests_use() -> None:
    """axe-core comes from npm: a bootstrap without the npm step skips every accessibility check."""
    makefile = (ROOT / "Makefile").read_text()
    bootstrap = re.search(r"^bootstrap:(.*)$", makefile, re.MULTILINE)
    assert bootstrap is not None and "$(NODE_STAMP)" in bootstrap.group(1)
    assert re.search(r"^NODE_STAMP :=", makefile, re.MULTILINE)
    assert re.search(r"^\$\(NODE_STAMP\):.*package-lock\.json", makefile, re.MULTILINE)
    assert "npm ci" in makefile
