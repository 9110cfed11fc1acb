"""What the nodes are checked against, worked out once per VM: the rules' frozen input and the rest.

`RuleInput` holds everything the node rules read, and nothing else: it is also the key under which a
snapshot keeps which nodes the rules let a VM onto, so VMs that ask for the same things share one
answer, and a field a rule reads cannot be left out of the key. The one thing the rules get beside
it is the source node's name, which they only write into messages (VMs on different nodes of one
architecture share an answer); tests/domain/test_placement_input.py holds them to that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from tui.domain.cpu import (
    HOST_MODEL,
    SelectorEntry,
    effective_cpu_model,
    host_model_guard,
    host_model_labels,
    launcher_node_affinity,
    launcher_selector_entries,
    required_feature_labels,
    target_selector_entries,
)
from tui.domain.objects import VM, VMI, GuestSpec, Node, NodeAffinity, Pod, Toleration
from tui.domain.placement.unchecked import unchecked_rules
from tui.domain.scheduling import with_default_tolerations
from tui.domain.snapshot import ClusterSnapshot
from tui.domain.target_requests import TargetRequests, target_requests

CLUSTER_NETWORK_NODE_LABEL = "network.harvesterhci.io/"  # + <cluster network> = "true" on attached nodes


@dataclass(frozen=True)
class HostGuard:
    """The source's host-model labels KubeVirt leaves out of a host-model VM's target selector, which
    livemig checks itself (cpu.host_model_guard)."""

    host_model: str
    selector: tuple[tuple[str, str], ...]  # (label, value), in the order KubeVirt would write them
    problem: str  # set when they cannot be known

    @cached_property
    def labels(self) -> dict[str, str]:
        return dict(self.selector)


@dataclass(frozen=True)
class RuleInput:
    """Everything the node rules read of the VM and the cluster; hashable, and the key of their answer."""

    selector: tuple[tuple[str, SelectorEntry], ...]  # the target pod's nodeSelector, in KubeVirt's order
    affinity: NodeAffinity
    tolerations: tuple[Toleration, ...]
    kubevirt_version_known: bool
    source_known: bool = False  # the source node is known (False too when the VM is to be started)
    source_arch: str = ""
    host_model_problem: str = ""  # why KubeVirt cannot build a host-model VM's CPU labels
    host_guard: HostGuard | None = None
    pods_known: bool = False
    cluster_networks: tuple[tuple[str, str, str], ...] = ()  # (VM network, NAD reference, cluster network)
    migration_network: tuple[str, str] | None = None  # (NAD reference, cluster network)

    @cached_property
    def selector_keys(self) -> frozenset[str]:
        return frozenset(key for key, _ in self.selector)


@dataclass(frozen=True)
class Target:
    """A VM to place: the rules' input, and what the verdict adds (the source, capacity, cautions)."""

    rules: RuleInput
    model: str
    source_name: str = ""  # "" when the VM is to be started, not migrated
    source_node: Node | None = None
    source_pod: Pod | None = None
    requests: TargetRequests | None = None  # what the target pod will request (CPU, memory)
    unchecked: tuple[str, ...] = ()  # see NodeVerdict.unchecked


def migration_rule_input(
    snapshot: ClusterSnapshot, vmi: VMI, added_node_selector: Mapping[str, str] | None = None
) -> RuleInput:
    """The rules' input for migrating this running VMI."""
    source_node, source_pod = _source(snapshot, vmi)
    kubevirt = snapshot.kubevirt
    host_model = effective_cpu_model(vmi.spec, kubevirt) == HOST_MODEL
    labels = host_model_labels(source_node, source_pod, required_feature_labels(vmi.spec))
    guard = host_model_guard(source_node, labels) if host_model else None
    selector = target_selector_entries(vmi, source_node, source_pod, kubevirt, added_node_selector)
    return RuleInput(
        selector=tuple(selector.items()),
        affinity=launcher_node_affinity(vmi, kubevirt),
        tolerations=with_default_tolerations(vmi.spec.tolerations),
        kubevirt_version_known=kubevirt is not None and kubevirt.version is not None,
        source_known=source_node is not None,
        source_arch=source_node.arch if source_node is not None else "",
        host_model_problem=labels.problem if host_model else "",
        host_guard=HostGuard(guard.host_model, tuple(guard.selector.items()), guard.problem) if guard else None,
        pods_known=snapshot.pods_known,
        cluster_networks=_cluster_networks(snapshot, vmi.spec, vmi.namespace),
        migration_network=_migration_network(snapshot),
    )


def migration_target(
    snapshot: ClusterSnapshot, vmi: VMI, added_node_selector: Mapping[str, str] | None = None
) -> Target:
    """Migrating this running VMI: the rules' input, its source and what its target pod would request."""
    source_node, source_pod = _source(snapshot, vmi)
    kubevirt = snapshot.kubevirt
    return Target(
        rules=migration_rule_input(snapshot, vmi, added_node_selector),
        model=effective_cpu_model(vmi.spec, kubevirt),
        source_name=vmi.node_name,
        source_node=source_node,
        source_pod=source_pod,
        requests=target_requests(vmi, kubevirt, source_pod),
        unchecked=unchecked_rules(vmi.spec, kubevirt),
    )


def template_target(snapshot: ClusterSnapshot, vm: VM) -> Target:
    """Starting this (stopped) VM from its template: no source, so no host-model constraint and no
    resource check (there is no launcher pod to size it by)."""
    kubevirt = snapshot.kubevirt
    rules = RuleInput(
        selector=tuple(launcher_selector_entries(vm.template, kubevirt).items()),
        affinity=launcher_node_affinity(vm.template, kubevirt),
        tolerations=with_default_tolerations(vm.template.tolerations),
        kubevirt_version_known=kubevirt is not None and kubevirt.version is not None,
        cluster_networks=_cluster_networks(snapshot, vm.template, vm.namespace),
    )
    return Target(
        rules=rules,
        model=effective_cpu_model(vm.template, kubevirt),
        unchecked=unchecked_rules(vm.template, kubevirt),
    )


def nodes_by_name(snapshot: ClusterSnapshot) -> list[Node]:
    return snapshot.memo("nodes-by-name", lambda: sorted(snapshot.nodes.values(), key=lambda node: node.name))


def _source(snapshot: ClusterSnapshot, vmi: VMI) -> tuple[Node | None, Pod | None]:
    source_node = snapshot.nodes.get(vmi.node_name) if vmi.node_name else None
    source_pod = snapshot.source_launcher_pod(vmi) if snapshot.pods_known else None
    return source_node, source_pod


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
