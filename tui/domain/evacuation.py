"""Emptying a node: for every VMI on it, whether livemig will move it and where it may go, or why not
and what a drain would do with it instead.

The plan is made as if the node were already cordoned (spec.unschedulable, as `kubectl cordon` sets
it): no VM is sent back to it, and no cordoned node counts as a target. A VM moves only when its
plan (tui/domain/plan.py) finds it migratable with at least one such node, and when its eviction
strategy asks KubeVirt to live-migrate it on a drain: livemig empties a node the way a drain would,
and leaves alone the VMs whose owners said otherwise.

The eviction strategy is the VMI's spec.evictionStrategy, else the KubeVirt CR's
spec.configuration.evictionStrategy, else KubeVirt's own default `None`
(pkg/util/migrations/migrations.go VMIEvictionStrategy and pkg/virt-config/configuration.go, v1.6.3;
the same default from v1.3.0 to v1.9.0). What a drain does by strategy comes from the eviction
admitter (pkg/virt-api/webhooks/validating-webhook/admitters/pod-eviction-admitter.go, v1.6.3):
`LiveMigrate` refuses the eviction of a VMI that cannot migrate, and marks one that can for an
evacuation migration; `LiveMigrateIfPossible` does the same for one that can, and lets the pod of one
that cannot be evicted; `None` lets the pod be evicted; `External` marks the VMI and refuses, leaving
the move to its owner. KubeVirt's parallel limits default to 5 migrations per cluster and 2 outbound
per node (pkg/virt-config/virt-config.go, v1.6.3): the rest wait in phase Pending.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from tui.domain import reasons as codes
from tui.domain.keys import VMKey
from tui.domain.objects import VMI
from tui.domain.phases import MigrationPhase, VMIPhase
from tui.domain.placement import MAINTAIN_STATUS_ANNOTATION, NodeVerdict
from tui.domain.plan import plan_for
from tui.domain.reasons import Reason
from tui.domain.snapshot import ClusterSnapshot

LIVE_MIGRATE = "LiveMigrate"
LIVE_MIGRATE_IF_POSSIBLE = "LiveMigrateIfPossible"
EVICTION_NONE = "None"
EXTERNAL = "External"
KUBEVIRT_DEFAULT_STRATEGY = EVICTION_NONE

# Where the eviction strategy came from.
FROM_VMI = "vmi"
FROM_CLUSTER = "cluster"
FROM_KUBEVIRT_DEFAULT = "kubevirt-default"

# Why a VM stays (Unmovable.code), besides the plan's blocker codes.
STAYS_EVICTION_NONE = "EvictionStrategyNone"
STAYS_EXTERNAL = "EvictionStrategyExternal"

# What a drain does with a VMI (Unmovable.drain), by KubeVirt's eviction admitter.
DRAIN_EVICTS = "evicts"  # the launcher pod is evicted: the guest shuts down
DRAIN_EVACUATES = "evacuates"  # eviction refused (429), VMI marked, an evacuation migration is created
DRAIN_REFUSED = "refused"  # eviction refused: LiveMigrate on a VMI that cannot migrate
DRAIN_LEFT_TO_OWNER = "left-to-owner"  # eviction refused, VMI marked, no migration: External

DEFAULT_PARALLEL_PER_CLUSTER = 5
DEFAULT_PARALLEL_OUTBOUND_PER_NODE = 2
EVACUATION_PREFIX = "kubevirt-evacuation-"  # the migrations KubeVirt's evacuation controller creates


@dataclass(frozen=True)
class EvictionStrategy:
    """The strategy that applies to a VMI, and where it was written."""

    value: str
    source: str  # FROM_VMI, FROM_CLUSTER or FROM_KUBEVIRT_DEFAULT

    def words(self) -> str:
        where = {
            FROM_VMI: "the VM's own",
            FROM_CLUSTER: "the cluster default in the KubeVirt CR",
            FROM_KUBEVIRT_DEFAULT: "KubeVirt's default, as the KubeVirt CR names none",
        }[self.source]
        return f"evictionStrategy {self.value} ({where})"


@dataclass(frozen=True)
class Movable:
    """A VM livemig will migrate away; `targets` are the nodes that can take it (empty when the nodes
    could not be read: the scheduler decides)."""

    namespace: str
    name: str
    targets: tuple[str, ...]
    strategy: EvictionStrategy
    target: str = ""  # the chosen node it is sent to (tui/domain/evacuation_targets.py); "" when the scheduler decides

    @property
    def key(self) -> VMKey:
        return VMKey(self.namespace, self.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "vm": {"namespace": self.namespace, "name": self.name},
            "targets": list(self.targets),
            "target": self.target or None,
            "eviction_strategy": self.strategy.value,
            "eviction_strategy_from": self.strategy.source,
        }


@dataclass(frozen=True)
class Unmovable:
    """A VM livemig leaves on the node: why (`code`, `reasons`), and what a drain would do with it."""

    namespace: str
    name: str
    code: str  # a blocker code of the plan, NoEligibleNode, or STAYS_EVICTION_NONE / STAYS_EXTERNAL
    why: str  # one sentence
    on_drain: str  # one sentence: what `kubectl drain` (or Harvester's maintenance mode) would do with it
    strategy: EvictionStrategy
    reasons: tuple[Reason, ...] = ()
    drain: str = DRAIN_EVICTS  # DRAIN_EVICTS, DRAIN_EVACUATES, DRAIN_REFUSED or DRAIN_LEFT_TO_OWNER

    @property
    def key(self) -> VMKey:
        return VMKey(self.namespace, self.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "vm": {"namespace": self.namespace, "name": self.name},
            "code": self.code,
            "why": self.why,
            "on_drain": self.on_drain,
            "drain": self.drain,
            "eviction_strategy": self.strategy.value,
            "eviction_strategy_from": self.strategy.source,
            "reasons": [reason.to_dict() for reason in self.reasons],
        }


@dataclass(frozen=True)
class AlreadyMigrating:
    """A VM with a migration that has not ended: it is leaving already."""

    namespace: str
    name: str
    migration: str
    by_kubevirt: bool  # an evacuation migration KubeVirt created (a drain, maintenance mode)

    @property
    def key(self) -> VMKey:
        return VMKey(self.namespace, self.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "vm": {"namespace": self.namespace, "name": self.name},
            "migration": self.migration,
            "by_kubevirt": self.by_kubevirt,
        }


@dataclass(frozen=True)
class EvacuationPlan:
    """What emptying `node` would do now."""

    node: str
    found: bool  # the node exists
    cordoned: bool  # already spec.unschedulable
    maintenance: str  # Harvester's maintain-status annotation, "" when none
    movable: tuple[Movable, ...] = ()
    unmovable: tuple[Unmovable, ...] = ()
    migrating: tuple[AlreadyMigrating, ...] = ()
    nodes_known: bool = True
    parallel_per_cluster: int = DEFAULT_PARALLEL_PER_CLUSTER
    parallel_outbound_per_node: int = DEFAULT_PARALLEL_OUTBOUND_PER_NODE
    running_in_cluster: int = 0  # migrations past phase Pending that have not ended, anywhere
    onto: tuple[str, ...] = ()  # the nodes chosen to take the VMs; empty when the scheduler decides

    @property
    def nothing_to_do(self) -> bool:
        return not self.movable and not self.unmovable

    @property
    def queued(self) -> int:
        """How many of the new migrations KubeVirt would hold back at first (phase Pending) by its
        parallel limits: those out of this node, and those running in the whole cluster."""
        free_here = self.parallel_outbound_per_node - len(self.migrating)
        free_in_cluster = self.parallel_per_cluster - self.running_in_cluster
        return max(len(self.movable) - max(min(free_here, free_in_cluster), 0), 0)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `livemig evacuate NODE -o json`."""
        return {
            "node": self.node,
            "cordoned": self.cordoned,
            "maintenance": self.maintenance or None,
            "movable": [item.to_dict() for item in self.movable],
            "unmovable": [item.to_dict() for item in self.unmovable],
            "migrating": [item.to_dict() for item in self.migrating],
            "nodes_known": self.nodes_known,
            "parallel_migrations_per_cluster": self.parallel_per_cluster,
            "parallel_outbound_migrations_per_node": self.parallel_outbound_per_node,
            "running_in_cluster": self.running_in_cluster,
            "onto": list(self.onto),
        }


