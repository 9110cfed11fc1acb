"""The migrations screen: every running migration with its bar, phase, route, elapsed time and the time
left before KubeVirt's completion timeout; the ones KubeVirt's parallel limits hold back read "Queued"
with the limit, and VMs a drain marked for evacuation wait beside them; then the finished ones still in
the cluster and those finished since livemig started, with outcomes and who started each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Footer, Static

from tui.cluster.access import ABORT
from tui.cluster.metrics import AVAILABLE, UNAVAILABLE
from tui.domain.phases import Outcome
from tui.domain.queue import QueueHold, WaitingEvacuation, queue_hold, waiting_evacuations
from tui.domain.units import human_bytes, human_duration
from tui.screens.live import LiveScreen
from tui.view.ledger import MigrationView
from tui.view.progress_cell import (
    bar,
    copied_percent,
    countdown,
    outcome_text,
    time_left,
)
from tui.view.table import Column, FittedCell, TableRow
from tui.widgets.banner import ConnectionBanner
from tui.widgets.header import ClusterHeader
from tui.widgets.literal import clean
from tui.widgets.row_table import RowTable

COLUMNS = (
    Column("name", "VM", 14, priority=0, flex=2),
    Column("namespace", "Namespace", 10, priority=5, flex=1),
    Column("progress", "Progress", 13, priority=0),
    Column("phase", "Phase", 14, priority=3, flex=1),  # "Not converging" whole at 80 columns
    Column("route", "Source → target", 22, priority=2, flex=2),
    Column("elapsed", "Elapsed", 7, priority=4, align="right"),
    Column("left", "Time left", 9, priority=1, align="right"),
    Column("by", "Started by", 11, priority=6),
)
WAITING_PREFIX = "evacuation:"  # the key of a row for a VM waiting for its evacuation migration


@dataclass(frozen=True)
class RouteCell(FittedCell):
    """ "source → target" in the room its column has: the target, the main fact, whole; the source
    shortened first, from its start, since node names differ at their ends ("…node-1 → harvester-node-3")."""

    source: str
    target: str

    @property
    def plain(self) -> str:
        return f"{self.source or '?'} → {self.target or 'scheduler'}"

    def fit(self, width: int) -> Text:
        source, target = clean(self.source) or "?", clean(self.target) or "scheduler"
        arrow = " → "
        room = width - len(arrow) - len(target)
        if room >= len(source):
            return Text(f"{source}{arrow}{target}")
        if room >= 2:
            return Text(f"…{source[len(source) - room + 1 :]}{arrow}{target}")
        # Not even the target fits whole beside a sign of the source: its end says which node it is.
        room = max(width - len("…" + arrow), 1)
        return Text(f"…{arrow}…{target[-room + 1 :]}" if room > 1 else "…")


def warned(view: MigrationView) -> bool:
    """A running migration in trouble: stalled, not converging, or low on time."""
    return not view.final and (view.stalled or view.low_on_time or view.progress.converging is False)


def progress_cell(view: MigrationView) -> Text:
    """Bytes when known, else the phase step: "███▌░░░░ 45%", "█░░░░░░░ 3/8"; in trouble "⚠ ███▌░░ 45%"
    (the sign, not only the colour, says so: 16-colour and NO_COLOR terminals lose nothing)."""
    progress = view.progress
    if view.final:
        return outcome_text(progress.outcome)
    # The bar and the number beside it measure one thing: the memory copied, else the phase steps.
    if percent := copied_percent(progress):
        amount, filled = percent.rjust(4), min(max(progress.byte_fraction or 0.0, 0.0), 1.0)
    elif progress.step is not None and progress.total_steps:
        amount, filled = f"{progress.step}/{progress.total_steps}", progress.step / progress.total_steps
    else:
        amount, filled = "?", 0.0
    if warned(view):
        return Text(f"⚠ {bar(filled, 6)} {amount:>4}", style="warning")
    return Text(f"{bar(filled, 8)} {amount:>4}", style="accent")


def phase_cell(view: MigrationView, hold: QueueHold | None = None) -> Text:
    """KubeVirt's phase, or what is wrong with it in a word: "Aborting", "Stalled", "Not converging", "Queued"."""
    progress = view.progress
    if view.final:
        return Text(clean(progress.phase or "New"))
    if view.aborting:
        return Text("Aborting", style="warning")
    if hold is not None:
        return Text("Queued")
    if view.stalled:
        return Text("Stalled", style="warning")
    if progress.converging is False:
        return Text("Not converging", style="warning")
    return Text(clean(progress.phase or "New"))


