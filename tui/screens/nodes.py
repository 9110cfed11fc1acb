"""The Nodes screen: every node with readiness, cordon, Harvester maintenance, host CPU model, VMs, free
memory and the migrations running in and out; keys to evacuate a node, cordon or uncordon it, and
abort the migrations of an evacuation started here that have not finished."""

from __future__ import annotations

from typing import Any, ClassVar, Protocol, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Footer, Static

from tui.cluster.access import Action
from tui.domain.units import human_bytes
from tui.screens.live import LiveApp, LiveScreen
from tui.view.evacuation import EvacuationBatches
from tui.view.model import READONLY_REASON
from tui.view.nodes import NodeLine, node_lines
from tui.view.table import Column, TableRow
from tui.widgets.banner import ConnectionBanner
from tui.widgets.header import ClusterHeader
from tui.widgets.literal import clean
from tui.widgets.row_table import RowTable

COLUMNS = (
    Column("node", "Node", 16, priority=0, flex=2),
    Column("state", "State", 9, priority=0),
    Column("maintenance", "Maint.", 9, priority=4),
    Column("cpu", "Host CPU", 10, priority=5, flex=1),
    Column("vms", "VMs", 3, priority=1, align="right"),
    Column("free", "Free mem", 9, priority=3, align="right"),
    Column("moving", "In/out", 6, priority=2, align="right"),
)


class NodesApp(LiveApp, Protocol):
    """What the Nodes screen asks of the app besides the live view."""

    @property
    def evacuations(self) -> EvacuationBatches: ...
    def begin_evacuation(self, node: str | None) -> None: ...
    def begin_cordon(self, node: str | None) -> None: ...
    def begin_abort_evacuation(self, node: str | None) -> None: ...
    def ensure_node_permissions(self) -> None: ...


def node_row(line: NodeLine) -> TableRow:
    state = Text(clean(line.state), style="" if line.state == "Ready" else "warning")
    moving = f"{line.inbound}/{line.outbound}" if line.inbound or line.outbound else "-"
    return TableRow(
        line.name,
        {
            "node": line.name,
            "state": state,
            "maintenance": line.maintenance or "-",
            "cpu": line.cpu or "-",
            "vms": str(line.vms),
            "free": human_bytes(line.free_memory) if line.free_memory is not None else "?",
            "moving": moving,
        },
        style="dim" if line.ready != "Ready" else "",
    )


