"""Everything livemig knows about moving one VM, in one value (Plan), and the cheap line the VM list shows.

`plan_for` combines placement, blockers, the completion budget, target pinning and the progress of
the newest migration; `Plan.to_dict()` is what `livemig plan -o json` prints. `vm_summary` is the
per-VM line for a list of thousands: it checks what can be checked per VM without walking every
node (see its docstring for what that leaves out).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tui.domain import reasons as codes
from tui.domain.budget import CompletionBudget, completion_budget, remaining_seconds
from tui.domain.cpu import effective_cpu_model
from tui.domain.keys import VMKey
from tui.domain.migratable import (
    CHEAP_NODE_CHECK,
    full_node_check,
    vm_blockers,
    warnings,
)
from tui.domain.objects import HOSTNAME_LABEL, VM, VMI, GuestSpec, KubeVirt, Meta
from tui.domain.phases import VMIPhase
from tui.domain.placement import (
    ALWAYS_UNCHECKED,
    NodeVerdict,
    node_verdicts,
    node_verdicts_for_template,
)
from tui.domain.progress import MigrationProgress, migration_progress
from tui.domain.reasons import Reason
from tui.domain.snapshot import ClusterSnapshot
from tui.domain.target_requests import TargetRequests, target_requests
from tui.domain.versions import RuleVersions, rule_versions

PINNING_ADDED_NODE_SELECTOR = "addedNodeSelector"
PINNING_UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Plan:
    """What livemig would tell an operator about migrating one VM now."""

    namespace: str
    name: str
    node: str | None  # where it runs; None when not running
    cpu_model: str
    migratable: bool
    blockers: tuple[Reason, ...]
    completion_budget: CompletionBudget | None
    target_pinning: str  # PINNING_ADDED_NODE_SELECTOR or PINNING_UNSUPPORTED
    target_pinning_reason: str
    nodes: tuple[NodeVerdict, ...]  # every node; for a stopped VM, where it could start
    running: bool = False
    progress: MigrationProgress | None = None  # the newest migration of it, if any
    remaining_seconds: float | None = None  # of the completion budget, while a migration copies memory
    warnings: tuple[Reason, ...] = ()  # what does not hold the VM back but should be known (paused, not Ready)
    versions: RuleVersions | None = None  # whose rules were applied
    not_checked: tuple[str, ...] = ALWAYS_UNCHECKED  # scheduler rules no verdict evaluates, for any VM
    target_requests: TargetRequests | None = None  # what the target pod would request, and how it was known

    @property
    def key(self) -> VMKey:
        return VMKey(self.namespace, self.name)

    @property
    def cautioned_nodes(self) -> int:
        return sum(1 for verdict in self.nodes if verdict.eligible and verdict.cautions)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `livemig plan -o json` (these keys, no others; the later ones were added
        without changing the earlier)."""
        return {
            "vm": {"namespace": self.namespace, "name": self.name},
            "node": self.node,
            "cpu_model": self.cpu_model,
            "migratable": self.migratable,
            "blockers": [reason.to_dict() for reason in self.blockers],
            "completion_budget": self.completion_budget.to_dict() if self.completion_budget else None,
            "target_pinning": self.target_pinning,
            "nodes": [verdict.to_dict() for verdict in self.nodes],
            "warnings": [reason.to_dict() for reason in self.warnings],
            "rule_versions": self.versions.to_dict() if self.versions is not None else None,
            "not_checked": sorted({*self.not_checked, *(r for v in self.nodes for r in v.unchecked)}),
            "target_requests": self.target_requests.to_dict() if self.target_requests is not None else None,
        }


def target_pinning(kubevirt: KubeVirt | None) -> tuple[str, str]:
    """Whether a migration can be sent to a chosen node, and why: VMIM spec.addedNodeSelector exists
    from KubeVirt 1.6; before that (or with the version unknown) it cannot be pinned safely."""
    version = kubevirt.version if kubevirt is not None else None
    if version is None:
        return PINNING_UNSUPPORTED, (
            "The KubeVirt version is unknown, so livemig cannot tell whether a migration may name its target "
            "node (spec.addedNodeSelector needs KubeVirt 1.6 or later)."
        )
    shown = ".".join(str(part) for part in version)
    if version >= (1, 6, 0):
        return PINNING_ADDED_NODE_SELECTOR, (
            f"KubeVirt {shown} takes a target node in the migration's addedNodeSelector."
        )
    return PINNING_UNSUPPORTED, (
        f"KubeVirt {shown} is older than 1.6: a migration cannot name its target node; the scheduler picks one "
        "of the eligible nodes."
    )


