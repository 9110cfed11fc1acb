"""Setting a CPU model from the UI: the chooser (the advised model marked), a confirmation that says a
restart is needed, from what to what and for which VMs, and the change on the server; read-only and
the user's rights say why not."""

from __future__ import annotations

from pathlib import Path

from tests.ui.harness import connect_as, make_app, screen_text, select_vm, until
from tui.screens.chooser import ChooserScreen
from tui.screens.commands import LivemigPalette
from tui.screens.confirm import ConfirmScreen
from tui.screens.vm_detail import VMDetailScreen
from tui.widgets.row_table import RowTable


def template_model(cluster, name: str) -> object:
    vm = cluster.store.get("virtualmachines", "default", name)
    return vm["spec"]["template"]["spec"]["domain"].get("cpu", {}).get("model")


def cluster_default(cluster) -> object:
    return cluster.store.get("kubevirts", "harvester-system", "kubevirt")["spec"]["configuration"].get("cpuModel")


async def open_details(pilot, name: str) -> None:
    await select_vm(pilot, name)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, VMDetailScreen))


def told(app, words: str) -> bool:
    return any(words in n.message for n in app._notifications)


async def test_c_in_the_details_sets_the_advised_model_after_a_confirmation_naming_the_restart(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_details(pilot, "web-frontend-01")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ChooserScreen), what="the chooser")
        text = screen_text(app)
        assert "CPU model of default/web-frontend-01" in text
        assert "★ advised" in text and "● now" in text
        table = app.screen.query_one(RowTable)
        assert [row.key for row in table.rows] == ["-", "host-model", "123"]
        assert table.cursor_key == "-"  # on the one in use: no model of its own
        await pilot.press("down", "down", "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
        text = screen_text(app)
        assert "Set the VM's CPU model?" in text
        assert "host-model (the cluster default)" in text and "123" in text
        assert "needed: the VM runs on with its current model until it" in text
        assert app.focused is not None and app.focused.id == "no"  # the safe answer first
        await pilot.press("y")
        await until(pilot, lambda: template_model(cluster, "web-frontend-01") == "123", what="the patch")
        await until(pilot, lambda: told(app, "takes effect when the VM restarts"))


async def test_cancelling_the_confirmation_changes_nothing(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_details(pilot, "monitoring-01")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ChooserScreen))
        await pilot.press("end", "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, VMDetailScreen))
        assert template_model(cluster, "monitoring-01") is None


async def test_the_cluster_default_from_the_palette_names_the_vms_without_a_model_of_their_own(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: len(app.live.vm_list.summaries) == 11)
        await pilot.press("ctrl+p")
        await until(pilot, lambda: LivemigPalette.is_open(app), what="the palette")
        await pilot.press(*"cluster default cpu")
        await until(pilot, lambda: "Set the cluster default CPU model" in screen_text(app), what="the command")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ChooserScreen), what="the chooser")
        assert [row.key for row in app.screen.query_one(RowTable).rows] == ["-", "123"]
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        text = screen_text(app)
        assert "Set the cluster default CPU model?" in text
        assert "4 in namespace default without a model of their own:" in text
        assert "default/gpu-inference, default/monitoring-01, default/old-backup," in text
        assert "and those of the namespaces livemig does not show" in text
        assert "needed: 3 of them run now" in text
        await pilot.press("y")
        await until(pilot, lambda: cluster_default(cluster) == "123", what="the patch")


async def test_read_only_says_why_there_is_no_cpu_model_change(cluster, tmp_path: Path):
    session = connect_as(cluster, tmp_path, readonly=True)
    try:
        app = make_app(session, readonly=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_details(pilot, "web-frontend-01")
            await pilot.press("c")
            await until(pilot, lambda: told(app, "read-only"), what="why not")
            assert not isinstance(app.screen, ChooserScreen)
    finally:
        session.stop()


async def test_a_user_who_may_not_patch_vms_is_told_so_and_gets_no_chooser(cluster, tmp_path: Path):
    session = connect_as(cluster, tmp_path, user="viewer")
    try:
        app = make_app(session)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_details(pilot, "web-frontend-01")
            await pilot.press("c")
            await until(pilot, lambda: told(app, "you may not patch virtualmachines in default"), what="why not")
            assert any(n.title == "Cannot set the CPU model" for n in app._notifications)
            assert not isinstance(app.screen, ChooserScreen)
            assert template_model(cluster, "web-frontend-01") is None
    finally:
        session.stop()
