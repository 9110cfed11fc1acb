"""The target pod's nodeSelector and required node affinity against the node's labels, each failure
said under the rule it belongs to (CPU model or feature, CPU manager, cluster network, ...)."""

from __future__ import annotations

from tui.domain import reasons as codes
from tui.domain.cpu import (
    ARCH_LABEL,
    CPU_FEATURE_LABEL,
    CPU_MANAGER_LABELS,
    CPU_MODEL_LABEL,
    CPU_MODEL_MIGRATION_LABEL,
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
    SelectorEntry,
)
from tui.domain.objects import Node
from tui.domain.placement.cpu_rules import unread_pod_note
from tui.domain.placement.network_rules import cluster_network_of
from tui.domain.placement.target import RuleInput
from tui.domain.reasons import Reason
from tui.domain.scheduling import AffinityResult, RequirementFailure, required_affinity


def node_selector(node: Node, facts: RuleInput, source_name: str) -> list[Reason]:
    """Every key of the target pod's nodeSelector the node lacks, each under the rule it belongs to."""
    found: list[Reason] = []
    missing_features: dict[str, list[str]] = {}
    version_known = facts.kubevirt_version_known
    for key, entry in facts.selector:
        actual = node.labels.get(key)
        if actual == entry.value:
            continue
        if (
            key in CPU_MANAGER_LABELS
            and not version_known
            and any(node.labels.get(label) == "true" for label in CPU_MANAGER_LABELS)
        ):
            continue  # which of the two names KubeVirt asks for depends on its version, which is unknown
        if key.startswith(CPU_FEATURE_LABEL):
            missing_features.setdefault(entry.origin, []).append(key[len(CPU_FEATURE_LABEL) :])
            continue
        found.append(_selector_reason(key, entry, actual, facts, source_name))
    for origin, features in missing_features.items():
        found.append(_features_reason(origin, sorted(features), facts, source_name))
    return found


def _has(key: str, actual: str | None) -> str:
    return f"the node has {key}={actual}" if actual is not None else f"the node has no label {key}"


def _selector_reason(key: str, entry: SelectorEntry, actual: str | None, facts: RuleInput, source_name: str) -> Reason:
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
        model = key[len(CPU_MODEL_MIGRATION_LABEL) :]
        if entry.origin == ORIGIN_HOST_MODEL_POD:
            return Reason(
                codes.CPU_MODEL,
                f"Node cannot take the VM's host CPU model {model} (label {key}={wanted} missing; the VM's "
                "launcher pod asks for it because the VM migrated before).",
            )
        return Reason(
            codes.CPU_MODEL,
            f"Node cannot take host CPU model {model} of source node {source_name} "
            f"(label {key}={wanted} missing){unread_pod_note(facts)}.",
        )
    if key.startswith(CPU_MODEL_LABEL):
        model = key[len(CPU_MODEL_LABEL) :]
        return Reason(codes.CPU_MODEL, f"Node does not support CPU model {model} (label {key}={wanted} missing).")
    if key in CPU_MANAGER_LABELS:
        return Reason(
            codes.CPU_MANAGER,
            f"VM uses dedicated CPUs (dedicatedCpuPlacement) and the node lacks {key}={wanted}: "
            "CPU manager is not enabled there.",
        )
    network = cluster_network_of(key)
    if network:
        return Reason(
            codes.NETWORK,
            f"Node is not attached to cluster network {network} (label {key}={wanted} asked by the VM's nodeSelector).",
        )
    if key.startswith(TSC_FREQUENCY_LABEL):
        frequency = key[len(TSC_FREQUENCY_LABEL) :]
        return Reason(
            codes.NODE_SELECTOR,
            f"Node cannot run the VM's TSC at {frequency} Hz, which the guest keeps across a migration (label "
            f"{key}={wanted} missing; the VM needs a stable TSC: CPU feature invtsc or Hyper-V reenlightenment).",
        )
    if key.startswith(MACHINE_TYPE_LABEL):
        machine = key[len(MACHINE_TYPE_LABEL) :]
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


def _features_reason(origin: str, features: list[str], facts: RuleInput, source_name: str) -> Reason:
    names = ", ".join(features)
    count = f"{len(features)} CPU feature{'s' if len(features) != 1 else ''}"
    if origin == ORIGIN_HOST_MODEL_NODE:
        why = f"required by the host CPU model of source node {source_name}"
    elif origin == ORIGIN_HOST_MODEL_POD:
        why = "required by the VM's host CPU model (its launcher pod asks for them: the VM migrated before)"
    elif origin == ORIGIN_CPU_FEATURE:
        why = "the VM's cpu.features require"
    else:
        why = "required"
    note = unread_pod_note(facts) if origin == ORIGIN_HOST_MODEL_NODE else ""
    return Reason(codes.CPU_FEATURE, f"Node lacks {count} {why}: {names} (labels {CPU_FEATURE_LABEL}<feature>){note}.")


def affinity(node: Node, facts: RuleInput, source_name: str) -> list[Reason]:
    result = required_affinity(facts.affinity, node.labels, node.name)
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
        network = cluster_network_of(key)
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
                f"Node has CPU feature {key[len(CPU_FEATURE_LABEL) :]}, which the VM forbids (label {key}).",
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
