"""What the header says, gathered from the view model."""

from __future__ import annotations

from dataclasses import dataclass

from tui.view.connection import ConnectionSummary


@dataclass(frozen=True)
class HeaderFacts:
    """Everything the header says, gathered by the screen."""

    context: str
    scope: str  # "all namespaces", "namespace vms", ...
    kubevirt: str  # version text, "" when unknown
    readonly: bool
    connection: ConnectionSummary
    vms: int = 0
    running: int = 0
    migrating: int = 0
    nodes: int = 0
    nodes_ready: int = 0
    shown: int | None = None  # rows left by the filter; None when not filtered
    sort: str = ""
    filter_text: str = ""
    checking: int = 0  # VMs whose verdict is still to be made
