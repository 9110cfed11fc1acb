"""A line-API table that paints only the visible rows: fast at 10,000 rows, columns dropped by priority."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.view.table import Column, FittedCell, TableRow
from tui.widgets.literal import clean


class RowTable(ScrollView, can_focus=True):
    """Rows of cells under a fixed header; the cursor is a reversed row and follows its key."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("pageup", "page_up", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="table.page_down"),
        Binding("home,g", "first", "First", show=False, id="table.first"),
        Binding("end,G", "last", "Last", show=False, id="table.last"),
        Binding("enter", "select", "Open", show=False, id="table.select"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "row-table--header",
        "row-table--cursor",
        "row-table--dim",
        "row-table--warning",
        "row-table--error",
        "row-table--ok",
        "row-table--accent",
        "row-table--bold",
    }
    # Span and row styles that name a component class instead of a colour, so cells follow the theme.
    SEMANTIC_STYLES: ClassVar[frozenset[str]] = frozenset({"dim", "warning", "error", "ok", "accent", "bold"})

    DEFAULT_CSS = """
    RowTable {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
    }
    RowTable > .row-table--header { text-style: bold; background: $panel; }
    RowTable > .row-table--cursor { text-style: reverse; }
    RowTable:blur > .row-table--cursor { text-style: underline; }
    RowTable > .row-table--dim { text-style: dim; }
    RowTable > .row-table--warning { color: $text-warning; }
    RowTable > .row-table--error { color: $text-error; }
    RowTable > .row-table--ok { color: $text-success; }
    RowTable > .row-table--accent { color: $text-accent; }
    RowTable > .row-table--bold { text-style: bold; }
    """

    class Highlighted(Message):
        """The cursor moved to another row."""

        def __init__(self, table: RowTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> RowTable:
            return self.table

    class Selected(Message):
        """Enter was pressed on a row."""

        def __init__(self, table: RowTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> RowTable:
            return self.table

    cursor_index: reactive[int] = reactive(0, always_update=False, repaint=False)
    sort_key: reactive[str] = reactive("", repaint=True)
    sort_reverse: reactive[bool] = reactive(False, repaint=True)

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        empty_text: str = "Nothing to show.",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._columns = list(columns)
        self._rows: list[TableRow] = []
        self._index_of: dict[str, int] = {}
        self._layout: list[tuple[Column, int]] = []
        self._layout_width = -1
        self.empty_text = empty_text
        self.paint_count = 0  # rows painted, for benchmarks

    # -- data ------------------------------------------------------------------------------------

    @property
    def rows(self) -> Sequence[TableRow]:
        return self._rows

    @property
    def cursor_key(self) -> str | None:
        if 0 <= self.cursor_index < len(self._rows):
            return self._rows[self.cursor_index].key
        return None

    def set_rows(self, rows: Sequence[TableRow]) -> None:
        """Show these rows (already filtered and sorted); the cursor stays on the same key if it is still there."""
        previous_key = self.cursor_key
        previous_index = self.cursor_index
        rows = list(rows)
        if rows and len(rows) == len(self._rows) and all(new.key == old.key for new, old in zip(rows, self._rows)):
            # The same rows in the same order (a live update of a few): repaint only if one on screen changed.
            top = int(self.scroll_y)
            shown = range(top, min(len(rows), top + self.scrollable_content_region.height))
            changed = any(rows[index] is not self._rows[index] for index in shown)
            self._rows = rows
            if changed:
                self.refresh()
            return
        self._rows = rows
        self._index_of = {row.key: i for i, row in enumerate(self._rows)}
        self.virtual_size = Size(self.size.width, len(self._rows) + 1)
        if previous_key is not None and previous_key in self._index_of:
            new_index = self._index_of[previous_key]
        else:
            new_index = min(previous_index, max(len(self._rows) - 1, 0))
        # Keep the cursor row where it was on screen, so live updates never make the view jump.
        if new_index != previous_index and previous_key is not None and previous_key in self._index_of:
            self.scroll_to(y=max(0, self.scroll_y + (new_index - previous_index)), animate=False, immediate=True)
        self._set_cursor(new_index, announce=self.cursor_key_at(new_index) != previous_key)
        self.refresh()

    def visible_keys(self) -> list[str]:
        """The keys of the rows on screen now, top to bottom."""
        top = int(self.scroll_y)
        return [row.key for row in self._rows[top : top + max(1, self.scrollable_content_region.height - 1)]]

    def cursor_key_at(self, index: int) -> str | None:
        return self._rows[index].key if 0 <= index < len(self._rows) else None

    def move_cursor_to(self, key: str) -> bool:
        index = self._index_of.get(key)
        if index is None:
            return False
        self._set_cursor(index)
        return True

    def _set_cursor(self, index: int, announce: bool = True) -> None:
        index = max(0, min(index, len(self._rows) - 1)) if self._rows else 0
        changed = index != self.cursor_index
        self.cursor_index = index
        self._scroll_cursor_into_view()
        self.refresh()
        if (changed or announce) and self.is_mounted:
            self.post_message(self.Highlighted(self, self.cursor_key))

    def _scroll_cursor_into_view(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_y)
        if self.cursor_index < top:
            self.scroll_to(y=self.cursor_index, animate=False, immediate=True)
        elif self.cursor_index >= top + visible:
            self.scroll_to(y=self.cursor_index - visible + 1, animate=False, immediate=True)

    # -- keys ------------------------------------------------------------------------------------

    def action_cursor_up(self) -> None:
        self._set_cursor(self.cursor_index - 1)

    def action_cursor_down(self) -> None:
        self._set_cursor(self.cursor_index + 1)

    def action_page_up(self) -> None:
        self._set_cursor(self.cursor_index - max(1, self.scrollable_content_region.height - 2))

    def action_page_down(self) -> None:
        self._set_cursor(self.cursor_index + max(1, self.scrollable_content_region.height - 2))

    def action_first(self) -> None:
        self._set_cursor(0)

    def action_last(self) -> None:
        self._set_cursor(len(self._rows) - 1)

    def action_select(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.Selected(self, key))

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self._rows) + 1)
        self._layout_width = -1
        self._scroll_cursor_into_view()

    # -- layout ----------------------------------------------------------------------------------

    def visible_columns(self, width: int | None = None) -> list[tuple[Column, int]]:
        """The columns that fit in `width`, most important first kept, and the width each gets."""
        width = self.scrollable_content_region.width if width is None else width
        if width == self._layout_width:
            return self._layout
        chosen = list(self._columns)

        def needed(columns: list[Column]) -> int:
            return sum(c.width for c in columns) + max(0, len(columns) - 1)

        while needed(chosen) > width and any(c.priority > 0 for c in chosen):
            drop = max((c for c in chosen if c.priority > 0), key=lambda c: (c.priority, chosen.index(c)))
            chosen.remove(drop)
        spare = max(0, width - needed(chosen))
        flex_total = sum(c.flex for c in chosen)
        widths = []
        given = 0
        for column in chosen:
            extra = spare * column.flex // flex_total if flex_total else 0
            given += extra
            widths.append(column.width + extra)
        if flex_total and given < spare:  # rounding remainder to the last flexible column
            last_flex = max(i for i, c in enumerate(chosen) if c.flex)
            widths[last_flex] += spare - given
        self._layout = list(zip(chosen, widths))
        self._layout_width = width
        return self._layout

    # -- painting --------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        columns = self.visible_columns(width)
        base = self.rich_style
        if y == 0:
            header = self.get_component_rich_style("row-table--header")
            return self._strip([(c, w, Text(self._header_label(c))) for c, w in columns], base + header, width)
        index = y - 1 + int(self.scroll_y)
        if not self._rows:
            if y == 1:
                return Strip([Segment(self.empty_text[:width].ljust(width), base)])
            return Strip.blank(width, base)
        if index >= len(self._rows):
            return Strip.blank(width, base)
        row = self._rows[index]
        style = base
        if row.style:
            style = style + self._resolve(row.style)
        if index == self.cursor_index:
            style = style + self.get_component_rich_style("row-table--cursor")
        self.paint_count += 1
        cells = []
        if row.span is not None and len(columns) > 1:
            spanned = sum(w for _, w in columns[:-1]) + len(columns) - 2
            columns = [(Column("", "", spanned), spanned), columns[-1]]
            cells.append((columns[0][0], spanned, row.span if isinstance(row.span, Text) else Text(clean(row.span))))
            columns = columns[1:]
        for column, column_width in columns:
            value = row.cells.get(column.key, "")
            if isinstance(value, FittedCell):
                value = value.fit(column_width)
            cells.append((column, column_width, value if isinstance(value, Text) else Text(clean(value))))
        return self._strip(cells, style, width)

    def _resolve(self, style: object) -> Style:
        """A span's style: a semantic name becomes its component class's style; else rich's own."""
        if isinstance(style, Style):
            return style
        if not style:
            return Style()
        name = str(style)
        if name in self.SEMANTIC_STYLES:
            return self.get_component_rich_style(f"row-table--{name}", partial=True)
        parts = name.split()
        if all(part in self.SEMANTIC_STYLES for part in parts):
            combined = Style()
            for part in parts:
                combined += self.get_component_rich_style(f"row-table--{part}", partial=True)
            return combined
        return Style.parse(name)

    def _header_label(self, column: Column) -> str:
        if column.key == self.sort_key:
            return f"{column.label}{'▼' if self.sort_reverse else '▲'}"
        return column.label

    def _strip(self, cells: list[tuple[Column, int, Text]], style: Style, width: int) -> Strip:
        segments: list[Segment] = []
        used = 0
        for i, (column, column_width, text) in enumerate(cells):
            if i:
                segments.append(Segment(" ", style))
                used += 1
            text = text.copy()
            text.truncate(column_width, overflow="ellipsis", pad=False)
            pad = column_width - text.cell_len
            if column.align == "right" and pad > 0:
                segments.append(Segment(" " * pad, style))
            segments.extend(_segments(text, style, self._resolve))
            if column.align != "right" and pad > 0:
                segments.append(Segment(" " * pad, style))
            used += column_width
        if used < width:
            segments.append(Segment(" " * (width - used), style))
        return Strip(segments).crop(0, width)


def _segments(text: Text, base: Style, resolve: Callable[[object], Style]) -> list[Segment]:
    """A one-line Text as segments over the row style (spans keep their own colours)."""
    plain = text.plain
    if not text.spans and not text.style:
        return [Segment(plain, base)]
    result: list[Segment] = []
    text_style = base + resolve(text.style)
    # Split the plain text at span boundaries and combine the styles active in each piece.
    cuts = sorted({0, len(plain), *(s.start for s in text.spans), *(s.end for s in text.spans)})
    for start, end in zip(cuts, cuts[1:]):
        if start >= end:
            continue
        style = text_style
        for span in text.spans:
            if span.start <= start and span.end >= end:
                style = style + resolve(span.style)
        result.append(Segment(plain[start:end], style))
    return result
