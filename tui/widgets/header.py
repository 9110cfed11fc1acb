"""The header: which cluster and scope, KubeVirt's version, the connection state, and the counts."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from tui.view.header import HeaderFacts
from tui.widgets.literal import clean


class ClusterHeader(Widget):
    """Two lines: context, version and scope with the connection state; counts with sort and filter."""

    DEFAULT_CSS = """
    ClusterHeader { height: 2; dock: top; background: $panel; }
    ClusterHeader Horizontal { height: 1; }
    ClusterHeader .left { width: 1fr; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    ClusterHeader .right { width: auto; height: 1; text-wrap: nowrap; padding: 0 1 0 1; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(id="header-where", classes="left", markup=False)
            yield Static(id="header-connection", classes="right", markup=False)
        with Horizontal():
            yield Static(id="header-counts", classes="left", markup=False)
            yield Static(id="header-view", classes="right", markup=False)

    def show(self, facts: HeaderFacts) -> None:
        where = Content.assemble(
            (" livemig ", "bold $text-accent"),
            ("│ ", "dim"),
            clean(facts.context),
            ("  KubeVirt ", "dim"),
            clean(facts.kubevirt) or "unknown",
            ("  ", ""),
            clean(facts.scope),
            ("  READ-ONLY", "bold $text-warning") if facts.readonly else "",
        )
        connection = facts.connection
        state = Content.assemble((f"{connection.symbol} {connection.short}", connection.tone_style))
        counts = Content.assemble(
            " ",
            (f"{facts.vms:,}", "bold"),
            " VMs  ",
            (f"{facts.running:,}", "bold"),
            " running  ",
            (f"{facts.migrating:,}", "bold $text-accent" if facts.migrating else "bold"),
            " migrating  ",
            (f"{facts.nodes:,}", "bold"),
            f" nodes ({facts.nodes_ready:,} ready)",
        )
        view_parts: list[str | tuple[str, str]] = []
        if facts.checking:
            view_parts += [("checking ", "dim"), f"{facts.checking:,} VMs  "]
        if facts.filter_text:
            view_parts += [("filter ", "dim"), (clean(facts.filter_text), "bold"), f" ({facts.shown} shown)  "]
        if facts.sort:
            view_parts += [("sort ", "dim"), facts.sort]
        self.query_one("#header-where", Static).update(where)
        self.query_one("#header-connection", Static).update(state)
        self.query_one("#header-counts", Static).update(counts)
        self.query_one("#header-view", Static).update(Content.assemble(*view_parts))
