"""The conditions KubeVirt computes for a VMI (LiveMigratable, Ready) and the status it derives for its VM.

LiveMigratable follows virt-handler's calculateLiveMigrationCondition (pkg/virt-handler/vm.go), first
failing check wins, in the order of the running version: up to v1.5.x disks first (v1.3.0, v1.4.0,
v1.5.2: disks, interface, CPU mode, virtiofs before v1.5.0, host devices, SEV, persistent reservation,
TSC frequency, Hyper-V passthrough); from v1.6.0 disks last (interface, CPU mode, host devices, SEV,
TDX from v1.7.0, Secure Execution, persistent reservation, TSC frequency, Hyper-V passthrough, disks).
Disks: every claim shared (ReadWriteMany) unless it is being migrated (status.migratedVolumes), a
non-shared host disk refuses. Interfaces: the pod network only with masquerade, or bridge with the
allow-pod-bridge-network-live-migration annotation. CPU mode: host-model on a node without a host model.
TSC: a Hyper-V reenlightenment guest without status.topologyHints.tscFrequency
(pkg/virt-controller/watch/topology/tsc.go). Ready is copied from the launcher pod's Ready condition (virt-controller's
syncReadyConditionFromPod). The VM's printableStatus takes the first that holds of Terminating,
Stopping, Migrating, Running, ErrorUnschedulable, Starting, Stopped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tui.domain.objects import parse_time
from tui.sim.kubevirt.nodeselectors import HOST_MODEL, HOST_MODEL_CPU_LABEL
from tui.sim.kubevirt.render import moment as format_time

LIVE_MIGRATABLE = "LiveMigratable"
STORAGE_LIVE_MIGRATABLE = "StorageLiveMigratable"
READY = "Ready"
BRIDGE_ANNOTATION = "kubevirt.io/allow-pod-bridge-network-live-migration"


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def find(conditions: Any, type_: str) -> dict | None:
    for condition in _list(conditions):
        if _dict(condition).get("type") == type_:
            return condition
    return None


def _not_migratable(reason: str, message: str) -> dict:
    return {
        "lastProbeTime": None,
        "lastTransitionTime": None,
        "message": message,
        "reason": reason,
        "status": "False",
        "type": LIVE_MIGRATABLE,
    }


def _volume_problem(vmi: dict) -> str:
    spec, status = _dict(vmi.get("spec")), _dict(vmi.get("status"))
    statuses = {_dict(item).get("name"): _dict(item) for item in _list(status.get("volumeStatus"))}
    migrated = {_dict(item).get("volumeName") for item in _list(status.get("migratedVolumes"))}
    for volume in (_dict(v) for v in _list(spec.get("volumes"))):
        claim = _dict(volume.get("persistentVolumeClaim")).get("claimName") or _dict(volume.get("dataVolume")).get(
            "name"
        )
        if claim:
            info = _dict(statuses.get(volume.get("name"))).get("persistentVolumeClaimInfo")
            if not isinstance(info, dict):
                return (
                    f"cannot migrate VMI: Unable to determine if PVC {claim} is shared, live migration requires that all "
                    "PVCs must be shared (using ReadWriteMany access mode)"
                )
            if "ReadWriteMany" not in _list(info.get("accessModes")) and volume.get("name") not in migrated:
                return f"cannot migrate VMI: PVC {claim} is not shared, live migration requires that all PVCs must be shared (using ReadWriteMany access mode)"
        elif "hostDisk" in volume and _dict(volume.get("hostDisk")).get("shared") is not True:
            return "cannot migrate VMI with non-shared HostDisk"
    return ""


def _interface_problem(vmi: dict, version: tuple[int, int, int]) -> str:
    spec = _dict(vmi.get("spec"))
    interfaces = [_dict(i) for i in _list(_dict(_dict(spec.get("domain")).get("devices")).get("interfaces"))]
    if not interfaces:
        return ""
    pod_network = next((_dict(n).get("name") for n in _list(spec.get("networks")) if "pod" in _dict(n)), None)
    interface = next((i for i in interfaces if i.get("name") == pod_network), None)
    if pod_network is None or interface is None or "masquerade" in interface:
        return ""
    annotations = _dict(_dict(vmi.get("metadata")).get("annotations"))
    if "bridge" in interface and BRIDGE_ANNOTATION in annotations:
        return ""
    if version >= (1, 2, 0):
        return (
            "cannot migrate VMI which does not use masquerade, bridge with "
            f"{BRIDGE_ANNOTATION} VM annotation or a migratable plugin to connect to the pod network"
        )
    return f"cannot migrate VMI which does not use masquerade to connect to the pod network or bridge with {BRIDGE_ANNOTATION} VM annotation"


def _host_model_problem(vmi: dict, node_labels: dict | None) -> str:
    if _dict(_dict(_dict(vmi.get("spec")).get("domain")).get("cpu")).get("model") != HOST_MODEL or node_labels is None:
        return ""
    if any(key.startswith(HOST_MODEL_CPU_LABEL) for key in node_labels):
        return ""
    return f'the node "{_dict(vmi.get("status")).get("nodeName", "")}" does not allow migration with host-model'


def _tsc_problem(vmi: dict) -> str:
    features = _dict(_dict(_dict(vmi.get("spec")).get("domain")).get("features"))
    if _dict(_dict(features.get("hyperv")).get("reenlightenment")).get("enabled") is not True:
        return ""
    frequency = _dict(_dict(vmi.get("status")).get("topologyHints")).get("tscFrequency")
    if isinstance(frequency, int) and frequency > 0:
        return ""
    return "HyperV Reenlightenment VMIs cannot migrate when TSC Frequency is not exposed on the cluster: guest timers might be inconsistent"


def _reservation(vmi: dict) -> bool:
    disks = _list(_dict(_dict(_dict(vmi.get("spec")).get("domain")).get("devices")).get("disks"))
    return any(_dict(_dict(disk).get("lun")).get("reservation") is True for disk in disks)


def live_migratable(vmi: dict, node_labels: dict | None, version: tuple[int, int, int]) -> dict:
    """The LiveMigratable condition virt-handler on the VMI's node writes."""
    spec = _dict(vmi.get("spec"))
    domain = _dict(spec.get("domain"))
    devices = _dict(domain.get("devices"))
    security = _dict(domain.get("launchSecurity"))
    checks: list[tuple[str, str]] = [
        ("InterfaceNotLiveMigratable", _interface_problem(vmi, version)),
        ("CPUModeLiveMigratable", _host_model_problem(vmi, node_labels)),
    ]
    if version < (1, 5, 0) and _list(devices.get("filesystems")):
        checks.append(("VirtIOFSNotLiveMigratable", "VMI uses virtiofs"))
    if _list(devices.get("hostDevices")) or _list(devices.get("gpus")):
        checks.append(("HostDeviceNotLiveMigratable", "VMI uses a PCI host devices"))
    if "sev" in security:
        checks.append(("SEVNotLiveMigratable", "VMI uses SEV"))
    elif "tdx" in security and version >= (1, 7, 0):
        checks.append(("TDXNotLiveMigratable", "VMI uses TDX"))
    if isinstance(domain.get("launchSecurity"), dict) and spec.get("architecture") == "s390x" and version >= (1, 6, 0):
        checks.append(("SecureExecutionNotLiveMigratable", "VMI uses Secure Execution"))
    if _reservation(vmi):
        checks.append(("PersistentReservationNotLiveMigratable", "VMI uses SCSI persitent reservation"))
    checks.append(("NoTSCFrequencyNotLiveMigratable", _tsc_problem(vmi)))
    if _dict(_dict(domain.get("features")).get("hypervPassthrough")).get("enabled") is True:
        checks.append(("HypervPassthroughNotLiveMigratable", "VMI uses hyperv passthrough"))
    disks = ("DisksNotLiveMigratable", _volume_problem(vmi))
    checks = checks + [disks] if version >= (1, 6, 0) else [disks] + checks
    for reason, problem in checks:
        if problem:
            return _not_migratable(reason, problem)
    return {"lastProbeTime": None, "lastTransitionTime": None, "status": "True", "type": LIVE_MIGRATABLE}


