"""Where a VM may go: a verdict for every node, with every reason a node cannot take it.

The checks are what KubeVirt puts on the migration target pod (cpu.py) read the way kube-scheduler
reads them (scheduling.py), plus what Harvester and the migration itself need: a Ready node, no
maintenance, no witness node, the VM's cluster networks and KubeVirt's migration network present,
and for a host-model VM whose target pod KubeVirt builds without its host model the same host CPU as
the source. Each failing check becomes a Reason whose code says which rule and whose message names
the label, taint, value or number.

A host-passthrough VM gets no CPU rule from KubeVirt (nodeselectorrenderer.go skips it, v1.6.0): a
node whose host CPU differs from the source's, or is not labelled, stays eligible with a caution
(`cautions`), since libvirt may then fail the migration. Rules that depend on other pods or on
volumes (pod affinity, topology spread, volume binding, preemption, ...) are not evaluated: a verdict
names those the VM asks for in `unchecked`, and `always_unchecked` those that hold for every VM.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from tui.domain import reasons as codes
from tui.domain.cpu import (
    ARCH_LABEL,
    CPU_FEATURE_LABEL,
    CPU_MANAGER_LABELS,
    CPU_MODEL_LABEL,
    CPU_MODEL_MIGRATION_LABEL,
    HOST_MODEL,
    HOST_MODEL_CPU_LABEL,
    HOST_PASSTHROUGH,
    MACHINE_TYPE_LABEL,
    OBSOLETE_HOST_MODEL_LABEL,
    ORIGIN_ADDED,
    ORIGIN_CLUSTER,
    ORIGIN_CPU_FEATURE,
    ORIGIN_HOST_MODEL_NODE,
    ORIGIN_HOST_MODEL_POD,
    ORIGIN_VMI,
    SCHEDULABLE_LABEL,
    TSC_FREQUENCY_LABEL,
    HostModelLabels,
    SelectorEntry,
    effective_cpu_model,
    host_model_guard,
    host_model_labels,
    host_model_of,
    launcher_node_affinity,
    launcher_selector_entries,
    required_feature_labels,
    target_selector_entries,
)
from tui.domain.objects import VM, VMI, GuestSpec, KubeVirt, Node, NodeAffinity, Pod, Toleration
from tui.domain.reasons import Reason, in_node_order
from tui.domain.scheduling import (
    UNSCHEDULABLE_TAINT,
    AffinityResult,
    RequirementFailure,
    NodeUsage,
    cordon_blocks,
    node_usage,
    required_affinity,
    resource_shortfalls,
    untolerated_taints,
    with_default_tolerations,
)
from tui.domain.snapshot import ClusterSnapshot
from tui.domain.target_requests import TargetRequests, target_requests
from tui.domain.units import human_bytes, human_cpu

MAINTAIN_STATUS_ANNOTATION = "harvesterhci.io/maintain-status"
DRAIN_REQUESTED_ANNOTATION = "harvesterhci.io/drain-requested"
WITNESS_LABEL = "node-role.harvesterhci.io/witness"
CLUSTER_NETWORK_NODE_LABEL = "network.harvesterhci.io/"  # + <cluster network> = "true" on attached nodes
# Harvester labels under that prefix that are no cluster network.
_NOT_CLUSTER_NETWORKS = ("clusternetwork", "vlanconfig")


@dataclass(frozen=True)
class NodeVerdict:
    """Whether one node can take the VM, and every reason it cannot.

    `resources_checked` is False when free CPU and memory could not be compared (pods not readable,
    or the VM's launcher pod not known): the UI says so instead of implying the node has room.
    `unchecked` names the scheduling rules the VM asks for that these checks do not evaluate (pod
    affinity, topology spread, Hyper-V strict checks), one sentence each: the scheduler may still refuse
    an eligible node for them, so the UI shows them next to a "yes". `cautions` are risks that do not
    stop the scheduler or KubeVirt (a host-passthrough VM onto another host CPU), one sentence each.
    """

    node: str
    eligible: bool
    reasons: tuple[Reason, ...]
    resources_checked: bool
    unchecked: tuple[str, ...] = ()
    cautions: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "name": self.node,
            "eligible": self.eligible,
            "reasons": [r.to_dict() for r in self.reasons],
            "cautions": list(self.cautions),
        }


@dataclass(frozen=True)
class _Target:
    """Everything about the VM the nodes are checked against, worked out once."""

    kubevirt: KubeVirt | None
    model: str
    selector: Mapping[str, SelectorEntry]
    affinity: NodeAffinity
    tolerations: tuple[Toleration, ...]
    source_node: Node | None = None  # None when the VM is to be started, not migrated
    source_name: str = ""
    host_labels: HostModelLabels | None = None
    host_guard: HostModelLabels | None = None  # host-model labels KubeVirt leaves out, checked by livemig
    source_pod: Pod | None = None
    requests: TargetRequests | None = None  # what the target pod will request (CPU, memory)
    pods_known: bool = False
    cluster_networks: tuple[tuple[str, str, str], ...] = ()  # (VM network, NAD reference, cluster network)
    migration_network: tuple[str, str] | None = None  # (NAD reference, cluster network)
    unchecked: tuple[str, ...] = ()  # see NodeVerdict.unchecked


def node_verdicts(
    snapshot: ClusterSnapshot, vmi: VMI, *, added_node_selector: Mapping[str, str] | None = None
) -> list[NodeVerdict]:
    """A verdict for every node (sorted by name) on migrating this running VMI there.

    The source node is listed with SourceNode only. `added_node_selector` is what a VMIM's
    spec.addedNodeSelector would add (KubeVirt >= 1.6), e.g. {"kubernetes.io/hostname": "node-2"}.
    """
    target = _migration_target(snapshot, vmi, added_node_selector)
    return [_verdict(snapshot, node, target) for node in _nodes_by_name(snapshot)]


def nodes_allowed_by_rules(snapshot: ClusterSnapshot, vmi: VMI) -> tuple[str, ...]:
    """The nodes (but the source) whose rules let this running VMI migrate there, free capacity aside.

    Every rule of `node_verdicts` but Resources: capacity changes by the second and needs the pods,
    while the rules depend only on what the VM asks for and what the nodes are. VMs that ask for the
    same things share one answer per snapshot, which keeps this cheap enough for a 10,000-VM list.
    """
    target = _migration_target(snapshot, vmi, None)
    allowed, _ = _allowed_by_rules(snapshot, target)
    return tuple(name for name in allowed if name != target.source_name)


def any_node_allowed_by_rules(snapshot: ClusterSnapshot, vmi: VMI) -> bool:
    """Whether nodes_allowed_by_rules is not empty, without listing them (what the VM list asks)."""
    target = _migration_target(snapshot, vmi, None)
    allowed, names = _allowed_by_rules(snapshot, target)
    return len(allowed) > (1 if target.source_name in names else 0)


def _allowed_by_rules(snapshot: ClusterSnapshot, target: _Target) -> tuple[tuple[str, ...], frozenset[str]]:
    """The nodes, the source included, whose rules let `target` there: built once per signature."""

    def build() -> tuple[tuple[str, ...], frozenset[str]]:
        allowed = tuple(node.name for node in _nodes_by_name(snapshot) if not any(rule(node, target) for rule in _RULES))
        return allowed, frozenset(allowed)

    return snapshot.memo(("nodes-allowed-by-rules", _signature(target)), build)


def _signature(target: _Target) -> tuple:
    """What of a target the rules' outcomes depend on, as a hashable value (the snapshot fixes the
    KubeVirt CR). Of the source node only what the rules read (the messages naming it are not made
    here), so VMs on different nodes of one CPU generation share an answer."""
    source = target.source_node
    return (
        target.model,
        tuple(sorted((key, entry.value, entry.origin) for key, entry in target.selector.items())),
        target.affinity,
        target.tolerations,
        bool(target.source_name),
        (source.arch, host_model_of(source)) if source is not None else None,
        target.host_labels.problem if target.host_labels is not None else None,
        (tuple(sorted(target.host_guard.selector.items())), target.host_guard.problem)
        if target.host_guard is not None
        else None,
        target.pods_known,
        target.cluster_networks,
        target.migration_network,
        target.unchecked,
    )


def _migration_target(
    snapshot: ClusterSnapshot, vmi: VMI, added_node_selector: Mapping[str, str] | None
) -> _Target:
    source_node = snapshot.nodes.get(vmi.node_name) if vmi.node_name else None
    source_pod = snapshot.source_launcher_pod(vmi) if snapshot.pods_known else None
    kubevirt = snapshot.kubevirt
    model = effective_cpu_model(vmi.spec, kubevirt)
    host_labels = host_model_labels(source_node, source_pod, required_feature_labels(vmi.spec))
    return _Target(
        kubevirt=kubevirt,
        model=model,
        selector=target_selector_entries(vmi, source_node, source_pod, kubevirt, added_node_selector),
        affinity=launcher_node_affinity(vmi, kubevirt),
        tolerations=with_default_tolerations(vmi.spec.tolerations),
        source_node=source_node,
        source_name=vmi.node_name,
        host_labels=host_labels if model == HOST_MODEL else None,
        host_guard=host_model_guard(source_node, host_labels) if model == HOST_MODEL else None,
        source_pod=source_pod,
        requests=target_requests(vmi, kubevirt, source_pod),
        pods_known=snapshot.pods_known,
        cluster_networks=_cluster_networks(snapshot, vmi.spec, vmi.namespace),
        migration_network=_migration_network(snapshot),
        unchecked=unchecked_rules(vmi.spec, kubevirt),
    )


def unchecked_rules(spec: GuestSpec, kubevirt: KubeVirt | None) -> tuple[str, ...]:
    """The scheduling rules this VM asks for that placement does not evaluate, in an operator's words.

    Pod (anti-)affinity and topology spread depend on where other pods run; volume binding on the
    volumes' node affinity; preemption and another scheduler change what a refusal means; Hyper-V strict
    checks, realtime and SEV add node labels livemig does not read. Only rules that can refuse a node
    (or make a refusal untrue) are named: preferred terms and ScheduleAnyway constraints only rank nodes.
    """
    found = []
    if spec.required_pod_affinity:
        found.append(
            "The VM's required pod affinity (spec.affinity.podAffinity) is not checked: the scheduler may "
            "refuse this node if the pods it must run next to are elsewhere."
        )
    if spec.required_pod_anti_affinity:
        found.append(
            "The VM's required pod anti-affinity (spec.affinity.podAntiAffinity) is not checked: the scheduler "
            "may refuse this node if pods it must avoid run there."
        )
    if spec.spread_constraints:
        found.append(
            "The VM's topology spread constraints (spec.topologySpreadConstraints, DoNotSchedule) are not "
            "checked: the scheduler may refuse this node to keep the spread."
        )
    gates = kubevirt.feature_gates if kubevirt is not None else ()
    if spec.hyperv and "HypervStrictCheck" in gates:
        found.append(
            "KubeVirt's Hyper-V strict check (feature gate HypervStrictCheck) is not checked: the scheduler "
            "may refuse this node if it lacks a Hyper-V feature the VM enables."
        )
    if spec.realtime:
        found.append(
            "The realtime node label (kubevirt.io/realtime) KubeVirt asks for is not checked: the scheduler "
            "may refuse this node if it lacks it."
        )
    if spec.sev:
        found.append(
            "The SEV node label (kubevirt.io/sev) KubeVirt asks for is not checked: the scheduler may refuse "
            "this node if it lacks it."
        )
    if any(volume.source in ("persistentVolumeClaim", "dataVolume") for volume in spec.volumes):
        found.append(
            "Volume binding and zones (the persistent volumes' node affinity) and per-node volume limits are "
            "not checked: the scheduler may refuse this node if a volume cannot be attached there."
        )
    if spec.priority_class_name:
        found.append(
            f"Preemption is not checked: with priority class {spec.priority_class_name} the scheduler may evict "
            "lower-priority pods, so a node refused for Resources may still take the VM."
        )
    if spec.scheduler_name and spec.scheduler_name != "default-scheduler":
        found.append(
            f"The VM names scheduler {spec.scheduler_name}: its rules are not checked, and it may decide "
            "otherwise than kube-scheduler."
        )
    return tuple(found)


# What no VM can ask away: the scheduler evaluates them for every target pod.
ALWAYS_UNCHECKED = (
    "Other pods' required anti-affinity against the VM's launcher pod is not checked: the scheduler may "
    "refuse a node where such a pod runs.",
)


def node_verdicts_for_template(snapshot: ClusterSnapshot, vm: VM) -> list[NodeVerdict]:
    """A verdict for every node on starting this (stopped) VM there, from its template.

    There is no source: no SourceNode, no host-model constraint (a fresh start takes the node's own
    CPU), and no resource check (there is no launcher pod to size it by).
    """
    kubevirt = snapshot.kubevirt
    target = _Target(
        kubevirt=kubevirt,
        model=effective_cpu_model(vm.template, kubevirt),
        selector=launcher_selector_entries(vm.template, kubevirt),
        affinity=launcher_node_affinity(vm.template, kubevirt),
        tolerations=with_default_tolerations(vm.template.tolerations),
        cluster_networks=_cluster_networks(snapshot, vm.template, vm.namespace),
        unchecked=unchecked_rules(vm.template, kubevirt),
    )
    return [_verdict(snapshot, node, target) for node in _nodes_by_name(snapshot)]


def _nodes_by_name(snapshot: ClusterSnapshot) -> list[Node]:
    return sorted(snapshot.nodes.values(), key=lambda node: node.name)


def _cluster_networks(snapshot: ClusterSnapshot, spec: GuestSpec, namespace: str) -> tuple[tuple[str, str, str], ...]:
    found = []
    for network in spec.networks:
        if network.kind != "multus" or not network.network_name:
            continue
        nad = snapshot.nad(network.network_name, namespace)
        if nad is not None and nad.cluster_network:
            found.append((network.name, nad.key, nad.cluster_network))
    return tuple(found)


def _migration_network(snapshot: ClusterSnapshot) -> tuple[str, str] | None:
    kubevirt = snapshot.kubevirt
    if kubevirt is None or not kubevirt.migrations.network:
        return None
    name = kubevirt.migrations.network
    # KubeVirt looks the NetworkAttachmentDefinition up in its own namespace.
    nad = snapshot.nad(name, kubevirt.meta.namespace)
    if nad is None:
        candidates = [n for n in snapshot.nads.values() if n.meta.name == name.rpartition("/")[2]]
        nad = candidates[0] if len(candidates) == 1 else None
    if nad is None or not nad.cluster_network:
        return None  # not readable, or not a Harvester cluster network: nothing to check against
    return (nad.key, nad.cluster_network)


# -- the verdict ----------------------------------------------------------------------------------


def _verdict(snapshot: ClusterSnapshot, node: Node, target: _Target) -> NodeVerdict:
    if target.source_name and node.name == target.source_name:
        return NodeVerdict(node.name, False, (Reason(codes.SOURCE_NODE, "The VM runs on this node now."),), False)
    found: list[Reason] = []
    for rule in _RULES:
        found.extend(rule(node, target))
    checked, resource_reasons = _resources(snapshot, node, target)
    found.extend(resource_reasons)
    caution = passthrough_caution(node, target.model, target.source_node, target.source_name)
    return NodeVerdict(
        node.name, not found, in_node_order(found), checked, target.unchecked, (caution,) if caution else ()
    )


def _not_ready(node: Node, target: _Target) -> list[Reason]:
    if node.ready is True:
        return []
    detail = ": ".join(part for part in (node.ready_reason, node.ready_message) if part)
    if node.ready is False:
        text = "Node is not Ready"
    else:
        text = "Node readiness is unknown: its Ready condition is Unknown or missing"
    return [Reason(codes.NOT_READY, f"{text}{f' ({detail})' if detail else ''}.")]


def _cordoned(node: Node, target: _Target) -> list[Reason]:
    if not cordon_blocks(node.unschedulable, target.tolerations):
        return []
    return [Reason(codes.UNSCHEDULABLE, "Node is cordoned (spec.unschedulable: true); uncordon it to place VMs here.")]


def _maintenance(node: Node, target: _Target) -> list[Reason]:
    found = []
    status = node.annotations.get(MAINTAIN_STATUS_ANNOTATION)
    if status is not None:
        found.append(
            Reason(
                codes.MAINTENANCE,
                f"Node is in Harvester maintenance mode (annotation {MAINTAIN_STATUS_ANNOTATION}={status}).",
            )
        )
    drain = node.annotations.get(DRAIN_REQUESTED_ANNOTATION)
    if drain is not None:
        found.append(
            Reason(codes.MAINTENANCE, f"Node is being drained (annotation {DRAIN_REQUESTED_ANNOTATION}={drain}).")
        )
    return found


def _witness(node: Node, target: _Target) -> list[Reason]:
    """Harvester takes the label's presence, whatever its value, for a witness node
    (pkg/webhook/resources/setting/validator.go and node/cpu_manager_controller.go, v1.7.0)."""
    value = node.labels.get(WITNESS_LABEL)
    if value is None:
        return []
    return [
        Reason(codes.WITNESS, f"Node is a Harvester witness node (label {WITNESS_LABEL}={value}); it runs no VMs.")
    ]


def _selector(node: Node, target: _Target) -> list[Reason]:
    """Every key of the target pod's nodeSelector the node lacks, each under the rule it belongs to."""
    found: list[Reason] = []
    missing_features: dict[str, list[str]] = {}
    version_known = target.kubevirt is not None and target.kubevirt.version is not None
    for key, entry in target.selector.items():
        actual = node.labels.get(key)
        if actual == entry.value:
            continue
        if key in CPU_MANAGER_LABELS and not version_known and any(
            node.labels.get(label) == "true" for label in CPU_MANAGER_LABELS
        ):
            continue  # which of the two names KubeVirt asks for depends on its version, which is unknown
        if key.startswith(CPU_FEATURE_LABEL):
            missing_features.setdefault(entry.origin, []).append(key[len(CPU_FEATURE_LABEL):])
            continue
        found.append(_selector_reason(key, entry, actual, target))
    for origin, features in missing_features.items():
        found.append(_features_reason(origin, sorted(features), target))
    return found


