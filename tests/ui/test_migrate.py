"""Migrating from the VM list: the node picker, the confirmation, and the migration landing where chosen."""

from __future__ import annotations

from pathlib import Path

from tests.ui.harness import (
    connect_as,
    cursor_to,
    make_app,
    migrations_of,
    screen_text,
    select_vm,
    simulated,
    step_until,
    until,
    vmi_node,
    widget_text,
)
from tui.screens.confirm import ConfirmScreen
from tui.screens.node_picker import SCHEDULER, NodePickerScreen
from tui.screens.vm_list import VMListScreen
from tui.sim.admission import AdmissionDenied, AdmissionRequest


async def test_a_vm_migrates_to_the_chosen_node_and_the_list_shows_it_there(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await select_vm(pilot, "web-frontend-01")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        await cursor_to(pilot, "harvester-node-2", "picker-table")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "harvester-node-2" in screen_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: migrations_of(cluster, "web-frontend-01"), what="the migration on the server")
        [created] = migrations_of(cluster, "web-frontend-01")
        assert created["spec"]["addedNodeSelector"] == {"kubernetes.io/hostname": "harvester-node-2"}

        await step_until(
            pilot, cluster, lambda: "✓ Succeeded" in screen_text(app), what="the migration succeeding", stride=3
        )
        assert vmi_node(cluster, "web-frontend-01") == "harvester-node-2"
        await until(
            pilot, lambda: any(n.title == "Migrated" and "to harvester-node-2" in n.message for n in app._notifications)
        )
        await until(pilot, lambda: "harvester-node-2" in app.screen.query_one("#vm-table").rows[0].cells["node"])


