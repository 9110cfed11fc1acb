"""kube-scheduler and the kubelet for simulated pods: which node a pod gets, in kube-scheduler's words why not, its IPs.

Filters run per node in kube-scheduler's plugin order, the first that fails says why the node was
refused: NodeUnschedulable, TaintToleration, NodeAffinity (nodeSelector and required node affinity),
NodeResourcesFit, InterPodAffinity (the pod's required anti-affinity). The rules themselves are
livemig's (tui.domain.scheduling). Feasible nodes are scored by preferred node affinity, then by the
most free memory (LeastAllocated), then by name. With no feasible node the FailedScheduling message
is built as kube-scheduler's FitError does, preemption post-filter included:

    0/3 nodes are available: 1 node(s) didn't match pod anti-affinity rules, 2 node(s) didn't match
    Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful
    for scheduling.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable

from tui.domain.objects import Node, Pod, SelectorRequirement, parse_pod
from tui.domain.scheduling import (
    cordon_blocks,
    required_affinity,
    requirement_holds,
    requirement_problem,
    resource_shortfalls,
    selector_mismatches,
    untolerated_taints,
)
from tui.sim.kubevirt.index import ClusterIndex

NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
UNSCHEDULABLE = "node(s) were unschedulable"
HOSTNAME_LABEL = "kubernetes.io/hostname"
# kube-scheduler looks at every node of a cluster of up to 100 nodes; in a larger one it stops after a
# sample of feasible nodes (percentageOfNodesToScore). The sample here is smaller, which keeps placing
# thousands of VMs at start-up fast.
MIN_NODES_TO_SAMPLE = 100
FEASIBLE_NODES_TO_FIND = 3


@dataclass(frozen=True)
class NodeRefusal:
    """Why one node cannot take a pod: kube-scheduler's reasons, and whether preemption could help."""

    reasons: tuple[str, ...]
    resolvable: bool


@dataclass(frozen=True)
class Placement:
    """Where a pod goes: a node, or None with the FailedScheduling message."""

    node: str | None
    message: str = ""


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _expressions_hold(expressions: Any, labels: dict) -> bool:
    """matchExpressions against labels; an expression that cannot be parsed never holds."""
    for item in _list(expressions):
        item = _dict(item)
        values = item.get("values")
        requirement = SelectorRequirement(
            key=str(item.get("key", "")),
            operator=str(item.get("operator", "")),
            values=tuple(v for v in values if isinstance(v, str)) if isinstance(values, list) else (),
        )
        if requirement_problem(requirement) or not requirement_holds(requirement, labels):
            return False
    return True


def _selector_matches(selector: dict, labels: dict) -> bool:
    """A metav1.LabelSelector (matchLabels and matchExpressions) against a pod's labels."""
    for key, value in _dict(selector.get("matchLabels")).items():
        if labels.get(key) != value:
            return False
    return _expressions_hold(selector.get("matchExpressions"), labels)


def failed_scheduling_message(total: int, refusals: Iterable[NodeRefusal]) -> str:
    """kube-scheduler's FitError message for a pod no node can take."""
    if total == 0:
        return "no nodes available to schedule pods"
    reasons: Counter[str] = Counter()
    preemption: Counter[str] = Counter()
    for refusal in refusals:
        reasons.update(refusal.reasons)
        preemption[NO_VICTIMS if refusal.resolvable else NOT_HELPFUL] += 1
    histogram = ", ".join(sorted(f"{count} {reason}" for reason, count in reasons.items()))
    post_filter = ", ".join(sorted(f"{count} {reason}" for reason, count in preemption.items()))
    return f"0/{total} nodes are available: {histogram}. preemption: 0/{total} nodes are available: {post_filter}."


