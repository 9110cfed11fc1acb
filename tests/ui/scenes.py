"""The screens of livemig in the demo scenario, each set up the way an operator gets there, with time frozen.

Shared by the snapshot tests and `screenshots/generate.py`. A scene runs inside the app (a Textual
pilot) against a simulated cluster on its manual clock; it moves the clock only by exact amounts and
then waits until the screen shows what the server holds, so every run draws the same picture.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from textual.pilot import Pilot

from tests.ui.harness import cursor_to, select_vm, until
from tui.app import LivemigApp
from tui.cluster.reflector import ReflectorTimings
from tui.messages import ViewUpdated
from tui.sim.runtime import SimCluster

Scene = Callable[[Pilot, SimCluster], Awaitable[None]]

# Retries slow enough that the banner's attempt number can be caught.
CONNECTION_LOST_OPTIONS = dict(
    timings=ReflectorTimings(connect_timeout=2.0, backoff_initial=1.5, backoff_max=1.5, recheck_after=0.5),
    probe_interval=60.0,
)


def _server_versions(cluster: SimCluster, resource: str, namespaces: tuple[str, ...] | None) -> dict[str, str]:
    """key -> resourceVersion on the server, for the namespaces the session shows."""
    found = {}
    for obj in cluster.store.list(resource, None):
        meta = obj["metadata"]
        if meta.get("namespace") and namespaces is not None and meta["namespace"] not in namespaces:
            continue
        found[f"{meta.get('namespace')}/{meta['name']}" if meta.get("namespace") else meta["name"]] = meta[
            "resourceVersion"
        ]
    return found


def _shown_versions(app: LivemigApp, kind: str) -> dict[str, str]:
    objects = getattr(app.live.snapshot, kind)
    return {key: obj.meta.resource_version for key, obj in objects.items()}


async def caught_up(pilot: Pilot, cluster: SimCluster) -> None:
    """Wait until the app shows exactly what the server holds (and byte counters for running migrations)."""
    app: LivemigApp = pilot.app  # type: ignore[assignment]
    kinds = {
        "vms": "virtualmachines",
        "vmis": "virtualmachineinstances",
        "migrations": "virtualmachineinstancemigrations",
        "nodes": "nodes",
    }

    def same() -> bool:
        namespaces = app.session.namespaces
        return all(
            _shown_versions(app, kind) == _server_versions(cluster, resource, namespaces)
            for kind, resource in kinds.items()
        )

    def counted() -> bool:
        running = [v for v in app.live.ledger.views() if v.progress.phase == "Running" and not v.final]
        return all(v.counters is not None for v in running) or not cluster.monitoring

    await until(pilot, lambda: same() and counted(), timeout=30, what="the screen catching up with the server")
    await pilot.pause(0.3)  # the last batch reaches every screen
    app.clear_notifications()


async def vm_list(pilot: Pilot, cluster: SimCluster) -> None:
    await caught_up(pilot, cluster)


async def vm_detail(pilot: Pilot, cluster: SimCluster) -> None:
    await caught_up(pilot, cluster)
    await select_vm(pilot, "web-frontend-01")
    await pilot.press("escape", "enter")
    await until(pilot, lambda: pilot.app.screen.id == "vm-detail")
    await cursor_to(pilot, "harvester-node-3", "detail-nodes")
    await caught_up(pilot, cluster)


async def node_picker(pilot: Pilot, cluster: SimCluster) -> None:
    await caught_up(pilot, cluster)
    await select_vm(pilot, "web-frontend-01")
    await pilot.press("escape", "m")
    await until(pilot, lambda: pilot.app.screen.__class__.__name__ == "NodePickerScreen")
    await cursor_to(pilot, "harvester-node-5", "picker-table")
    await caught_up(pilot, cluster)


async def confirm_migration(pilot: Pilot, cluster: SimCluster) -> None:
    await caught_up(pilot, cluster)
    await select_vm(pilot, "web-frontend-01")
    await pilot.press("escape", "m")
    await until(pilot, lambda: pilot.app.screen.__class__.__name__ == "NodePickerScreen")
    await cursor_to(pilot, "harvester-node-2", "picker-table")
    await pilot.press("enter")
    await until(pilot, lambda: pilot.app.screen.id == "confirm-migration")
    await caught_up(pilot, cluster)


async def _two_migrations(pilot: Pilot, cluster: SimCluster) -> None:
    """db-primary copying memory to harvester-node-0 for a while; jump-host done already."""
    app: LivemigApp = pilot.app  # type: ignore[assignment]
    await caught_up(pilot, cluster)
    assert app.start_migration("default/jump-host", None)
    await until(pilot, lambda: app.live.ledger.running_for_vm("default/jump-host") is not None)
    cluster.advance(60)
    await caught_up(pilot, cluster)
    assert app.start_migration("default/db-primary", "harvester-node-0")
    await until(pilot, lambda: app.live.ledger.running_for_vm("default/db-primary") is not None)
    cluster.advance(30)
    await caught_up(pilot, cluster)
    # The metrics poller reads Prometheus on its own clock; let it read the frozen moment twice.
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        await pilot.pause(0.1)
    await caught_up(pilot, cluster)


async def migration_running(pilot: Pilot, cluster: SimCluster) -> None:
    await _two_migrations(pilot, cluster)
    await select_vm(pilot, "db-primary")
    await pilot.press("escape")
    await caught_up(pilot, cluster)


async def migrations(pilot: Pilot, cluster: SimCluster) -> None:
    await _two_migrations(pilot, cluster)
    await pilot.press("M")
    await until(pilot, lambda: pilot.app.screen.id == "migrations")
    await caught_up(pilot, cluster)


async def abort_confirmation(pilot: Pilot, cluster: SimCluster) -> None:
    await _two_migrations(pilot, cluster)
    await pilot.press("M")
    await until(pilot, lambda: pilot.app.screen.id == "migrations")
    await pilot.press("a")
    await until(pilot, lambda: pilot.app.screen.id == "confirm-abort")
    await caught_up(pilot, cluster)


async def help_keys(pilot: Pilot, cluster: SimCluster) -> None:
    await caught_up(pilot, cluster)
    pilot.app.ready_after = None  # a measured time would differ on every run
    await pilot.press("question_mark")
    await until(pilot, lambda: pilot.app.screen.__class__.__name__ == "HelpScreen")


async def connection_lost(pilot: Pilot, cluster: SimCluster) -> None:
    """Needs a session with slow retries (CONNECTION_LOST_OPTIONS), so attempt 2 can be caught and held."""
    app: LivemigApp = pilot.app  # type: ignore[assignment]
    await caught_up(pilot, cluster)
    # The server answers every request with 500 and drops the open watches: what a failing API server does,
    # and an error that does not name the server's address (the port is not fixed).
    cluster.fault("fail", count=1000, code=500)
    cluster.fault("restart")
    await until(
        pilot,
        lambda: "(attempt 2)" in app.live.connection.banner,
        timeout=30,
        what="attempt 2",
    )
    app.updates_paused = True
    app._broadcast(ViewUpdated(None, connection=True))
    await pilot.pause(0.3)
    app.clear_notifications()


SCENES: dict[str, Scene] = {
    "vm-list": vm_list,
    "vm-detail": vm_detail,
    "node-picker": node_picker,
    "confirm-migration": confirm_migration,
    "migration-running": migration_running,
    "migrations": migrations,
    "abort-confirmation": abort_confirmation,
    "help": help_keys,
    "connection-lost": connection_lost,
}