def eviction_strategy(snapshot: ClusterSnapshot, vmi: VMI) -> EvictionStrategy:
    """migrations.VMIEvictionStrategy: the VMI's own, else the cluster's, else KubeVirt's default None."""
    if vmi.spec.eviction_strategy:
        return EvictionStrategy(vmi.spec.eviction_strategy, FROM_VMI)
    kubevirt = snapshot.kubevirt
    if kubevirt is not None and kubevirt.eviction_strategy:
        return EvictionStrategy(kubevirt.eviction_strategy, FROM_CLUSTER)
    return EvictionStrategy(KUBEVIRT_DEFAULT_STRATEGY, FROM_KUBEVIRT_DEFAULT)


def cordoned(snapshot: ClusterSnapshot, node: str) -> ClusterSnapshot:
    """The snapshot as it will be once `node` is cordoned (spec.unschedulable: true)."""
    found = snapshot.nodes.get(node)
    if found is None or found.unschedulable:
        return snapshot
    return replace(snapshot, nodes={**snapshot.nodes, node: replace(found, unschedulable=True)})


def evacuation_plan(snapshot: ClusterSnapshot, node: str, now: datetime) -> EvacuationPlan:
    """The plan for emptying `node`, VM by VM, in namespace/name order."""
    found = snapshot.nodes.get(node)
    config = snapshot.kubevirt.migrations if snapshot.kubevirt is not None else None
    after = cordoned(snapshot, node)
    movable: list[Movable] = []
    unmovable: list[Unmovable] = []
    migrating: list[AlreadyMigrating] = []
    for vmi in sorted(snapshot.vmis_on(node), key=lambda v: (v.namespace, v.name)):
        if vmi.meta.deleted is not None or vmi.phase in (VMIPhase.SUCCEEDED, VMIPhase.FAILED):
            continue  # going away or ended: nothing runs there any more
        underway = [m for m in snapshot.migrations_of(vmi.namespace, vmi.name) if not m.is_final]
        if underway:
            newest = underway[-1]
            migrating.append(
                AlreadyMigrating(vmi.namespace, vmi.name, newest.name, newest.name.startswith(EVACUATION_PREFIX))
            )
            continue
        decided = _decide(after, vmi, node, now)
        if isinstance(decided, Movable):
            movable.append(decided)
        else:
            unmovable.append(decided)
    return EvacuationPlan(
        node=node,
        found=found is not None,
        cordoned=found is not None and found.unschedulable,
        maintenance=found.annotations.get(MAINTAIN_STATUS_ANNOTATION, "") if found is not None else "",
        movable=tuple(movable),
        unmovable=tuple(unmovable),
        migrating=tuple(migrating),
        nodes_known=snapshot.nodes_known,
        parallel_per_cluster=(config.parallel_migrations_per_cluster if config else None)
        or DEFAULT_PARALLEL_PER_CLUSTER,
        parallel_outbound_per_node=(config.parallel_outbound_migrations_per_node if config else None)
        or DEFAULT_PARALLEL_OUTBOUND_PER_NODE,
        running_in_cluster=sum(
            1 for m in snapshot.migrations.values() if not m.is_final and m.phase not in ("", MigrationPhase.PENDING)
        ),
    )


