"""Text from the cluster is shown as it is: markup stays brackets, escape sequences never reach the terminal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.harness import (
    connect_as,
    cursor_to,
    make_app,
    screen_text,
    select_vm,
    simulated,
    until,
    widget_text,
)
from tui.screens.migrations import MigrationsScreen
from tui.screens.node_picker import NodePickerScreen
from tui.screens.vm_detail import VMDetailScreen


@pytest.fixture
def session(tmp_path: Path) -> Iterator[tuple]:
    with simulated("literal.yaml", controller=False) as cluster:
        session = connect_as(cluster, tmp_path)
        yield cluster, session
        session.stop()


def no_escapes(text: str) -> bool:
    return not any(ch in text for ch in "\x1b\x07\x9b")


async def test_a_label_value_that_looks_like_markup_is_shown_as_written(session):
    cluster, live = session
    app = make_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_vm(pilot, "web-1")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        await cursor_to(pilot, "harv-3", "picker-table")
        detail = widget_text(app, "#picker-detail")
        assert "rack=[bold red]x[/]" in detail
        assert "rack=[bold red]x[/]" in screen_text(app)


async def test_escape_sequences_in_a_node_condition_never_reach_the_terminal(session):
    cluster, live = session
    app = make_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_vm(pilot, "web-1")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        await cursor_to(pilot, "harv-2", "picker-table")
        text = screen_text(app)
        assert "PLEG is not healthy [bold red]x[/] ␛[2J␛]0;owned" in text
        assert no_escapes(text)


async def test_a_condition_message_with_markup_and_escapes_is_shown_literally(session):
    cluster, live = session
    app = make_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_vm(pilot, "db-1")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, VMDetailScreen))
        summary = widget_text(app, "#detail-summary")
        assert "PVC [link=http://x]db-1[/link] is ␛[31mnot shared␛[0m" in summary
        assert no_escapes(screen_text(app))


async def test_a_failure_message_with_markup_and_escapes_is_shown_literally(session):
    cluster, live = session
    app = make_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(app.live.vm_list.summaries) == 2)
        created = cluster.store.create(
            "virtualmachineinstancemigrations",
            {
                "apiVersion": "kubevirt.io/v1",
                "kind": "VirtualMachineInstanceMigration",
                "metadata": {"name": "web-1-abcde", "namespace": "default"},
                "spec": {"vmiName": "web-1"},
            },
        )
        await until(pilot, lambda: app.live.ledger.running_for_vm("default/web-1") is not None)
        created["status"] = {
            "phase": "Failed",
            "migrationState": {
                "failed": True,
                "completed": True,
                "failureReason": "[b]boom[/b] \x1b]0;owned\x07 \x9b2J",
            },
        }
        cluster.store.update_status("virtualmachineinstancemigrations", created)
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, MigrationsScreen) and "✗ Failed" in screen_text(app))
        detail = widget_text(app, "#migration-detail")
        assert "Failed: [b]boom[/b] ␛]0;owned�" in detail
        assert no_escapes(screen_text(app))