class NodesScreen(LiveScreen):
    """Every node of the cluster, updated as it changes; the cursor stays on its node."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,N", "back", "Back", id="nodes.back"),
        Binding("e", "evacuate", "Evacuate", id="nodes.evacuate"),
        Binding("c", "cordon", "Cordon", id="nodes.cordon"),
        Binding("x", "abort_evacuation", "Abort batch", id="nodes.abort_evacuation"),
    ]

    def __init__(self) -> None:
        super().__init__(id="nodes")
        self._key_states: tuple[object, ...] = ()
        self._lines: dict[str, NodeLine] = {}  # as last shown

    @property
    def nodes_app(self) -> NodesApp:
        return cast(NodesApp, self.app)

    @property
    def highlighted(self) -> str | None:
        tables = self.query("#nodes-table")
        return tables.first(RowTable).cursor_key if tables else None

    def compose(self) -> ComposeResult:
        yield ClusterHeader()
        yield ConnectionBanner(id="banner")
        yield Static(id="nodes-title", markup=False)
        yield RowTable(COLUMNS, id="nodes-table", empty_text="No nodes known (they could not be read, or not yet).")
        yield Static(id="node-info", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(RowTable).focus()
        self.nodes_app.ensure_node_permissions()
        self.show_view()

    def show_view(self) -> None:
        model = self.model
        lines = node_lines(model.snapshot, model.ledger)
        self._lines = {line.name: line for line in lines}
        self.query_one(RowTable).set_rows([node_row(line) for line in lines])
        ready = sum(1 for line in lines if line.ready == "Ready")
        cordoned = sum(1 for line in lines if line.cordoned)
        self.query_one("#nodes-title", Static).update(
            Content.assemble(
                " Nodes: ",
                (str(len(lines)), "bold"),
                ", ",
                (str(ready), "bold"),
                " ready, ",
                (str(cordoned), "bold"),
                " cordoned",
            )
        )
        self.show_connection(model.header_facts())
        self._show_info()
        self._refresh_keys()

    def _refresh_keys(self) -> None:
        state = (self.highlighted, *(self.check_action(a, ()) for a in ("evacuate", "cordon", "abort_evacuation")))
        if state != self._key_states:
            self._key_states = state
            self.refresh_bindings()

    def _line(self) -> NodeLine | None:
        return self._lines.get(self.highlighted or "")

    def _show_info(self) -> None:
        line = self._line()
        info = self.query_one("#node-info", Static)
        if line is None:
            info.update("")
            return
        parts: list[str | tuple[str, str]] = [(clean(line.name), "bold"), ": ", clean(line.state)]
        if line.maintenance:
            parts += [", Harvester maintenance ", (clean(line.maintenance), "$text-warning")]
        parts += [f", {line.vms} VM{'s' if line.vms != 1 else ''}"]
        if line.inbound or line.outbound:
            parts += [f", {line.inbound} migrating in, {line.outbound} out"]
        unfinished = self.nodes_app.evacuations.unfinished(line.name, self.model.ledger)
        batch = self.nodes_app.evacuations.batch(line.name)
        if batch is not None:
            parts += [
                "\n",
                ("Evacuation: ", "$text-muted"),
                f"{len(batch.migrations)} migration{'s' if len(batch.migrations) != 1 else ''} started here, "
                f"{len(unfinished)} not finished",
            ]
        info.update(Content.assemble(*parts))

    # -- keys ------------------------------------------------------------------------------------

    def action_state(self, action: str) -> tuple[bool | None, str]:
        """Whether a key applies to the highlighted node now (True, None dimmed, False hidden), and why not."""
        model = self.model
        node = self.highlighted
        if node is None:
            return None, "No node is selected."
        if action == "evacuate" and model.readonly:
            return True, ""  # the plan can be read; it cannot be carried out
        if model.readonly:  # dimmed, not hidden: the key still says why it does nothing
            return None, f"{READONLY_REASON}: it changes nothing."
        if model.connection.stale:
            return None, "The connection to the API server is lost; wait until it is back (see the banner)."
        if action == "cordon":
            permission = model.permission(Action.CORDON, "")
            if permission is not None and not permission.allowed:
                return None, f"Not allowed: {permission.reason}."
            return True, ""
        if action == "abort_evacuation":
            if not self.nodes_app.evacuations.unfinished(node, model.ledger):
                return None, f"No evacuation of {node} started here has a migration left to abort."
            return True, ""
        return True, ""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("evacuate", "cordon", "abort_evacuation"):
            return self.action_state(action)[0]
        return True

    def explain_unavailable(self, action: str) -> str:
        return self.action_state(action)[1] if action in ("evacuate", "cordon", "abort_evacuation") else ""

    def action_evacuate(self) -> None:
        self.nodes_app.begin_evacuation(self.highlighted)

    def action_cordon(self) -> None:
        self.nodes_app.begin_cordon(self.highlighted)

    def action_abort_evacuation(self) -> None:
        self.nodes_app.begin_abort_evacuation(self.highlighted)

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_row_table_highlighted(self, message: RowTable.Highlighted) -> None:
        self._show_info()
        self._refresh_keys()

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        commands: list[tuple[str, str, Any]] = [("Back to the VM list", "", self.action_back)]
        node = self.highlighted
        if node is None:
            return commands
        if self.check_action("evacuate", ()):
            commands.append((f"Evacuate node {node}", "Shows the plan first, then asks", self.action_evacuate))
        if self.check_action("cordon", ()):
            line = self._line()
            word = "Uncordon" if line is not None and line.cordoned else "Cordon"
            commands.append((f"{word} node {node}", "spec.unschedulable, as kubectl does", self.action_cordon))
        if self.check_action("abort_evacuation", ()):
            commands.append(
                (
                    f"Abort the evacuation of {node}",
                    "Its migrations not yet finished; asks first",
                    self.action_abort_evacuation,
                )
            )
        return commands
