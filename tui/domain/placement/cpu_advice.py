"""CPU-model advice: which nodes a running VM reaches now, and which it would reach with each CPU model
every schedulable node supports (after a restart)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from tui.domain.cpu import (
    CPU_MODEL_LABEL,
    SCHEDULABLE_LABEL,
    effective_cpu_model,
    host_model_of,
    labelled_names,
)
from tui.domain.objects import VMI, Node
from tui.domain.placement.verdict import node_verdicts
from tui.domain.snapshot import ClusterSnapshot


def schedulable_nodes(snapshot: ClusterSnapshot) -> list[Node]:
    """Nodes that can run VMs now: kubevirt.io/schedulable=true and not cordoned."""
    return sorted(
        (n for n in snapshot.nodes.values() if n.labels.get(SCHEDULABLE_LABEL) == "true" and not n.unschedulable),
        key=lambda n: n.name,
    )


def common_cpu_models(snapshot: ClusterSnapshot) -> tuple[str, ...]:
    """The named models every schedulable node supports (cpu-model.node.kubevirt.io/<M>=true on all)."""
    nodes = schedulable_nodes(snapshot)
    if not nodes:
        return ()
    models = set.intersection(*(labelled_names(n.labels, CPU_MODEL_LABEL) for n in nodes))
    return tuple(sorted(models))


def nodes_by_host_model(snapshot: ClusterSnapshot) -> dict[str, tuple[str, ...]]:
    """Schedulable nodes grouped by their host model ("" for nodes the labeller gave none)."""
    groups: dict[str, list[str]] = {}
    for node in schedulable_nodes(snapshot):
        groups.setdefault(host_model_of(node), []).append(node.name)
    return {model: tuple(names) for model, names in sorted(groups.items())}


@dataclass(frozen=True)
class ModelOption:
    """What a VM could reach with a different CPU model (after a restart)."""

    model: str
    reachable: tuple[str, ...]  # nodes it could then migrate to


@dataclass(frozen=True)
class CPUModelAdvice:
    current_model: str
    reachable_now: tuple[str, ...]  # nodes it can migrate to now
    common_models: tuple[str, ...]
    host_models: Mapping[str, tuple[str, ...]]
    options: tuple[ModelOption, ...]  # one per common model, most reachable nodes first
    note: str = "Changing a VM's CPU model takes effect only after the VM is restarted."


def cpu_model_advice(snapshot: ClusterSnapshot, vmi: VMI) -> CPUModelAdvice:
    """Which nodes a running VM reaches now, and with each model every schedulable node supports.

    Example: nodes with host models XYZ and ABC that both support the named model 123. A host-model
    VM on an XYZ node reaches only nodes that accept XYZ; with model 123 it reaches both kinds.
    """

    def reachable(candidate: VMI) -> tuple[str, ...]:
        return tuple(v.node for v in node_verdicts(snapshot, candidate) if v.eligible)

    common = common_cpu_models(snapshot)
    options = []
    for model in common:
        changed = replace(vmi, spec=replace(vmi.spec, cpu_model=model))
        options.append(ModelOption(model, reachable(changed)))
    options.sort(key=lambda option: (-len(option.reachable), option.model))
    return CPUModelAdvice(
        current_model=effective_cpu_model(vmi.spec, snapshot.kubevirt),
        reachable_now=reachable(vmi),
        common_models=common,
        host_models=nodes_by_host_model(snapshot),
        options=tuple(options),
    )
