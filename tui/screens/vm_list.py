"""The home screen: every VM live, with filter and sort, and the keys to migrate, abort and look closer."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Footer, Input, Static

from tui.cluster.access import ABORT, MIGRATE
from tui.cluster.connection import ConnectionStatus
from tui.domain.plan import VMSummary
from tui.domain.reasons import NO_ELIGIBLE_NODE
from tui.domain.units import human_bytes
from tui.screens.live import LiveScreen
from tui.view.pending_rows import is_pending
from tui.view.progress_cell import time_left
from tui.view.vm_list import COLUMNS, SORT_LABELS, SORTABLE
from tui.widgets.banner import ConnectionBanner
from tui.widgets.header import ClusterHeader
from tui.widgets.literal import clean
from tui.widgets.row_table import RowTable


class FilterField(Input):
    """The filter line. Enter gives the keys back to the list at once (not when its Submitted message is
    handled), so a key typed right after it moves the list instead of joining the filter."""

    async def action_submit(self) -> None:
        screen = self.screen
        if isinstance(screen, VMListScreen):
            screen.keep_filter()
        await super().action_submit()


class VMListScreen(LiveScreen):
    """Every VM the session can see, updated as the cluster changes; the cursor stays on its VM."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "migrate", "Migrate", id="vms.migrate"),
        Binding("a", "abort", "Abort", id="vms.abort"),
        Binding("slash", "filter", "Filter", id="vms.filter"),
        Binding("s", "sort", "Sort", id="vms.sort"),
        Binding("S", "reverse_sort", "Reverse sort", show=False, id="vms.reverse_sort"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="vms.clear_filter"),
    ]

    def __init__(self) -> None:
        super().__init__(id="vm-list")
        self.sort_column = "name"
        self.sort_reverse = False
        self.filter_text = ""
        self._action_states: tuple = ()
        self._checking = False  # the highlighted VM's plan is asked for, after the next refresh

    @property
    def highlighted(self) -> str | None:
        """The row under the cursor now (read from the table: its Highlighted message may still be on its way)."""
        tables = self.query("#vm-table")
        return tables.first(RowTable).cursor_key if tables else None

    def visible_keys(self) -> list[str]:
        """The VMs whose rows are on screen (their verdicts are made first)."""
        tables = self.query("#vm-table")
        return tables.first(RowTable).visible_keys() if tables else []

    def compose(self) -> ComposeResult:
        namespaces = self.model.session.namespaces
        columns = [c for c in COLUMNS if not (c.key == "namespace" and namespaces is not None and len(namespaces) == 1)]
        yield ClusterHeader()
        yield ConnectionBanner(id="banner")
        yield RowTable(columns, id="vm-table", empty_text="Listing VMs from the API server…")
        yield FilterField(
            id="filter", placeholder="filter by name, namespace, node or status; enter keeps it, esc clears it"
        )
        yield Static(id="vm-info", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        table = self.query_one(RowTable)
        table.sort_key = self.sort_column
        table.focus()
        self.show_view()

    # -- updates ---------------------------------------------------------------------------------

    def show_view(self) -> None:
        app = self.model
        table = self.query_one(RowTable)
        rows = app.vm_list.rows(self.filter_text, self.sort_column, self.sort_reverse, app.ledger.for_vm)
        table.empty_text = self._empty_text()
        table.set_rows(rows)
        sort = f"{SORT_LABELS[self.sort_column]} {'▼' if self.sort_reverse else '▲'}"
        shown = len(rows) if self.filter_text else None
        self.show_connection(app.header_facts(shown, sort, self.filter_text))
        self._show_info()
        self._refresh_keys()

    def _empty_text(self) -> str:
        app = self.model
        if self.filter_text and len(app.vm_list):
            return f'No VM matches the filter "{clean(self.filter_text)}" (esc clears it).'
        if app.connection.level == ConnectionStatus.STARTING:
            return "Listing VMs from the API server…"
        state = app.session.store.state("vms")
        if state.status == ConnectionStatus.FORBIDDEN:
            return f"VirtualMachines cannot be read: {clean(state.last_error)}"
        return "No VirtualMachines in " + clean(app.session.scope_text) + "."

    def _refresh_keys(self) -> None:
        # The footer is built again only when what it shows changes, not on every cursor move.
        states = (
            self.model.action_state(MIGRATE, self.highlighted)[0],
            self.model.action_state(ABORT, self.highlighted)[0],
        )
        if states != self._action_states:
            self._action_states = states
            self.refresh_bindings()

    # -- the line under the table ----------------------------------------------------------------

    def _show_info(self) -> None:
        self.query_one("#vm-info", Static).update(self.info_for(self.highlighted))

    def info_for(self, key: str | None) -> Content:
        """What the operator needs about the highlighted VM, in at most two lines."""
        app = self.model
        summary = app.vm_list.summaries.get(key) if key else None
        if summary is None:
            return Content("")
        name = clean(f"{summary.namespace}/{summary.name}")
        parts: list[str | tuple[str, str]] = [(name, "bold")]
        view = app.ledger.for_vm(key) if key else None
        if view is not None and not view.final:
            progress = view.progress
            state = progress.label
            if progress.byte_fraction is not None:
                state += f" {progress.byte_fraction * 100:.0f}%"
            parts += [
                " migrating ",
                (clean(f"{view.source or '?'} → {view.target or 'scheduler'}"), ""),
                f": {clean(state)}",
            ]
            if view.aborting:
                parts.append(", aborting")
            if view.remaining is not None:
                left = time_left(view.remaining, " before KubeVirt's timeout")
                parts += [", ", (f"⚠ {left}", "bold $text-warning") if view.low_on_time else left]
            if view.stalled:
                parts += [" ", (f"⚠ no progress for {int(view.stalled_for or 0)} s", "bold $text-warning")]
            elif progress.converging is False:
                parts += [" ", ("⚠ not converging", "bold $text-warning")]
        elif view is not None and view.final:
            parts += [" ", clean(view.progress.outcome_message)]
        elif is_pending(summary):
            parts += [f" ({clean(summary.status)})", " verdict pending: ", (app.pending_words(), "dim")]
            return Content.assemble(*parts, "\n", ("enter", "bold"), " details")
        elif summary.migratable and (blocker := self._full_check(key)):
            # The list's cheap check passed, but no node can take it: say so before m is pressed.
            parts += [" cannot migrate: ", (clean(blocker), "$text-warning")]
        elif summary.migratable:
            memory = human_bytes(summary.memory_bytes) if summary.memory_bytes is not None else "? memory"
            parts += [
                f" runs on {clean(summary.node) or '?'}",
                f", {memory}, CPU model {clean(summary.cpu_model)}",
            ]
        else:
            parts += [f" ({clean(summary.status)})", " cannot migrate: ", (clean(summary.reason), "$text-warning")]
        migrate_state, migrate_reason = app.action_state(MIGRATE, key)
        abort_state, abort_reason = app.action_state(ABORT, key)
        if app.readonly:
            parts += ["\n", ("read-only: ", "$text-warning"), "migrate and abort are off · enter: details"]
        elif view is not None and not view.final:
            if abort_state:
                parts += [
                    "\n",
                    ("a", "bold"),
                    " abort · ",
                    ("M", "bold"),
                    " all migrations · ",
                    ("enter", "bold"),
                    " details",
                ]
            else:
                parts += ["\n", ("✗ ", "$text-warning"), clean(abort_reason)]
        elif migrate_state and self._no_node_can_take(summary, key):
            # m still opens the picker, but there it can only show why each node cannot take the VM.
            parts += [
                "\n",
                ("✗ ", "$text-warning"),
                "No node can take it: ",
                ("m", "bold"),
                " shows each node's reasons, ",
                ("enter", "bold"),
                " the details.",
            ]
        elif migrate_state:
            parts += [
                "\n",
                ("m", "bold"),
                " choose a target node · ",
                ("enter", "bold"),
                " details and every node's verdict",
            ]
        else:
            parts += ["\n", ("✗ ", "$text-warning"), clean(migrate_reason)]
        return Content.assemble(*parts)

    def _no_node_can_take(self, summary: VMSummary, key: str | None) -> bool:
        """Whether the VM could move but no node can take it now (the list's check, else the full plan's)."""
        if not summary.migratable:
            return summary.reason_code == NO_ELIGIBLE_NODE
        return bool(self._full_check(key))

    def _full_check(self, key: str | None) -> str:
        """The first blocker the full plan finds for the highlighted VM ("" when it can move, or until
        the plan is made: right after the key or change that asked for it, and the line is shown again)."""
        if not key:
            return ""
        known = self.model.known_blocker(key)
        if known is None:
            if not self._checking:
                # After the screen shows where the cursor went: a key answers first, and keys typed
                # in a row ask for the plan of the VM they stopped on only.
                self._checking = True
                self.call_after_refresh(self._check_highlighted)
            return ""
        return known

    def _check_highlighted(self) -> None:
        self._checking = False
        key = self.highlighted
        if key and self.is_current and self.model.known_blocker(key) is None:
            self.model.first_blocker(key)
            self._show_info()

    # -- keys ------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "migrate":
            return self.model.action_state(MIGRATE, self.highlighted)[0]
        if action == "abort":
            return self.model.action_state(ABORT, self.highlighted)[0]
        return True

    def explain_unavailable(self, action: str) -> str:
        """Why a dimmed key does nothing (the app says it when the key is pressed)."""
        if action in ("migrate", "abort"):
            return self.model.action_state(MIGRATE if action == "migrate" else ABORT, self.highlighted)[1]
        return ""

    def action_migrate(self) -> None:
        self.livemig.begin_migration(self.highlighted)

    def action_abort(self) -> None:
        self.livemig.begin_abort(self.highlighted)

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.display = True
        # Focused now, not after the keys already waiting: those are the filter's text.
        self.set_focus(field)

    def action_clear_filter(self) -> None:
        field = self.query_one("#filter", Input)
        if not field.display and not self.filter_text:
            return
        field.value = ""
        field.display = False
        self.filter_text = ""
        self.set_focus(self.query_one(RowTable))
        self.show_view()

    def keep_filter(self) -> None:
        """Enter in the filter: keep its text (hide it when empty) and give the keys back to the list."""
        field = self.query_one("#filter", Input)
        self.filter_text = field.value.strip()
        if not self.filter_text:
            field.display = False
        self.set_focus(self.query_one(RowTable))
        self.show_view()

    def action_sort(self) -> None:
        # Only through the columns shown at this width: a sort by a hidden column looks like no order.
        shown = {column.key for column, _ in self.query_one(RowTable).visible_columns()}
        order = [key for key in SORTABLE if key in shown] or list(SORTABLE)
        current = SORTABLE.index(self.sort_column) if self.sort_column in SORTABLE else -1
        # The next shown column after the current one (which may itself be hidden now), round to the first.
        self.sort_by(next((key for key in order if SORTABLE.index(key) > current), order[0]))

    def action_reverse_sort(self) -> None:
        self.sort_by(self.sort_column, not self.sort_reverse)

    def sort_by(self, column: str, reverse: bool = False) -> None:
        self.sort_column, self.sort_reverse = column, reverse
        table = self.query_one(RowTable)
        table.sort_key, table.sort_reverse = column, reverse
        self.show_view()

    def set_filter(self, text: str) -> None:
        field = self.query_one("#filter", Input)
        field.value = text
        field.display = bool(text)
        self.filter_text = text.strip()
        self.show_view()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.filter_text = event.value.strip()
            self.show_view()

    def on_row_table_highlighted(self, message: RowTable.Highlighted) -> None:
        if message.key:
            self.livemig.ensure_permissions(message.key.partition("/")[0])
        self._show_info()
        self._refresh_keys()

    def on_row_table_selected(self, message: RowTable.Selected) -> None:
        self.livemig.open_vm(message.key)

    # -- command palette -------------------------------------------------------------------------

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        app = self.livemig
        commands: list[tuple[str, str, Any]] = []
        key = self.highlighted
        if key:
            name = key.partition("/")[2]
            if self.model.action_state(MIGRATE, key)[0]:
                commands.append((f"Migrate {name}", "Choose a target node, then confirm", self.action_migrate))
            if self.model.action_state(ABORT, key)[0]:
                commands.append(
                    (f"Abort the migration of {name}", "Asks first; the VM stays where it is", self.action_abort)
                )
            commands.append(
                (
                    f"Details of {name}",
                    "Every node's verdict, the time limit, CPU-model advice",
                    lambda: app.open_vm(key),
                )
            )
        commands.append(("Filter VMs", "By name, namespace, node or status", self.action_filter))
        if self.filter_text:
            commands.append(("Clear the filter", f"Now: {self.filter_text}", self.action_clear_filter))
        for column in SORTABLE:
            commands.append(
                (f"Sort by {SORT_LABELS[column]}", "Ascending; S reverses", lambda c=column: self.sort_by(c))
            )
        return commands
