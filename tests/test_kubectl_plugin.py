"""`kubectl livemig …` works: the `kubectl-livemig` console script is a kubectl plugin, found on PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sim.conftest import find_kubectl

BIN = Path(sys.executable).parent
KUBECTL = find_kubectl()

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed"),
    pytest.mark.skipif(not (BIN / "kubectl-livemig").exists(), reason="livemig is not installed with its scripts"),
]


def kubectl(*args: str, **environment: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **environment}
    return subprocess.run([str(KUBECTL), *args], capture_output=True, text=True, env=env, timeout=120)


def test_kubectl_lists_livemig_among_its_plugins():
    listed = kubectl("plugin", "list")
    assert "kubectl-livemig" in listed.stdout


def test_kubectl_livemig_plans_a_vm_in_the_demo():
    done = kubectl("livemig", "plan", "--demo", "default/jump-host")
    assert done.returncode == 0, done.stderr
    assert "default/jump-host" in done.stdout and "Migratable" in done.stdout


def test_kubectl_livemig_passes_the_exit_code_through():
    done = kubectl("livemig", "plan", "--demo", "default/no-such-vm")
    assert done.returncode == 2
    assert "no-such-vm" in done.stderr
