"""Help: every key, grouped by where it works, read from the bindings themselves (keymap included)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from tui.screens.live import LiveApp, live_app
from tui.screens.question import Covering
from tui.screens.scopes import key_scopes
from tui.widgets.dialog_keys import DialogKeys, bound_keys, keys_line, keys_of
from tui.widgets.keymap import normal_key
from tui.widgets.row_table import RowTable
from tui.widgets.scroll_pane import ScrollPane

# Keys the table reads that are no bindings of the screens (kept with the table's own).
# Where the footer's short word says too little.
_WHAT = {"table.select": "Open, or choose", "app.command_palette": "Command palette"}

_ALSO = [
    ("Node picker", "up,down", "Each node's reasons"),
    ("Node picker", "tab", "To the reasons, to scroll"),
]


def _bindings(kind: type) -> list[Binding]:
    return [b for b in getattr(kind, "BINDINGS", []) if isinstance(b, Binding)]


def _own_bindings(kind: type, base: type) -> list[Binding]:
    """The bindings `kind` adds to those of `base` (its question's keys are listed once, under Questions)."""
    inherited = {b.id for b in _bindings(base)}
    return [b for b in _bindings(kind) if b.id not in inherited]


class HelpScreen(Covering[None]):
    """Every key, grouped; esc, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
        Binding("up,k", "scroll_help(-1)", "Up", show=False, id="help.up"),
        Binding("down,j", "scroll_help(1)", "Down", show=False, id="help.down"),
        Binding("pageup", "scroll_help(-10)", "Page up", show=False, id="help.page_up"),
        Binding("pagedown,space", "scroll_help(10)", "Page down", show=False, id="help.page_down"),
        Binding("home,g", "scroll_help(-10000)", "First", show=False, id="help.first"),
        Binding("end,G", "scroll_help(10000)", "Last", show=False, id="help.last"),
    ]

    @property
    def livemig(self) -> LiveApp:
        return live_app(self)

    def groups(self) -> list[tuple[str, list[tuple[str, str, str]]]]:
        """(group, [(keys, what, binding id)]) in the order shown."""
        from tui.screens.confirm import ConfirmScreen
        from tui.screens.evacuation import EvacuationPlanScreen, EvacuationQuestion
        from tui.screens.evacuation_targets import EvacuationTargetsScreen
        from tui.screens.migrations import MigrationsScreen
        from tui.screens.node_picker import NodePickerScreen
        from tui.screens.nodes import NodesScreen
        from tui.screens.vm_detail import VMDetailScreen
        from tui.screens.vm_list import VMListScreen

        app_type = type(self.app)
        sources: list[tuple[str, Iterable[Binding], type]] = [
            ("Everywhere", _bindings(app_type), app_type),
            ("Lists", _bindings(RowTable), RowTable),
            ("VM list", _bindings(VMListScreen), VMListScreen),
            ("VM details", _bindings(VMDetailScreen), VMDetailScreen),
            ("Node picker", _bindings(NodePickerScreen), NodePickerScreen),
            ("Migrations", _bindings(MigrationsScreen), MigrationsScreen),
            ("Questions", _bindings(ConfirmScreen), ConfirmScreen),
            ("Nodes", _bindings(NodesScreen), NodesScreen),
            ("Evacuation plan", _bindings(EvacuationPlanScreen), EvacuationPlanScreen),
            ("Evacuation question", _own_bindings(EvacuationQuestion, ConfirmScreen), EvacuationQuestion),
            ("Evacuation targets", _bindings(EvacuationTargetsScreen), EvacuationTargetsScreen),
        ]
        lost = self.livemig.keys_lost()
        groups: list[tuple[str, list[tuple[str, str, str]]]] = []
        for title, bindings, owner in sources:
            entries = []
            for binding in bindings:
                what = _WHAT.get(binding.id or "", binding.description)
                entries.append((self._keys(binding, owner, lost.get(binding.id or "", {})), what, binding.id or ""))
            entries += [(keys_of(self.app, Binding(key, "")), what, "") for group, key, what in _ALSO if group == title]
            groups.append((title, entries))
        return groups

    def _keys(self, binding: Binding, owner: type, lost: dict[str, list[str]]) -> str:
        """`binding`'s keys as shown; a key the keymap gave another binding somewhere says where it does
        not work, and a binding left without any says "no key" (the command palette offers it)."""
        if not lost:
            return keys_of(self.app, binding)
        places = {scope.name for scope in key_scopes(type(self.app)) if owner in scope.owners or binding.priority}
        shown: list[str] = []
        for key in bound_keys(self.app, binding):
            where = lost.get(normal_key(key), [])
            display = self.app.get_key_display(Binding(key, ""))
            if not where:
                shown.append(display)
            elif places - set(where):
                shown.append(f"{display} (not on {', '.join(where)})")
        return " ".join(dict.fromkeys(shown)) or "no key"

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static(Content("Keys"), classes="dialog-title", markup=False)
            with ScrollPane(id="help-scroll"):
                yield Static(self._text(), id="help-text", markup=False)
            yield Static(self._timing(), id="help-timing", markup=False)
        yield DialogKeys(self._keys_line(), id="help-keys")

    def _keys_line(self) -> Content:
        bindings = {binding.id: binding for binding in _bindings(HelpScreen)}
        return keys_line(
            [
                ("↑↓", "scroll"),
                ("pgup pgdn", "page"),
                (keys_of(self.app, bindings["help.close"]), "close"),
            ]
        )

    def _text(self) -> Content:
        parts: list[str | tuple[str, str]] = []
        for title, entries in self.groups():
            if not entries:
                continue
            parts += [(title, "bold $text-accent"), "\n"]
            for keys, what, binding_id in entries:
                parts += [(f"  {keys:<17} ", "bold"), f"{what:<26}", (binding_id, "$text-muted"), "\n"]
        parts += [
            ("Safety", "bold $text-accent"),
            # One paragraph a line, unindented: at 80 columns they wrap, and wrapped lines start at the edge.
            "\nMigrate asks which node, then confirms with the time limit; abort asks first, with No focused.",
            "\nKeys typed before the node picker or a question appeared do not answer it (a bell rings).",
            "\n--readonly hides migrate and abort (their keys say so); other keys you may not use are dimmed, and pressing one says why.",
            "\n",
            ("Keymap", "bold $text-accent"),
            '\nLIVEMIG_KEYMAP="vms.migrate=x;app.quit=ctrl+q" rebinds keys by the ids above.',
        ]
        return Content.assemble(*parts)

    def _timing(self) -> Content:
        ready = getattr(self.app, "ready_after", None)
        if ready is None:
            return Content("")
        return Content(f"The full VM list was on screen {ready:.1f} s after livemig was started.")

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll_help(self, lines: int) -> None:
        self.query_one("#help-scroll", ScrollPane).scroll_lines(lines)
