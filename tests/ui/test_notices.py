"""Toasts never sit over a question: those on screen go when it opens, new ones wait until it closes."""

from __future__ import annotations

from tests.ui.harness import make_app, select_vm, settle, step_until, until
from tui.screens.node_picker import NodePickerScreen
from tui.screens.vm_list import VMListScreen


def titles(app) -> list[str]:
    return [notice.title for notice in app._notifications]


async def test_toasts_on_screen_are_cleared_when_the_picker_opens(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_vm(pilot, "win-installer")
        await pilot.press("m")
        await until(pilot, lambda: "Cannot migrate" in titles(app))
        await pilot.press("escape")
        await select_vm(pilot, "jump-host")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        await settle(pilot)
        assert titles(app) == []


async def test_a_migration_that_ends_while_the_picker_is_open_is_told_once_it_closes(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_vm(pilot, "web-frontend-01")
        assert app.start_migration("default/jump-host", None)
        await until(pilot, lambda: app.ledger.running_for_vm("default/jump-host") is not None)
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        await step_until(pilot, cluster, lambda: (v := app.ledger.for_vm("default/jump-host")) is not None and v.final, stride=3)
        await settle(pilot)
        assert "Migrated" not in titles(app)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, VMListScreen))
        await until(pilot, lambda: "Migrated" in titles(app), what="the held notice")
