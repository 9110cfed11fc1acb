"""A list to choose one thing from (a CPU model, a context, a namespace): each line with what it is and
a note, the current one and the advised one marked in words as well as signs, and optionally a field to
type a name that is not in the list. Dismisses with the chosen key, or None when cancelled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Static

from tui.screens.question import Question
from tui.view.table import Column, TableRow
from tui.widgets.dialog_keys import DialogKeys, keys_line
from tui.widgets.literal import clean
from tui.widgets.row_table import RowTable

COLUMNS = (
    Column("mark", "", 10, priority=1),
    Column("name", "Name", 18, priority=0, flex=1),
    Column("note", "", 20, priority=2, flex=2),
)


@dataclass(frozen=True)
class Option:
    """One line: `key` is what choosing it answers; `label` and `note` are shown as text, never markup."""

    key: str
    label: str
    note: str = ""
    current: bool = False
    advised: bool = False


def _mark(option: Option) -> Text:
    if option.current:
        return Text("● now", style="accent")
    if option.advised:
        return Text("★ advised", style="ok")
    return Text("")


class ChooserScreen(Question["str | None"]):
    """Choose one of `options` (or type a name, when `typed` names what the field is for)."""

    DEFAULT_CSS = """
    ChooserScreen { align: center middle; }
    #chooser-dialog { width: 100%; max-width: 96; max-height: 100%; margin: 0 1; }
    #chooser-note { height: auto; margin-bottom: 1; }
    #chooser-table { height: auto; max-height: 14; min-height: 3; }
    #chooser-input { margin-top: 1; }
    #chooser-refusal { height: auto; }
    #chooser-detail { height: auto; margin-top: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="chooser.cancel"),
        Binding("enter", "choose", "Choose", id="chooser.choose"),
    ]

    def __init__(
        self,
        title: str,
        options: Sequence[Option],
        *,
        note: str = "",
        typed: str = "",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.title_text = title
        self.options = list(options)
        self.note = note
        self.typed = typed  # placeholder of the field for a name not in the list; "" for no field

    def compose(self) -> ComposeResult:
        with Vertical(id="chooser-dialog", classes="dialog"):
            yield Static(Content(self.title_text), classes="dialog-title", markup=False)
            if self.note:
                yield Static(Content(self.note), id="chooser-note", markup=False)
            yield RowTable(COLUMNS, id="chooser-table", empty_text="Nothing to choose from.")
            yield Static(id="chooser-detail", markup=False)
            if self.typed:
                yield Input(placeholder=self.typed, id="chooser-input", compact=True)
            yield Static(id="chooser-refusal", markup=False)
        pairs = [("enter", "choose"), ("esc", "cancel"), ("↑↓", "move")]
        if self.typed:
            pairs.append(("tab", "type a name"))
        yield DialogKeys(keys_line(pairs), id="chooser-keys")

    def on_mount(self) -> None:
        table = self.query_one(RowTable)
        rows = [
            TableRow(option.key, {"mark": _mark(option), "name": option.label, "note": option.note})
            for option in self.options
        ]
        table.set_rows(rows)
        table.styles.height = min(len(rows) + 1, 14)  # the header and every line: more would stay blank
        current = next((o.key for o in self.options if o.current), None)
        if current is not None:
            table.move_cursor_to(current)
        table.focus()

    def on_row_table_highlighted(self, message: RowTable.Highlighted) -> None:
        """The whole note of the highlighted line, which the table may have to cut short."""
        message.stop()
        option = next((o for o in self.options if o.key == message.key), None)
        detail = self.query_one("#chooser-detail", Static)
        if option is None or not option.note:
            detail.update("")
            return
        detail.update(Content.assemble((clean(option.label), "bold"), ": ", clean(option.note)))

    def action_choose(self) -> None:
        field = self.query("#chooser-input").first(Input) if self.typed else None
        if field is not None and field.has_focus:
            self.choose_typed(field.value)
            return
        self.choose(self.query_one(RowTable).cursor_key)

    def on_row_table_selected(self, message: RowTable.Selected) -> None:
        message.stop()
        self.choose(message.key)

    def on_input_submitted(self, message: Input.Submitted) -> None:
        message.stop()
        self.choose_typed(message.value)

    def choose(self, key: str | None) -> None:
        if key is None:
            return
        self.answer(key)

    def choose_typed(self, text: str) -> None:
        name = text.strip()
        if not name:
            self.query_one("#chooser-refusal", Static).update(
                Content.assemble(("✗ ", "$text-error"), "Type a name first, or esc to cancel.")
            )
            return
        self.answer(name)

    def action_cancel(self) -> None:
        self.answer(None)
