"""Phnom Penh's time zone is named in one place (contracts/local_time.py), so no page, service
or resolver can show or count days by a clock of its own."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / "contracts" / "local_time.py"


def named_zones(source: str) -> list[int]:
    """Lines where a string literal names the zone (docstrings and comments do not count)."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value == "Asia/Phnom_Penh" and id(node) not in docstrings
    ]


def test_the_zone_is_named_only_in_contracts_local_time() -> None:
    found = {
        str(path.relative_to(ROOT)): lines
        for package in ("contracts", "services", "gateway", "infra")
        for path in sorted((ROOT / package).rglob("*.py"))
        if path != HOME
        for lines in [named_zones(path.read_text(encoding="utf-8"))]
        if lines
    }
    assert found == {}
    assert named_zones(HOME.read_text(encoding="utf-8")), "contracts/local_time.py must name it"


def test_the_check_sees_a_second_clock_but_not_a_docstring() -> None:
    source = '"""Shown in Asia/Phnom_Penh."""\nfrom zoneinfo import ZoneInfo\nLOCAL = ZoneInfo("Asia/Phnom_Penh")\n'
    assert named_zones(source) == [3]