def ready_condition(vmi: dict, pod: dict | None, now: datetime) -> dict:
    """The VMI's Ready condition from its launcher pod (virt-controller's syncReadyConditionFromPod)."""
    moment = format_time(now)
    pod_meta, pod_status = _dict((pod or {}).get("metadata")), _dict((pod or {}).get("status"))
    if pod is None:
        found = {"status": "False", "reason": "PodNotExists", "message": "virt-launcher pod has not yet been scheduled"}
    elif pod_meta.get("deletionTimestamp") or pod_status.get("phase") in ("Succeeded", "Failed"):
        found = {"status": "False", "reason": "PodTerminating", "message": "virt-launcher pod is terminating"}
    elif _dict(vmi.get("status")).get("phase") != "Running":
        found = {"status": "False", "reason": "GuestNotRunning", "message": "Guest VM is not reported as running"}
    else:
        pod_ready = find(pod_status.get("conditions"), "Ready")
        if pod_ready is None:
            found = {
                "status": "False",
                "reason": "PodConditionMissing",
                "message": "virt-launcher pod is missing the Ready condition",
            }
        else:
            found = {"status": pod_ready.get("status", "False")}
            for key in ("reason", "message"):
                if pod_ready.get(key):
                    found[key] = pod_ready[key]
    previous = find(_dict(vmi.get("status")).get("conditions"), READY)
    transition = moment
    if previous is not None and previous.get("status") == found["status"]:
        transition = previous.get("lastTransitionTime") or moment
    return {
        "lastProbeTime": None if found["status"] == "True" else moment,
        "lastTransitionTime": transition,
        **{k: v for k, v in found.items() if k != "status"},
        "status": found["status"],
        "type": READY,
    }


