"""A lost connection: a banner saying what is tried, the data marked stale, and a clean recovery."""

from __future__ import annotations

from tests.ui.harness import make_app, screen_text, step_until, until, widget_text
from tui.screens.vm_list import VMListScreen


async def test_a_lost_connection_shows_a_banner_and_marks_the_data_stale(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: "● connected" in screen_text(app))
        # Long enough that a loaded machine still reads the banner before the server is back.
        cluster.fault("restart", seconds=30)
        await until(pilot, lambda: "refused the connection" in widget_text(app, "#banner"), what="the banner")
        banner = widget_text(app, "#banner")
        assert banner.startswith("⚠ Connection lost, the data shown may be stale. Reconnecting (attempt ")
        assert banner.endswith("port right?).")
        assert app.screen.has_class("-stale")
        assert "✗ reconnecting" in screen_text(app)


async def test_no_change_is_offered_while_the_connection_is_lost(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: "● connected" in screen_text(app))
        assert app.live.action_state("migrate", "default/jump-host")[0] is True
        cluster.fault("restart", seconds=3)
        await until(pilot, lambda: app.live.connection.stale, what="the loss noticed")
        state, reason = app.live.action_state("migrate", "default/jump-host")
        assert state is None and "connection to the API server is lost" in reason
        await until(pilot, lambda: not app.live.connection.stale, timeout=30, what="the recovery")
        assert app.live.action_state("migrate", "default/jump-host")[0] is True


async def test_the_banner_goes_and_changes_made_meanwhile_show_after_recovery(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: "● connected" in screen_text(app))
        cluster.fault("restart", seconds=2)
        await until(pilot, lambda: app.live.connection.stale, what="the loss noticed")
        cluster.store.delete("virtualmachines", "default", "win-installer")
        await until(pilot, lambda: "● connected" in screen_text(app), timeout=30, what="the recovery")
        assert not app.screen.has_class("-stale")
        assert not app.screen.query_one("#banner").has_class("-lost")

        def keys():
            return [row.key for row in app.screen.query_one("#vm-table").rows]

        await step_until(
            pilot, cluster, lambda: "default/win-installer" not in keys(), what="the deletion made meanwhile"
        )
        assert isinstance(app.screen, VMListScreen)


async def test_a_stalled_api_server_is_noticed(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: "● connected" in screen_text(app))
        cluster.fault("stall", seconds=4)
        await until(
            pilot, lambda: "Reconnecting (attempt" in widget_text(app, "#banner"), timeout=20, what="the stall noticed"
        )
        await until(pilot, lambda: "● connected" in screen_text(app), timeout=30, what="the recovery")
