"""Pictures of every screen at 80x24 and 120x40, from the demo scenario with the cluster's clock frozen.

Update them after a deliberate change with `pytest tests/ui/test_snapshots.py --snapshot-update`, and
look at the report before accepting.
"""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.ui.harness import connect_as, make_app, simulated
from tests.ui.scenes import CONNECTION_LOST_OPTIONS, CONNECTION_LOST_PORT, SCENES

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


@contextmanager
def port_held(lost: bool) -> Iterator[None]:
    """The connection-lost scene's port is fixed (its banner, and so its picture, names the address): its
    two sizes, which may run in two test processes at once, take it in turn."""
    if not lost:
        yield
        return
    with open(Path(tempfile.gettempdir()) / f"livemig-test-port-{CONNECTION_LOST_PORT}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scene", SCENES)
def test_screen(scene: str, size: str, snap_compare) -> None:
    lost = scene == "connection-lost"
    with (
        port_held(lost),
        simulated("default", port=CONNECTION_LOST_PORT if lost else None) as cluster,
        tempfile.TemporaryDirectory() as directory,
    ):
        session = connect_as(cluster, Path(directory), **(CONNECTION_LOST_OPTIONS if lost else {}))
        try:
            app = make_app(session)
            assert snap_compare(app, terminal_size=SIZES[size], run_before=lambda pilot: SCENES[scene](pilot, cluster))
        finally:
            session.stop()
