"""A cluster larger than the list makes verdicts for at once (tui.view.vm_list.IMMEDIATE_VERDICTS): the
rows come first, the verdicts follow from a thread, those on screen first, and the header counts the
VMs still being checked until none is left."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.harness import connect_as, make_app, screen_lines, until
from tui.cluster.session import ClusterSession
from tui.sim.runtime import SimCluster
from tui.view.vm_list import IMMEDIATE_VERDICTS

VMS = IMMEDIATE_VERDICTS + 100


@pytest.fixture
def large(tmp_path: Path) -> Iterator[ClusterSession]:
    cluster = SimCluster.start("large", vms=VMS, manual_clock=True, bookmark_interval=0.2, seed=7)
    try:
        session = connect_as(cluster, tmp_path, all_namespaces=True)
        yield session
        session.stop()
    finally:
        cluster.stop()


def rows_on_screen(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("vm-")]


async def test_verdicts_made_apart_are_those_made_at_once_and_the_header_stops_counting(large):
    app = make_app(large)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(app.live.vm_list) == VMS, what="every VM listed")
        await until(pilot, lambda: not app.live.vm_list.pending, timeout=60, what="every verdict made")
        await pilot.pause(0.2)
        lines = screen_lines(app)
        assert "checking" not in lines[1]
        shown = rows_on_screen(lines)
        assert shown and not any("pending" in line for line in shown)
        assert all(("✓" in line or "✗" in line or "⚠" in line) for line in shown)
        # The same verdicts as the list makes at once in a small cluster.
        expected = app.live.vm_list.summaries
        app.live.vm_list.immediate = VMS
        app.live.apply(full=True)
        assert app.live.vm_list.summaries == expected