def _decide(snapshot: ClusterSnapshot, vmi: VMI, node: str, now: datetime) -> Movable | Unmovable:
    strategy = eviction_strategy(snapshot, vmi)
    drain = on_drain(snapshot, vmi, strategy)
    outcome = drain_outcome(vmi, strategy)
    if strategy.value == EXTERNAL:
        return Unmovable(
            vmi.namespace,
            vmi.name,
            STAYS_EXTERNAL,
            f"Its {strategy.words()} leaves moving it to its owner, not to KubeVirt or livemig.",
            drain,
            strategy,
            drain=outcome,
        )
    if strategy.value not in (LIVE_MIGRATE, LIVE_MIGRATE_IF_POSSIBLE):
        return Unmovable(
            vmi.namespace,
            vmi.name,
            STAYS_EVICTION_NONE,
            f"Its {strategy.words()} says it is not to be live-migrated when its node is emptied; "
            "migrate it by hand if it must keep running.",
            drain,
            strategy,
            drain=outcome,
        )
    plan = plan_for(snapshot, vmi.namespace, vmi.name, now)
    blocking = [r for r in plan.blockers if r.code != codes.NO_ELIGIBLE_NODE]
    if blocking:
        first = blocking[0]
        return Unmovable(
            vmi.namespace, vmi.name, first.code, first.message, drain, strategy, tuple(blocking), drain=outcome
        )
    if not snapshot.nodes_known:
        return Movable(vmi.namespace, vmi.name, (), strategy)
    targets = tuple(v.node for v in plan.nodes if _takes(snapshot, v, node))
    if targets:
        return Movable(vmi.namespace, vmi.name, targets, strategy)
    others = [v for v in plan.nodes if v.node != node]
    return Unmovable(
        vmi.namespace,
        vmi.name,
        codes.NO_ELIGIBLE_NODE,
        "No other node can take it: " + summarise(snapshot, others) + ".",
        drain,
        strategy,
        tuple(r for r in plan.blockers if r.code == codes.NO_ELIGIBLE_NODE),
        drain=outcome,
    )


