"""Where a VM may go: a verdict for every node, with every reason a node cannot take it.

The checks are what KubeVirt puts on the migration target pod (tui/domain/cpu.py) read the way
kube-scheduler reads them (tui/domain/scheduling.py), plus what Harvester and the migration itself
need: a Ready node, no maintenance, no witness node, the VM's cluster networks and KubeVirt's
migration network present, and for a host-model VM whose target pod KubeVirt builds without its host
model the same host CPU as the source. Each failing check becomes a Reason whose code says which rule
and whose message names the label, taint, value or number.

A host-passthrough VM gets no CPU rule from KubeVirt (nodeselectorrenderer.go skips it, v1.6.0): a
node whose host CPU differs from the source's, or is not labelled, stays eligible with a caution
(`cautions`), since libvirt may then fail the migration. Rules that depend on other pods or on
volumes (pod affinity, topology spread, volume binding, preemption, ...) are not evaluated: a verdict
names those the VM asks for in `unchecked`, and `ALWAYS_UNCHECKED` those that hold for every VM.

The package: `target` (the rules' frozen input, which is also the key of their cached answer, and
the rest of what a verdict needs), the rules by family (`node_rules`, `label_rules`, `cpu_rules`,
`harvester_rules`, `network_rules`), `resources` (free capacity), `unchecked` (what is not
evaluated), `verdict` (the rules in order and the verdicts) and `cpu_advice` (which CPU model would
let a VM reach more nodes).
"""

from tui.domain.placement.cpu_rules import passthrough_caution
from tui.domain.placement.harvester_rules import (
    DRAIN_REQUESTED_ANNOTATION,
    MAINTAIN_STATUS_ANNOTATION,
    WITNESS_LABEL,
)
from tui.domain.placement.target import CLUSTER_NETWORK_NODE_LABEL
from tui.domain.placement.unchecked import ALWAYS_UNCHECKED, unchecked_rules
from tui.domain.placement.verdict import (
    NodeVerdict,
    any_node_allowed_by_rules,
    node_verdicts,
    node_verdicts_for_template,
    nodes_allowed_by_rules,
)

__all__ = [
    "ALWAYS_UNCHECKED",
    "CLUSTER_NETWORK_NODE_LABEL",
    "DRAIN_REQUESTED_ANNOTATION",
    "MAINTAIN_STATUS_ANNOTATION",
    "WITNESS_LABEL",
    "NodeVerdict",
    "any_node_allowed_by_rules",
    "node_verdicts",
    "node_verdicts_for_template",
    "nodes_allowed_by_rules",
    "passthrough_caution",
    "unchecked_rules",
]
