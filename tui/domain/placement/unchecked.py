"""The scheduling rules placement does not evaluate, in an operator's words."""

from __future__ import annotations

from tui.domain.objects import GuestSpec, KubeVirt


def unchecked_rules(spec: GuestSpec, kubevirt: KubeVirt | None) -> tuple[str, ...]:
    """The scheduling rules this VM asks for that placement does not evaluate, in an operator's words.

    Pod (anti-)affinity and topology spread depend on where other pods run; volume binding on the
    volumes' node affinity; preemption and another scheduler change what a refusal means; Hyper-V strict
    checks, realtime and SEV add node labels livemig does not read. Only rules that can refuse a node
    (or make a refusal untrue) are named: preferred terms and ScheduleAnyway constraints only rank nodes.
    """
    found = []
    if spec.required_pod_affinity:
        found.append(
            "The VM's required pod affinity (spec.affinity.podAffinity) is not checked: the scheduler may "
            "refuse this node if the pods it must run next to are elsewhere."
        )
    if spec.required_pod_anti_affinity:
        found.append(
            "The VM's required pod anti-affinity (spec.affinity.podAntiAffinity) is not checked: the scheduler "
            "may refuse this node if pods it must avoid run there."
        )
    if spec.spread_constraints:
        found.append(
            "The VM's topology spread constraints (spec.topologySpreadConstraints, DoNotSchedule) are not "
            "checked: the scheduler may refuse this node to keep the spread."
        )
    gates = kubevirt.feature_gates if kubevirt is not None else ()
    if spec.hyperv and "HypervStrictCheck" in gates:
        found.append(
            "KubeVirt's Hyper-V strict check (feature gate HypervStrictCheck) is not checked: the scheduler "
            "may refuse this node if it lacks a Hyper-V feature the VM enables."
        )
    if spec.realtime:
        found.append(
            "The realtime node label (kubevirt.io/realtime) KubeVirt asks for is not checked: the scheduler "
            "may refuse this node if it lacks it."
        )
    if spec.sev:
        found.append(
            "The SEV node label (kubevirt.io/sev) KubeVirt asks for is not checked: the scheduler may refuse "
            "this node if it lacks it."
        )
    if any(volume.source in ("persistentVolumeClaim", "dataVolume") for volume in spec.volumes):
        found.append(
            "Volume binding and zones (the persistent volumes' node affinity) and per-node volume limits are "
            "not checked: the scheduler may refuse this node if a volume cannot be attached there."
        )
    if spec.priority_class_name:
        found.append(
            f"Preemption is not checked: with priority class {spec.priority_class_name} the scheduler may evict "
            "lower-priority pods, so a node refused for Resources may still take the VM."
        )
    if spec.scheduler_name and spec.scheduler_name != "default-scheduler":
        found.append(
            f"The VM names scheduler {spec.scheduler_name}: its rules are not checked, and it may decide "
            "otherwise than kube-scheduler."
        )
    return tuple(found)


# What no VM can ask away: the scheduler evaluates them for every target pod.
ALWAYS_UNCHECKED = (
    (
        "Other pods' required anti-affinity against the VM's launcher pod is not checked: the scheduler may "
        "refuse a node where such a pod runs."
    ),
)
