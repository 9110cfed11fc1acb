"""Keys typed in one burst (as a terminal over SSH often delivers them): each acts on what the key before
it left on screen, and the node picker and the questions never act on keys typed before they appeared."""

from __future__ import annotations

from tests.ui.harness import (
    make_app,
    migrations_of,
    screen_text,
    select_vm,
    settle,
    step_until,
    typed,
    until,
    widget_text,
)
from tui.screens.confirm import ConfirmScreen
from tui.screens.migrations import MigrationsScreen
from tui.screens.node_picker import NodePickerScreen
from tui.screens.vm_detail import VMDetailScreen
from tui.screens.vm_list import VMListScreen


def stack(app) -> list[str]:
    return [type(screen).__name__ for screen in app.screen_stack]


async def listed(pilot) -> None:
    await until(pilot, lambda: len(pilot.app.live.vm_list.summaries) == 11, what="every VM listed")


async def test_text_typed_with_the_slash_goes_to_the_filter(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await listed(pilot)
        await typed(pilot, "/", *"jump")
        await until(pilot, lambda: app.screen.query_one("#filter").value == "jump")
        assert stack(app) == ["VMListScreen"]
        assert app.screen.highlighted == "default/jump-host"
        assert "filter jump (1 shown)" in widget_text(app, "#header-view")


async def test_enter_typed_with_the_filter_keeps_it_and_the_next_enter_opens_the_vm(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await listed(pilot)
        await typed(pilot, "/", *"jump", "enter", "enter")
        await until(pilot, lambda: isinstance(app.screen, VMDetailScreen))
        assert app.screen.vm_key == "default/jump-host"
        assert stack(app) == ["VMListScreen", "VMDetailScreen"]
    assert migrations_of(cluster, "jump-host") == []


async def test_a_key_typed_after_enter_in_the_filter_acts_on_the_list(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await listed(pilot)
        await typed(pilot, "/", *"jump", "enter", "m")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        assert app.screen.vm_key == "default/jump-host"
        assert app.screen_stack[0].query_one("#filter").value == "jump"


async def test_enters_typed_with_m_do_not_answer_the_picker(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_vm(pilot, "jump-host")
        await typed(pilot, "m", "enter", "enter")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        await settle(pilot)
        assert stack(app) == ["VMListScreen", "NodePickerScreen"]
    assert migrations_of(cluster, "jump-host") == []


async def test_enters_typed_together_on_the_picker_open_the_confirmation_without_answering_it(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_vm(pilot, "jump-host")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        await typed(pilot, "enter", "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await settle(pilot)
        assert stack(app) == ["VMListScreen", "ConfirmScreen"]
        assert not app.screen.answered
    assert migrations_of(cluster, "jump-host") == []


async def test_y_typed_with_a_does_not_abort(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_vm(pilot, "db-primary")
        assert app.start_migration("default/db-primary", None)
        await step_until(pilot, cluster, lambda: app.live.ledger.running_for_vm("default/db-primary") is not None)
        await typed(pilot, "a", "y")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await settle(pilot)
        assert app.screen.id == "confirm-abort" and not app.screen.answered
    [migration] = migrations_of(cluster, "db-primary")
    assert "deletionTimestamp" not in migration["metadata"]


async def test_keys_a_question_drops_ring_the_bell_once(cluster, admin):
    app = make_app(admin)
    rings: list[str] = []
    app.bell = lambda: rings.append(type(app.screen).__name__)  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await select_vm(pilot, "jump-host")
        await typed(pilot, "m", "enter", "down", "enter")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        await settle(pilot)
    assert rings == ["NodePickerScreen"]


async def test_enter_typed_twice_opens_the_details_once(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_vm(pilot, "jump-host")
        await typed(pilot, "enter", "enter")
        await until(pilot, lambda: isinstance(app.screen, VMDetailScreen))
        await settle(pilot)
        assert stack(app) == ["VMListScreen", "VMDetailScreen"]


async def test_enter_on_a_migration_goes_back_to_the_open_details_and_shows_its_vm(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await select_vm(pilot, "jump-host")
        assert app.start_migration("default/db-primary", None)
        await step_until(pilot, cluster, lambda: app.live.ledger.running_for_vm("default/db-primary") is not None)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, VMDetailScreen))
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, MigrationsScreen))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, VMDetailScreen) and app.screen.vm_key == "default/db-primary")
        assert stack(app) == ["VMListScreen", "VMDetailScreen"]
        assert "default/db-primary" in widget_text(app, "#detail-summary")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, VMListScreen))


async def test_enter_typed_three_times_in_the_palette_runs_its_command_once(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_vm(pilot, "jump-host")
        await typed(pilot, "ctrl+p", *"migrate jump")
        await until(pilot, lambda: "Migrate jump-host" in screen_text(app), what="the command offered")
        await typed(pilot, "enter", "enter", "enter")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        await settle(pilot)
        assert stack(app) == ["VMListScreen", "NodePickerScreen"]