def plan_for(snapshot: ClusterSnapshot, namespace: str, name: str, now: datetime) -> Plan:
    """The plan for the VM (or standalone VMI) `namespace/name`. Never raises: a VM that does not exist
    gets a Plan with a NotFound blocker."""
    key = str(VMKey(namespace, name))
    vm, vmi = snapshot.vms.get(key), snapshot.vmis.get(key)
    running = vmi is not None and vmi.phase == VMIPhase.RUNNING
    verdicts = _verdicts(snapshot, vm, vmi)
    found = vm_blockers(snapshot, vm, vmi, full_node_check(verdicts))
    budget_vmi = vmi if vmi is not None else _vmi_from_template(vm) if vm is not None else None
    budget = completion_budget(snapshot, budget_vmi) if budget_vmi is not None else None

    progress = remaining = None
    newest = snapshot.newest_migration_of(namespace, name) if vmi is not None else None
    if newest is not None:
        progress = migration_progress(newest, vmi, budget=budget)
        if not progress.final and budget is not None and vmi is not None:
            remaining = remaining_seconds(budget, vmi.migration_state, now) if progress.started else None

    spec = vmi.spec if vmi is not None else vm.template if vm is not None else None
    pinning, pinning_reason = target_pinning(snapshot.kubevirt)
    return Plan(
        namespace=namespace,
        name=name,
        node=(vmi.node_name or None) if vmi is not None else None,
        cpu_model=effective_cpu_model(spec, snapshot.kubevirt) if spec is not None else "",
        migratable=not found,
        blockers=tuple(found),
        completion_budget=budget,
        target_pinning=pinning,
        target_pinning_reason=pinning_reason,
        nodes=tuple(verdicts),
        running=running,
        progress=progress,
        remaining_seconds=remaining,
        warnings=tuple(warnings(vmi)),
        versions=rule_versions(snapshot),
        target_requests=(
            target_requests(vmi, snapshot.kubevirt, snapshot.source_launcher_pod(vmi))
            if running and vmi is not None and snapshot.pods_known
            else None
        ),
    )


def full_blockers(snapshot: ClusterSnapshot, namespace: str, name: str) -> list[Reason]:
    """The blockers of `plan_for` (every node rule and free capacity), without the rest of the plan:
    what a list asks of the VM under its cursor."""
    key = str(VMKey(namespace, name))
    vm, vmi = snapshot.vms.get(key), snapshot.vmis.get(key)
    return vm_blockers(snapshot, vm, vmi, full_node_check(_verdicts(snapshot, vm, vmi)))


def _verdicts(snapshot: ClusterSnapshot, vm: VM | None, vmi: VMI | None) -> list[NodeVerdict]:
    """Every node's verdict: on migrating a running VMI there, else on starting the VM there."""
    if vmi is not None and vmi.phase == VMIPhase.RUNNING:
        return node_verdicts(snapshot, vmi)
    if vm is not None:
        return node_verdicts_for_template(snapshot, vm)
    return []


def _vmi_from_template(vm: VM) -> VMI:
    """What the VM's VMI would look like for the budget (its labels are the template's)."""
    meta = Meta(name=vm.name, namespace=vm.namespace, labels=dict(vm.template_labels))
    return VMI(meta=meta, spec=vm.template)


# -- the VM list's line ---------------------------------------------------------------------------

_SHORT = {
    codes.NOT_RUNNING: "not running",
    codes.NOT_READY: "not ready",
    codes.MIGRATION_IN_PROGRESS: "migrating",
    codes.HOST_DEVICE: "host device",
    codes.GPU: "GPU",
    codes.CDROM: "CD-ROM",
    codes.CONTAINER_DISK: "container disk",
    codes.NO_ELIGIBLE_NODE: "no other node",
    codes.PAUSED: "paused",
}


@dataclass(frozen=True)
class VMSummary:
    """One VM as the list shows it. `reason` is short ("not running", "DisksNotLiveMigratable", ...)."""

    namespace: str
    name: str
    status: str
    node: str
    cpu_model: str
    memory_bytes: int | None
    migratable: bool
    reason_code: str = ""  # the first blocker's code, "" when migratable
    reason: str = ""
    warning: str = ""  # short, for a migratable VM the operator should look at first ("paused", "not ready")

    @property
    def key(self) -> VMKey:
        return VMKey(self.namespace, self.name)


def vm_summary(snapshot: ClusterSnapshot, vm: VM) -> VMSummary:
    """The list line for one VM, cheap enough for 10,000 VMs.

    The blockers of `plan_for`, with the cheap node check: every node rule (CPU model, selectors,
    affinity, taints, networks, ...) but free capacity, which changes by the second and is left to
    `plan_for`, `full_blockers` and the node picker.
    """
    vmi = snapshot.vmi_of(vm)
    spec = vmi.spec if vmi is not None else vm.template
    found = vm_blockers(snapshot, vm, vmi, CHEAP_NODE_CHECK)
    memory = spec.memory
    status = vm.printable_status or (vmi.phase if vmi is not None else "") or "Unknown"
    first = found[0] if found else None
    return VMSummary(
        namespace=vm.namespace,
        name=vm.name,
        status=status,
        node=vmi.node_name if vmi is not None else "",
        cpu_model=effective_cpu_model(spec, snapshot.kubevirt),
        memory_bytes=memory.ceil() if memory is not None else None,
        migratable=not found,
        reason_code=first.code if first else "",
        reason=_short(first, vmi, spec) if first else "",
        warning=_short(cautions[0], vmi, spec) if (cautions := warnings(vmi)) and not found else "",
    )


def _short(reason: Reason, vmi: VMI | None, spec: GuestSpec) -> str:
    if reason.code == codes.NOT_LIVE_MIGRATABLE and vmi is not None:
        condition = vmi.condition("LiveMigratable")
        return condition.reason if condition is not None and condition.reason else "not live-migratable"
    if reason.code == codes.PINNED_TO_NODE:
        return f"pinned to {spec.node_selector.get(HOSTNAME_LABEL, 'a node')}"
    return _SHORT.get(reason.code, reason.code)
