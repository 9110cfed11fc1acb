"""The kinds livemig watches, in one registry: where the API serves each, how it is parsed, what an
operator reads for it, and which commands cannot do without it.

The cluster layer adds how it reads a kind (across namespaces, stand-ins); the store, the snapshot,
the banner and the command line take names, words and needs from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tui.domain import wire
from tui.domain.objects import (
    parse_kubevirt,
    parse_migration,
    parse_migration_policy,
    parse_nad,
    parse_namespace,
    parse_node,
    parse_pod,
    parse_vm,
    parse_vmi,
)

# The commands of the command line that wait for kinds they cannot do without.
PLAN_COMMAND = "plan"
MIGRATE_COMMAND = "migrate"
ABORT_COMMAND = "abort"
COMMANDS = (PLAN_COMMAND, MIGRATE_COMMAND, ABORT_COMMAND)


@dataclass(frozen=True)
class Kind:
    """One watched kind."""

    name: str  # the store's and the snapshot's name for it: "nodes", "vms", …
    api_kind: str  # the object's `kind`: "Node", "VirtualMachine", …
    group: str  # "" for the core group
    version: str
    plural: str
    namespaced: bool
    parse: Callable[[Any], Any]
    words: str  # how a sentence names it: "VirtualMachines", "the KubeVirt CR"
    # What a plan lacks when the kind cannot be read; "" for a kind some command cannot do without.
    without: str = ""
    needed_by: frozenset[str] = frozenset()  # commands that wait for it (COMMANDS)
    # Its absence changes what the screens say (the others only refine it).
    important: bool = False
    # The migration plan reads it, so a change of it can change a plan.
    plan_reads: bool = False
    # The fields its parser reads (tui/domain/wire.py), for decoders that can skip the rest; None: all.
    wire: Any = None

    @property
    def resource(self) -> str:
        """`virtualmachines.kubevirt.io`, `pods`: how kubectl and error messages name it."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


NODES = Kind(
    "nodes", "Node", "", "v1", "nodes", False, parse_node, "nodes",
    without="no node verdicts: the scheduler chooses the node", important=True, plan_reads=True,
    wire=wire.NodeObject,
)  # fmt: skip
VMS = Kind(
    "vms", "VirtualMachine", "kubevirt.io", "v1", "virtualmachines", True, parse_vm, "VirtualMachines",
    needed_by=frozenset({PLAN_COMMAND, MIGRATE_COMMAND}), important=True, wire=wire.VMObject,
)  # fmt: skip
VMIS = Kind(
    "vmis", "VirtualMachineInstance", "kubevirt.io", "v1", "virtualmachineinstances", True, parse_vmi,
    "VirtualMachineInstances", needed_by=frozenset({PLAN_COMMAND, MIGRATE_COMMAND}), important=True,
    wire=wire.VMIObject,
)  # fmt: skip
MIGRATIONS = Kind(
    "migrations", "VirtualMachineInstanceMigration", "kubevirt.io", "v1", "virtualmachineinstancemigrations",
    True, parse_migration, "migrations", needed_by=frozenset(COMMANDS), important=True, plan_reads=True,
)  # fmt: skip
KUBEVIRTS = Kind(
    "kubevirts", "KubeVirt", "kubevirt.io", "v1", "kubevirts", True, parse_kubevirt, "the KubeVirt CR",
    without="the KubeVirt version and its migration settings are unknown", important=True, plan_reads=True,
)  # fmt: skip
POLICIES = Kind(
    "policies", "MigrationPolicy", "migrations.kubevirt.io", "v1alpha1", "migrationpolicies", False,
    parse_migration_policy, "MigrationPolicies",
    without="MigrationPolicies are left out of the time limit", plan_reads=True,
)  # fmt: skip
NADS = Kind(
    "nads", "NetworkAttachmentDefinition", "k8s.cni.cncf.io", "v1", "network-attachment-definitions", True,
    parse_nad, "NetworkAttachmentDefinitions",
    without="the VM's networks are not checked on the nodes", plan_reads=True,
)  # fmt: skip
PODS = Kind(
    "pods", "Pod", "", "v1", "pods", True, parse_pod, "pods",
    without="the nodes' free CPU and memory are not checked", important=True, plan_reads=True,
    wire=wire.PodObject,
)  # fmt: skip
NAMESPACES = Kind(
    "namespaces", "Namespace", "", "v1", "namespaces", False, parse_namespace, "namespaces",
    without="namespace labels, which MigrationPolicies may select, are unknown", plan_reads=True,
)  # fmt: skip

# In the order the store keeps and the session starts them.
KINDS: tuple[Kind, ...] = (
    NODES,
    VMS,
    VMIS,
    MIGRATIONS,
    KUBEVIRTS,
    POLICIES,
    NADS,
    PODS,
    NAMESPACES,
)
KIND_BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS}
KIND_BY_API_KIND: dict[str, Kind] = {kind.api_kind: kind for kind in KINDS}
NAMES: tuple[str, ...] = tuple(kind.name for kind in KINDS)
# The kinds whose change can change a migration plan.
PLAN_KINDS: frozenset[str] = frozenset(kind.name for kind in KINDS if kind.plan_reads)


def required_for(command: str) -> tuple[str, ...]:
    """The kinds `command` waits for, in registry order (empty for an unknown command)."""
    return tuple(kind.name for kind in KINDS if command in kind.needed_by)


def words_for(name: str) -> str:
    """How a sentence names the kind called `name` (the name itself for a kind not in the registry)."""
    kind = KIND_BY_NAME.get(name)
    return kind.words if kind is not None else name
