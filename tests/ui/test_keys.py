"""Keys: help lists them all, every binding has an id a keymap can change, keys that do not apply are dimmed,
the command palette offers what applies, and the theme suits the terminal."""

from __future__ import annotations

import pytest
from textual.binding import Binding

from tests.ui.harness import make_app, screen_text, select_vm, until, widget_text
from tui.app import LivemigApp
from tui.screens.commands import LivemigPalette
from tui.screens.confirm import ConfirmScreen
from tui.screens.help import HelpScreen
from tui.screens.migrations import MigrationsScreen
from tui.screens.node_picker import NodePickerScreen
from tui.screens.vm_detail import VMDetailScreen
from tui.screens.vm_list import VMListScreen
from tui.themes import check_theme, choose_theme, terminal_colours
from tui.widgets.row_table import RowTable

SCREENS = (
    LivemigApp,
    VMListScreen,
    VMDetailScreen,
    NodePickerScreen,
    MigrationsScreen,
    ConfirmScreen,
    HelpScreen,
    RowTable,
)


@pytest.mark.parametrize("owner", SCREENS, ids=lambda owner: owner.__name__)
def test_every_binding_has_an_id(owner):
    bindings = [b for b in owner.BINDINGS if isinstance(b, Binding)]
    assert bindings and all(binding.id for binding in bindings)


def test_binding_ids_are_unique():
    ids = [b.id for owner in SCREENS for b in owner.BINDINGS if isinstance(b, Binding)]
    assert len(ids) == len(set(ids))


async def test_help_lists_every_key_grouped(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, lambda: len(app.live.vm_list.summaries) == 11)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = widget_text(app, "#help-text")
        for group in ("Everywhere", "Lists", "VM list", "VM details", "Node picker", "Migrations", "Questions"):
            assert f"{group}\n" in text
        for line in (
            "m                 Migrate",
            "a                 Abort",
            "/                 Filter",
            "^p                Command palette",
        ):
            assert line in text
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, VMListScreen))


async def test_a_keymap_moves_migrate_to_another_key(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        app.set_keymap({"vms.migrate": "x"})
        await select_vm(pilot, "jump-host")
        # m is no longer a key of the list (nor of anything above it); x is migrate's.
        assert "m" not in app.screen.active_bindings
        assert app.screen.active_bindings["x"].binding.action == "migrate"
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))


async def test_migrate_is_dimmed_for_a_vm_that_cannot_move_and_abort_without_a_migration(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await select_vm(pilot, "win-installer")
        await until(pilot, lambda: app.screen.active_bindings["m"].enabled is False)
        assert app.screen.active_bindings["a"].enabled is False
        await pilot.press("escape")
        await select_vm(pilot, "jump-host")
        await until(pilot, lambda: app.screen.active_bindings["m"].enabled is True)


async def test_the_command_palette_offers_migrating_the_highlighted_vm(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await select_vm(pilot, "jump-host")
        await pilot.press("ctrl+p")
        await until(pilot, lambda: LivemigPalette.is_open(app), what="the palette")
        await pilot.press(*"migrate jump")
        await until(pilot, lambda: "Migrate jump-host" in screen_text(app), what="the command")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, NodePickerScreen))


async def test_escape_goes_back_one_level(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 30)) as pilot:
        await select_vm(pilot, "jump-host")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, VMDetailScreen))
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, MigrationsScreen))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, VMDetailScreen))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, VMListScreen))


@pytest.mark.parametrize(
    "environ, colours",
    [
        ({"COLORTERM": "truecolor", "TERM": "xterm"}, 16_777_216),
        ({"TERM": "xterm-256color"}, 256),
        ({"TERM": "xterm"}, 16),
        ({"TERM": "screen"}, 16),
        ({"TERM": "linux"}, 16),
        ({}, 16),
    ],
)
def test_terminal_colours_are_read_from_colorterm_and_term(environ, colours):
    assert terminal_colours(environ) == colours


def test_a_16_colour_terminal_gets_the_ansi_theme_unless_one_is_asked_for():
    assert choose_theme(None, {"TERM": "xterm"}) == "livemig-16"
    assert choose_theme(None, {"TERM": "xterm-256color"}) == "textual-dark"
    assert choose_theme("nord", {"TERM": "xterm"}) == "nord"


def test_an_unknown_theme_is_refused_with_the_known_ones():
    assert check_theme("textual-dark") is None
    assert check_theme(None) is None
    message = check_theme("[b]nope[/b]")
    assert message is not None and '"[b]nope[/b]"' in message and "livemig-16" in message


