"""Quitting: q and ctrl+c quit the same way, from every screen (ctrl+c also from a question, help and the filter)."""

from __future__ import annotations

import pytest

from tests.ui.harness import make_app, select_vm, until
from tui.screens.confirm import ConfirmScreen
from tui.screens.help import HelpScreen
from tui.screens.node_picker import NodePickerScreen


async def test_ctrl_c_quits_the_vm_list_as_q_does(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: len(app.live.vm_list.summaries) == 11)
        await pilot.press("ctrl+c")
        await until(pilot, lambda: app.return_code == 0, what="the app quit")
        assert not any("to quit" in notice.message for notice in app._notifications)


async def open_help(pilot) -> None:
    await pilot.press("question_mark")
    await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))


async def open_picker(pilot) -> None:
    await select_vm(pilot, "jump-host")
    await pilot.press("m")
    await until(pilot, lambda: isinstance(pilot.app.screen, NodePickerScreen))


async def open_question(pilot) -> None:
    await open_picker(pilot)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))


async def open_filter(pilot) -> None:
    await pilot.press("slash", *"jump")
    await until(pilot, lambda: pilot.app.screen.query_one("#filter").has_focus)


@pytest.mark.parametrize("open_it", [open_help, open_picker, open_question, open_filter], ids=lambda f: f.__name__)
async def test_ctrl_c_quits_from_over_the_vm_list(cluster, admin, open_it):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: len(app.live.vm_list.summaries) == 11)
        await open_it(pilot)
        await pilot.press("ctrl+c")
        await until(pilot, lambda: app.return_code == 0, what="the app quit")
        assert not any("to quit" in notice.message for notice in app._notifications)