def _cluster_network_of(key: str) -> str:
    """The Harvester cluster network a node label stands for ("" when the label is no such thing)."""
    if not key.startswith(CLUSTER_NETWORK_NODE_LABEL):
        return ""
    name = key[len(CLUSTER_NETWORK_NODE_LABEL):]
    return "" if name in _NOT_CLUSTER_NETWORKS else name


def _has(key: str, actual: str | None) -> str:
    return f"the node has {key}={actual}" if actual is not None else f"the node has no label {key}"


def _selector_reason(key: str, entry: SelectorEntry, actual: str | None, target: _Target) -> Reason:
    wanted = entry.value
    if key == SCHEDULABLE_LABEL:
        if actual is None:
            return Reason(
                codes.KUBEVIRT_NOT_SCHEDULABLE,
                f"Node has no {SCHEDULABLE_LABEL} label: KubeVirt's virt-handler has not registered it.",
            )
        return Reason(
            codes.KUBEVIRT_NOT_SCHEDULABLE,
            f"KubeVirt marks the node unschedulable ({SCHEDULABLE_LABEL}={actual}): virt-handler there is not healthy.",
        )
    if key == ARCH_LABEL:
        return Reason(codes.ARCH, f"Node architecture is {actual or 'unknown'} ({ARCH_LABEL}); the VM needs {wanted}.")
    if key.startswith(CPU_MODEL_MIGRATION_LABEL):
        model = key[len(CPU_MODEL_MIGRATION_LABEL):]
        if entry.origin == ORIGIN_HOST_MODEL_POD:
            return Reason(
                codes.CPU_MODEL,
                f"Node cannot take the VM's host CPU model {model} (label {key}={wanted} missing; the VM's "
                "launcher pod asks for it because the VM migrated before).",
            )
        return Reason(
            codes.CPU_MODEL,
            f"Node cannot take host CPU model {model} of source node {target.source_name} "
            f"(label {key}={wanted} missing){_unread_pod_note(target)}.",
        )
    if key.startswith(CPU_MODEL_LABEL):
        model = key[len(CPU_MODEL_LABEL):]
        return Reason(codes.CPU_MODEL, f"Node does not support CPU model {model} (label {key}={wanted} missing).")
    if key in CPU_MANAGER_LABELS:
        return Reason(
            codes.CPU_MANAGER,
            f"VM uses dedicated CPUs (dedicatedCpuPlacement) and the node lacks {key}={wanted}: "
            "CPU manager is not enabled there.",
        )
    network = _cluster_network_of(key)
    if network:
        return Reason(
            codes.NETWORK,
            f"Node is not attached to cluster network {network} (label {key}={wanted} asked by the VM's nodeSelector).",
        )
    if key.startswith(TSC_FREQUENCY_LABEL):
        frequency = key[len(TSC_FREQUENCY_LABEL):]
        return Reason(
            codes.NODE_SELECTOR,
            f"Node cannot run the VM's TSC at {frequency} Hz, which the guest keeps across a migration (label "
            f"{key}={wanted} missing; the VM needs a stable TSC: CPU feature invtsc or Hyper-V reenlightenment).",
        )
    if key.startswith(MACHINE_TYPE_LABEL):
        machine = key[len(MACHINE_TYPE_LABEL):]
        return Reason(
            codes.NODE_SELECTOR,
            f"Node does not offer machine type {machine} that the VM runs (label {key}={wanted}; "
            "KubeVirt 1.5.1 and later require it).",
        )
    origin = {
        ORIGIN_ADDED: "the migration's addedNodeSelector",
        ORIGIN_CLUSTER: "the KubeVirt CR's developerConfiguration.nodeSelectors",
        ORIGIN_VMI: "the VM's nodeSelector",
    }.get(entry.origin, entry.origin)
    if actual is None:
        return Reason(codes.NODE_SELECTOR, f"Node lacks label {key}={wanted}, required by {origin}.")
    return Reason(codes.NODE_SELECTOR, f"Node has {key}={actual}; {origin} requires {key}={wanted}.")