def test_a_keymap_from_the_environment_names_bindings_by_id():
    from tui.app import binding_ids
    from tui.widgets.keymap import parse_keymap

    keymap, problems = parse_keymap(
        "vms.migrate=x; app.quit=ctrl+q,f10;nonsense;vms.nothing=y;app.help=?", binding_ids()
    )
    assert keymap == {"vms.migrate": "x", "app.quit": "ctrl+q,f10", "app.help": "question_mark"}
    assert problems == ['"nonsense" is not ID=KEYS; ignored', 'no binding has the id "vms.nothing"; ignored']


def test_a_keymap_entry_with_a_key_no_terminal_sends_says_so_and_keeps_the_others():
    from tui.app import binding_ids
    from tui.widgets.keymap import parse_keymap

    keymap, problems = parse_keymap("vms.sort=ctrl+;vms.filter=hello,f;vms.abort=cmd+a", binding_ids())
    assert keymap == {"vms.filter": "f"}
    assert problems == [
        'vms.sort: "ctrl+" names no key; ignored, so vms.sort keeps its own keys',
        'vms.filter: "hello" is no key name (e.g. x, f10, ctrl+x, question_mark, pageup); ignored',
        'vms.abort: "cmd+a": "cmd" is no modifier (ctrl, shift, alt, meta); ignored, so vms.abort keeps its own keys',
    ]


def keymap_app(admin, text: str) -> LivemigApp:
    app = make_app(admin)
    app.use_keymap(text)
    return app


async def test_what_the_keymap_could_not_do_is_told_when_the_ui_starts(cluster, admin):
    app = keymap_app(admin, "vms.migrate=q;nonsense")
    async with app.run_test(size=(100, 30)) as pilot:
        told = await until(pilot, lambda: [n.message for n in app._notifications if n.title == "LIVEMIG_KEYMAP"])
        assert told[0].splitlines() == [
            '"nonsense" is not ID=KEYS; ignored.',
            "On the VM list q does Migrate (vms.migrate), not Quit (app.quit), which keeps ctrl+c ctrl+q there.",
        ]


async def test_a_key_the_keymap_took_from_quit_shows_in_help_where_it_does_not_quit(cluster, admin):
    app = keymap_app(admin, "vms.migrate=q")
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, lambda: len(app.live.vm_list.summaries) == 11)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        everywhere = widget_text(app, "#help-text").partition("Everywhere\n")[2].partition("Lists\n")[0]
        assert "q (not on VM list) Quit" in everywhere
        assert "^c                Quit" in everywhere


async def test_an_action_the_keymap_left_without_a_key_is_in_help_and_the_palette(cluster, admin):
    app = keymap_app(admin, "vms.sort=S")
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, lambda: len(app.live.vm_list.summaries) == 11)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        vm_list = widget_text(app, "#help-text").partition("VM list\n")[2].partition("VM details\n")[0]
        assert "no key            Reverse sort" in vm_list
        assert "S                 Sort" in vm_list
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, VMListScreen))
        await pilot.press("ctrl+p")
        await until(pilot, lambda: LivemigPalette.is_open(app), what="the palette")
        await pilot.press(*"reverse sort")
        await until(
            pilot, lambda: "No key here under LIVEMIG_KEYMAP (vms.reverse_sort)" in screen_text(app), what="the command"
        )
        await pilot.press("enter")
        await until(
            pilot, lambda: isinstance(app.screen, VMListScreen) and app.screen.sort_reverse, what="the list reversed"
        )


async def test_every_j_typed_together_scrolls_help_one_line(cluster, admin):
    from tests.ui.harness import typed

    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(app.live.vm_list.summaries) == 11)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await typed(pilot, *"jjjjjjjj")
        assert app.screen.query_one("#help-scroll").scroll_y == 8
        await typed(pilot, "G")
        scroll = app.screen.query_one("#help-scroll")
        assert scroll.scroll_y == scroll.max_scroll_y > 8


def test_the_command_palette_key_has_an_id_a_keymap_can_name():
    from tui.app import binding_ids

    assert "app.command_palette" in binding_ids()


async def test_help_lists_the_node_pickers_own_keys(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, lambda: len(app.live.vm_list.summaries) == 11)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        picker = widget_text(app, "#help-text").partition("Node picker\n")[2].partition("Migrations\n")[0]
        assert "↑ ↓               Each node's reasons" in picker
        assert "tab" in picker and "To the reasons, to scroll" in picker