def set_condition(conditions: list, condition: dict) -> list:
    """Replace the condition of the same type (keeping its place), or append it."""
    result = [c for c in conditions]
    for position, existing in enumerate(result):
        if _dict(existing).get("type") == condition["type"]:
            result[position] = condition
            return result
    result.append(condition)
    return result


def is_migrating(vmi: dict | None, now: datetime) -> bool:
    """migrations.IsMigrating: between the migration's startTimestamp and endTimestamp."""
    state = _dict(_dict((vmi or {}).get("status")).get("migrationState"))
    start, end = parse_time(state.get("startTimestamp")), parse_time(state.get("endTimestamp"))
    return start is not None and now >= start and (end is None or now < end)


def should_run(vm: dict) -> bool:
    spec = _dict(vm.get("spec"))
    strategy = spec.get("runStrategy")
    if strategy:
        return strategy in ("Always", "RerunOnFailure", "Once")
    return spec.get("running") is True


def printable_status(vm: dict, vmi: dict | None, pod: dict | None, now: datetime) -> str:
    if _dict(vm.get("metadata")).get("deletionTimestamp"):
        return "Terminating"
    if vmi is None:
        return "Stopped"
    vmi_status = _dict(vmi.get("status"))
    if _dict(vmi.get("metadata")).get("deletionTimestamp") or not should_run(vm):
        return "Stopping"
    if is_migrating(vmi, now):
        return "Migrating"
    phase = vmi_status.get("phase")
    if phase == "Running":
        return "Running"
    if phase in ("Succeeded", "Failed"):
        return "Stopped"
    scheduled = find(_dict((pod or {}).get("status")).get("conditions"), "PodScheduled")
    if scheduled is not None and scheduled.get("reason") == "Unschedulable":
        return "ErrorUnschedulable"
    return "Starting"


def vm_status(vm: dict, vmi: dict | None, pod: dict | None, now: datetime) -> dict:
    """The status KubeVirt's VM controller writes: printableStatus, created, ready and conditions."""
    current = _dict(vm.get("status"))
    conditions = [
        c
        for c in _list(current.get("conditions"))
        if _dict(c).get("type") not in (READY, LIVE_MIGRATABLE, STORAGE_LIVE_MIGRATABLE)
    ]
    moment = format_time(now)
    previous_ready = find(current.get("conditions"), READY)
    if vmi is None:
        ready = {
            "lastProbeTime": moment,
            "lastTransitionTime": moment,
            "message": "VMI does not exist",
            "reason": "VMINotExists",
            "status": "False",
            "type": READY,
        }
        if previous_ready is not None and previous_ready.get("status") == "False":
            ready["lastTransitionTime"] = previous_ready.get("lastTransitionTime") or moment
        conditions.insert(0, ready)
    else:
        vmi_conditions = _dict(vmi.get("status")).get("conditions")
        copied = [
            dict(c)
            for c in (find(vmi_conditions, t) for t in (READY, LIVE_MIGRATABLE, STORAGE_LIVE_MIGRATABLE))
            if c is not None
        ]
        for condition in copied:
            if condition["type"] == READY:
                condition["lastProbeTime"] = None
        conditions = copied + conditions
    status: dict[str, Any] = {
        "conditions": conditions,
        "desiredGeneration": _dict(vm.get("metadata")).get("generation", 1),
        "observedGeneration": _dict(vm.get("metadata")).get("generation", 1),
        "printableStatus": printable_status(vm, vmi, pod, now),
    }
    # created and ready are omitted when false (omitempty), as the API writes them.
    if vmi is not None:
        status["created"] = True
        if _dict(find(_dict(vmi.get("status")).get("conditions"), READY)).get("status") == "True":
            status["ready"] = True
    strategy = _dict(vm.get("spec")).get("runStrategy")
    if strategy:
        status["runStrategy"] = strategy
    for key in ("volumeSnapshotStatuses", "startFailure"):
        if key in current:
            status[key] = current[key]
    return status
