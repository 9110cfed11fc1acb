"""Fixtures: the simulated Harvester cluster of tests/conftest.py (manual clock, no KubeVirt controller),
and a kubeconfig for it as a Path, in a directory of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.sim.runtime import SimCluster


@pytest.fixture
def kubeconfig(cluster: SimCluster, tmp_path: Path) -> Path:
    return cluster.write_kubeconfig(tmp_path / "kube" / "config")
