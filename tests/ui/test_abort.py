"""Aborting a running migration: asked first with No focused, then Aborting on the row, then the outcome."""

from __future__ import annotations

import re

from tests.ui.harness import (
    make_app,
    migrations_of,
    screen_text,
    select_vm,
    step_until,
    until,
    vmi_node,
)
from tui.screens.confirm import ConfirmScreen
from tui.screens.migrations import MigrationsScreen
from tui.screens.vm_list import VMListScreen

VM = "db-primary"
KEY = f"default/{VM}"


def question_text(app) -> str:
    """What the open question's lines say (not the screen under it)."""
    return "\n".join(str(static.render()) for static in app.screen.query(".confirm-value"))


async def start_copying(pilot, cluster, app) -> None:
    """db-primary's migration, started through the app and copying memory."""
    await select_vm(pilot, VM)
    assert app.start_migration(KEY, None)
    await step_until(
        pilot, cluster, lambda: (v := app.live.ledger.running_for_vm(KEY)) is not None and v.progress.phase == "Running"
    )


async def test_abort_asks_first_and_no_is_focused(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_copying(pilot, cluster, app)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.focused is not None and app.focused.id == "no"
        assert "Abort this migration?" in screen_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, VMListScreen))
        await pilot.pause(0.2)
    [migration] = migrations_of(cluster, VM)
    assert "deletionTimestamp" not in migration["metadata"]


async def test_a_confirmed_abort_shows_aborting_then_the_outcome_and_the_vm_stays(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_copying(pilot, cluster, app)
        source = vmi_node(cluster, VM)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: "Aborting…" in screen_text(app), what="the row saying Aborting")
        await step_until(pilot, cluster, lambda: "■ Aborted" in screen_text(app), what="the aborted outcome", stride=2)
        assert vmi_node(cluster, VM) == source
        await until(pilot, lambda: any(n.title == "Migration aborted" for n in app._notifications))


async def test_abort_from_the_migrations_screen(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_copying(pilot, cluster, app)
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, MigrationsScreen))
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("tab", "enter")  # from No to "Abort migration"
        await until(
            pilot,
            lambda: (
                migrations_of(cluster, VM) == [] or "deletionTimestamp" in migrations_of(cluster, VM)[0]["metadata"]
            ),
        )
        await step_until(pilot, cluster, lambda: "■ Aborted" in screen_text(app))


async def test_abort_without_a_running_migration_says_so(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await select_vm(pilot, VM)
        await pilot.press("a")
        await until(pilot, lambda: any("no running migration to abort" in n.message for n in app._notifications))
        assert isinstance(app.screen, VMListScreen)


async def test_quitting_during_a_migration_names_the_context_in_the_abort_command(cluster, admin):
    from tui.exit_report import still_running

    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_copying(pilot, cluster, app)
        lines = still_running(app.live.ledger.views(), app.session.context_name)
    assert lines[0] == "livemig: 1 migration still running in the cluster of context sim-admin:"
    assert lines[1].startswith("  default/db-primary (db-primary-")
    assert lines[1].endswith("stop it with: livemig --context sim-admin abort default/db-primary")


async def test_quitting_during_a_migration_names_the_kubeconfig_given(cluster, admin, tmp_path):
    from tui.exit_report import still_running

    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_copying(pilot, cluster, app)
        lines = still_running(
            app.live.ledger.views(), app.session.context_name, kubeconfig=str(tmp_path / "prod config")
        )
    assert lines[1].endswith(
        f"stop it with: livemig --kubeconfig '{tmp_path}/prod config' --context sim-admin abort default/db-primary"
    )


async def test_quitting_the_demo_during_a_migration_says_it_stopped_with_the_simulated_cluster(cluster, admin):
    from tui.exit_report import still_running

    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_copying(pilot, cluster, app)
        lines = still_running(app.live.ledger.views(), app.session.context_name, demo=True)
    assert lines[0] == "livemig: the demo's simulated cluster stopped with livemig; this migration stopped with it:"
    assert lines[1].startswith("  default/db-primary (db-primary-")
    assert not any("livemig abort" in line for line in lines)


async def test_the_abort_question_says_when_the_migration_is_stalled(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await select_vm(pilot, "kafka-broker-2")
        assert app.start_migration("default/kafka-broker-2", None)
        await step_until(
            pilot,
            cluster,
            lambda: (v := app.live.ledger.running_for_vm("default/kafka-broker-2")) is not None and v.stalled,
        )
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert re.search(r"⚠ no progress for \d+ s", screen_text(app))


async def test_the_abort_question_follows_the_migration_while_it_is_open(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_vm(pilot, "kafka-broker-2")
        assert app.start_migration("default/kafka-broker-2", None)
        await step_until(pilot, cluster, lambda: app.live.ledger.running_for_vm("default/kafka-broker-2") is not None)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await step_until(
            pilot,
            cluster,
            lambda: re.search(r"⚠ no progress for \d+ s", question_text(app)),
            what="the stall, seen while the question is open",
        )
        assert isinstance(app.screen, ConfirmScreen)


async def test_the_abort_question_says_when_the_migration_ended_while_it_was_open(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await start_copying(pilot, cluster, app)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await step_until(
            pilot,
            cluster,
            lambda: "answering aborts nothing" in question_text(app),
            seconds=600,
            stride=5,
            what="the end, said in the question",
        )
        await pilot.press("tab", "enter")  # "Abort migration" on an ended migration
        await until(pilot, lambda: isinstance(app.screen, VMListScreen))
        await until(
            pilot, lambda: any(n.title == "Not aborted" for n in app._notifications), what="nothing to abort, said"
        )
