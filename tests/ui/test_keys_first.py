"""Keys come first: cluster changes that arrive while keys are typed wait until the keys have acted.

The order is what is specified here (never how fast): a change batch whose turn comes before a key's
is applied after the key moved the cursor; none is applied while a key is on its way through the
widgets; and a batch held for keys is applied once they have acted.
"""

from __future__ import annotations

import pytest
from textual import events

import tui.app
from tests.ui.harness import make_app, until
from tui.messages import ClusterChanged
from tui.screens.vm_list import VMListScreen


@pytest.fixture(autouse=True)
def patient(monkeypatch):
    """Keys hold batches for a minute at most here, not half a second: the order, not the cap, is tested
    (on a busy machine three keys can take longer than the cap)."""
    monkeypatch.setattr(tui.app, "BATCH_HOLD_SECONDS", 60.0)


def annotate(cluster, vm: str, value: str) -> None:
    """A change of a VMI on the server (one MODIFIED watch event), as any status change is."""
    cluster.store.patch(
        "virtualmachineinstances", "default", vm, {"metadata": {"annotations": {"example.com/seen": value}}}
    )


async def batch_waiting(pilot, cluster, vm: str) -> None:
    """Make a change on the server and let its batch reach the app's inbox without being applied."""
    app = pilot.app
    app.updates_paused = True
    annotate(cluster, vm, "1")
    await until(pilot, lambda: f"default/{vm}" in app._inbox.changed.get("vmis", ()), what="the batch in the inbox")
    app.updates_paused = False


def queue_keys(app, *names: str) -> None:
    """Keys into the app's queue now, behind what is there (as the terminal's reader thread puts them)."""
    for name in names:
        key = events.Key(name, None)
        key.set_sender(app)
        app.post_message(key)


def record_applies(app) -> list[tuple[str | None, frozenset[str]]]:
    """(the cursor's row, the VMIs changed) each time a batch is applied."""
    applied: list[tuple[str | None, frozenset[str]]] = []
    apply = app._apply
    table = app.screen.query_one("#vm-table")

    def recording(changed=None, **rest):
        applied.append((table.cursor_key, frozenset((changed or {}).get("vmis", ()))))
        apply(changed=changed, **rest)

    app._apply = recording
    return applied


async def test_a_key_behind_a_batch_acts_before_the_batch_is_applied(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: len(app.live.vm_list.summaries) == 11)
        table = app.screen.query_one("#vm-table")
        first, second = table.rows[0].key, table.rows[1].key
        assert table.cursor_key == first
        await batch_waiting(pilot, cluster, "jump-host")
        applied = record_applies(app)

        app.post_message(ClusterChanged())  # the batch's turn comes first, the key's right behind it
        queue_keys(app, "down")

        await until(pilot, lambda: applied, what="the batch applied")
        # Other VMIs of the running simulated cluster may change in the same batch: what matters is that
        # the batch holding this change was applied with the cursor already moved.
        cursor_then, changed = applied[0]
        assert cursor_then == second and "default/jump-host" in changed
        assert table.cursor_key == second


async def test_no_batch_is_applied_while_keys_are_on_their_way_and_the_held_one_follows_them(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: len(app.live.vm_list.summaries) == 11)
        table = app.screen.query_one("#vm-table")
        rows = [row.key for row in table.rows]
        await batch_waiting(pilot, cluster, "db-primary")
        applied = record_applies(app)

        queue_keys(app, "down")  # three keys typed together, the batch's turn after the first
        app.post_message(ClusterChanged())
        queue_keys(app, "down", "down")

        await until(pilot, lambda: applied, what="the batch applied")
        cursor_then, changed = applied[0]  # other VMIs may change in the same batch, as above
        assert cursor_then == rows[3] and "default/db-primary" in changed
        assert isinstance(app.screen, VMListScreen)
