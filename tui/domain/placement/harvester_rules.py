"""Harvester's node rules: no node in maintenance mode or being drained, and no witness node."""

from __future__ import annotations

from tui.domain import reasons as codes
from tui.domain.objects import Node
from tui.domain.placement.target import RuleInput
from tui.domain.reasons import Reason

MAINTAIN_STATUS_ANNOTATION = "harvesterhci.io/maintain-status"

DRAIN_REQUESTED_ANNOTATION = "harvesterhci.io/drain-requested"

WITNESS_LABEL = "node-role.harvesterhci.io/witness"


def maintenance(node: Node, facts: RuleInput, source_name: str) -> list[Reason]:
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


def witness(node: Node, facts: RuleInput, source_name: str) -> list[Reason]:
    """Harvester takes the label's presence, whatever its value, for a witness node
    (pkg/webhook/resources/setting/validator.go and node/cpu_manager_controller.go, v1.7.0)."""
    value = node.labels.get(WITNESS_LABEL)
    if value is None:
        return []
    return [Reason(codes.WITNESS, f"Node is a Harvester witness node (label {WITNESS_LABEL}={value}); it runs no VMs.")]