def _features_reason(origin: str, features: list[str], target: _Target) -> Reason:
    names = ", ".join(features)
    count = f"{len(features)} CPU feature{'s' if len(features) != 1 else ''}"
    if origin == ORIGIN_HOST_MODEL_NODE:
        why = f"required by the host CPU model of source node {target.source_name}"
    elif origin == ORIGIN_HOST_MODEL_POD:
        why = "required by the VM's host CPU model (its launcher pod asks for them: the VM migrated before)"
    elif origin == ORIGIN_CPU_FEATURE:
        why = "the VM's cpu.features require"
    else:
        why = "required"
    note = _unread_pod_note(target) if origin == ORIGIN_HOST_MODEL_NODE else ""
    return Reason(
        codes.CPU_FEATURE, f"Node lacks {count} {why}: {names} (labels {CPU_FEATURE_LABEL}<feature>){note}."
    )


def _unread_pod_note(target: _Target) -> str:
    """Without pods, a VM that migrated before cannot be told apart: KubeVirt would use its pod's selectors."""
    if target.pods_known:
        return ""
    return (
        "; pods could not be read, and if the VM migrated before, KubeVirt asks for the model on its launcher "
        "pod instead"
    )


def _arch_without_selector(node: Node, target: _Target) -> list[Reason]:
    """With no architecture on the VMI, a migration still cannot cross architectures."""
    if ARCH_LABEL in target.selector or target.source_node is None:
        return []
    wanted = target.source_node.arch
    if not wanted or node.arch == wanted:
        return []
    return [
        Reason(codes.ARCH, f"Node architecture is {node.arch or 'unknown'}; the source node's is {wanted}.")
    ]


