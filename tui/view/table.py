"""A table's shape without Textual: its columns and its rows (drawn by tui.widgets.row_table)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


class TableRow:
    """One row: a stable key (the cursor follows it across updates) and its cells by column key.

    Plain strings are shown literally (cleaned of control characters); pass a rich Text for styled
    cells built by the app itself. A row of a long list may be given `make` instead of its cells: they
    are made when the row is first drawn (of 10,000 rows, the few dozen on screen are).
    """

    __slots__ = ("key", "_cells", "_make", "style", "span")

    def __init__(
        self,
        key: str,
        cells: Mapping[str, object] | None = None,
        style: str = "",
        span: object = None,
        *,
        make: Callable[[], Mapping[str, object]] | None = None,
    ) -> None:
        if (cells is None) == (make is None):
            raise TypeError("a TableRow takes its cells or a function that makes them, not both")
        self.key = key
        self._cells = cells
        self._make = make
        self.style = style  # a component-class suffix applied to the whole row, e.g. "dim"
        # When set, shown across every visible column but the last (whose cell is shown as usual).
        self.span = span

    @property
    def cells(self) -> Mapping[str, object]:
        cells = self._cells
        if cells is None:
            make = self._make
            assert make is not None
            cells = self._cells = make()
            self._make = None
        return cells

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TableRow):
            return NotImplemented
        return (self.key, self.cells, self.style, self.span) == (other.key, other.cells, other.style, other.span)

    __hash__ = None  # type: ignore[assignment]  # equal rows may differ in cells made later: not hashable

    def __repr__(self) -> str:
        return f"TableRow(key={self.key!r}, cells={self.cells!r}, style={self.style!r}, span={self.span!r})"
