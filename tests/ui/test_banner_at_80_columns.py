"""The connection banner at 80 columns: it wraps instead of being cut, so its last words show."""

from __future__ import annotations

from tests.ui.harness import make_app, screen_text, until, widget_text


async def test_the_lost_connection_banner_is_shown_whole_at_80_columns(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "● connected" in screen_text(app))
        cluster.fault("restart", seconds=3)
        await until(pilot, lambda: "refused the connection" in widget_text(app, "#banner"), what="the banner")
        await pilot.pause()
        shown = " ".join(line.strip() for line in screen_text(app).splitlines())
        assert "Connection lost, the data shown may be stale." in shown
        assert "and the port right?)." in shown
