"""Whether a VM may move at all: the blockers that stop any live migration, whatever the target.

KubeVirt refuses a migration when the VMI is not running, when its LiveMigratable condition is False,
or when another migration of it is not final. A paused or not-Ready running VMI migrates: that is a
warning, not a blocker. Host devices, GPUs and a node-pinning nodeSelector keep
a VM in place on any cluster. CD-ROMs and container disks are Harvester's policy only, from 1.4 to 1.7
(its migrate action refuses them; 1.8 dropped the rule): KubeVirt migrates a CD-ROM on a shared PVC and block-migrates a container disk,
and what it cannot migrate it says in LiveMigratable, so on plain KubeVirt that condition decides.
NoEligibleNode says that no node passed the placement checks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tui.domain import reasons as codes
from tui.domain.objects import HOSTNAME_LABEL, VM, VMI, GuestSpec, Migration
from tui.domain.phases import VMIPhase
from tui.domain.placement import NodeVerdict, any_node_allowed_by_rules
from tui.domain.reasons import Reason, in_blocker_order
from tui.domain.snapshot import ClusterSnapshot
from tui.domain.versions import harvester_refuses_cdrom, rule_versions


@dataclass(frozen=True)
class NodeCheck:
    """How `vm_blockers` asks whether some node can take a running VM: its NoEligibleNode reasons.

    `when_blocked` False skips the check for a VM another blocker already holds (NoEligibleNode comes
    last in BLOCKER_CODES, so it could only add to what is said, never change the first reason).
    """

    check: Callable[[ClusterSnapshot, VMI], list[Reason]]
    when_blocked: bool


def full_node_check(verdicts: Sequence[NodeVerdict]) -> NodeCheck:
    """Every node rule and free capacity, from the node verdicts of the running VMI (`plan_for`)."""
    return NodeCheck(lambda snapshot, vmi: no_eligible_node(verdicts), when_blocked=True)


def _rules_let_it_go(snapshot: ClusterSnapshot, vmi: VMI) -> list[Reason]:
    if any_node_allowed_by_rules(snapshot, vmi):
        return []
    return [Reason(codes.NO_ELIGIBLE_NODE, "No other node's rules let the VM go there.")]


# Every node rule but free capacity, which changes by the second: cheap enough for a list of 10,000 VMs,
# since VMs that ask for the same things share one answer per snapshot (any_node_allowed_by_rules).
CHEAP_NODE_CHECK = NodeCheck(_rules_let_it_go, when_blocked=False)


def vm_blockers(snapshot: ClusterSnapshot, vm: VM | None, vmi: VMI | None, node_check: NodeCheck) -> list[Reason]:
    """Every reason this VM cannot be live-migrated now, in BLOCKER_CODES order; empty when it can.

    For a VM that is not running, its template is checked too, so the operator learns what would
    still block it once started. Whether a node can take it is asked of `node_check` (for a running
    VMI, when the nodes could be read).
    """
    if vm is None and vmi is None:
        return [Reason(codes.NOT_FOUND, "No such VirtualMachine or VirtualMachineInstance in the cluster.")]
    found: list[Reason] = []
    running = vmi is not None and vmi.phase == VMIPhase.RUNNING
    if vmi is None or not running:
        found.append(not_running(vm, vmi))
    else:
        found.extend(not_live_migratable(vmi))
    if vmi is not None:
        found.extend(migration_in_progress(snapshot.migrations_of(vmi.namespace, vmi.name)))
    spec = vmi.spec if vmi is not None else vm.template if vm is not None else GuestSpec()
    found.extend(spec_blockers(spec, harvester=harvester_refuses_cdrom(rule_versions(snapshot))))
    if running and vmi is not None and snapshot.nodes_known and (node_check.when_blocked or not found):
        found.extend(node_check.check(snapshot, vmi))
    return in_blocker_order(found)


def blockers(
    snapshot: ClusterSnapshot, vm: VM | None, vmi: VMI | None, verdicts: Sequence[NodeVerdict]
) -> list[Reason]:
    """`vm_blockers` with the full node check: `verdicts` are the node verdicts for the running VMI
    (ignored when it is not running)."""
    return vm_blockers(snapshot, vm, vmi, full_node_check(verdicts))


def warnings(vmi: VMI | None) -> list[Reason]:
    """What the operator should know about a running VMI that still migrates: paused, or not Ready.

    KubeVirt's migration admitter refuses only a VMI that is final or not live-migratable
    (pkg/virt-api/webhooks/validating-webhook/admitters/migration-create-admitter.go, v1.6.0; its
    functional test "should be able to successfully migrate with a paused vmi"). Only Harvester's own
    migrate action asks for Ready (pkg/api/vm/handler.go, v1.4.0), and livemig uses KubeVirt's API.
    """
    if vmi is None or vmi.phase != VMIPhase.RUNNING:
        return []
    found = []
    paused = vmi.condition("Paused")
    if paused is not None and paused.status is True:
        detail = ": ".join(part for part in (paused.reason, paused.message) if part)
        found.append(
            Reason(
                codes.PAUSED,
                f"The VM is paused{f' ({detail})' if detail else ''}: it migrates paused and stays paused.",
            )
        )
        return found  # a paused guest is not Ready either: one warning says it
    return [
        Reason(reason.code, f"{reason.message[:-1]}; KubeVirt migrates it all the same.") for reason in not_ready(vmi)
    ]


def not_running(vm: VM | None, vmi: VMI | None) -> Reason:
    if vmi is None:
        status = vm.printable_status if vm is not None and vm.printable_status else "not running"
        return Reason(codes.NOT_RUNNING, f"The VM is {status}: only a running VM can be live-migrated.")
    phase = vmi.phase or "unknown"
    return Reason(codes.NOT_RUNNING, f"The VM instance is in phase {phase}, not Running.")


def not_ready(vmi: VMI) -> list[Reason]:
    condition = vmi.condition("Ready")
    if condition is not None and condition.status is True:
        return []
    if condition is None:
        return [Reason(codes.NOT_READY, "The VM instance reports no Ready condition.")]
    detail = ": ".join(part for part in (condition.reason, condition.message) if part)
    state = "False" if condition.status is False else "Unknown"
    return [Reason(codes.NOT_READY, f"The VM instance is not Ready (Ready={state}{f', {detail}' if detail else ''}).")]


def not_live_migratable(vmi: VMI) -> list[Reason]:
    """KubeVirt's own verdict, carried verbatim: it refuses the migration with this reason."""
    condition = vmi.condition("LiveMigratable")
    if condition is None or condition.status is not False:
        return []
    return [
        Reason(
            codes.NOT_LIVE_MIGRATABLE,
            f"KubeVirt says the VM is not live-migratable: {condition.reason or '(no reason)'}: "
            f"{condition.message or '(no message)'}",
        )
    ]


