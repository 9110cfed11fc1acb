"""A verdict for every node: the rules in order, free capacity, and the answer the rules alone give,
kept per snapshot under the rules' input."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tui.domain import reasons as codes
from tui.domain.objects import VM, VMI, Node
from tui.domain.placement.cpu_rules import (
    arch_without_selector,
    host_model_problem,
    passthrough_caution,
    unguarded_host_model,
)
from tui.domain.placement.harvester_rules import maintenance, witness
from tui.domain.placement.label_rules import affinity, node_selector
from tui.domain.placement.network_rules import migration_network, vm_networks
from tui.domain.placement.node_rules import cordoned, not_ready, taints
from tui.domain.placement.resources import resources
from tui.domain.placement.target import (
    RuleInput,
    Target,
    migration_rule_input,
    migration_target,
    nodes_by_name,
    template_target,
)
from tui.domain.reasons import Reason, in_node_order
from tui.domain.snapshot import ClusterSnapshot


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.node,
            "eligible": self.eligible,
            "reasons": [r.to_dict() for r in self.reasons],
            "cautions": list(self.cautions),
        }


# A rule reads the node and the rules' input; the source's name is for its messages only.
Rule = Callable[[Node, RuleInput, str], list[Reason]]

# In this order: reasons of one code keep it (in_node_order sorts by code, stably).
RULES: tuple[Rule, ...] = (
    not_ready,
    cordoned,
    maintenance,
    witness,
    node_selector,
    arch_without_selector,
    affinity,
    taints,
    host_model_problem,
    unguarded_host_model,
    vm_networks,
    migration_network,
)


def node_verdicts(
    snapshot: ClusterSnapshot, vmi: VMI, *, added_node_selector: Mapping[str, str] | None = None
) -> list[NodeVerdict]:
    """A verdict for every node (sorted by name) on migrating this running VMI there.

    The source node is listed with SourceNode only. `added_node_selector` is what a VMIM's
    spec.addedNodeSelector would add (KubeVirt >= 1.6), e.g. {"kubernetes.io/hostname": "node-2"}.
    """
    target = migration_target(snapshot, vmi, added_node_selector)
    return [verdict(snapshot, node, target) for node in nodes_by_name(snapshot)]


def node_verdicts_for_template(snapshot: ClusterSnapshot, vm: VM) -> list[NodeVerdict]:
    """A verdict for every node on starting this (stopped) VM there, from its template.

    There is no source: no SourceNode, no host-model constraint (a fresh start takes the node's own
    CPU), and no resource check (there is no launcher pod to size it by).
    """
    target = template_target(snapshot, vm)
    return [verdict(snapshot, node, target) for node in nodes_by_name(snapshot)]


def verdict(snapshot: ClusterSnapshot, node: Node, target: Target) -> NodeVerdict:
    """Whether `node` can take `target`: every rule, then free capacity and the cautions."""
    if target.source_name and node.name == target.source_name:
        return NodeVerdict(node.name, False, (Reason(codes.SOURCE_NODE, "The VM runs on this node now."),), False)
    found: list[Reason] = []
    for rule in RULES:
        found.extend(rule(node, target.rules, target.source_name))
    checked, resource_reasons = resources(snapshot, node, target)
    found.extend(resource_reasons)
    caution = passthrough_caution(node, target.model, target.source_node, target.source_name)
    return NodeVerdict(
        node.name, not found, in_node_order(found), checked, target.unchecked, (caution,) if caution else ()
    )


def nodes_allowed_by_rules(snapshot: ClusterSnapshot, vmi: VMI) -> tuple[str, ...]:
    """The nodes (but the source) whose rules let this running VMI migrate there, free capacity aside.

    Every rule of `node_verdicts` but Resources: capacity changes by the second and needs the pods,
    while the rules depend only on what the VM asks for and what the nodes are. VMs that ask for the
    same things share one answer per snapshot, which keeps this cheap enough for a 10,000-VM list.
    """
    allowed, _ = _allowed_by_rules(snapshot, migration_rule_input(snapshot, vmi))
    return tuple(name for name in allowed if name != vmi.node_name)


def any_node_allowed_by_rules(snapshot: ClusterSnapshot, vmi: VMI) -> bool:
    """Whether nodes_allowed_by_rules is not empty, without listing them (what the VM list asks)."""
    allowed, names = _allowed_by_rules(snapshot, migration_rule_input(snapshot, vmi))
    return len(allowed) > (1 if vmi.node_name in names else 0)


def _allowed_by_rules(snapshot: ClusterSnapshot, facts: RuleInput) -> tuple[tuple[str, ...], frozenset[str]]:
    """The nodes, the source included, whose rules let a VM with this input there: built once per
    snapshot and input. The source's name only words messages, which are not kept: "" stands for it."""

    def build() -> tuple[tuple[str, ...], frozenset[str]]:
        allowed = tuple(
            node.name for node in nodes_by_name(snapshot) if not any(rule(node, facts, "") for rule in RULES)
        )
        return allowed, frozenset(allowed)

    return snapshot.memo(("nodes-allowed-by-rules", facts), build)
