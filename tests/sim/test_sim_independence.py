"""The simulated cluster decides with rules of its own: it may share livemig's parsing, never its verdicts.

If the simulator asked tui.domain whether a node can take a pod, or how long a migration may run, a
wrong answer there would be a wrong answer in the simulator too, and every test built on it would
agree with the mistake. Parsing helpers (tui.domain.objects' parse_* and its value types, and
tui.domain.quantity) turn the same YAML into the same numbers on both sides and may stay shared.
"""

from __future__ import annotations

import ast
from pathlib import Path

import tui.sim

SIM = Path(tui.sim.__file__).resolve().parent
SHARED = {"tui.domain.objects", "tui.domain.quantity"}


def _domain_imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("tui.domain")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "tui.domain":
                found += [(node.lineno, f"tui.domain.{alias.name}") for alias in node.names]
            elif node.module.startswith("tui.domain"):
                found.append((node.lineno, node.module))
    return found


def test_the_simulator_imports_no_decision_of_livemig():
    offending = [
        f"{path.relative_to(SIM.parent.parent)}:{line} imports {module}"
        for path in sorted(SIM.rglob("*.py"))
        for line, module in _domain_imports(path)
        if module not in SHARED
    ]
    assert offending == []


def test_the_check_sees_an_import_of_a_rule(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from tui.domain.scheduling import untolerated_taints\nimport tui.domain.budget\nfrom tui.domain import placement\n"
        "from tui.domain.objects import parse_node\n",
        encoding="utf-8",
    )
    modules = [module for _, module in _domain_imports(sample)]
    assert modules == ["tui.domain.scheduling", "tui.domain.budget", "tui.domain.placement", "tui.domain.objects"]
    assert [m for m in modules if m not in SHARED] == [
        "tui.domain.scheduling",
        "tui.domain.budget",
        "tui.domain.placement",
    ]
