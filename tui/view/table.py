"""A table's shape without Textual: its columns and its rows (drawn by tui.widgets.row_table)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rich.text import Text


@dataclass(frozen=True)
class Column:
    """One column: `priority` 0 is never dropped; higher numbers are dropped first when space runs out."""

    key: str
    label: str
    width: int  # minimum width in cells
    priority: int = 0
    flex: int = 0  # share of the spare width this column takes
    align: str = "left"  # left | right


class FittedCell:
    """A cell that shortens itself to the width its column gets (which part to keep is its own rule)."""

    @property
    def plain(self) -> str:
        """The whole text, unshortened."""
        raise NotImplementedError

    def fit(self, width: int) -> Text:
        """The text in at most `width` cells."""
        raise NotImplementedError


@dataclass(frozen=True)
class TableRow:
    """One row: a stable key (the cursor follows it across updates) and its cells by column key.

    Plain strings are shown literally (cleaned of control characters); pass a rich Text for styled
    cells built by the app itself.
    """

    key: str
    cells: Mapping[str, object]
    style: str = ""  # a component-class suffix applied to the whole row, e.g. "dim"
    # When set, shown across every visible column but the last (whose cell is shown as usual).
    span: object = None
