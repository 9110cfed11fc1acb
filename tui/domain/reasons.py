"""Reasons: the machine-readable code and the operator's sentence behind every "no"."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    """Why a node cannot take a VM, or why a VM cannot move at all.

    `code` is one of the constants below (headless output and scripts rely on them); `message` names
    the exact label, taint, value or number. Messages carry text from the cluster verbatim: whoever
    shows them must treat them as data (no markup, no escape sequences).
    """

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


# -- why a node cannot take a VM (NodeVerdict) ----------------------------------------------------
SOURCE_NODE = "SourceNode"
NOT_READY = "NotReady"  # also a warning: the VMI is not Ready (it migrates all the same)
UNSCHEDULABLE = "Unschedulable"
MAINTENANCE = "Maintenance"
WITNESS = "Witness"
KUBEVIRT_NOT_SCHEDULABLE = "KubevirtNotSchedulable"
ARCH = "Arch"
NODE_SELECTOR = "NodeSelector"
NODE_AFFINITY = "NodeAffinity"
NETWORK = "Network"
TAINT = "Taint"
CPU_MODEL = "CPUModel"
CPU_FEATURE = "CPUFeature"
CPU_MANAGER = "CPUManager"
MIGRATION_NETWORK = "MigrationNetwork"
RESOURCES = "Resources"

# The order reasons are listed in on a node: from "the node itself is out" to "it is full".
NODE_CODES = (
    SOURCE_NODE,
    NOT_READY,
    UNSCHEDULABLE,
    MAINTENANCE,
    WITNESS,
    KUBEVIRT_NOT_SCHEDULABLE,
    ARCH,
    NODE_SELECTOR,
    NODE_AFFINITY,
    NETWORK,
    TAINT,
    CPU_MODEL,
    CPU_FEATURE,
    CPU_MANAGER,
    MIGRATION_NETWORK,
    RESOURCES,
)

# -- why a VM cannot move at all (blockers) -------------------------------------------------------
NOT_FOUND = "NotFound"  # no such VM or VMI in the cluster
NOT_RUNNING = "NotRunning"
MIGRATION_IN_PROGRESS = "MigrationInProgress"
NOT_LIVE_MIGRATABLE = "NotLiveMigratable"
HOST_DEVICE = "HostDevice"
GPU = "GPU"
CDROM = "CDROM"
CONTAINER_DISK = "ContainerDisk"
PINNED_TO_NODE = "PinnedToNode"
NO_ELIGIBLE_NODE = "NoEligibleNode"

# -- what holds no VM back but the operator should know (warnings) --------------------------------
PAUSED = "Paused"

BLOCKER_CODES = (
    NOT_FOUND,
    NOT_RUNNING,
    NOT_READY,
    MIGRATION_IN_PROGRESS,
    NOT_LIVE_MIGRATABLE,
    HOST_DEVICE,
    GPU,
    CDROM,
    CONTAINER_DISK,
    PINNED_TO_NODE,
    NO_ELIGIBLE_NODE,
)

_NODE_ORDER = {code: index for index, code in enumerate(NODE_CODES)}
_BLOCKER_ORDER = {code: index for index, code in enumerate(BLOCKER_CODES)}


def in_node_order(reasons: list[Reason]) -> tuple[Reason, ...]:
    """Reasons sorted by NODE_CODES (stable: reasons of one code keep the order they were found in)."""
    return tuple(sorted(reasons, key=lambda reason: _NODE_ORDER.get(reason.code, len(_NODE_ORDER))))


def in_blocker_order(reasons: list[Reason]) -> list[Reason]:
    """Blockers sorted by BLOCKER_CODES (stable)."""
    return sorted(reasons, key=lambda reason: _BLOCKER_ORDER.get(reason.code, len(_BLOCKER_ORDER)))
