"""The details' history pane on a session without a server: the history comes from the view model, the
events cannot be read and the pane says so in one line."""

from __future__ import annotations

from tests.ui.fake_session import fake_session
from tests.ui.harness import THEME, screen_text, select_vm, until, widget_text
from tui.app import LivemigApp
from tui.screens.vm_detail import VMDetailScreen
from tui.widgets.history_pane import NO_CONNECTION


async def test_without_a_connection_the_events_say_why_and_the_history_still_shows():
    app = LivemigApp(fake_session(), theme=THEME, environ={})
    async with app.run_test(size=(80, 24)) as pilot:
        await select_vm(pilot, "web-1")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, VMDetailScreen))
        await pilot.press("h")
        await until(pilot, lambda: NO_CONNECTION in widget_text(app, "#detail-history"), what="the one-line reason")
        assert "History" in screen_text(app)
