"""--readonly removes every write; what RBAC forbids is shown unavailable, with the reason."""

from __future__ import annotations

from pathlib import Path

from tests.ui.harness import (
    connect_as,
    make_app,
    migrations_of,
    screen_text,
    select_vm,
    until,
    widget_text,
)
from tui.screens.vm_list import VMListScreen

FORBIDDEN = "you may not create virtualmachineinstancemigrations in default"


def footer_keys(app) -> dict[str, bool]:
    """Footer keys of the current screen: key -> enabled (hidden ones are absent)."""
    return {key: active.enabled for key, active in app.screen.active_bindings.items() if active.binding.show}


async def test_readonly_hides_migrate_and_abort_and_says_so(cluster, tmp_path: Path):
    session = connect_as(cluster, tmp_path, readonly=True)
    try:
        app = make_app(session, readonly=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await select_vm(pilot, "jump-host")
            keys = footer_keys(app)
            assert "m" not in keys and "a" not in keys
            assert "READ-ONLY" in screen_text(app)
            assert "read-only: migrate and abort are off" in widget_text(app, "#vm-info")
            await pilot.press("m")
            await pilot.pause(0.2)
            assert isinstance(app.screen, VMListScreen)
            assert app.start_migration("default/jump-host", None) is False
            await pilot.pause(0.2)
    finally:
        session.stop()
    assert migrations_of(cluster, "jump-host") == []


async def test_under_readonly_the_hidden_migrate_key_says_why_it_does_nothing(cluster, tmp_path: Path):
    session = connect_as(cluster, tmp_path, readonly=True)
    try:
        app = make_app(session, readonly=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await select_vm(pilot, "jump-host")
            await pilot.press("m")
            await until(pilot, lambda: [n for n in app._notifications if n.title == "Read-only"])
            [note] = [n for n in app._notifications if n.title == "Read-only"]
            assert note.message == "livemig runs read-only (--readonly): it changes nothing."
            assert isinstance(app.screen, VMListScreen)
    finally:
        session.stop()


async def test_the_viewer_sees_migrate_dimmed_and_is_told_why(cluster, tmp_path: Path):
    session = connect_as(cluster, tmp_path, user="viewer")
    try:
        app = make_app(session)
        async with app.run_test(size=(100, 30)) as pilot:
            await select_vm(pilot, "jump-host")
            await until(pilot, lambda: app.live.permission("migrate", "default") is not None, what="the access review")
            await until(pilot, lambda: footer_keys(app).get("m") is False)
            assert FORBIDDEN in widget_text(app, "#vm-info")
            await pilot.press("m")
            await until(pilot, lambda: any(FORBIDDEN in n.message for n in app._notifications))
            assert isinstance(app.screen, VMListScreen)
    finally:
        session.stop()
    assert migrations_of(cluster, "jump-host") == []


async def test_a_forbidden_create_is_reported_with_the_servers_message(cluster, tmp_path: Path):
    """Before the access review has answered, the server itself refuses; its words reach the operator."""
    session = connect_as(cluster, tmp_path, user="viewer")
    try:
        app = make_app(session)
        app.ensure_permissions = lambda namespace: None  # the review never answers in time
        async with app.run_test(size=(100, 30)) as pilot:
            await select_vm(pilot, "jump-host")
            app.start_migration("default/jump-host", None)
            await until(pilot, lambda: [n for n in app._notifications if n.title == "Not allowed"])
            [note] = [n for n in app._notifications if n.title == "Not allowed"]
            assert "forbidden" in note.message and "virtualmachineinstancemigrations" in note.message
    finally:
        session.stop()


async def test_a_user_who_may_not_read_nodes_can_still_migrate_and_the_scheduler_chooses(tmp_path: Path):
    from tests.ui.harness import simulated
    from tui.screens.confirm import ConfirmScreen
    from tui.screens.node_picker import NodePickerScreen

    # The tests' Harvester cluster: "tenant" may do everything in namespace default and nothing else.
    with simulated("../cluster/fixtures/harvester.yaml") as cluster:
        session = connect_as(cluster, tmp_path, user="tenant")
        try:
            app = make_app(session)
            async with app.run_test(size=(100, 30)) as pilot:
                await select_vm(pilot, "web-1")
                assert "no other node" not in screen_text(app)  # unknown nodes are no reason to say no
                await pilot.press("m")
                await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
                await until(pilot, lambda: "? nodes unknown" in screen_text(app))
                assert "The nodes could not be read" in screen_text(app)
                await pilot.press("enter")
                await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        finally:
            session.stop()