def _affinity(node: Node, target: _Target) -> list[Reason]:
    result = required_affinity(target.affinity, node.labels, node.name)
    if result.matched:
        return []
    if result.no_usable_terms:
        return [
            Reason(
                codes.NODE_AFFINITY,
                "The VM's required node affinity has no term with expressions; Kubernetes matches no node with it.",
            )
        ]
    return _affinity_reasons(result)


def _affinity_reasons(result: AffinityResult) -> list[Reason]:
    """Failures shared by every term fail the node on their own and are named one by one (this is where
    Harvester's network rules and KubeVirt's CPU rules land); what else keeps each term from matching
    is summed up in one NodeAffinity reason."""

    def same(a: RequirementFailure, b: RequirementFailure) -> bool:
        return a.requirement == b.requirement and a.is_field == b.is_field

    first, rest = result.terms[0], result.terms[1:]
    common = [f for f in first.failures if not f.invalid and all(any(same(f, g) for g in t.failures) for t in rest)]
    found = [_requirement_reason(f) for f in common]
    leftovers = [[f for f in t.failures if not any(same(f, c) for c in common)] for t in result.terms]
    if all(leftovers):
        if len(result.terms) == 1:
            found.extend(_requirement_reason(f) for f in leftovers[0])
        else:
            parts = [
                f"term {t.index + 1}: " + "; ".join(_describe_failure(f) for f in left)
                for t, left in zip(result.terms, leftovers)
            ]
            found.append(
                Reason(
                    codes.NODE_AFFINITY,
                    f"None of the {len(result.terms)} required node-affinity terms matches ({' | '.join(parts)}).",
                )
            )
    return found


