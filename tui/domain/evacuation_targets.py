"""Emptying a node onto chosen nodes: each VM that moves gets one of the chosen nodes its plan says can
take it, spread by memory, or stays with the reason when none of them can.

The VMs are placed largest memory request first, each on the chosen node with the most free memory left
after the VMs placed before it (free: allocatable memory less what the pods on the node request, as
kube-scheduler's NodeResourcesFit counts it; a VM's request: what its target pod would request, see
tui/domain/target_requests.py). When a node's free memory or a VM's request is unknown, the VMs are
spread by count instead. A VM that no chosen node can take is never left to the scheduler: it stays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from tui.domain.evacuation import DRAIN_EVACUATES, EvacuationPlan, Movable, Unmovable
from tui.domain.keys import VMKey
from tui.domain.scheduling import node_usage
from tui.domain.snapshot import ClusterSnapshot
from tui.domain.target_requests import target_requests
from tui.domain.units import human_bytes

# Why a VM stays (Unmovable.code) when the nodes were chosen.
STAYS_NOT_ON_CHOSEN = "NotOnChosenNodes"  # none of the chosen nodes is eligible for it
STAYS_NO_ROOM_LEFT = "NoRoomOnChosenNodes"  # those eligible have no memory left once the others are placed

ON_DRAIN = (
    "A drain would make KubeVirt start an evacuation migration, and the scheduler would pick its node "
    "among all that can take it."
)


@dataclass(frozen=True)
class MemoryFacts:
    """Free memory per node and the memory each VM's target pod would request, in bytes (None: unknown)."""

    free: Mapping[str, int | None]
    requests: Mapping[VMKey, int | None]


def memory_facts(snapshot: ClusterSnapshot, plan: EvacuationPlan) -> MemoryFacts:
    """What spreading the plan's movable VMs needs to know, read from the snapshot."""
    free: dict[str, int | None] = {}
    for name, node in snapshot.nodes.items():
        if node.allocatable_memory is None or not snapshot.pods_known:
            free[name] = None
        else:
            free[name] = node.allocatable_memory - node_usage(snapshot.pods_on(name)).memory
    requests: dict[VMKey, int | None] = {}
    for item in plan.movable:
        vmi = snapshot.vmis.get(str(item.key))
        found = target_requests(vmi, snapshot.kubevirt, snapshot.source_launcher_pod(vmi)) if vmi is not None else None
        requests[item.key] = found.memory if found is not None else None
    return MemoryFacts(free, requests)


def eligible_nodes(plan: EvacuationPlan) -> tuple[str, ...]:
    """The nodes that can take at least one of the VMs that move, by name."""
    return tuple(sorted({node for item in plan.movable for node in item.targets}))


def onto_chosen(plan: EvacuationPlan, chosen: Sequence[str], facts: MemoryFacts) -> EvacuationPlan:
    """The plan with each movable VM sent to one chosen node, or moved to `unmovable` with why.
    With no node chosen, the plan as it was: the scheduler decides."""
    onto = tuple(dict.fromkeys(chosen))
    if not onto:
        return plan
    left = {node: facts.free.get(node) for node in onto}
    placed = dict.fromkeys(onto, 0)
    by_size = sorted(plan.movable, key=lambda item: -(facts.requests.get(item.key) or 0))
    decided: dict[VMKey, Movable | Unmovable] = {}
    for item in by_size:
        request = facts.requests.get(item.key)
        candidates = [node for node in onto if node in item.targets]
        if not candidates:
            decided[item.key] = _stays(item, STAYS_NOT_ON_CHOSEN, _not_on_chosen(item, onto))
            continue
        known = [left[node] for node in candidates]
        if request is not None and all(free is not None for free in known):
            roomy = [node for node in candidates if (left[node] or 0) >= request]
            if not roomy:
                decided[item.key] = _stays(item, STAYS_NO_ROOM_LEFT, _no_room(candidates, request))
                continue
            node = max(roomy, key=lambda name: (left[name] or 0, -onto.index(name)))
        else:
            node = min(candidates, key=lambda name: (placed[name], onto.index(name)))
        free = left[node]
        left[node] = None if free is None or request is None else free - request
        placed[node] += 1
        decided[item.key] = replace(item, target=node)
    movable = tuple(d for item in plan.movable if isinstance(d := decided[item.key], Movable))
    stays = tuple(d for item in plan.movable if isinstance(d := decided[item.key], Unmovable))
    return replace(plan, movable=movable, unmovable=(*plan.unmovable, *stays), onto=onto)


def _stays(item: Movable, code: str, why: str) -> Unmovable:
    return Unmovable(item.namespace, item.name, code, why, ON_DRAIN, item.strategy, drain=DRAIN_EVACUATES)


def _not_on_chosen(item: Movable, onto: tuple[str, ...]) -> str:
    can = ", ".join(item.targets) if item.targets else "none known (the nodes could not be read)"
    return f"None of the chosen nodes ({', '.join(onto)}) can take it; the nodes that can: {can}."


def _no_room(candidates: list[str], request: int) -> str:
    return (
        f"The chosen nodes that can take it ({', '.join(candidates)}) have less free memory left than its "
        f"target pod would request ({human_bytes(request)}) once the VMs placed before it are counted."
    )
