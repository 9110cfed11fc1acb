"""Pictures of every screen at 80x24 and 120x40, from the demo scenario with the cluster's clock frozen.

Update them after a deliberate change with `pytest tests/ui/test_snapshots.py --snapshot-update`, and
look at the report before accepting.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.ui.chooser_scenes import CHOOSER_SCENES
from tests.ui.evacuation_scenes import EVACUATION_SCENES
from tests.ui.harness import connect_as, make_app, simulated
from tests.ui.scenes import CONNECTION_LOST_OPTIONS, SCENES

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scene", SCENES)
def test_screen(scene: str, size: str, snap_compare) -> None:
    lost = scene == "connection-lost"
    with simulated("default") as cluster, tempfile.TemporaryDirectory() as directory:
        session = connect_as(cluster, Path(directory), **(CONNECTION_LOST_OPTIONS if lost else {}))
        try:
            app = make_app(session)
            assert snap_compare(app, terminal_size=SIZES[size], run_before=lambda pilot: SCENES[scene](pilot, cluster))
        finally:
            session.stop()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scene", ["history-and-events", "drain"])
def test_what_came_before(scene: str, size: str, snap_compare) -> None:
    """A VM's history and events in its details; the Migrations screen during a drain."""
    from tests.ui.history_scenes import HISTORY_SCENES

    with simulated("default") as cluster, tempfile.TemporaryDirectory() as directory:
        session = connect_as(cluster, Path(directory))
        try:
            app = make_app(session)
            run = HISTORY_SCENES[scene]
            assert snap_compare(app, terminal_size=SIZES[size], run_before=lambda pilot: run(pilot, cluster))
        finally:
            session.stop()


@pytest.mark.parametrize("scene", CHOOSER_SCENES)
def test_chooser_screens(scene: str, snap_compare) -> None:
    """The kubeconfig context chooser and the CPU-model confirmation, at 80x24."""
    run = CHOOSER_SCENES[scene]
    with simulated("default") as cluster, tempfile.TemporaryDirectory() as directory:
        session = connect_as(cluster, Path(directory))
        try:
            app = make_app(session)
            assert snap_compare(app, terminal_size=(80, 24), run_before=lambda pilot: run(pilot, cluster))
        finally:
            session.stop()


@pytest.mark.parametrize("scene", EVACUATION_SCENES)
def test_evacuation_screen(scene: str, snap_compare) -> None:
    """The Nodes screen, a node's evacuation plan and its confirmation, at 80x24."""
    with simulated("default") as cluster, tempfile.TemporaryDirectory() as directory:
        session = connect_as(cluster, Path(directory))
        try:
            app = make_app(session)
            run_before = EVACUATION_SCENES[scene]
            assert snap_compare(app, terminal_size=SIZES["80x24"], run_before=lambda pilot: run_before(pilot, cluster))
        finally:
            session.stop()
