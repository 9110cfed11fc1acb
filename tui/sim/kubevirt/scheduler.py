"""kube-scheduler and the kubelet for simulated pods: which node a pod gets, in kube-scheduler's words why not, its IPs.

Filters run per node in kube-scheduler's default plugin order (pkg/scheduler/apis/config/v1/
default_plugins.go), the first that fails says why the node was refused: NodeUnschedulable,
TaintToleration, NodeAffinity (nodeSelector and required node affinity), NodeResourcesFit,
InterPodAffinity (pkg/scheduler/framework/plugins/interpodaffinity/filtering.go: existing pods'
required anti-affinity against the pod, then the pod's required affinity, then its required
anti-affinity; a topology domain is a node label's value, and a node without the topology key is
outside every domain). The rules are the simulator's own (tui.sim.kubevirt.filters), written from
the Kubernetes sources, never livemig's. Feasible nodes are scored by preferred node affinity, then
by the most free memory (LeastAllocated), then by name. With no feasible node the FailedScheduling
message is built as kube-scheduler's FitError does, preemption post-filter included:

    0/3 nodes are available: 1 node(s) didn't match pod anti-affinity rules, 2 node(s) didn't match
    Pod's node affinity/selector. preemption: 0/3 nodes are available: 1 No preemption victims found
    for incoming pod, 2 Preemption is not helpful for scheduling.

Preemption (pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go) skips nodes a
filter refused as UnschedulableAndUnresolvable ("Preemption is not helpful for scheduling": cordon,
taints, node affinity, pod affinity) and finds no victim elsewhere, every simulated pod having
priority 0 ("No preemption victims found for incoming pod": resources, pod anti-affinity).
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable

from tui.sim.kubevirt import filters
from tui.sim.kubevirt.filters import SchedNode
from tui.sim.kubevirt.index import ClusterIndex

NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
AFFINITY = "node(s) didn't match pod affinity rules"
EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
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


def selector_matches(selector: Any, labels: dict) -> bool:
    """A metav1.LabelSelector against labels: a missing selector matches nothing, an empty one
    everything; an expression that cannot be parsed matches nothing."""
    if not isinstance(selector, dict):
        return False
    for key, value in _dict(selector.get("matchLabels")).items():
        if labels.get(key) != value:
            return False
    return all(filters.label_requirement(_dict(e), labels) is True for e in _list(selector.get("matchExpressions")))


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


def _terms(pod: dict, kind: str) -> list[dict]:
    affinity = _dict(_dict(_dict(pod.get("spec")).get("affinity")).get(kind))
    return [_dict(t) for t in _list(affinity.get("requiredDuringSchedulingIgnoredDuringExecution"))]


class Scheduler:
    """Places pods on the nodes of a ClusterIndex."""

    def __init__(self, index: ClusterIndex) -> None:
        self.index = index
        self._next_start = 0

    def refusal(self, raw_pod: dict, node: SchedNode, facts: filters.PodFacts | None = None) -> NodeRefusal | None:
        """Why `node` cannot take the pod, or None when it can; `facts` are the pod's, if at hand."""
        facts = filters.pod_facts(raw_pod) if facts is None else facts
        if filters.cordon_refuses(node, facts):
            return NodeRefusal((UNSCHEDULABLE,), False)
        taint = filters.untolerated_taint(node, facts)
        if taint is not None:
            return NodeRefusal((f"node(s) had untolerated taint {{{taint.key}: {taint.value}}}",), False)
        if not filters.node_affinity_matches(facts, node):
            return NodeRefusal((NODE_AFFINITY,), False)
        shortfalls = filters.insufficient(node, facts.requests, self.index.usage(node.name))
        if shortfalls:
            return NodeRefusal(tuple(shortfalls), True)
        reason = self._pod_affinity_problem(raw_pod, node)
        if reason:
            # Anti-affinity is Unschedulable (a victim could make room), pod affinity UnschedulableAndUnresolvable.
            return NodeRefusal((reason,), reason != AFFINITY)
        return None

    # -- InterPodAffinity --------------------------------------------------------------------------

    def _namespaces(self, owner: dict, term: dict) -> set[str] | None:
        """GetNamespacesFromPodAffinityTerm plus the namespaceSelector: None means every namespace."""
        names = {str(n) for n in _list(term.get("namespaces"))}
        selector = term.get("namespaceSelector")
        if isinstance(selector, dict):
            if not selector.get("matchLabels") and not selector.get("matchExpressions"):
                return None
            for _, name in self.index.objects["namespaces"]:
                if selector_matches(selector, self.index.namespace_labels(name) or {}):
                    names.add(name)
        elif not names:
            names.add(_dict(owner.get("metadata")).get("namespace") or "default")
        return names

    def _term_matches(self, owner: dict, term: dict, other: dict) -> bool:
        """Whether pod `other` is one the term of pod `owner` is about (namespace and label selector)."""
        namespaces = self._namespaces(owner, term)
        meta = _dict(other.get("metadata"))
        if namespaces is not None and (meta.get("namespace") or "default") not in namespaces:
            return False
        return selector_matches(term.get("labelSelector"), _dict(meta.get("labels")))

    def _domain_pods(self, key: str, value: str) -> list[dict]:
        """The running pods on every node whose label `key` is `value`."""
        found = []
        for name in self.index.node_names():
            other = self.index.parsed_node(name)
            if other is not None and other.labels.get(key) == value:
                found.extend(p for p in self.index.pods_on(name) if not filters.is_terminal(p))
        return found

    def _pod_affinity_problem(self, raw_pod: dict, node: SchedNode) -> str:
        affinity = _dict(_dict(raw_pod.get("spec")).get("affinity"))
        if (
            not self.index.has_pods_with_pod_affinity()
            and not affinity.get("podAffinity")
            and not affinity.get("podAntiAffinity")
        ):
            return ""  # nothing for InterPodAffinity to look at (every launcher pod at start-up)
        pod_name = _dict(raw_pod.get("metadata")).get("name")
        for other in self.index.pods_with_pod_affinity():
            if filters.is_terminal(other) or _dict(other.get("metadata")).get("name") == pod_name:
                continue
            other_node = self.index.parsed_node(_dict(other.get("spec")).get("nodeName", ""))
            for term in _terms(other, "podAntiAffinity"):
                topology = str(term.get("topologyKey") or "")
                if (
                    other_node is None
                    or topology not in other_node.labels
                    or node.labels.get(topology) != other_node.labels[topology]
                ):
                    continue
                if self._term_matches(other, term, raw_pod):
                    return EXISTING_ANTI_AFFINITY
        affinity = _terms(raw_pod, "podAffinity")
        if affinity:
            satisfied = True
            for term in affinity:
                topology = str(term.get("topologyKey") or "")
                if topology not in node.labels or not any(
                    self._term_matches(raw_pod, term, other)
                    for other in self._domain_pods(topology, node.labels[topology])
                ):
                    satisfied = False
                    break
            if not satisfied:
                # The first of a group of pods with affinity to each other: allowed when no pod anywhere
                # matches the terms and the pod matches them itself.
                anywhere = any(
                    self._term_matches(raw_pod, term, other)
                    for term in affinity
                    for name in self.index.node_names()
                    for other in self.index.pods_on(name)
                    if not filters.is_terminal(other)
                )
                if anywhere or not all(self._term_matches(raw_pod, term, raw_pod) for term in affinity):
                    return AFFINITY
        for term in _terms(raw_pod, "podAntiAffinity"):
            topology = str(term.get("topologyKey") or "")
            if topology not in node.labels:
                continue
            for other in self._domain_pods(topology, node.labels[topology]):
                if _dict(other.get("metadata")).get("name") != pod_name and self._term_matches(raw_pod, term, other):
                    return ANTI_AFFINITY
        return ""

    # -- scoring and placing -----------------------------------------------------------------------

    @staticmethod
    def _preferred(raw_pod: dict) -> list[tuple[int, dict]]:
        """Preferred node-affinity terms with an integer weight: (weight, preference)."""
        preferred = _list(
            _dict(_dict(_dict(_dict(raw_pod.get("spec")).get("affinity")).get("nodeAffinity"))).get(
                "preferredDuringSchedulingIgnoredDuringExecution"
            )
        )
        return [
            (t["weight"], _dict(t.get("preference")))
            for t in (_dict(t) for t in preferred)
            if isinstance(t.get("weight"), int)
        ]

    def _score(self, preferred: list[tuple[int, dict]], node: SchedNode) -> tuple:
        weight = sum(term_weight for term_weight, preference in preferred if filters.term_matches(preference, node))
        usage = self.index.usage(node.name)
        free = 0.0
        memory = node.allocatable.get("memory", 0)
        if memory:
            free = (memory - usage.requested.get("memory", 0)) / memory
        return (-weight, -free, node.name)

    def place(self, raw_pod: dict, exhaustive: bool = True, requests: dict[str, int] | None = None) -> Placement:
        """Choose a node for the pod. `exhaustive` looks at every node (what a FailedScheduling message
        needs); otherwise the search starts where the last one ended and stops after a few feasible
        nodes, like kube-scheduler's sampling of large clusters. `requests` are the pod's, if at hand."""
        facts = filters.pod_facts(raw_pod, requests)
        preferred = self._preferred(raw_pod)
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
            refusal = self.refusal(raw_pod, node, facts)
            if refusal is not None:
                refusals.append(refusal)
                continue
            feasible.append((self._score(preferred, node), name))
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
