"""The node picker: where a VM may go, the scheduler's choice first, every other node with its verdict.

Ineligible nodes stay in the list so their reasons can be read (all of them, in the detail lines
under the table, which tab reaches to scroll) but cannot be chosen: enter on one rings the bell and
the key line says why, with no toast over the reasons. On a KubeVirt that cannot pin a target (older than 1.6) the
picker says so and only the scheduler can be chosen. Dismisses with "" for the scheduler, a node
name, or None when cancelled.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from tui.domain.cpu import host_model_of
from tui.domain.placement import NodeVerdict
from tui.domain.plan import PINNING_ADDED_NODE_SELECTOR, Plan
from tui.domain.scheduling import node_usage
from tui.domain.snapshot import ClusterSnapshot
from tui.domain.units import human_bytes
from tui.messages import ViewUpdated
from tui.screens.live import live_app
from tui.screens.question import Question
from tui.view.model import LiveView
from tui.view.table import Column, TableRow
from tui.widgets.cautions import caution_lines
from tui.widgets.caveats import caveat_lines
from tui.widgets.dialog_keys import DialogKeys
from tui.widgets.literal import clean
from tui.widgets.row_table import RowTable
from tui.widgets.scroll_pane import ScrollPane

SCHEDULER = "@scheduler"  # no node name has an "@"
UNREAD_NODES = "The nodes could not be read (your rights do not reach them): the Kubernetes scheduler chooses one."

COLUMNS = (
    Column("node", "Node", 16, priority=0, flex=1),
    Column("state", "State", 9, priority=2),
    Column("cpu", "Host CPU", 8, priority=3, flex=1),
    Column("free", "Free mem", 9, priority=4, align="right"),
    Column("vms", "VMs", 3, priority=5, align="right"),
    Column("verdict", "Verdict", 14, priority=0, flex=2),
)


def node_state(snapshot: ClusterSnapshot, name: str) -> str:
    """ "Ready", "NotReady", "Unknown"; "cordoned" for a Ready node with spec.unschedulable."""
    node = snapshot.nodes.get(name)
    if node is None:
        return "gone"
    state = "Ready" if node.ready is True else "NotReady" if node.ready is False else "Unknown"
    if node.unschedulable:
        state = "cordoned" if node.ready is True else f"{state}, cordoned"
    return state


def free_memory(snapshot: ClusterSnapshot, name: str) -> str:
    node = snapshot.nodes.get(name)
    if node is None or node.allocatable_memory is None or not snapshot.pods_known:
        return "?"
    used = node_usage(snapshot.pods_on(name)).memory
    return human_bytes(max(node.allocatable_memory - used, 0))


def verdict_text(verdict: NodeVerdict) -> Text:
    if verdict.eligible and verdict.cautions:
        return Text("⚠ eligible, caution", style="warning")
    if verdict.eligible:
        return Text("✓ eligible", style="ok")
    codes = list(dict.fromkeys(reason.code for reason in verdict.reasons))
    return Text("✗ " + ", ".join(codes), style="error")


KEYS = Content.assemble(
    ("enter", "bold"),
    " choose  ",
    ("esc", "bold"),
    " cancel  ",
    ("↑↓", "bold"),
    " each node's reasons  ",
    ("tab", "bold"),
    " scroll them",
)


class NodePickerScreen(Question["str | None"]):
    """Choose where `namespace/vm` goes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("enter", "choose", "Choose", id="picker.choose"),
    ]

    def __init__(self, plan: Plan, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.plan = plan
        self.refusal: Content | None = None  # why enter chose nothing, until the cursor moves

    @property
    def model(self) -> LiveView:
        return live_app(self).live

    @property
    def vm_key(self) -> str:
        return f"{self.plan.namespace}/{self.plan.name}"

    @property
    def pinning(self) -> bool:
        return self.plan.target_pinning == PINNING_ADDED_NODE_SELECTOR

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-dialog", classes="dialog"):
            yield Static(id="picker-title", classes="dialog-title", markup=False)
            yield Static(id="picker-note", markup=False)
            yield RowTable(COLUMNS, id="picker-table", empty_text="No nodes known.")
            with ScrollPane(id="picker-detail-scroll"):
                yield Static(id="picker-detail", markup=False)
        yield DialogKeys(KEYS, id="picker-keys")

    def on_mount(self) -> None:
        self._show()
        table = self.query_one(RowTable)
        table.focus()

    def on_view_updated(self, message: ViewUpdated) -> None:
        if message.vm_keys is None or self.vm_key in message.vm_keys or message.connection:
            fresh = self.model.plan(self.vm_key)
            if fresh is not None:
                self.plan = fresh
                self._show()

    # -- showing ---------------------------------------------------------------------------------

    def _verdicts(self) -> list[NodeVerdict]:
        others = [v for v in self.plan.nodes if v.node != self.plan.node]
        return sorted(others, key=lambda v: (not v.eligible, v.node))

    def _show(self) -> None:
        plan, snapshot = self.plan, self.model.snapshot
        source = plan.node or "?"
        self.query_one("#picker-title", Static).update(
            Content.assemble(
                "Migrate ", (clean(f"{plan.namespace}/{plan.name}"), "bold"), " from ", (clean(source), "bold"), " to…"
            )
        )
        verdicts = self._verdicts()
        eligible = [v for v in verdicts if v.eligible]
        note = self.query_one("#picker-note", Static)
        if not self.nodes_known:
            note.update(Content.assemble(("⚠ ", "$text-warning"), UNREAD_NODES))
            note.display = True
        elif not self.pinning:
            note.update(
                Content.assemble(
                    ("⚠ ", "$text-warning"), clean(plan.target_pinning_reason), " Only the scheduler can be chosen."
                )
            )
            note.display = True
        elif not eligible:
            note.update(
                Content.assemble(
                    ("✗ ", "$text-error"), "No node can take this VM now; the reasons are listed under each node."
                )
            )
            note.display = True
        else:
            note.display = False
        rows = [
            TableRow(
                SCHEDULER,
                {"verdict": self._scheduler_verdict(eligible)},
                span=Text("any eligible node (the scheduler decides)", style="bold"),
            )
        ]
        for verdict in verdicts:
            choosable = verdict.eligible and self.pinning
            rows.append(
                TableRow(
                    verdict.node,
                    {
                        "node": verdict.node,
                        "state": node_state(snapshot, verdict.node),
                        "cpu": host_model_of(snapshot.nodes[verdict.node]) if verdict.node in snapshot.nodes else "",
                        "free": free_memory(snapshot, verdict.node),
                        "vms": str(len(snapshot.vmis_on(verdict.node))),
                        "verdict": verdict_text(verdict),
                    },
                    style="" if choosable else "dim",
                )
            )
        table = self.query_one(RowTable)
        table.set_rows(rows)
        self._show_detail(table.cursor_key)

    def on_row_table_highlighted(self, message: RowTable.Highlighted) -> None:
        self._refuse(None)
        self._show_detail(message.key)
        self.query_one("#picker-detail-scroll", ScrollPane).to_top()  # another node's reasons, from their first

    def _refuse(self, why: Content | None) -> None:
        """Say on the key line why enter chose nothing (None: the keys again); a bell with it."""
        if why is not None:
            self.app.bell()
        self.refusal = why
        self.query_one("#picker-keys", DialogKeys).update(KEYS if why is None else why)

    def _show_detail(self, key: str | None) -> None:
        detail = self.query_one("#picker-detail", Static)
        plan = self.plan
        vm = clean(plan.name)
        if key is None:
            detail.update("")
            return
        if key == SCHEDULER:
            eligible = [v.node for v in self._verdicts() if v.eligible]
            if not self.nodes_known:
                text = Content(UNREAD_NODES)
            elif eligible:
                unchecked = next((v.unchecked for v in self._verdicts() if v.unchecked), ())
                cautioned = [v.node for v in self._verdicts() if v.eligible and v.cautions]
                caution = (
                    [
                        f"{', '.join(cautioned)} {'has a caution: see its row' if len(cautioned) == 1 else 'have cautions: see their rows'}."
                    ]
                    if cautioned
                    else []
                )
                text = Content.assemble(
                    "The Kubernetes scheduler picks one of: ",
                    (clean(", ".join(eligible)), "bold"),
                    ".",
                    *caution_lines(caution),
                    *caveat_lines(unchecked),
                )
            else:
                text = Content("No node can take the VM now: the scheduler would find none.")
            detail.update(text)
            return
        verdict = next((v for v in plan.nodes if v.node == key), None)
        if verdict is None:
            detail.update(Content(f"{clean(key)} is gone."))
            return
        node = clean(verdict.node)
        if verdict.eligible:
            parts: list[str | tuple[str, str]] = [("✓ ", "$text-success"), (node, "bold"), f" can take {vm}."]
            if not verdict.resources_checked:
                parts.append(" Free CPU and memory were not checked (pods not readable).")
            if not self.pinning:
                parts.append(" This cluster cannot send a migration to a chosen node: choose the scheduler.")
            parts += caution_lines(verdict.cautions)
            parts += caveat_lines(verdict.unchecked)
            detail.update(Content.assemble(*parts))
            return
        lines: list[str | tuple[str, str]] = [("✗ ", "$text-error"), (node, "bold"), f" cannot take {vm}:"]
        for reason in verdict.reasons:
            lines += ["\n• ", (clean(reason.code), "bold"), ": ", clean(reason.message)]
        detail.update(Content.assemble(*lines))

    # -- choosing --------------------------------------------------------------------------------

    def action_choose(self) -> None:
        self.choose(self.query_one(RowTable).cursor_key)

    def on_row_table_selected(self, message: RowTable.Selected) -> None:
        # Enter reaches the table in order with the cursor keys typed before it, so the row is the one shown.
        message.stop()
        self.choose(message.key)

    @property
    def nodes_known(self) -> bool:
        """False when the nodes could not be read: nothing is known of them, so only the scheduler is offered."""
        return self.model.snapshot.nodes_known

    def _scheduler_verdict(self, eligible: list) -> Text:
        if not self.nodes_known:
            return Text("? nodes unknown", style="warning")
        return Text(f"✓ {len(eligible)} eligible", style="ok") if eligible else Text("✗ none eligible", style="error")

    def choose(self, key: str | None) -> None:
        """Answer with the node of row `key`, if it can be chosen; else say why not."""
        if key is None or self.answered:
            return
        if key == SCHEDULER:
            if self.nodes_known and not any(v.eligible for v in self.plan.nodes):
                self._refuse(self._refusal_text("No node can take this VM now: nothing to choose."))
                return
            self.answer("")
            return
        verdict = next((v for v in self.plan.nodes if v.node == key), None)
        if verdict is None:
            self._refuse(self._refusal_text(f"{key} is gone."))
            return
        if not verdict.eligible:
            self._refuse(self._refusal_text(f"{key} cannot take it: its reasons are above."))
            return
        if not self.pinning:
            self._refuse(self._refusal_text("Only the scheduler can be chosen here (see the note at the top)."))
            return
        self.answer(key)

    @staticmethod
    def _refusal_text(why: str) -> Content:
        return Content.assemble(("✗ ", "$text-error"), clean(why), "  ", ("esc", "bold"), " cancel")

    def action_cancel(self) -> None:
        self.answer(None)
