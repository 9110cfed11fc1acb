"""Scenes for the snapshot pictures of what came before: a VM's history and events in its details, and the
Migrations screen during a drain (KubeVirt's evacuations and the VM its limits keep waiting)."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from textual.pilot import Pilot

from tests.ui.harness import select_vm, until, widget_text
from tests.ui.scenes import caught_up
from tests.ui.test_history_and_events import DRAINED, evict_launchers
from tui.sim.runtime import SimCluster


async def history_and_events(pilot: Pilot, cluster: SimCluster) -> None:
    """web-frontend-01 moved once (jump-host beside it), its details with the history pane shown."""
    app: Any = pilot.app
    await caught_up(pilot, cluster)
    assert app.start_migration("default/web-frontend-01", None)
    await until(pilot, lambda: app.live.ledger.running_for_vm("default/web-frontend-01") is not None)
    cluster.advance(60)
    await caught_up(pilot, cluster)
    await select_vm(pilot, "web-frontend-01")
    await pilot.press("escape", "enter")
    await until(pilot, lambda: app.screen.id == "vm-detail")
    await pilot.press("h")
    await until(pilot, lambda: "Signaled Deletion" in widget_text(app, "#detail-history"), what="the events read")
    await caught_up(pilot, cluster)


async def drain(pilot: Pilot, cluster: SimCluster) -> None:
    """harvester-node-1 drained: two evacuations copying, the third VM waiting for KubeVirt's place."""
    app: Any = pilot.app
    await caught_up(pilot, cluster)
    evict_launchers(app.session, cluster, DRAINED)
    cluster.advance(4)
    await caught_up(pilot, cluster)
    await pilot.press("M")
    await until(pilot, lambda: app.screen.id == "migrations")
    await pilot.press("end")
    await until(pilot, lambda: "leaving" in widget_text(app, "#migration-detail"), what="the waiting VM's detail")
    await caught_up(pilot, cluster)


HISTORY_SCENES: dict[str, Callable[[Pilot, SimCluster], Awaitable[None]]] = {
    "history-and-events": history_and_events,
    "drain": drain,
}