def _requirement_reason(failure: RequirementFailure) -> Reason:
    requirement = failure.requirement
    key = requirement.key
    if not failure.is_field and not failure.invalid:
        network = _cluster_network_of(key)
        if network:
            return Reason(
                codes.NETWORK,
                f"Node is not attached to cluster network {network}, which the VM's networks use "
                f"(node affinity {_describe_requirement(failure)}; {_has(key, failure.actual)}).",
            )
        if key in CPU_MANAGER_LABELS:
            return Reason(
                codes.CPU_MANAGER,
                f"VM needs dedicated CPUs and the node lacks {key}=true: CPU manager is not enabled there "
                f"(node affinity {_describe_requirement(failure)}).",
            )
        if key == OBSOLETE_HOST_MODEL_LABEL and requirement.operator == "DoesNotExist":
            return Reason(
                codes.CPU_MODEL,
                f"KubeVirt's node labeller marks this node's host CPU model obsolete (label {key}); "
                "host-model VMs cannot run here.",
            )
        if key.startswith(CPU_FEATURE_LABEL) and requirement.operator == "DoesNotExist":
            return Reason(
                codes.CPU_FEATURE,
                f"Node has CPU feature {key[len(CPU_FEATURE_LABEL):]}, which the VM forbids (label {key}).",
            )
    return Reason(codes.NODE_AFFINITY, f"Required node affinity not met: {_describe_failure(failure)}.")


