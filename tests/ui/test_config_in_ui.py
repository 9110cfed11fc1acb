"""The config file in the UI: its keymap rebinds keys (LIVEMIG_KEYMAP winning binding by binding), and
why a bad file is not used is said in a toast."""

from __future__ import annotations

from tests.ui.harness import make_app, select_vm, until
from tui.config import merged_keymap
from tui.screens.node_picker import NodePickerScreen


async def test_the_files_keymap_rebinds_a_key(cluster, admin):
    app = make_app(admin)
    app.use_keymap(merged_keymap({"vms.migrate": "x", "app.help": "f1"}, "app.help=f2"))
    assert app.keymap == {"vms.migrate": "x", "app.help": "f2"}
    async with app.run_test(size=(80, 24)) as pilot:
        await select_vm(pilot, "jump-host")
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen), what="migrate on x")


async def test_a_bad_config_file_is_said_in_a_toast(cluster, admin):
    app = make_app(admin)
    app.config_problem = "The config file /x/config.toml, line 2 is not used: readonly must be true or false; ..."
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: any(n.title == "Config file" and "line 2" in n.message for n in app._notifications))
