"""Node rules of kube-scheduler's own: the node is Ready, not cordoned, and its taints are tolerated."""

from __future__ import annotations

from tui.domain import reasons as codes
from tui.domain.objects import Node
from tui.domain.placement.target import RuleInput
from tui.domain.reasons import Reason
from tui.domain.scheduling import UNSCHEDULABLE_TAINT, cordon_blocks, untolerated_taints


def not_ready(node: Node, facts: RuleInput, source_name: str) -> list[Reason]:
    if node.ready is True:
        return []
    detail = ": ".join(part for part in (node.ready_reason, node.ready_message) if part)
    if node.ready is False:
        text = "Node is not Ready"
    else:
        text = "Node readiness is unknown: its Ready condition is Unknown or missing"
    return [Reason(codes.NOT_READY, f"{text}{f' ({detail})' if detail else ''}.")]


def cordoned(node: Node, facts: RuleInput, source_name: str) -> list[Reason]:
    if not cordon_blocks(node.unschedulable, facts.tolerations):
        return []
    return [Reason(codes.UNSCHEDULABLE, "Node is cordoned (spec.unschedulable: true); uncordon it to place VMs here.")]


def taints(node: Node, facts: RuleInput, source_name: str) -> list[Reason]:
    found = []
    for taint in untolerated_taints(node.taints, facts.tolerations):
        if node.unschedulable and taint.key == UNSCHEDULABLE_TAINT.key:
            continue  # the cordon, already said by Unschedulable
        shown = f"{taint.key}={taint.value}:{taint.effect}" if taint.value else f"{taint.key}:{taint.effect}"
        found.append(Reason(codes.TAINT, f"Node has taint {shown} and the VM has no toleration for it."))
    return found
