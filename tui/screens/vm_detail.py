"""One VM up close: whether it can move and why not, its time limit, every node's verdict, CPU-model advice."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Footer, Static

from tui.cluster.access import ABORT, MIGRATE
from tui.domain.cpu import host_model_of
from tui.domain.placement.cpu_advice import cpu_model_advice
from tui.domain.plan import PINNING_ADDED_NODE_SELECTOR, Plan
from tui.domain.queue import queue_hold, waiting_evacuations
from tui.domain.reasons import SOURCE_NODE
from tui.domain.units import human_bytes, human_duration
from tui.messages import ViewUpdated
from tui.screens import cpu_model
from tui.screens.live import LiveScreen
from tui.screens.node_picker import free_memory, node_state, verdict_text
from tui.view.progress_cell import time_left
from tui.view.table import Column, TableRow
from tui.widgets.banner import ConnectionBanner
from tui.widgets.cautions import caution_lines
from tui.widgets.caveats import caveat_lines
from tui.widgets.header import ClusterHeader
from tui.widgets.history_pane import HistoryPane
from tui.widgets.literal import clean
from tui.widgets.row_table import RowTable
from tui.widgets.scroll_pane import ScrollPane

COLUMNS = (
    Column("node", "Node", 12, priority=0, flex=2),
    Column("state", "State", 9, priority=2, flex=1),
    Column("cpu", "Host CPU", 9, priority=3, flex=1),
    Column("free", "Free mem", 9, priority=4, align="right"),
    Column("vms", "VMs", 4, priority=5, align="right"),
    Column("verdict", "Verdict", 16, priority=0, flex=2),
)


class VMDetailScreen(LiveScreen):
    """The plan for one VM, live."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="detail.back"),
        Binding("m", "migrate", "Migrate", id="detail.migrate"),
        Binding("a", "abort", "Abort", id="detail.abort"),
        # Not in the footer (no room at 80 columns): the CPU-model advice line names the key.
        Binding("c", "cpu_model", "CPU model", show=False, id="detail.cpu_model"),
        # The reasons under the table can be longer than the room left for them: tab reaches them.
        Binding("tab", "app.focus_next", "Reasons", id="detail.reasons"),
        # What came before: the VM's migrations still in the cluster and its recent events, in place of the nodes.
        Binding("h", "history", "History", id="detail.history"),
    ]

    def __init__(self, vm_key: str) -> None:
        super().__init__(id="vm-detail")
        self.vm_key = vm_key
        self.plan: Plan | None = None
        self._states: tuple = ()

    def compose(self) -> ComposeResult:
        yield ClusterHeader()
        yield ConnectionBanner(id="banner")
        yield Static(id="detail-summary", markup=False)
        yield RowTable(COLUMNS, id="detail-nodes", empty_text="No nodes known.")
        with ScrollPane(id="detail-node-scroll"):
            yield Static(id="detail-node", markup=False)
        yield HistoryPane(id="detail-history-scroll")
        yield Static(id="detail-advice", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(RowTable).focus()
        self.livemig.ensure_permissions(self.vm_key.partition("/")[0])
        self.show_view()

    def show_vm(self, vm_key: str) -> None:
        """Show another VM (or the same one again) on this screen."""
        if vm_key == self.vm_key:
            return
        self.vm_key = vm_key
        self.livemig.ensure_permissions(vm_key.partition("/")[0])
        self.show_view()
        self.query_one(RowTable).action_first()

    def concerns(self, message: ViewUpdated) -> bool:
        return message.vm_keys is None or self.vm_key in message.vm_keys or message.connection or not message.vm_keys

    def show_view(self) -> None:
        app = self.model
        self.plan = app.plan(self.vm_key)
        self.show_connection(app.header_facts())
        self.query_one("#detail-summary", Static).update(self.summary())
        table = self.query_one(RowTable)
        rows = self.node_rows()
        table.set_rows(rows)
        table.styles.max_height = len(rows) + 1  # the header and every node: more would stay blank
        self._show_node(table.cursor_key)
        self.query_one("#detail-advice", Static).update(self.advice())
        self.query_one(HistoryPane).show(app.snapshot, self.vm_key, app.session.now(), _transport_of(app.session))
        states = (app.action_state(MIGRATE, self.vm_key)[0], app.action_state(ABORT, self.vm_key)[0])
        if states != self._states:
            self._states = states
            self.refresh_bindings()

    # -- content ---------------------------------------------------------------------------------

    def summary(self) -> Content:
        plan = self.plan
        if plan is None:
            return Content.assemble((clean(self.vm_key), "bold"), " is gone from the cluster.")
        app = self.model
        summary = app.vm_list.summaries.get(self.vm_key)
        memory = human_bytes(summary.memory_bytes) if summary is not None and summary.memory_bytes is not None else "?"
        status = summary.status if summary is not None else ("Running" if plan.running else "Not running")
        parts: list[str | tuple[str, str]] = [
            (clean(f"{plan.namespace}/{plan.name}"), "bold"),
            f" · {clean(status)}",
            f" on {clean(plan.node)}" if plan.node else "",
            f" · CPU model {clean(plan.cpu_model)} · {memory}",
            "\n",
        ]
        if plan.migratable:
            eligible = [v.node for v in plan.nodes if v.eligible]
            cautioned = plan.cautioned_nodes
            parts += [
                ("✓ Migratable", "bold $text-success"),
                clean(f": {len(eligible)} of {len(plan.nodes) - 1} other nodes can take it"),
                clean(f", {cautioned} with a caution." if cautioned else "."),
            ]
            for reason in plan.warnings:
                parts += ["\n  ", ("⚠ ", "bold $text-warning"), clean(reason.message)]
        else:
            parts += [("✗ Not migratable:", "bold $text-error")]
            for reason in plan.blockers:
                parts += ["\n  • ", (clean(reason.code), "bold"), ": ", clean(reason.message)]
        budget = plan.completion_budget
        if budget is not None:
            parts += [
                "\n",
                ("Time limit ", "$text-muted"),
                (clean(budget.text()), "bold"),
                (f", from {clean(budget.source_detail)}" if budget.source_detail else "", "$text-muted"),
                f"; {human_duration(budget.progress_timeout)} without progress also aborts it",
            ]
        if plan.target_pinning != PINNING_ADDED_NODE_SELECTOR:
            parts += ["\n", ("◐ ", "$text-warning"), clean(plan.target_pinning_reason)]
        view = app.ledger.for_vm(self.vm_key)
        if view is not None:
            parts += ["\n", ("Migration ", "$text-muted"), (clean(view.name), "bold"), ": "]
            if view.final:
                parts.append(clean(view.progress.outcome_message))
            else:
                migration = app.snapshot.migrations.get(view.key)
                hold = queue_hold(app.snapshot, migration) if migration is not None else None
                parts.append(clean(hold.text if hold is not None else view.progress.label))
                if view.origin is not None and view.origin.by_kubevirt:
                    parts += [", ", (clean(view.origin.sentence), "$text-warning")]
                if view.aborting:
                    parts.append(", abort requested")
                if view.remaining is not None:
                    left = time_left(view.remaining, " before KubeVirt's timeout")
                    parts += [", ", (f"⚠ {left}", "bold $text-warning") if view.low_on_time else left]
                if view.stalled:
                    parts += [" ", (f"⚠ no progress for {int(view.stalled_for or 0)} s", "bold $text-warning")]
                elif view.progress.converging is False:
                    parts += [" ", ("⚠ not converging", "bold $text-warning")]
        waiting = next((w for w in waiting_evacuations(app.snapshot) if w.vmi.meta.key == self.vm_key), None)
        if waiting is not None:
            parts += [
                "\n",
                ("Evacuation ", "$text-muted"),
                clean(f"from {waiting.node} (a drain): KubeVirt has not created its migration yet"),
                clean(f", {waiting.hold.text}") if waiting.hold is not None else "",
            ]
        return Content.assemble(*parts)

    def node_rows(self) -> list[TableRow]:
        plan = self.plan
        if plan is None:
            return []
        snapshot = self.model.snapshot
        rows = []
        for verdict in sorted(plan.nodes, key=lambda v: (v.node != plan.node, not v.eligible, v.node)):
            source = any(reason.code == SOURCE_NODE for reason in verdict.reasons)
            rows.append(
                TableRow(
                    verdict.node,
                    {
                        "node": verdict.node,
                        "state": node_state(snapshot, verdict.node),
                        "cpu": host_model_of(snapshot.nodes[verdict.node]) if verdict.node in snapshot.nodes else "",
                        "free": free_memory(snapshot, verdict.node),
                        "vms": str(len(snapshot.vmis_on(verdict.node))),
                        "verdict": Text("● runs here", style="accent") if source else verdict_text(verdict),
                    },
                    style="" if verdict.eligible or source else "dim",
                )
            )
        return rows

    def _show_node(self, key: str | None) -> None:
        widget = self.query_one("#detail-node", Static)
        plan = self.plan
        verdict = next((v for v in plan.nodes if v.node == key), None) if plan is not None and key else None
        if verdict is None:
            widget.update("")
            return
        node = clean(verdict.node)
        if any(reason.code == SOURCE_NODE for reason in verdict.reasons):
            widget.update(Content.assemble(("● ", "$text-accent"), (node, "bold"), ": the VM runs here now."))
            return
        if verdict.eligible:
            note = "" if verdict.resources_checked else " (free CPU and memory not checked: pods not readable)"
            widget.update(
                Content.assemble(
                    ("✓ ", "$text-success"),
                    (node, "bold"),
                    f" can take it{note}.",
                    *caution_lines(verdict.cautions),
                    *caveat_lines(verdict.unchecked),
                )
            )
            return
        parts: list[str | tuple[str, str]] = [("✗ ", "$text-error"), (node, "bold"), " cannot take it:"]
        for reason in verdict.reasons:
            parts += ["\n• ", (clean(reason.code), "bold"), ": ", clean(reason.message)]
        widget.update(Content.assemble(*parts))

    def advice(self) -> Content:
        plan = self.plan
        vmi = self.model.snapshot.vmis.get(self.vm_key)
        if plan is None or vmi is None or not plan.running:
            return Content("")
        try:
            advice = cpu_model_advice(self.model.snapshot, vmi)
        except Exception:  # advice is a bonus: the screen must not fail for it
            return Content("")
        reach = ", ".join(advice.reachable_now) or "no node"
        parts: list[str | tuple[str, str]] = [
            ("CPU model ", "$text-muted"),
            (clean(advice.current_model), "bold"),
            clean(f" reaches {reach}."),
        ]
        better = [o for o in advice.options if len(o.reachable) > len(advice.reachable_now)]
        if better:
            best = better[0]
            parts += [
                " With model ",
                (clean(best.model), "bold"),
                clean(f" it could reach {', '.join(best.reachable)}"),
                (" (after a restart).", "$text-muted"),
            ]
            if not cpu_model.unavailable(self.app, self.vm_key):
                parts += [" ", ("c", "bold"), " sets it."]
        return Content.assemble(*parts)

    # -- keys ------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "migrate":
            return self.model.action_state(MIGRATE, self.vm_key)[0]
        if action == "abort":
            return self.model.action_state(ABORT, self.vm_key)[0]
        if action == "cpu_model":
            return None if cpu_model.unavailable(self.app, self.vm_key) else True
        return True

    def explain_unavailable(self, action: str) -> str:
        if action in ("migrate", "abort"):
            return self.model.action_state(MIGRATE if action == "migrate" else ABORT, self.vm_key)[1]
        if action == "cpu_model":
            return cpu_model.unavailable(self.app, self.vm_key)
        return ""

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_history(self) -> None:
        """Show the history and events in place of the nodes, or the nodes again."""
        pane = self.query_one(HistoryPane)
        shown = not pane.display
        pane.display = shown
        self.query_one(RowTable).display = not shown
        self.query_one("#detail-node-scroll", ScrollPane).display = not shown
        if shown:
            pane.read_events()
            pane.to_top()
            pane.focus()
        else:
            self.query_one(RowTable).focus()

    def action_migrate(self) -> None:
        self.livemig.begin_migration(self.vm_key)

    def action_abort(self) -> None:
        self.livemig.begin_abort(self.vm_key)

    def action_cpu_model(self) -> None:
        cpu_model.begin_cpu_model_change(self.app, self.vm_key)

    def on_row_table_highlighted(self, message: RowTable.Highlighted) -> None:
        self._show_node(message.key)
        self.query_one("#detail-node-scroll", ScrollPane).to_top()  # another node's reasons, from their first

    def on_row_table_selected(self, message: RowTable.Selected) -> None:
        message.stop()

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        name = self.vm_key.partition("/")[2]
        commands: list[tuple[str, str, Any]] = [("Back to the VM list", "", self.action_back)]
        commands.append((f"History and events of {name}", "Its migrations still in the cluster", self.action_history))
        if self.model.action_state(MIGRATE, self.vm_key)[0]:
            commands.append((f"Migrate {name}", "Choose a target node, then confirm", self.action_migrate))
        if self.model.action_state(ABORT, self.vm_key)[0]:
            commands.append((f"Abort the migration of {name}", "Asks first", self.action_abort))
        if not cpu_model.unavailable(self.app, self.vm_key):
            commands.append(
                (f"Set the CPU model of {name}", "Takes effect at its restart; asks first", self.action_cpu_model)
            )
        return commands


def _transport_of(session: object) -> object | None:
    """The API connection of a real session (a stand-in session has none: events are then unavailable)."""
    return getattr(session, "transport", None)
