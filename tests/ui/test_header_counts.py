"""The header's counts read as an operator writes numbers: thousands grouped ("1,200 VMs")."""

from __future__ import annotations

from pathlib import Path

from tests.ui.harness import connect_as, make_app, screen_lines, until
from tui.sim.runtime import SimCluster

VMS = 1200


async def test_counts_over_a_thousand_are_grouped(tmp_path: Path):
    cluster = SimCluster.start("large", vms=VMS, manual_clock=True, bookmark_interval=0.2, seed=7)
    try:
        session = connect_as(cluster, tmp_path, all_namespaces=True)
        try:
            app = make_app(session)
            async with app.run_test(size=(120, 40)) as pilot:
                await until(pilot, lambda: len(app.live.vm_list) == VMS, what="every VM listed")
                await until(pilot, lambda: "1,200 VMs" in screen_lines(app)[1], what="the header's count")
                running = sum(1 for vmi in session.store.snapshot().vmis.values() if vmi.phase == "Running")
                assert running >= 1000  # the scenario runs most of its VMs: their count is grouped too
                await until(pilot, lambda: f"{running:,} running" in screen_lines(app)[1], what="the running count")
        finally:
            session.stop()
    finally:
        cluster.stop()
