"""Free capacity: what the VM's target pod would request against what the node has left."""

from __future__ import annotations

from tui.domain import reasons as codes
from tui.domain.objects import Node
from tui.domain.placement.target import Target
from tui.domain.reasons import Reason
from tui.domain.scheduling import NodeUsage, node_usage, resource_shortfalls
from tui.domain.snapshot import ClusterSnapshot
from tui.domain.units import human_bytes, human_cpu


def resources(snapshot: ClusterSnapshot, node: Node, target: Target) -> tuple[bool, list[Reason]]:
    """(whether free CPU and memory could be compared, what the node lacks)."""
    pod, requests = target.source_pod, target.requests
    if not target.rules.pods_known or pod is None or not pod.requests_known or requests is None:
        return False, []
    shortfalls = resource_shortfalls(
        node.allocatable_cpu_milli,
        node.allocatable_memory,
        node.allocatable_pods,
        _usage(snapshot, node.name),
        requests.cpu_milli,
        requests.memory,
        request_other=pod.other_requests,
        allocatable_other=node.allocatable_other,
    )
    checked = node.allocatable_cpu_milli is not None and node.allocatable_memory is not None
    found = []
    # Resources the node does not list at all make one reason (a node without virt-handler's device
    # plugins lacks all three of KubeVirt's devices at once).
    absent = [s for s in shortfalls if s.resource not in _OWN_FIELDS and s.resource not in node.allocatable_other]
    if absent:
        asked = ", ".join(f"{short.resource} ({_amount(short.resource, short.requested)})" for short in absent)
        found.append(
            Reason(
                codes.RESOURCES,
                f"Node does not offer what the VM's target pod would request (not in its allocatable resources): {asked}.",
            )
        )
    for short in shortfalls:
        pods = f"{short.pods_counted} pod{'s' if short.pods_counted != 1 else ''}"
        if short in absent:
            continue
        if short.resource == "pods":
            text = f"Node already runs {pods}, its maximum (allocatable pods: {short.allocatable})."
        else:
            resource = short.resource
            name = {"memory": "memory", "cpu": "CPU"}.get(resource, resource)
            text = (
                f"Not enough {name}: the VM's target pod would request {_shown(resource, short.requested)}; the "
                f"node has {_shown(resource, short.allocatable)} allocatable, {_shown(resource, short.used)} "
                f"already requested by {pods}, {_shown(resource, max(short.free, 0))} free."
            )
        found.append(Reason(codes.RESOURCES, text))
    return checked, found


_OWN_FIELDS = ("cpu", "memory", "pods")  # resources with Node fields of their own, always listed


def _shown(resource: str, amount: int) -> str:
    """An amount of a resource in a shortfall's sentence: memory in bytes, CPU in cores, else `_amount`."""
    if resource == "memory":
        return human_bytes(amount)
    if resource == "cpu":
        return f"{human_cpu(amount)} CPU"
    return _amount(resource, amount)


def _amount(resource: str, amount: int) -> str:
    """An amount of a resource other than CPU: bytes where the resource is storage or memory, else a count."""
    if resource == "ephemeral-storage" or resource.startswith("hugepages-"):
        return human_bytes(amount)
    return str(amount)


def _usage(snapshot: ClusterSnapshot, node_name: str) -> NodeUsage:
    """Per node, summed once per snapshot: every VM's verdicts need the same sums."""
    cache: dict[str, NodeUsage] = snapshot.memo("node_usage", dict)
    usage = cache.get(node_name)
    if usage is None:
        usage = cache[node_name] = node_usage(snapshot.pods_on(node_name))
    return usage