def time_left_cell(view: MigrationView, hold: QueueHold | None = None) -> Text:
    if view.final:
        return Text("-", style="dim")
    if view.aborting:
        return Text("aborting…", style="warning")
    if hold is not None:
        return Text("queued", style="dim")
    if view.remaining is None:
        if view.budget is not None and not view.budget.limited:
            return Text("no limit", style="dim")
        return Text("not started", style="dim")
    text = countdown(view.remaining)
    if view.low_on_time:
        return Text(f"⚠ {text}", style="warning bold")
    return Text(text)


def migration_row(view: MigrationView, hold: QueueHold | None = None) -> TableRow:
    progress = view.progress
    return TableRow(
        view.key,
        {
            "name": view.vm,
            "namespace": view.namespace,
            "progress": progress_cell(view),
            "phase": phase_cell(view, hold),
            "route": RouteCell(view.source, view.target),
            "elapsed": countdown(view.elapsed) if view.elapsed is not None else "",
            "left": time_left_cell(view, hold),
            "by": view.origin.short if view.origin is not None else "",
        },
        style="dim" if view.final and progress.outcome == Outcome.SUCCEEDED else "",
    )


def _sentence(text: str) -> str:
    """The first letter up, the rest as it is (node names keep their case)."""
    return text[:1].upper() + text[1:]


def waiting_row(waiting: WaitingEvacuation) -> TableRow:
    """A VM a drain marked whose evacuation migration KubeVirt has not created yet."""
    vmi = waiting.vmi
    return TableRow(
        f"{WAITING_PREFIX}{vmi.meta.key}",
        {
            "name": vmi.name,
            "namespace": vmi.namespace,
            "progress": Text("… waiting", style="dim"),
            "phase": Text("Queued"),
            "route": RouteCell(waiting.node, ""),
            "elapsed": "",
            "left": Text("queued", style="dim"),
            "by": "evacuation",
        },
    )


def waiting_detail(waiting: WaitingEvacuation) -> Content:
    vmi = waiting.vmi
    parts: list[str | tuple[str, str]] = [
        (clean(vmi.meta.key), "bold"),
        clean(f" is being evacuated from {waiting.node} (a drain): "),
    ]
    if waiting.hold is not None:
        parts += [(clean(waiting.hold.text), "bold"), "; KubeVirt creates its migration when a place frees."]
    else:
        parts.append("KubeVirt's evacuation controller creates its migration within seconds.")
    return Content.assemble(*parts)


