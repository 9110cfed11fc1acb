"""Whether KubeVirt holds a migration back by its parallel limits, and why, so a wait reads "queued", not stuck.

KubeVirt's migration controller (pkg/virt-controller/watch/migration/migration.go
handleTargetPodCreation, v1.6.0; the same checks in pkg/virt-controller/watch/migration.go at v1.3.0
and in v1.9.0) creates a Pending migration's target pod only while
- fewer than `parallelMigrationsPerCluster` migrations run (findRunningMigrations: every unfinished
  migration past Pending, and a Pending one that already has a target pod), and
- fewer than `parallelOutboundMigrationsPerNode` of those leave the VMI's node
  (outboundMigrationsOnNode: the VMI is on the node, or its migrationState.sourceNode is the node);
else it looks again 5 s later. The limits come from the KubeVirt CR's spec.configuration.migrations,
defaults 5 and 2 (pkg/virt-config/virt-config.go, v1.3.0 to v1.9.0).

A drain does not queue migrations: KubeVirt's evacuation controller creates them only for the free
places (pkg/virt-controller/watch/drain/evacuation/evacuation.go sync, v1.6.0); the VMIs it has not
reached yet carry status.evacuationNodeName and no migration. `waiting_evacuations` lists those.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.domain.objects import VMI, Migration
from tui.domain.phases import MigrationPhase
from tui.domain.snapshot import ClusterSnapshot

DEFAULT_PER_CLUSTER = 5
DEFAULT_OUTBOUND_PER_NODE = 2
MIGRATION_JOB_LABEL = "kubevirt.io/migrationJobUID"  # on a migration's target pod
RESOURCE_QUOTA_CONDITION = "migrationRejectedByResourceQuota"  # KubeVirt >= 1.5 (vmim.yaml doc 3)

CLUSTER = "cluster"
NODE = "node"
SAME_VM = "same-vm"
RESOURCE_QUOTA = "resource-quota"


@dataclass(frozen=True)
class QueueHold:
    """Why a Pending migration (or a VMI waiting for its evacuation) does not start yet."""

    cause: str  # CLUSTER | NODE | SAME_VM | RESOURCE_QUOTA
    running: int = 0
    limit: int = 0
    node: str = ""
    other: str = ""  # SAME_VM: the migration it waits for

    @property
    def by_limits(self) -> bool:
        return self.cause in (CLUSTER, NODE)

    @property
    def text(self) -> str:
        """ "queued (5 of 5 running in the cluster)", "queued (2 of 2 leaving harv-1)"."""
        if self.cause == CLUSTER:
            return f"queued ({self.running} of {self.limit} running in the cluster)"
        if self.cause == NODE:
            return f"queued ({self.running} of {self.limit} leaving {self.node})"
        if self.cause == SAME_VM:
            return f"waiting for migration {self.other} of the same VM to end"
        return "held: the target pod exceeds the namespace's ResourceQuota"


@dataclass(frozen=True)
class Limits:
    per_cluster: int
    outbound_per_node: int


def limits(snapshot: ClusterSnapshot) -> Limits:
    """The KubeVirt CR's parallel limits, else KubeVirt's defaults."""
    config = snapshot.kubevirt.migrations if snapshot.kubevirt is not None else None
    per_cluster = config.parallel_migrations_per_cluster if config is not None else None
    per_node = config.parallel_outbound_migrations_per_node if config is not None else None
    return Limits(
        per_cluster if per_cluster is not None else DEFAULT_PER_CLUSTER,
        per_node if per_node is not None else DEFAULT_OUTBOUND_PER_NODE,
    )


def _has_target_pod(snapshot: ClusterSnapshot, migration: Migration) -> bool:
    uids = snapshot.memo(
        "queue.target_pod_uids",
        lambda: frozenset(p.meta.labels.get(MIGRATION_JOB_LABEL) for p in snapshot.pods.values()) - {None},
    )
    return bool(migration.meta.uid) and migration.meta.uid in uids


# VirtualMachineInstanceMigration.IsRunning is false for these (staging/src/kubevirt.io/api/core/v1/types.go, v1.6.0).
_NOT_RUNNING = frozenset(
    {
        MigrationPhase.NEW,
        MigrationPhase.PENDING,
        MigrationPhase.SUCCEEDED,
        MigrationPhase.FAILED,
        MigrationPhase.WAITING_FOR_SYNC,
        MigrationPhase.SYNCHRONIZING,
    }
)


def _is_running(migration: Migration) -> bool:
    return migration.phase not in _NOT_RUNNING


def _counts_as_running(snapshot: ClusterSnapshot, migration: Migration) -> bool:
    if _is_running(migration):
        return True
    pending = migration.phase in (MigrationPhase.NEW, MigrationPhase.PENDING)
    return pending and _has_target_pod(snapshot, migration)


def running_migrations(snapshot: ClusterSnapshot, with_target_pods: bool = True) -> tuple[Migration, ...]:
    """findRunningMigrations (the migration controller's count: Pending ones with a target pod too), or
    with `with_target_pods` False FilterRunningMigrations (the evacuation controller's: IsRunning only)."""
    if not with_target_pods:
        return snapshot.memo(
            "queue.running_phase", lambda: tuple(m for m in snapshot.migrations.values() if _is_running(m))
        )
    return snapshot.memo(
        "queue.running",
        lambda: tuple(m for m in snapshot.migrations.values() if _counts_as_running(snapshot, m)),
    )


def outbound_from(snapshot: ClusterSnapshot, node: str, with_target_pods: bool = True) -> int:
    """outboundMigrationsOnNode: running migrations of VMIs on `node` or leaving it."""
    count = 0
    for migration in running_migrations(snapshot, with_target_pods):
        vmi = snapshot.vmis.get(f"{migration.namespace}/{migration.vmi_name}")
        if vmi is None:
            continue
        state = vmi.migration_state
        if vmi.node_name == node or (state is not None and state.source_node == node):
            count += 1
    return count


def _by_limits(snapshot: ClusterSnapshot, node: str, with_target_pods: bool = True) -> QueueHold | None:
    found = limits(snapshot)
    running = len(running_migrations(snapshot, with_target_pods))
    if running >= found.per_cluster:
        return QueueHold(CLUSTER, running, found.per_cluster)
    outbound = outbound_from(snapshot, node, with_target_pods)
    if node and outbound >= found.outbound_per_node:
        return QueueHold(NODE, outbound, found.outbound_per_node, node=node)
    return None


def queue_hold(snapshot: ClusterSnapshot, migration: Migration) -> QueueHold | None:
    """Why `migration` waits in Pending, if it is held (None for one that runs, ended, or is about to start)."""
    if migration.is_final or migration.phase not in (MigrationPhase.NEW, MigrationPhase.PENDING):
        return None
    if migration.meta.deleted is not None or (snapshot.pods_known and _has_target_pod(snapshot, migration)):
        return None
    earlier = [
        other
        for other in snapshot.migrations_of(migration.namespace, migration.vmi_name)
        if other.meta.uid != migration.meta.uid and not other.is_final and _created(other) < _created(migration)
    ]
    if earlier:
        # canMigrateVMI: the VMI's in-flight migration goes first.
        return QueueHold(SAME_VM, other=earlier[0].name)
    condition = migration.condition(RESOURCE_QUOTA_CONDITION)
    if condition is not None and condition.status is True:
        return QueueHold(RESOURCE_QUOTA)
    vmi = snapshot.vmis.get(f"{migration.namespace}/{migration.vmi_name}")
    return _by_limits(snapshot, vmi.node_name if vmi is not None else "")


@dataclass(frozen=True)
class WaitingEvacuation:
    """A VMI a drain marked for evacuation that has no migration yet."""

    vmi: VMI
    node: str
    hold: QueueHold | None  # the limits that keep KubeVirt from creating its migration, if any


def waiting_evacuations(snapshot: ClusterSnapshot) -> list[WaitingEvacuation]:
    """VMIs with status.evacuationNodeName on the node they run on and no unfinished migration, in key order."""
    return snapshot.memo("queue.waiting_evacuations", lambda: _waiting_evacuations(snapshot))


def _waiting_evacuations(snapshot: ClusterSnapshot) -> list[WaitingEvacuation]:
    found = []
    marked = [key for key, vmi in snapshot.vmis.items() if vmi.evacuation_node]
    for key in sorted(marked):
        vmi = snapshot.vmis[key]
        if vmi.evacuation_node != vmi.node_name:
            continue
        if any(not m.is_final for m in snapshot.migrations_of(vmi.namespace, vmi.name)):
            continue
        # The evacuation controller counts only migrations past Pending (evacuation.go sync, v1.6.0), so
        # it may create a migration the migration controller then holds in Pending (queue_hold).
        hold = _by_limits(snapshot, vmi.evacuation_node, with_target_pods=False)
        found.append(WaitingEvacuation(vmi, vmi.evacuation_node, hold))
    return found


def _created(migration: Migration) -> tuple[float, str]:
    created = migration.meta.created
    return (created.timestamp() if created is not None else 0.0, migration.name)
