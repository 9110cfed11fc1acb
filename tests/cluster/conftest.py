"""Fixtures: a simulated Harvester cluster (manual clock, no KubeVirt controller) and a kubeconfig for it."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.cluster.simulated import start_cluster
from tui.sim.runtime import SimCluster


@pytest.fixture
def cluster() -> Iterator[SimCluster]:
    with start_cluster() as running:
        yield running


@pytest.fixture
def kubeconfig(cluster: SimCluster, tmp_path: Path) -> Path:
    return cluster.write_kubeconfig(tmp_path / "kube" / "config")
