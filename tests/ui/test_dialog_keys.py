"""Under a dialog (node picker, question, help) the terminal's last line offers the dialog's own keys,
not those of the screen beneath, which do nothing there."""

from __future__ import annotations

from tests.ui.harness import make_app, screen_lines, select_vm, step_until, until
from tui.screens.confirm import ConfirmScreen
from tui.screens.help import HelpScreen
from tui.screens.node_picker import NodePickerScreen

LIST_KEYS = ("m Migrate", "/ Filter", "s Sort")


def last_line(app) -> str:
    return screen_lines(app)[-1]


async def test_the_node_picker_offers_its_own_keys_on_the_last_line(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_vm(pilot, "db-primary")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        await until(pilot, lambda: "esc cancel" in last_line(app), what="the picker's keys on the last line")
        assert "enter choose" in last_line(app)
        assert not any(key in last_line(app) for key in LIST_KEYS)


async def test_a_question_offers_its_answers_on_the_last_line(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_vm(pilot, "db-primary")
        assert app.start_migration("default/db-primary", None)
        await step_until(pilot, cluster, lambda: app.live.ledger.running_for_vm("default/db-primary") is not None)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await until(pilot, lambda: "esc n No" in last_line(app), what="the question's keys on the last line")
        assert "y Abort migration" in last_line(app)
        assert not any(key in last_line(app) for key in LIST_KEYS)


async def test_help_offers_its_own_keys_on_the_last_line(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_vm(pilot, "db-primary")
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await until(pilot, lambda: "↑↓ scroll" in last_line(app), what="help's keys on the last line")
        assert "close" in last_line(app)
        assert not any(key in last_line(app) for key in LIST_KEYS)