def _describe_requirement(failure: RequirementFailure) -> str:
    requirement = failure.requirement
    values = ", ".join(requirement.values)
    subject = requirement.key or "(no key)"
    operator = requirement.operator
    if operator in ("In", "NotIn"):
        return f"{subject} {'in' if operator == 'In' else 'not in'} ({values})"
    if operator == "Exists":
        return f"{subject} exists"
    if operator == "DoesNotExist":
        return f"{subject} does not exist"
    if operator in ("Gt", "Lt"):
        return f"{subject} {'>' if operator == 'Gt' else '<'} {values}"
    return f"{subject} {operator or '(no operator)'} ({values})"


def _describe_failure(failure: RequirementFailure) -> str:
    wanted = _describe_requirement(failure)
    if failure.invalid:
        return f"{wanted} is invalid ({failure.invalid}), so its term matches no node"
    if failure.is_field:
        return f"{wanted}, but the node is named {failure.actual}" if failure.actual is not None else wanted
    key = failure.requirement.key
    if failure.actual is None:
        return f"{wanted}, but the node has no label {key}"
    if failure.requirement.operator in ("Gt", "Lt"):
        return f"{wanted}, but the node has {key}={failure.actual}"
    return f"{wanted}, but the node has {key}={failure.actual}"


def _taints(node: Node, target: _Target) -> list[Reason]:
    found = []
    for taint in untolerated_taints(node.taints, target.tolerations):
        if node.unschedulable and taint.key == UNSCHEDULABLE_TAINT.key:
            continue  # the cordon, already said by Unschedulable
        shown = f"{taint.key}={taint.value}:{taint.effect}" if taint.value else f"{taint.key}:{taint.effect}"
        found.append(Reason(codes.TAINT, f"Node has taint {shown} and the VM has no toleration for it."))
    return found


