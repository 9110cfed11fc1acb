"""Running livemig's terminal UI against the simulated cluster in-process, on the simulator's manual clock.

    with simulated("default") as cluster:
        session = connect_as(cluster, tmp_path)
        app = make_app(session)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: "web-frontend-01" in screen_text(app))
            step(cluster, 30)                   # thirty simulated seconds, one tick a second

Text on screen is read from the compositor (what the terminal would show), so a test asserts what a
person would see. `pilot.press` lets each key act before sending the next; `burst` sends keys the way a
terminal (an SSH session above all) often delivers them: all at once. The store and the UI are fed by real HTTP watches over loopback, so `until` polls
(in real time) for them to catch up; the cluster's own time only moves with `step`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from textual import events
from textual.pilot import Pilot

from tui.app import LivemigApp
from tui.cluster.reflector import ReflectorTimings
from tui.cluster.session import ClusterSession, ConnectOptions
from tui.sim.runtime import SimCluster
from tui.sim.scenario import Scenario, load_scenario, parse_scenario
from tui.widgets.keymap import normal_key

HERE = Path(__file__).parent
START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
THEME = "textual-dark"

# Reconnects in fractions of a second, so connection tests do not wait long.
FAST = ReflectorTimings(
    connect_timeout=2.0,
    list_read_timeout=5.0,
    watch_idle_timeout=3.0,
    watch_timeout_range=(30, 60),
    backoff_initial=0.05,
    backoff_max=0.5,
    backoff_reset_after=5.0,
    recheck_after=0.5,
)


def scenario(name: str = "default") -> Scenario:
    """A built-in scenario, or a YAML file next to this module, starting at a fixed moment."""
    path = HERE / name
    loaded = parse_scenario(path.read_text(), name=path.name) if path.suffix == ".yaml" else load_scenario(name)
    return dataclasses.replace(loaded, simulation=dataclasses.replace(loaded.simulation, start_time=START))


@contextmanager
def simulated(
    name: str = "default", seed: int = 7, controller: bool = True, port: int | None = None
) -> Iterator[SimCluster]:
    """A running simulated cluster with a manual clock; generated names (migrations) fixed by `seed`."""
    cluster = SimCluster.start(
        scenario(name),
        port=port,
        manual_clock=True,
        bookmark_interval=0.2,
        installers=None if controller else [],
        seed=seed,
    )
    try:
        yield cluster
    finally:
        cluster.stop()


def connect_as(
    cluster: SimCluster, directory: Path, user: str = "admin", readonly: bool = False, **options: Any
) -> ClusterSession:
    """A started session for `user` (context sim-<user>), on the cluster's clock, every kind listed."""
    kubeconfig = cluster.write_kubeconfig(directory / f"kubeconfig-{user}")
    settings: dict[str, Any] = dict(
        kubeconfig=str(kubeconfig),
        context=f"sim-{user}",
        readonly=readonly,
        clock=cluster.clock.now,
        probe_interval=0.2,
        probe_timeout=1.0,
        metrics_interval=0.2,
        timings=FAST,
        environ={},
    )
    settings.update(options)
    session = ClusterSession.connect(ConnectOptions(**settings))
    session.start()
    session.wait_until_synced(30)
    return session


def make_app(session: ClusterSession, readonly: bool = False, theme: str = THEME) -> LivemigApp:
    """The app with a fixed theme (whatever terminal runs the tests)."""
    return LivemigApp(session, readonly=readonly, theme=theme, environ={})


def step(cluster: SimCluster, seconds: float) -> None:
    """Move the simulated clock forward one second at a time (the controller acts on each tick)."""
    cluster.advance(seconds)


async def until(pilot: Pilot, check: Callable[[], Any], timeout: float = 15.0, what: str = "") -> Any:
    """Let the app run until `check()` is truthy (watches and workers need real time); fail after `timeout`."""
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(
                f"not seen within {timeout} s: {what or check}\n--- screen ---\n{screen_text(pilot.app)}"
            )
        await pilot.pause(0.05)


async def step_until(
    pilot: Pilot, cluster: SimCluster, check: Callable[[], Any], seconds: int = 300, what: str = "", stride: int = 1
) -> Any:
    """Advance the clock `stride` seconds at a time (the controller ticks every second) until `check()`
    holds, giving the watches time to deliver after each stride."""
    for _ in range(0, seconds, stride):
        value = check()
        if value:
            return value
        cluster.advance(stride)
        await settle(pilot)
    value = check()
    if value:
        return value
    raise AssertionError(f"not reached in {seconds} simulated seconds: {what or check}\n{screen_text(pilot.app)}")


def burst(pilot: Pilot, *keys: str) -> None:
    """Put keys in the app's input all at once, without waiting for any to act (as a terminal delivers
    keys typed fast or sent together). Keys are single characters or names ("enter", "escape")."""
    app = pilot.app
    for key in keys:
        if len(key) == 1:
            event = events.Key(key if key.isalnum() else normal_key(key), key)
        else:
            event = events.Key(key, None)
        event.set_sender(app)
        app.post_message(event)  # as the driver does with what the terminal sent


async def typed(pilot: Pilot, *keys: str) -> None:
    """A burst, then time for every key of it to act."""
    burst(pilot, *keys)
    await settle(pilot, rounds=6)


async def settle(pilot: Pilot, rounds: int = 3) -> None:
    """Give the watches and the store's batches (at most ten a second) a moment to reach the screen."""
    for _ in range(rounds):
        await pilot.pause(0.05)


def screen_lines(app: LivemigApp) -> list[str]:
    """The terminal's lines as a person would read them (the top screen drawn over those below).

    Textual has no public way to read the composed screen as text (only an SVG screenshot): this reads
    the screen's private compositor, here only."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def screen_text(app: LivemigApp) -> str:
    return "\n".join(screen_lines(app))


def migrations_of(cluster: SimCluster, vm: str, namespace: str = "default") -> list[dict]:
    """The VirtualMachineInstanceMigrations of a VM on the server."""
    return [
        m
        for m in cluster.store.list("virtualmachineinstancemigrations", namespace)
        if m.get("spec", {}).get("vmiName") == vm
    ]


def vmi_node(cluster: SimCluster, vm: str, namespace: str = "default") -> str:
    """The node the VM's VMI runs on, as the server says ("" without a VMI)."""
    if not cluster.store.exists("virtualmachineinstances", namespace, vm):
        return ""
    return cluster.store.get("virtualmachineinstances", namespace, vm).get("status", {}).get("nodeName", "")


async def select_vm(pilot: Pilot, name: str) -> None:
    """Filter the VM list down to `name` and put the cursor on it, as an operator would."""
    app = pilot.app
    await pilot.press("slash", *name, "enter")
    await until(
        pilot,
        lambda: app.screen.highlighted is not None and app.screen.highlighted.endswith(f"/{name}"),
        what=f"cursor on {name}",
    )


async def cursor_to(pilot: Pilot, key: str, table_id: str) -> None:
    """Move a table's cursor with the arrow keys until it is on row `key`."""
    table = pilot.app.screen.query_one(f"#{table_id}")
    for _ in range(len(table.rows) + 1):
        if table.cursor_key == key:
            return
        await pilot.press("down")
    raise AssertionError(f"no row {key} in #{table_id}: {[row.key for row in table.rows]}")


def widget_text(app: LivemigApp, selector: str) -> str:
    """The whole text of a Static on the current screen, unwrapped (what it says, however narrow the terminal)."""
    rendered = app.screen.query_one(selector).render()
    return getattr(rendered, "plain", str(rendered))
