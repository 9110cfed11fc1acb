"""Fixtures for the tests at this level and below: the test scenario (tests/cluster/fixtures/harvester.yaml)
on a manual clock without the KubeVirt controller, and a kubeconfig for it. The UI's tests have their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.simulated import start_cluster
from tui.sim.runtime import SimCluster


@pytest.fixture
def cluster() -> Iterator[SimCluster]:
    with start_cluster() as running:
        yield running


@pytest.fixture
def kubeconfig(cluster: SimCluster, tmp_path: Path) -> str:
    return str(cluster.write_kubeconfig(tmp_path / "config"))
