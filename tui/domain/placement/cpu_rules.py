"""CPU rules livemig adds to the target pod's selectors: the source's architecture, a host-model VM's
source CPU (when KubeVirt cannot build it, or leaves it out), and the caution for host-passthrough."""

from __future__ import annotations

from tui.domain import reasons as codes
from tui.domain.cpu import (
    ARCH_LABEL,
    CPU_FEATURE_LABEL,
    CPU_MODEL_MIGRATION_LABEL,
    HOST_MODEL_CPU_LABEL,
    HOST_PASSTHROUGH,
    host_model_of,
)
from tui.domain.objects import Node
from tui.domain.placement.target import RuleInput
from tui.domain.reasons import Reason


def unread_pod_note(facts: RuleInput) -> str:
    """Without pods, a VM that migrated before cannot be told apart: KubeVirt would use its pod's selectors."""
    if facts.pods_known:
        return ""
    return (
        "; pods could not be read, and if the VM migrated before, KubeVirt asks for the model on its launcher "
        "pod instead"
    )


def arch_without_selector(node: Node, facts: RuleInput, source_name: str) -> list[Reason]:
    """With no architecture on the VMI, a migration still cannot cross architectures."""
    if ARCH_LABEL in facts.selector_keys or not facts.source_known:
        return []
    wanted = facts.source_arch
    if not wanted or node.arch == wanted:
        return []
    return [Reason(codes.ARCH, f"Node architecture is {node.arch or 'unknown'}; the source node's is {wanted}.")]


def host_model_problem(node: Node, facts: RuleInput, source_name: str) -> list[Reason]:
    if not facts.host_model_problem:
        return []
    return [Reason(codes.CPU_MODEL, f"The VM uses host-model and {facts.host_model_problem}.")]


_UNGUARDED = (
    "KubeVirt would not stop it: the VM's own cpu.features, on its launcher pod, make KubeVirt leave the host "
    "model off the target pod, and libvirt would then refuse the migration or the guest see a different CPU"
)


def unguarded_host_model(node: Node, facts: RuleInput, source_name: str) -> list[Reason]:
    """The source's host model and its required features, for a host-model VM whose target pod KubeVirt
    builds without them (see cpu.host_model_guard)."""
    guard = facts.host_guard
    if guard is None:
        return []
    note = unread_pod_note(facts)
    if guard.problem:
        detail = (
            f"source node {source_name} has no {HOST_MODEL_CPU_LABEL}<model> label"
            if facts.source_known
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
    wanted = guard.labels.get(model_key, "true")
    if node.labels.get(model_key) != wanted and model_key not in facts.selector_keys:
        found.append(
            Reason(
                codes.CPU_MODEL,
                f"Node cannot take host CPU model {guard.host_model} of source node {source_name} "
                f"(label {model_key}={wanted} missing). {_UNGUARDED}{note}.",
            )
        )
    features = sorted(
        key[len(CPU_FEATURE_LABEL) :]
        for key, value in guard.selector
        if key.startswith(CPU_FEATURE_LABEL) and node.labels.get(key) != value and key not in facts.selector_keys
    )
    if features:
        count = f"{len(features)} CPU feature{'s' if len(features) != 1 else ''}"
        found.append(
            Reason(
                codes.CPU_FEATURE,
                f"Node lacks {count} of the host CPU model of source node {source_name}: "
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
    unknown = [
        name for name, known in (("this node", node_model), (f"source node {source_name}", source_model)) if not known
    ]
    return (
        f"The VM uses host-passthrough, and the host CPUs cannot be compared ({' and '.join(unknown)} "
        f"{'has' if len(unknown) == 1 else 'have'} no {HOST_MODEL_CPU_LABEL}<model> label): KubeVirt lets the "
        "migration start, and libvirt may fail it if the CPUs differ."
    )