class MigrationsScreen(LiveScreen):
    """Running migrations, then the ones that ended since livemig started."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # M opened it and M closes it: said as what it does here, not "Migrations".
        Binding("escape,M", "back", "Back", id="migrations.back"),
        Binding("a", "abort", "Abort", id="migrations.abort"),
    ]

    def __init__(self) -> None:
        super().__init__(id="migrations")
        self._abort_state: tuple = ()
        self._holds: dict[str, QueueHold] = {}
        self._waiting: dict[str, WaitingEvacuation] = {}

    @property
    def highlighted(self) -> str | None:
        """The row under the cursor now (read from the table: its Highlighted message may still be on its way)."""
        tables = self.query("#migrations-table")
        return tables.first(RowTable).cursor_key if tables else None

    def compose(self) -> ComposeResult:
        yield ClusterHeader()
        yield ConnectionBanner(id="banner")
        yield Static(id="migrations-title", markup=False)
        yield RowTable(
            COLUMNS, id="migrations-table", empty_text="No migration is running, and none ended since livemig started."
        )
        yield Static(id="migration-detail", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(RowTable).focus()
        self.show_view()

    def show_view(self) -> None:
        app = self.model
        running_views, finished_views = app.ledger.cluster_views()
        snapshot = app.snapshot
        self._holds = {}
        for view in running_views:
            migration = snapshot.migrations.get(view.key)
            hold = queue_hold(snapshot, migration) if migration is not None else None
            if hold is not None:
                self._holds[view.key] = hold
        self._waiting = {f"{WAITING_PREFIX}{w.vmi.meta.key}": w for w in waiting_evacuations(snapshot)}
        table = self.query_one(RowTable)
        table.set_rows(
            [migration_row(view, self._holds.get(view.key)) for view in running_views]
            + [waiting_row(waiting) for waiting in self._waiting.values()]
            + [migration_row(view) for view in finished_views]
        )
        running = len(running_views)
        finished = sum(1 for view in finished_views if app.ledger.ended_since_start(view))
        earlier = len(finished_views) - finished
        by_kubevirt = sorted(
            {view.origin.node for view in running_views if view.origin is not None and view.origin.node}
            | {waiting.node for waiting in self._waiting.values()}
        )
        started = app.started_at.strftime("%H:%M:%S")
        title: list[str | tuple[str, str]] = [" Migrations: ", (str(running), "bold"), " running"]
        if by_kubevirt:
            # First, so that 80 columns show the node.
            title += [" (", ("KubeVirt evacuates " + clean(", ".join(by_kubevirt)), "$text-warning"), ")"]
        if self._holds or self._waiting:
            title += [", ", (str(len(self._holds) + len(self._waiting)), "bold"), " queued"]
        title += [", ", (str(finished), "bold"), f" ended since {started} UTC"]
        if earlier:
            title += [", ", (str(earlier), "bold"), " earlier"]
        monitoring = app.session.metrics.state
        if monitoring.status == UNAVAILABLE:
            title += ["  ", ("◐ " + clean(monitoring.message), "$text-warning")]
        elif monitoring.status == AVAILABLE:
            title += ["  ", ("● bytes from Prometheus", "$text-muted")]
        self.query_one("#migrations-title", Static).update(Content.assemble(*title))
        self.show_connection(app.header_facts())
        self._show_detail()
        self._refresh_keys()

    def _refresh_keys(self) -> None:
        state = (self.highlighted, self.check_action("abort", ()))
        if state != self._abort_state:
            self._abort_state = state
            self.refresh_bindings()

    # -- the detail under the table --------------------------------------------------------------

    def _show_detail(self) -> None:
        waiting = self._waiting.get(self.highlighted or "")
        if waiting is not None:
            self.query_one("#migration-detail", Static).update(waiting_detail(waiting))
            return
        view = self.model.ledger.view(self.highlighted) if self.highlighted else None
        self.query_one("#migration-detail", Static).update(self.detail_for(view))

    def detail_for(self, view: MigrationView | None) -> Content:
        if view is None:
            return Content("")
        progress = view.progress
        parts: list[str | tuple[str, str]] = [
            (clean(view.name), "bold"),
            " of ",
            clean(view.vm_key),
            " ",
            clean(f"({view.source or '?'} → {view.target or 'the scheduler’s choice'})"),
            ": ",
        ]
        origin = view.origin
        if view.final:
            parts += [outcome_text(progress.outcome).plain, " · ", clean(progress.outcome_message)]
            if progress.failure_reason and clean(progress.failure_reason) not in progress.outcome_message:
                parts += ["\n", ("KubeVirt: ", "$text-muted"), clean(progress.failure_reason)]
            if origin is not None and origin.by_kubevirt:
                parts += ["\n", (clean(_sentence(origin.sentence)), "$text-muted")]
            return Content.assemble(*parts)
        hold = self._holds.get(view.key)
        if hold is not None:
            parts += [(clean(_sentence(hold.text)), "bold"), "; KubeVirt starts it when one of those ends"]
        else:
            parts.append(clean(progress.label))
        # The same quantity as the progress cell's bar and number.
        if percent := copied_percent(progress):
            parts.append(f", {percent} copied")
        elif progress.step is not None and progress.total_steps:
            parts.append(f" (step {progress.step} of {progress.total_steps})")
        if view.aborting:
            parts += [", ", ("abort requested", "$text-warning")]
        if origin is not None and origin.by_kubevirt:
            parts += ["\n", (clean(_sentence(origin.sentence)), "$text-warning")]
        budget = view.budget
        if budget is not None:
            parts += ["\n", ("Time limit ", "$text-muted"), clean(budget.text())]
            if view.remaining is not None:
                tone = "bold $text-warning" if view.low_on_time else "bold"
                parts += [", ", (time_left(view.remaining), tone)]
                if view.low_on_time and view.remaining > 0:
                    parts += [" ", ("⚠ (under 20 %)", "bold $text-warning")]
                elif view.low_on_time:
                    parts += [" ", ("⚠", "bold $text-warning")]
        if view.stalled and budget is not None:
            parts += [
                "\n",
                (
                    f"⚠ stalled: the remaining data has not shrunk for {int(view.stalled_for or 0)} s",
                    "bold $text-warning",
                ),
                f"; KubeVirt aborts after {human_duration(budget.progress_timeout)} without progress (progressTimeout).",
            ]
        if progress.converging is False:
            parts += [
                "\n",
                ("⚠ not converging: ", "bold $text-warning"),
                "the guest dirties memory faster than it is copied.",
            ]
        counters = view.counters
        if counters is not None and (counters.processed is not None or counters.remaining is not None):
            copied = human_bytes(counters.processed) if counters.processed is not None else "?"
            left = human_bytes(counters.remaining) if counters.remaining is not None else "?"
            parts += ["\n", ("Data ", "$text-muted"), f"{copied} copied, {left} to go"]
            if counters.transfer_rate is not None:
                parts.append(f", {human_bytes(counters.transfer_rate)}/s")
            if counters.dirty_rate is not None:
                parts.append(f", guest dirties {human_bytes(counters.dirty_rate)}/s")
            if progress.eta_seconds is not None:
                parts.append(f", about {human_duration(progress.eta_seconds)} more")
        return Content.assemble(*parts)

    # -- keys ------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "abort":
            view = self.model.ledger.view(self.highlighted) if self.highlighted else None
            if self.model.readonly:
                return False
            if view is None or view.final:
                return None
            return self.model.action_state(ABORT, view.vm_key)[0]
        return True

    def explain_unavailable(self, action: str) -> str:
        if action != "abort":
            return ""
        view = self.model.ledger.view(self.highlighted) if self.highlighted else None
        if self.highlighted in self._waiting:
            return "KubeVirt has not created this VM's evacuation migration yet: there is nothing to abort."
        if view is None or view.final:
            return "This migration already ended." if view is not None else "No migration is selected."
        return self.model.action_state(ABORT, view.vm_key)[1]

    def action_abort(self) -> None:
        view = self.model.ledger.view(self.highlighted) if self.highlighted else None
        if view is not None:
            self.livemig.begin_abort(view.vm_key)

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_row_table_highlighted(self, message: RowTable.Highlighted) -> None:
        self._show_detail()
        self._refresh_keys()

    def on_row_table_selected(self, message: RowTable.Selected) -> None:
        view = self.model.ledger.view(message.key)
        if view is not None:
            self.livemig.open_vm(view.vm_key)
        elif message.key in self._waiting:
            self.livemig.open_vm(self._waiting[message.key].vmi.meta.key)

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        commands: list[tuple[str, str, Any]] = [("Back to the VM list", "", self.action_back)]
        if self.check_action("abort", ()):
            view = self.model.ledger.view(self.highlighted or "")
            if view is not None:
                commands.append(
                    (f"Abort migration {view.name}", "Asks first; the VM stays where it is", self.action_abort)
                )
        return commands
