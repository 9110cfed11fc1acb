"""Network rules: the VM's Harvester cluster networks and KubeVirt's migration network reach the node."""

from __future__ import annotations

from tui.domain import reasons as codes
from tui.domain.objects import Node
from tui.domain.placement.target import CLUSTER_NETWORK_NODE_LABEL, RuleInput
from tui.domain.reasons import Reason

# Harvester labels under CLUSTER_NETWORK_NODE_LABEL that are no cluster network.
_NOT_CLUSTER_NETWORKS = ("clusternetwork", "vlanconfig")


def cluster_network_of(key: str) -> str:
    """The Harvester cluster network a node label stands for ("" when the label is no such thing)."""
    if not key.startswith(CLUSTER_NETWORK_NODE_LABEL):
        return ""
    name = key[len(CLUSTER_NETWORK_NODE_LABEL) :]
    return "" if name in _NOT_CLUSTER_NETWORKS else name


def vm_networks(node: Node, facts: RuleInput, source_name: str) -> list[Reason]:
    """The VM's Harvester cluster networks, from its NetworkAttachmentDefinitions (whether or not the VM
    carries the node affinity Harvester adds for them, the bridge must exist on the target)."""
    affinity_keys = {r.key for t in (facts.affinity.terms or ()) for r in t.match_expressions}
    found = []
    for network, nad, cluster_network in facts.cluster_networks:
        label = CLUSTER_NETWORK_NODE_LABEL + cluster_network
        if node.labels.get(label) == "true" or label in affinity_keys or label in facts.selector_keys:
            continue  # present, or already checked (and named) by the affinity or selector rule
        found.append(
            Reason(
                codes.NETWORK,
                f"VM network {network} uses {nad} on cluster network {cluster_network}, which this node is "
                f"not attached to (label {label}=true missing).",
            )
        )
    return found


def migration_network(node: Node, facts: RuleInput, source_name: str) -> list[Reason]:
    if facts.migration_network is None or not facts.source_known:
        return []
    nad, cluster_network = facts.migration_network
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
