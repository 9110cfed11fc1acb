"""The screens on a session without a server (tests/ui/fake_session.py): what they show comes from the
view model alone, and what they do reaches the session's actions. The path over the simulated cluster
is tested by the other files here."""

from __future__ import annotations

from tests.ui.fake_session import FakeAccess, fake_session, fixture_objects
from tests.ui.harness import THEME, cursor_to, screen_text, select_vm, until
from tui.app import LivemigApp
from tui.domain.snapshot import ClusterSnapshot
from tui.screens.confirm import ConfirmScreen
from tui.screens.migrations import MigrationsScreen
from tui.screens.node_picker import NodePickerScreen
from tui.screens.vm_detail import VMDetailScreen


def app_on(session, readonly: bool = False) -> LivemigApp:
    return LivemigApp(session, readonly=readonly, theme=THEME, environ={})


async def test_the_vm_list_shows_the_sessions_vms_and_context():
    app = app_on(fake_session())
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: len(app.live.vm_list) == 2, what="both VMs listed")
        text = screen_text(app)
        assert "web-1" in text and "db-1" in text
        assert "fake-context" in text
        assert app.live.vm_list.summaries["default/web-1"].node == "node-a"


async def test_a_change_batch_from_the_store_reaches_the_list():
    session = fake_session()
    app = app_on(session)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: len(app.live.vm_list) == 2, what="both VMs listed")
        objects = fixture_objects()
        extra = {
            **objects[5],
            "metadata": {**objects[5]["metadata"], "name": "cache-1", "uid": "3b0e0000-0000-4000-8000-000000000003"},
        }
        session.store.change(ClusterSnapshot.from_objects([*objects, extra]), vms={"default/cache-1"})
        await until(pilot, lambda: "cache-1" in screen_text(app), what="the new VM on the list")
        assert set(app.live.vm_list.summaries) == {"default/web-1", "default/db-1", "default/cache-1"}


async def test_migrate_on_a_read_only_session_says_so_and_calls_nothing():
    session = fake_session()
    app = app_on(session, readonly=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await select_vm(pilot, "web-1")
        await pilot.press("m")
        await until(
            pilot, lambda: any("read-only" in n.message for n in app._notifications), what="the read-only toast"
        )
        assert session.actions.calls == []


async def test_a_migration_chosen_in_the_picker_and_confirmed_is_asked_of_the_session():
    session = fake_session()
    app = app_on(session)
    async with app.run_test(size=(120, 30)) as pilot:
        await select_vm(pilot, "web-1")
        await until(pilot, lambda: app.live.action_state("migrate", "default/web-1")[0] is True, what="migrate allowed")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen), what="the node picker")
        await cursor_to(pilot, "node-b", "picker-table")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
        assert "node-b" in screen_text(app)
        await pilot.press("enter")  # the confirming button has the focus
        await until(pilot, lambda: session.actions.calls, what="the create call")
        assert session.actions.calls == [("migrate", "default", "web-1", "node-b")]
        # Until the store shows the migration, a second one of that VM is refused.
        assert app.live.action_state("migrate", "default/web-1") == (None, "A migration of web-1 is being started.")


async def test_a_denied_permission_dims_migrate_and_says_why():
    session = fake_session(access=FakeAccess(allowed=False))
    app = app_on(session)
    async with app.run_test(size=(120, 30)) as pilot:
        await select_vm(pilot, "web-1")
        await until(pilot, lambda: app.live.permission("migrate", "default") is not None, what="the access review")
        assert app.live.action_state("migrate", "default/web-1") == (
            None,
            "Not allowed: migrate is not granted in default.",
        )


async def test_the_details_and_the_migrations_screens_open_without_a_server():
    app = app_on(fake_session())
    async with app.run_test(size=(120, 30)) as pilot:
        await select_vm(pilot, "web-1")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, VMDetailScreen), what="the VM's details")
        assert "node-b" in screen_text(app)
        await pilot.press("escape", "M")
        await until(pilot, lambda: isinstance(app.screen, MigrationsScreen), what="the Migrations screen")
        assert "No migration is running" in screen_text(app)
