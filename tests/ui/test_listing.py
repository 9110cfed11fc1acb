"""Nothing false on screen while the lists arrive: the simulated API server holds some kinds' lists back
(its `hold-lists` fault) while livemig starts, and the screen says what is still being listed."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.ui.harness import FAST, make_app, screen_lines, screen_text, until
from tui.cluster.session import ClusterSession, ConnectOptions
from tui.sim.faults import FaultError
from tui.sim.runtime import SimCluster


@contextmanager
def starting(cluster: SimCluster, directory: Path, held: str) -> Iterator[ClusterSession]:
    """A session started while the lists of `held` (plural resource names) wait, not waiting for them."""
    cluster.fault("hold-lists", resources=held)
    kubeconfig = cluster.write_kubeconfig(directory / "kubeconfig-admin")
    session = ClusterSession.connect(
        ConnectOptions(
            kubeconfig=str(kubeconfig),
            context="sim-admin",
            clock=cluster.clock.now,
            probe_interval=0.2,
            probe_timeout=1.0,
            metrics_interval=0.2,
            timings=dataclasses.replace(FAST, list_read_timeout=60.0),  # a held list is slow, not lost
            environ={},
        )
    )
    session.start()
    try:
        yield session
    finally:
        session.stop()


def row(lines: list[str], name: str) -> str:
    return next((line for line in lines if line.startswith(name + " ")), "")


def rows(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith(("web-", "db-", "batch-", "legacy-", "gpu-", "win"))]


async def test_while_vmis_are_listed_rows_say_listing_and_pending_never_not_running(cluster, tmp_path):
    with starting(cluster, tmp_path, "virtualmachineinstances,pods") as session:
        app = make_app(session)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(
                pilot,
                lambda: app.live.listing == ("vmis", "pods") and "web-frontend-01" in screen_text(app),
                what="VMs listed, VMIs and pods held",
            )
            await pilot.pause(0.2)
            lines = screen_lines(app)
            assert "listing VMIs, pods" in lines[0]
            running = row(lines, "web-frontend-01")
            assert "Running" in running and "listing…" in running and "… pending" in running
            assert not any("✗" in line or "not running" in line for line in rows(lines)), screen_text(app)
            # A pending verdict is no refusal: the migrate key says why it waits.
            await pilot.press("m")
            told = await until(
                pilot,
                lambda: [n.message for n in app._notifications if n.title == "Cannot migrate"],
                what="why m does nothing yet",
            )
            assert told == ["analytics-etl is still being checked: listing VMIs first."]
            cluster.fault("release-lists")
            await until(
                pilot,
                lambda: (
                    "connected" in screen_lines(app)[0]
                    and "harvester-node-" in row(screen_lines(app), "web-frontend-01")
                ),
                what="the VMIs listed",
            )
            await until(pilot, lambda: "pending" not in screen_text(app), what="every verdict made")
            assert "listing" not in screen_text(app)


async def test_with_nodes_held_rows_show_where_vms_run_and_their_verdicts_wait(cluster, tmp_path):
    with starting(cluster, tmp_path, "nodes") as session:
        app = make_app(session)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(
                pilot,
                lambda: (
                    app.live.listing[:1] == ("nodes",)
                    and "harvester-node-" in row(screen_lines(app), "web-frontend-01")
                ),
                what="the VMIs listed, the nodes not",
            )
            await pilot.pause(0.2)
            lines = screen_lines(app)
            assert "listing nodes" in lines[0]
            assert all("… pending" in line for line in rows(lines)), screen_text(app)
            cluster.fault("release-lists", resources="nodes")
            await until(pilot, lambda: "pending" not in screen_text(app), what="every verdict made")
            assert "✓ yes" in row(screen_lines(app), "web-frontend-01")


def test_holding_lists_needs_the_resources_named(cluster):
    with pytest.raises(FaultError, match='parameter "resources" is required, e.g. resources=virtualmachineinstances'):
        cluster.fault("hold-lists")
    assert cluster.fault("hold-lists", resources="pods, nodes") == {"heldLists": ["nodes", "pods"]}
    assert cluster.fault("release-lists", resources="pods") == {"heldLists": ["nodes"]}
    assert cluster.fault("release-lists") == {"heldLists": []}
