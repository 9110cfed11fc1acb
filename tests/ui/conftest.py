"""Fixtures for the terminal UI's tests: the `default` scenario running on a manual clock, and sessions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.harness import connect_as, simulated
from tui.cluster.session import ClusterSession
from tui.sim.runtime import SimCluster


@pytest.fixture
def cluster() -> Iterator[SimCluster]:
    with simulated("default") as running:
        yield running


@pytest.fixture
def admin(cluster: SimCluster, tmp_path: Path) -> Iterator[ClusterSession]:
    session = connect_as(cluster, tmp_path)
    yield session
    session.stop()