class Scheduler:
    """Places pods on the nodes of a ClusterIndex."""

    def __init__(self, index: ClusterIndex) -> None:
        self.index = index
        self._next_start = 0

    def refusal(self, pod: Pod, raw_pod: dict, node: Node) -> NodeRefusal | None:
        """Why `node` cannot take the pod, or None when it can."""
        if cordon_blocks(node.unschedulable, pod.tolerations):
            return NodeRefusal((UNSCHEDULABLE,), False)
        untolerated = untolerated_taints(node.taints, pod.tolerations)
        if untolerated:
            return NodeRefusal((f"node(s) had untolerated taint {{{untolerated[0].key}: {untolerated[0].value}}}",), False)
        if selector_mismatches(pod.node_selector, node.labels) or not required_affinity(pod.affinity, node.labels, node.name).matched:
            return NodeRefusal((NODE_AFFINITY,), False)
        usage = self.index.usage(node.name)
        shortfalls = resource_shortfalls(
            node.allocatable_cpu_milli, node.allocatable_memory, node.allocatable_pods, usage, pod.cpu_request_milli, pod.memory_request
        )
        if shortfalls:
            return NodeRefusal(tuple("Too many pods" if s.resource == "pods" else f"Insufficient {s.resource}" for s in shortfalls), True)
        if self._anti_affinity_conflict(raw_pod, node):
            return NodeRefusal((ANTI_AFFINITY,), False)
        return None

    def _anti_affinity_conflict(self, raw_pod: dict, node: Node) -> bool:
        terms = _list(_dict(_dict(_dict(raw_pod.get("spec")).get("affinity")).get("podAntiAffinity")).get("requiredDuringSchedulingIgnoredDuringExecution"))
        if not terms:
            return False
        namespace = _dict(raw_pod.get("metadata")).get("namespace", "")
        pod_name = _dict(raw_pod.get("metadata")).get("name")
        for term in (_dict(t) for t in terms):
            topology = term.get("topologyKey") or HOSTNAME_LABEL
            value = node.labels.get(topology) if topology != HOSTNAME_LABEL else node.name
            if value is None:
                continue
            if topology == HOSTNAME_LABEL:
                neighbours = [node.name]
            else:
                neighbours = [
                    name for name in self.index.node_names() if (self.index.parsed_node(name) or node).labels.get(topology) == value
                ]
            namespaces = term.get("namespaces") or ([] if "namespaceSelector" in term else [namespace])
            for neighbour in neighbours:
                for other in self.index.pods_on(neighbour):
                    other_meta = _dict(other.get("metadata"))
                    if other_meta.get("name") == pod_name or _dict(other.get("status")).get("phase") in ("Succeeded", "Failed"):
                        continue
                    if namespaces and other_meta.get("namespace") not in namespaces:
                        continue
                    if _selector_matches(_dict(term.get("labelSelector")), _dict(other_meta.get("labels"))):
                        return True
        return False

    def _score(self, raw_pod: dict, node: Node) -> tuple:
        preferred = _list(
            _dict(_dict(_dict(_dict(raw_pod.get("spec")).get("affinity")).get("nodeAffinity"))).get("preferredDuringSchedulingIgnoredDuringExecution")
        )
        weight = 0
        for term in (_dict(t) for t in preferred):
            expressions = _dict(term.get("preference")).get("matchExpressions")
            term_weight = term.get("weight")
            if _list(expressions) and isinstance(term_weight, int) and _expressions_hold(expressions, dict(node.labels)):
                weight += term_weight
        usage = self.index.usage(node.name)
        free = 0.0
        if node.allocatable_memory:
            free = (node.allocatable_memory - usage.memory) / node.allocatable_memory
        return (-weight, -free, node.name)

    def place(self, raw_pod: dict, exhaustive: bool = True, pod: Pod | None = None) -> Placement:
        """Choose a node for the pod. `exhaustive` looks at every node (what a FailedScheduling message
        needs); otherwise the search starts where the last one ended and stops after a few feasible
        nodes, like kube-scheduler's sampling of large clusters. `pod` is the parsed pod, if at hand."""
        pod = pod or parse_pod(raw_pod)
        names = self.index.node_names()
        if not names:
            return Placement(None, failed_scheduling_message(0, ()))
        exhaustive = exhaustive or len(names) <= MIN_NODES_TO_SAMPLE
        start = 0 if exhaustive else self._next_start % len(names)
        order = names[start:] + names[:start]
        feasible: list[tuple[tuple, str]] = []
        refusals: list[NodeRefusal] = []
        for position, name in enumerate(order):
            node = self.index.parsed_node(name)
            if node is None:
                continue
            refusal = self.refusal(pod, raw_pod, node)
            if refusal is not None:
                refusals.append(refusal)
                continue
            feasible.append((self._score(raw_pod, node), name))
            if not exhaustive and len(feasible) >= FEASIBLE_NODES_TO_FIND:
                self._next_start = start + position + 1
                break
        if not feasible:
            return Placement(None, failed_scheduling_message(len(names), refusals))
        if not exhaustive and len(feasible) < FEASIBLE_NODES_TO_FIND:
            self._next_start = start + 1
        return Placement(min(feasible)[1])


class AddressBook:
    """Pod and host IPs: each node's pods get addresses from its podCIDR (10.52.<n>.0/24 when it has none)."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}
        self._subnets: dict[str, ipaddress.IPv4Network] = {}

    def _subnet(self, node: dict) -> ipaddress.IPv4Network:
        name = _dict(node.get("metadata")).get("name", "")
        found = self._subnets.get(name)
        if found is None:
            cidr = _dict(node.get("spec")).get("podCIDR")
            try:
                found = ipaddress.ip_network(cidr, strict=False) if cidr else None
            except ValueError:
                found = None
            if not isinstance(found, ipaddress.IPv4Network) or found.num_addresses < 16:
                found = ipaddress.ip_network(f"10.52.{len(self._subnets) % 250}.0/24")
            self._subnets[name] = found
        return found

    def pod_ip(self, node: dict) -> str:
        name = _dict(node.get("metadata")).get("name", "")
        subnet = self._subnet(node)
        offset = self._next.get(name, 10)
        self._next[name] = offset + 1
        return str(subnet.network_address + (offset % (subnet.num_addresses - 2)) + 1)

    @staticmethod
    def host_ip(node: dict) -> str:
        for address in _list(_dict(node.get("status")).get("addresses")):
            if _dict(address).get("type") == "InternalIP":
                return str(address.get("address", ""))
        return ""
