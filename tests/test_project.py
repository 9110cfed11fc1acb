"""The project's own promises: the README's commands, CI running them, the command line's basics."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quick_start_lines() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Quick start\s+```sh\n(.*?)```", readme, re.S)
    assert block, "README has a Quick start with a sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_has_exactly_two_command_lines():
    assert len(quick_start_lines()) == 2


def test_ci_runs_the_readme_test_line_verbatim():
    test_line = quick_start_lines()[1]
    assert "pytest" in test_line
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_line in ci_lines


def test_test_line_uses_the_constraints_file_that_pins_the_renderers():
    test_line = quick_start_lines()[1]
    constraints = re.search(r"-c (\S+)", test_line)
    assert constraints, "the test line installs with a constraints file"
    pins = (ROOT / constraints.group(1)).read_text()
    assert re.search(r"^textual==", pins, re.M) and re.search(r"^rich==", pins, re.M)


def test_top_level_is_what_the_design_asks_for():
    allowed = {"pyproject.toml", "tui", "styles", "tests", "screenshots", "README.md"}
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False).stdout.split()
    if not tracked:  # not a git checkout (an sdist): nothing to check
        return
    top = {path.split("/")[0] for path in tracked}
    extra = {name for name in top - allowed if not name.startswith(".")}
    assert not extra, f"unexpected top-level entries: {sorted(extra)}"


def test_version_prints_the_installed_version_from_any_directory(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tui", "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert re.fullmatch(r"livemig \S+\n", result.stdout)


def test_help_describes_the_command(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tui", "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert "usage: livemig" in result.stdout


def test_the_version_constant_is_pyproject_version():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    from tui import __version__

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert __version__ == pyproject["project"]["version"]