def _takes(snapshot: ClusterSnapshot, verdict: NodeVerdict, node: str) -> bool:
    found = snapshot.nodes.get(verdict.node)
    return verdict.eligible and verdict.node != node and found is not None and not found.unschedulable


def summarise(snapshot: ClusterSnapshot, verdicts: list[NodeVerdict]) -> str:
    """The nodes grouped by why they cannot take the VM: "node-1, node-2: Unschedulable; node-4: CPUModel"."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for verdict in sorted(verdicts, key=lambda v: v.node):
        why = list(dict.fromkeys(reason.code for reason in verdict.reasons))
        found = snapshot.nodes.get(verdict.node)
        if found is not None and found.unschedulable and codes.UNSCHEDULABLE not in why:
            why.append(codes.UNSCHEDULABLE)  # tolerated by the VM, but livemig sends nothing to a cordoned node
        groups.setdefault(tuple(why) or ("eligible",), []).append(verdict.node)
    if not groups:
        return "there is no other node"
    return "; ".join(f"{', '.join(nodes)}: {', '.join(why)}" for why, nodes in groups.items())


def drain_outcome(vmi: VMI, strategy: EvictionStrategy) -> str:
    """What KubeVirt's eviction admitter does with the VMI's launcher pod on a drain."""
    live_migratable = _condition_true(vmi, "LiveMigratable")
    if strategy.value == EXTERNAL:
        return DRAIN_LEFT_TO_OWNER
    if strategy.value == LIVE_MIGRATE and not live_migratable:
        return DRAIN_REFUSED
    if strategy.value in (LIVE_MIGRATE, LIVE_MIGRATE_IF_POSSIBLE) and live_migratable:
        return DRAIN_EVACUATES
    return DRAIN_EVICTS


def on_drain(snapshot: ClusterSnapshot, vmi: VMI, strategy: EvictionStrategy) -> str:
    """What a drain of the VMI's node would do with it, in a sentence (from KubeVirt's eviction admitter)."""
    outcome = drain_outcome(vmi, strategy)
    if outcome == DRAIN_LEFT_TO_OWNER:
        return (
            "A drain would wait: KubeVirt refuses the eviction and marks the VMI (evacuationNodeName) "
            "for its owner to move it."
        )
    if outcome == DRAIN_REFUSED:
        return (
            "A drain would be stuck: KubeVirt refuses to evict a VM with evictionStrategy LiveMigrate that "
            "cannot migrate, until it is stopped or moved."
        )
    if outcome == DRAIN_EVACUATES:
        return (
            "A drain would make KubeVirt start an evacuation migration, and wait while that cannot succeed "
            "(see why it cannot move)."
        )
    return "A drain would evict it: the guest shuts down, and " + _after_shutdown(snapshot, vmi) + "."


def _after_shutdown(snapshot: ClusterSnapshot, vmi: VMI) -> str:
    vm = snapshot.vm_of(vmi)
    if vm is None:
        return "the VMI is gone (it has no VirtualMachine to start it again)"
    strategy = vm.run_strategy or ("Always" if vm.running else "Halted")
    if strategy == "Always":
        return "KubeVirt starts it again on another node (runStrategy Always)"
    return f"it stays stopped (runStrategy {strategy})"


def _condition_true(vmi: VMI, type_: str) -> bool:
    found = vmi.condition(type_)
    return found is not None and found.status is True
