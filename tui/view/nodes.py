"""The Nodes screen's rows without Textual: every node with readiness, cordon, Harvester maintenance,
host CPU model, the VMs on it, free memory, and the migrations running into and out of it."""

from __future__ import annotations

from dataclasses import dataclass

from tui.domain.cpu import host_model_of
from tui.domain.phases import VMI_FINAL_PHASES
from tui.domain.placement import MAINTAIN_STATUS_ANNOTATION
from tui.domain.scheduling import node_usage
from tui.domain.snapshot import ClusterSnapshot
from tui.view.ledger import MigrationLedger


@dataclass(frozen=True)
class NodeLine:
    """One node as the Nodes screen shows it."""

    name: str
    ready: str  # Ready | NotReady | Unknown
    cordoned: bool
    maintenance: str  # Harvester's maintain-status ("running", "completed"), "" when none
    cpu: str  # the host CPU model, "" when the node names none
    vms: int
    free_memory: int | None  # bytes; None when the pods (or the node's allocatable) are not known
    inbound: int  # migrations running towards it
    outbound: int  # migrations running away from it

    @property
    def state(self) -> str:
        """ "Ready", "NotReady, cordoned", "cordoned" (a Ready node with spec.unschedulable)."""
        if not self.cordoned:
            return self.ready
        return "cordoned" if self.ready == "Ready" else f"{self.ready}, cordoned"


def node_lines(snapshot: ClusterSnapshot, ledger: MigrationLedger) -> list[NodeLine]:
    """Every node, by name."""
    inbound: dict[str, int] = {}
    outbound: dict[str, int] = {}
    for view in ledger.views():
        if view.final:
            continue
        if view.source:
            outbound[view.source] = outbound.get(view.source, 0) + 1
        if view.target:
            inbound[view.target] = inbound.get(view.target, 0) + 1
    lines = []
    for name in sorted(snapshot.nodes):
        node = snapshot.nodes[name]
        free = None
        if snapshot.pods_known and node.allocatable_memory is not None:
            free = max(node.allocatable_memory - node_usage(snapshot.pods_on(name)).memory, 0)
        lines.append(
            NodeLine(
                name=name,
                ready="Ready" if node.ready is True else "NotReady" if node.ready is False else "Unknown",
                cordoned=node.unschedulable,
                maintenance=node.annotations.get(MAINTAIN_STATUS_ANNOTATION, ""),
                cpu=host_model_of(node),
                vms=sum(1 for vmi in snapshot.vmis_on(name) if vmi.phase not in VMI_FINAL_PHASES),
                free_memory=free,
                inbound=inbound.get(name, 0),
                outbound=outbound.get(name, 0),
            )
        )
    return lines