def migration_in_progress(migrations: Sequence[Migration]) -> list[Reason]:
    found = []
    for migration in migrations:
        if migration.is_final:
            continue
        phase = migration.phase or "new (no phase yet)"
        aborting = ", being aborted" if migration.meta.deleted is not None else ""
        found.append(
            Reason(
                codes.MIGRATION_IN_PROGRESS, f"Migration {migration.name} is not finished (phase {phase}{aborting})."
            )
        )
    return found


def spec_blockers(spec: GuestSpec, *, harvester: bool = True) -> list[Reason]:
    """What in the VM's definition keeps it in place. `harvester` adds Harvester's own rules (CD-ROMs,
    container disks), which Harvester 1.4 to 1.7 enforce and KubeVirt does not (versions.py)."""
    found = []
    if spec.host_devices:
        found.append(
            Reason(
                codes.HOST_DEVICE, f"The VM uses host devices (PCI/USB passthrough): {', '.join(spec.host_devices)}."
            )
        )
    if spec.gpus:
        found.append(Reason(codes.GPU, f"The VM uses GPUs (vGPU or GPU passthrough): {', '.join(spec.gpus)}."))
    cdroms = [disk.name for disk in spec.disks if disk.kind == "cdrom"] if harvester else []
    if cdroms:
        found.append(
            Reason(
                codes.CDROM,
                f"The VM has a CD-ROM ({', '.join(cdroms)}), and Harvester's policy is not to migrate a VM with "
                "one: eject or remove it first.",
            )
        )
    container_disks = [v.name for v in spec.volumes if v.source == "containerDisk"] if harvester else []
    if container_disks:
        found.append(
            Reason(
                codes.CONTAINER_DISK,
                f"The VM has a container disk ({', '.join(container_disks)}), and Harvester's policy is not to "
                "migrate a VM with one: remove it first.",
            )
        )
    pinned = spec.node_selector.get(HOSTNAME_LABEL)
    if pinned is not None:
        found.append(
            Reason(
                codes.PINNED_TO_NODE,
                f"The VM is pinned to node {pinned} by its nodeSelector ({HOSTNAME_LABEL}={pinned}).",
            )
        )
    return found


def no_eligible_node(verdicts: Sequence[NodeVerdict]) -> list[Reason]:
    if any(verdict.eligible for verdict in verdicts):
        return []
    others = [v for v in verdicts if not any(r.code == codes.SOURCE_NODE for r in v.reasons)]
    if not others:
        return [Reason(codes.NO_ELIGIBLE_NODE, "There is no other node to migrate to.")]
    counts = Counter(code for verdict in others for code in dict.fromkeys(r.code for r in verdict.reasons))
    summary = ", ".join(f"{code} on {count}" for code, count in counts.most_common())
    if len(others) == 1:
        only = others[0].node
        return [Reason(codes.NO_ELIGIBLE_NODE, f"The only other node, {only}, cannot take the VM ({summary}).")]
    return [Reason(codes.NO_ELIGIBLE_NODE, f"None of the {len(others)} other nodes can take the VM ({summary}).")]
