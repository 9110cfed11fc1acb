"""Toasts never sit over a question or help: those on screen go when it opens, new ones wait until it closes."""

from __future__ import annotations

from tests.ui.harness import make_app, select_vm, settle, step_until, until
from tui.screens.node_picker import NodePickerScreen
from tui.screens.vm_list import VMListScreen


def titles(app) -> list[str]:
    return [notice.title for notice in app._notifications]


def toasts(app) -> int:
    """Toasts drawn on any screen of the stack (those under a modal show through its backdrop)."""
    return sum(len(screen.query("Toast")) for screen in app.screen_stack)


async def test_toasts_on_screen_are_cleared_when_the_picker_opens(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await select_vm(pilot, "jump-host")
        # What the app says when a migration fails: 30 seconds, over the bottom right of the screen.
        app.notify(
            "default/kafka-broker-2: KubeVirt aborted it",
            title="Migration failed",
            severity="error",
            timeout=30,
            markup=False,
        )
        await until(pilot, lambda: toasts(app) == 1)
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        await settle(pilot)
        assert titles(app) == []
        assert toasts(app) == 0  # neither on the picker nor on the list showing through behind it


async def test_a_migration_that_ends_while_the_picker_is_open_is_told_once_it_closes(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_vm(pilot, "web-frontend-01")
        assert app.start_migration("default/jump-host", None)
        await until(pilot, lambda: app.live.ledger.running_for_vm("default/jump-host") is not None)
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        await step_until(
            pilot, cluster, lambda: (v := app.live.ledger.for_vm("default/jump-host")) is not None and v.final, stride=3
        )
        await settle(pilot)
        assert "Migrated" not in titles(app)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, VMListScreen))
        await until(pilot, lambda: "Migrated" in titles(app), what="the held notice")


async def test_help_is_not_covered_by_toasts_and_what_is_said_meanwhile_shows_once_it_closes(cluster, admin):
    from tui.screens.help import HelpScreen

    app = make_app(admin)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await select_vm(pilot, "jump-host")
        app.notify("Abort of migration db-primary-x requested.", title="Abort requested", timeout=30, markup=False)
        await until(pilot, lambda: toasts(app) == 1)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await settle(pilot)
        assert toasts(app) == 0
        app.notify("default/db-primary: Aborted on request.", title="Migration aborted", timeout=30, markup=False)
        await settle(pilot)
        assert toasts(app) == 0 and titles(app) == []
        await pilot.press("escape")
        await until(pilot, lambda: titles(app) == ["Migration aborted"])


async def test_a_toast_reaches_the_right_edge_so_nothing_beneath_shows_beside_it(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await select_vm(pilot, "jump-host")
        app.notify(
            "default/kafka-broker-2: KubeVirt aborted it", title="Migration failed", severity="error", markup=False
        )
        await until(pilot, lambda: toasts(app) == 1)
        await settle(pilot)
        toast = app.screen.query_one("Toast")
        assert toast.region.right == 80


async def test_a_migrations_outcome_is_told_in_a_short_lived_toast(cluster, admin):
    from tui.app import OUTCOME_NOTICE_SECONDS

    app = make_app(admin)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await select_vm(pilot, "jump-host")
        assert app.start_migration("default/jump-host", None)
        await step_until(pilot, cluster, lambda: "Migrated" in titles(app), stride=2, what="the outcome told")
        [notice] = [n for n in app._notifications if n.title == "Migrated"]
        assert notice.timeout == OUTCOME_NOTICE_SECONDS <= 10