async def test_the_scheduler_entry_comes_first_and_sends_no_target(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await select_vm(pilot, "jump-host")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        picker = app.screen.query_one("#picker-table")
        assert picker.rows[0].key == SCHEDULER
        assert "any eligible node (the scheduler decides)" in screen_text(app)
        await pilot.press("enter", "enter")
        await until(pilot, lambda: migrations_of(cluster, "jump-host"))
        assert "addedNodeSelector" not in migrations_of(cluster, "jump-host")[0]["spec"]


async def test_eligible_nodes_come_before_ineligible_ones_and_the_source_is_not_offered(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await select_vm(pilot, "web-frontend-01")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        keys = [row.key for row in app.screen.query_one("#picker-table").rows]
        assert keys[:3] == [SCHEDULER, "harvester-node-1", "harvester-node-2"]
        assert "harvester-node-0" not in keys  # where it runs
        assert "harvester-witness" in keys  # ineligible, still listed


async def test_an_ineligible_node_shows_every_reason_and_cannot_be_chosen(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await select_vm(pilot, "web-frontend-01")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        await cursor_to(pilot, "harvester-node-5", "picker-table")
        text = screen_text(app)
        assert "harvester-node-5 cannot take web-frontend-01" in text
        assert "Unschedulable: Node is cordoned" in text
        assert "Maintenance: Node is in Harvester maintenance mode" in text
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, NodePickerScreen)
        assert "cannot take web-frontend-01" in screen_text(app)
    assert migrations_of(cluster, "web-frontend-01") == []


async def test_the_confirmation_shows_the_time_limit_and_how_it_was_computed(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await select_vm(pilot, "web-frontend-01")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        text = screen_text(app)
        assert "5 GB x 150 s/GB = 12 min" in text
        assert "KubeVirt CR" in text
        assert "harvester-node-0" in text  # from
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, VMListScreen))
    assert migrations_of(cluster, "web-frontend-01") == []


async def test_a_double_key_press_starts_one_migration(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await select_vm(pilot, "jump-host")
        await pilot.press("m", "m")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        await pilot.press("enter", "enter", "enter", "enter", "m", "enter", "enter")
        await until(pilot, lambda: migrations_of(cluster, "jump-host"))
        app.start_migration("default/jump-host", None)  # a third way in, straight to the action
        await until(pilot, lambda: app.live.ledger.running_for_vm("default/jump-host") is not None)
        await pilot.pause(0.3)
    assert len(migrations_of(cluster, "jump-host")) == 1


async def test_migrate_says_why_a_vm_cannot_move(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await select_vm(pilot, "win-installer")
        await pilot.press("m")
        await until(pilot, lambda: "CD-ROM" in " ".join(str(n.message) for n in app._notifications))
        assert isinstance(app.screen, VMListScreen)
    assert migrations_of(cluster, "win-installer") == []


def refuse(request: AdmissionRequest) -> None:
    raise AdmissionDenied("change-freeze.example.com", "no migrations during the [b]freeze[/b]")


async def test_an_api_error_becomes_a_notification_with_the_servers_message(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await select_vm(pilot, "jump-host")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        cluster.admission.register("virtualmachineinstancemigrations", refuse, operations=("create",))
        await pilot.press("enter")

        def notes():
            return [n for n in app._notifications if n.title == "Migration not started"]

        await until(pilot, notes)
        assert (
            notes()[0].message
            == 'admission webhook "change-freeze.example.com" denied the request: no migrations during the [b]freeze[/b]'
        )
        assert not notes()[0].markup
        assert app.live.action_state("migrate", "default/jump-host")[0] is True  # the guard is lifted
    assert migrations_of(cluster, "jump-host") == []


async def test_on_kubevirt_older_than_1_6_only_the_scheduler_can_be_chosen(tmp_path: Path):
    with simulated("old-kubevirt") as cluster:
        session = connect_as(cluster, tmp_path)
        try:
            app = make_app(session)
            async with app.run_test(size=(100, 30)) as pilot:
                await until(pilot, lambda: len(app.live.vm_list.summaries) > 0)
                vm = next(key for key in sorted(app.live.vm_list.summaries) if app.live.plan(key).migratable)
                await select_vm(pilot, vm.partition("/")[2])
                await pilot.press("m")
                await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
                assert "older than 1.6" in screen_text(app)
                await pilot.press("down", "enter")
                await pilot.pause(0.2)
                assert isinstance(app.screen, NodePickerScreen)
                await pilot.press("up", "enter")
                await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        finally:
            session.stop()


async def test_enter_on_an_ineligible_node_says_why_on_the_key_line_not_in_a_toast(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_vm(pilot, "web-frontend-01")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        await cursor_to(pilot, "harvester-node-5", "picker-table")
        await pilot.press("enter")
        await until(
            pilot, lambda: "harvester-node-5 cannot take it: its reasons are above." in widget_text(app, "#picker-keys")
        )
        assert list(app._notifications) == []
        assert "Maintenance: Node is in Harvester maintenance mode" in screen_text(app)
        await pilot.press("up")
        await until(pilot, lambda: widget_text(app, "#picker-keys").startswith("enter choose"))


async def test_at_80x24_tab_scrolls_the_pickers_reasons_into_view(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_vm(pilot, "analytics-etl")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        await cursor_to(pilot, "harvester-witness", "picker-table")
        assert "devices.kubevirt.io/vhost-net (1)." not in screen_text(app)
        await pilot.press("tab", "end")
        await until(pilot, lambda: "devices.kubevirt.io/vhost-net (1)." in screen_text(app))
        assert "tab scroll them" in widget_text(app, "#picker-keys")


async def test_the_picker_names_the_scheduling_rules_it_does_not_check_under_a_node_that_can_take_the_vm(
    cluster, admin
):
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": "jump"}},
        }
    ]
    cluster.store.patch(
        "virtualmachineinstances", "default", "jump-host", {"spec": {"topologySpreadConstraints": spread}}
    )
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await select_vm(pilot, "jump-host")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        caveat = (
            "? The VM's topology spread constraints (spec.topologySpreadConstraints, DoNotSchedule) are not checked"
        )
        await until(
            pilot,
            lambda: caveat in " ".join(widget_text(app, "#picker-detail").split()),
            what="the caveat under the scheduler",
        )
        await cursor_to(pilot, "harvester-node-2", "picker-table")
        await until(pilot, lambda: "harvester-node-2 can take" in widget_text(app, "#picker-detail"))
        assert caveat in " ".join(widget_text(app, "#picker-detail").split())