def _host_model_problem(node: Node, target: _Target) -> list[Reason]:
    if target.host_labels is None or not target.host_labels.problem:
        return []
    return [Reason(codes.CPU_MODEL, f"The VM uses host-model and {target.host_labels.problem}.")]


_UNGUARDED = (
    "KubeVirt would not stop it: the VM's own cpu.features, on its launcher pod, make KubeVirt leave the host "
    "model off the target pod, and libvirt would then refuse the migration or the guest see a different CPU"
)


def _unguarded_host_model(node: Node, target: _Target) -> list[Reason]:
    """The source's host model and its required features, for a host-model VM whose target pod KubeVirt
    builds without them (see cpu.host_model_guard)."""
    guard = target.host_guard
    if guard is None:
        return []
    note = _unread_pod_note(target)
    if guard.problem:
        detail = (
            f"source node {target.source_name} has no {HOST_MODEL_CPU_LABEL}<model> label"
            if target.source_node is not None
            else "the source node is not known"
        )
        return [
            Reason(
                codes.CPU_MODEL,
                f"VM uses host-model and its CPU cannot be confirmed on this node: {detail}. {_UNGUARDED}{note}.",
            )
        ]
    found = []
    model_key = CPU_MODEL_MIGRATION_LABEL + guard.host_model
    wanted = guard.selector.get(model_key, "true")
    if node.labels.get(model_key) != wanted and model_key not in target.selector:
        found.append(
            Reason(
                codes.CPU_MODEL,
                f"Node cannot take host CPU model {guard.host_model} of source node {target.source_name} "
                f"(label {model_key}={wanted} missing). {_UNGUARDED}{note}.",
            )
        )
    features = sorted(
        key[len(CPU_FEATURE_LABEL):]
        for key, value in guard.selector.items()
        if key.startswith(CPU_FEATURE_LABEL) and node.labels.get(key) != value and key not in target.selector
    )
    if features:
        count = f"{len(features)} CPU feature{'s' if len(features) != 1 else ''}"
        found.append(
            Reason(
                codes.CPU_FEATURE,
                f"Node lacks {count} of the host CPU model of source node {target.source_name}: "
                f"{', '.join(features)} (labels {CPU_FEATURE_LABEL}<feature>). {_UNGUARDED}{note}.",
            )
        )
    return found


def passthrough_caution(node: Node, model: str, source_node: Node | None, source_name: str) -> str:
    """For a host-passthrough VM, the risk on a node whose host CPU differs from the source's or cannot be
    told (no host-model-cpu label: arm64 nodes have none); "" when the two are the same or nothing moves.

    KubeVirt asks for no CPU label (nodeselectorrenderer.go Render, v1.6.0) and virt-handler checks
    host-model VMs only, so the scheduler takes any node: this is a caution, never a refusal.
    """
    if model != HOST_PASSTHROUGH or not source_name or node.name == source_name:
        return ""
    source_model = host_model_of(source_node) if source_node is not None else ""
    node_model = host_model_of(node)
    if source_model and node_model == source_model:
        return ""
    if source_model and node_model:
        return (
            f"The VM uses host-passthrough, and this node's host CPU ({node_model}) differs from source node "
            f"{source_name}'s ({source_model}): KubeVirt lets the migration start, and libvirt may fail it or "
            "the guest may see a different CPU."
        )
    unknown = [name for name, known in (("this node", node_model), (f"source node {source_name}", source_model)) if not known]
    return (
        f"The VM uses host-passthrough, and the host CPUs cannot be compared ({' and '.join(unknown)} "
        f"{'has' if len(unknown) == 1 else 'have'} no {HOST_MODEL_CPU_LABEL}<model> label): KubeVirt lets the "
        "migration start, and libvirt may fail it if the CPUs differ."
    )


