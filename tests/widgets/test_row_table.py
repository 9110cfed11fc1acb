"""The line-API table: literal cells, a cursor that follows its row, columns dropped by priority."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui.view.table import Column, TableRow
from tui.widgets.row_table import RowTable

COLUMNS = [
    Column("name", "Name", 12, priority=0, flex=1),
    Column("namespace", "Namespace", 10, priority=3),
    Column("status", "Status", 10, priority=0),
    Column("node", "Node", 10, priority=1),
]


class TableApp(App):
    def compose(self) -> ComposeResult:
        yield RowTable(COLUMNS)


def rows(names: list[str]) -> list[TableRow]:
    return [
        TableRow(f"default/{n}", {"name": n, "namespace": "default", "status": "Running", "node": "n1"}) for n in names
    ]


def lines(table: RowTable, count: int) -> list[str]:
    return [table.render_line(y).text for y in range(count)]


async def test_cell_text_is_shown_literally_never_as_markup_or_escape_sequences():
    app = TableApp()
    async with app.run_test(size=(80, 6)) as pilot:
        table = app.query_one(RowTable)
        table.set_rows(rows(["[bold red]x[/]", "evil\x1b[2Jname"]))
        await pilot.pause()
        shown = lines(table, 3)
        assert "[bold red]x[/]" in shown[1]
        assert "\x1b" not in shown[2] and "evil␛[2Jname" in shown[2]


async def test_cursor_stays_on_its_row_when_rows_are_reordered():
    app = TableApp()
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(RowTable)
        table.set_rows(rows([f"vm{i}" for i in range(50)]))
        table.focus()
        await pilot.press("down", "down", "down")
        assert table.cursor_key == "default/vm3"
        table.set_rows(list(reversed(rows([f"vm{i}" for i in range(50)]))))
        assert table.cursor_key == "default/vm3"


async def test_cursor_keeps_its_place_when_its_row_disappears():
    app = TableApp()
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(RowTable)
        table.set_rows(rows(["a", "b", "c", "d"]))
        table.focus()
        await pilot.press("j", "j")
        table.set_rows(rows(["a", "b", "d"]))
        assert table.cursor_key == "default/d"


async def test_narrow_terminal_drops_the_least_important_columns_first():
    app = TableApp()
    async with app.run_test(size=(40, 6)) as pilot:
        table = app.query_one(RowTable)
        table.set_rows(rows(["vm1"]))
        await pilot.pause()
        header = lines(table, 1)[0]
        assert "Name" in header and "Status" in header and "Node" in header
        assert "Namespace" not in header


async def test_enter_selects_the_row_under_the_cursor():
    selected: list[str] = []

    class SelectingApp(TableApp):
        def on_row_table_selected(self, message: RowTable.Selected) -> None:
            selected.append(message.key)

    app = SelectingApp()
    async with app.run_test(size=(80, 6)) as pilot:
        table = app.query_one(RowTable)
        table.set_rows(rows(["a", "b"]))
        table.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert selected == ["default/b"]


async def test_only_visible_rows_are_painted_even_with_ten_thousand_rows():
    app = TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(RowTable)
        table.paint_count = 0
        table.set_rows(rows([f"vm{i}" for i in range(10_000)]))
        await pilot.pause()
        assert 0 < table.paint_count <= 2 * 24


async def test_a_spanning_row_runs_across_every_column_but_the_last():
    app = TableApp()
    async with app.run_test(size=(60, 6)) as pilot:
        table = app.query_one(RowTable)
        table.set_rows([TableRow("all", {"node": "3 nodes"}, span="any eligible node (the scheduler decides)")])
        await pilot.pause()
        line = lines(table, 2)[1]
        assert line.startswith("any eligible node (the scheduler decides)")
        assert line.rstrip().endswith("3 nodes")


async def test_semantic_span_styles_follow_the_theme():
    from rich.text import Text

    app = TableApp()
    async with app.run_test(size=(60, 6)) as pilot:
        table = app.query_one(RowTable)
        table.set_rows([TableRow("a", {"name": "a", "status": Text("Running", style="ok")})])
        await pilot.pause()
        segments = list(table.render_line(1))
        running = next(s for s in segments if s.text == "Running")
        assert running.style.color == table.get_component_rich_style("row-table--ok", partial=True).color