def _networks(node: Node, target: _Target) -> list[Reason]:
    """The VM's Harvester cluster networks, from its NetworkAttachmentDefinitions (whether or not the VM
    carries the node affinity Harvester adds for them, the bridge must exist on the target)."""
    affinity_keys = {
        r.key for t in (target.affinity.terms or ()) for r in t.match_expressions
    }
    found = []
    for network, nad, cluster_network in target.cluster_networks:
        label = CLUSTER_NETWORK_NODE_LABEL + cluster_network
        if node.labels.get(label) == "true" or label in affinity_keys or label in target.selector:
            continue  # present, or already checked (and named) by the affinity or selector rule
        found.append(
            Reason(
                codes.NETWORK,
                f"VM network {network} uses {nad} on cluster network {cluster_network}, which this node is "
                f"not attached to (label {label}=true missing).",
            )
        )
    return found


def _migration_network_rule(node: Node, target: _Target) -> list[Reason]:
    if target.migration_network is None or target.source_node is None:
        return []
    nad, cluster_network = target.migration_network
    label = CLUSTER_NETWORK_NODE_LABEL + cluster_network
    if node.labels.get(label) == "true":
        return []
    return [
        Reason(
            codes.MIGRATION_NETWORK,
            f"KubeVirt migrates over {nad} (cluster network {cluster_network}) and this node is not attached "
            f"to it (label {label}=true missing).",
        )
    ]


def _resources(snapshot: ClusterSnapshot, node: Node, target: _Target) -> tuple[bool, list[Reason]]:
    pod, requests = target.source_pod, target.requests
    if not target.pods_known or pod is None or not pod.requests_known or requests is None:
        return False, []
    shortfalls = resource_shortfalls(
        node.allocatable_cpu_milli,
        node.allocatable_memory,
        node.allocatable_pods,
        _usage(snapshot, node.name),
        requests.cpu_milli,
        requests.memory,
        request_other=pod.other_requests,
        allocatable_other=node.allocatable_other,
    )
    checked = node.allocatable_cpu_milli is not None and node.allocatable_memory is not None
    found = []
    # Resources the node does not list at all make one reason (a node without virt-handler's device
    # plugins lacks all three of KubeVirt's devices at once).
    absent = [s for s in shortfalls if s.resource not in _OWN_FIELDS and s.resource not in node.allocatable_other]
    if absent:
        asked = ", ".join(f"{short.resource} ({_amount(short.resource, short.requested)})" for short in absent)
        found.append(
            Reason(
                codes.RESOURCES,
                f"Node does not offer what the VM's target pod would request (not in its allocatable resources): {asked}.",
            )
        )
    for short in shortfalls:
        pods = f"{short.pods_counted} pod{'s' if short.pods_counted != 1 else ''}"
        if short in absent:
            continue
        if short.resource == "pods":
            text = f"Node already runs {pods}, its maximum (allocatable pods: {short.allocatable})."
        else:
            name, show = short.resource, lambda amount: _amount(short.resource, amount)
            if short.resource == "memory":
                name, show = "memory", human_bytes
            elif short.resource == "cpu":
                name, show = "CPU", lambda milli: f"{human_cpu(milli)} CPU"
            text = (
                f"Not enough {name}: the VM's target pod would request {show(short.requested)}; the node has "
                f"{show(short.allocatable)} allocatable, {show(short.used)} already requested by {pods}, "
                f"{show(max(short.free, 0))} free."
            )
        found.append(Reason(codes.RESOURCES, text))
    return checked, found


_OWN_FIELDS = ("cpu", "memory", "pods")  # resources with Node fields of their own, always listed


def _amount(resource: str, amount: int) -> str:
    """An amount of a resource other than CPU: bytes where the resource is storage or memory, else a count."""
    if resource == "ephemeral-storage" or resource.startswith("hugepages-"):
        return human_bytes(amount)
    return str(amount)


def _usage(snapshot: ClusterSnapshot, node_name: str) -> NodeUsage:
    """Per node, summed once per snapshot: every VM's verdicts need the same sums."""
    cache = snapshot.memo("node_usage", dict)
    usage = cache.get(node_name)
    if usage is None:
        usage = cache[node_name] = node_usage(snapshot.pods_on(node_name))
    return usage


_RULES: tuple[Callable[[Node, _Target], list[Reason]], ...] = (
    _not_ready,
    _cordoned,
    _maintenance,
    _witness,
    _selector,
    _arch_without_selector,
    _affinity,
    _taints,
    _host_model_problem,
    _unguarded_host_model,
    _networks,
    _migration_network_rule,
)
