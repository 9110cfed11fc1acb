"""What KubeVirt renders: a VMI from its VM, the VMI's virt-launcher pod, and a migration's target pod.

Shaped like the objects real clusters return (reference examples vmi.yaml and virt-launcher-pod.yaml):
the launcher pod carries the VMI's labels plus kubevirt.io=virt-launcher and kubevirt.io/created-by,
the annotation kubevirt.io/domain, an owner reference to the VMI, the node selector and required node
affinity KubeVirt computes (tui.sim.kubevirt.nodeselectors), and the VM's requests plus KubeVirt's memory overhead
(services.GetMemoryOverhead, roughly: page tables, the launcher's processes, vCPUs, I/O thread, video,
VFIO, times the cluster's additionalGuestMemoryOverheadRatio).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from functools import lru_cache
from typing import Any

from tui.domain.quantity import parse_quantity
from tui.sim.kubevirt.config import KubeVirtSettings
from tui.sim.kubevirt.nodeselectors import HOST_MODEL, launcher_affinity, launcher_node_selector, target_node_selector
from tui.sim.store import copy_object, format_time

MI = 1024 * 1024
VMI_FINALIZERS = ("kubevirt.io/virtualMachineControllerFinalize", "foregroundDeleteVirtualMachine")
MIGRATION_FINALIZER = "kubevirt.io/migrationJobFinalize"
VOLUME_CLAIM_TEMPLATES = "harvesterhci.io/volumeClaimTemplates"
# Harvester's Longhorn volumes are ReadWriteMany block volumes unless the VM says otherwise.
DEFAULT_ACCESS_MODES = ("ReadWriteMany",)
CLOUD_INIT_SIZE = 1048576
_NAMESPACE_UUID = uuid.UUID("6a1a24a1-4061-4607-8bf4-a3963d0c5895")
# Annotations a VMI passes on to its launcher pod are all but these (services/template.go).
_NOT_COPIED_ANNOTATIONS = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "kubevirt.io/latest-observed-api-version",
    "kubevirt.io/storage-observed-api-version",
)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


@lru_cache(maxsize=4096)
def _quantity_bytes(text: str) -> int | None:
    parsed = parse_quantity(text)
    return None if parsed is None else parsed.ceil()


def quantity_bytes(value: Any) -> int | None:
    """A quantity rounded up to a whole number; VMs repeat the same few sizes, so parses are kept."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    return _quantity_bytes(str(value))


@lru_cache(maxsize=256)
def moment(now: datetime) -> str:
    """format_time, kept for the few instants a clock step writes many times."""
    return format_time(now)


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def stable_uuid(*parts: str) -> str:
    """A uuid that is the same every run for the same object (firmware uuids, deterministic scenarios)."""
    return str(uuid.uuid5(_NAMESPACE_UUID, "/".join(parts)))


def stable_mac(*parts: str) -> str:
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return "52:54:00:" + ":".join(f"{byte:02x}" for byte in digest[:3])


# -- the VMI ---------------------------------------------------------------------------------------


def default_vmi_spec(spec: dict, settings: KubeVirtSettings, namespace: str, name: str) -> dict:
    """The defaults KubeVirt's VMI mutating webhook fills in (cpu.model from the KubeVirt CR, machine
    type, architecture, topology, firmware uuid, memory request). Changes and returns `spec`."""
    domain = spec.setdefault("domain", {})
    cpu = domain.setdefault("cpu", {})
    if not cpu.get("model"):
        cpu["model"] = settings.cpu_model or HOST_MODEL
    for part in ("cores", "sockets", "threads"):
        cpu.setdefault(part, 1)
    domain.setdefault("machine", {}).setdefault("type", "q35")
    domain.setdefault("firmware", {}).setdefault("uuid", stable_uuid(namespace, name))
    spec.setdefault("architecture", "amd64")
    guest = _dict(domain.get("memory")).get("guest")
    resources = domain.setdefault("resources", {})
    if guest and not _dict(resources.get("requests")).get("memory"):
        resources.setdefault("requests", {})["memory"] = guest
    return spec


def vmi_from_vm(vm: dict, settings: KubeVirtSettings, now: datetime) -> dict:
    """The VMI KubeVirt's VM controller creates for a VM that should run (phase Pending)."""
    meta = _dict(vm.get("metadata"))
    template = _dict(_dict(vm.get("spec")).get("template"))
    template_meta = _dict(template.get("metadata"))
    namespace, name = meta.get("namespace") or "default", meta["name"]
    annotations = dict(_dict(template_meta.get("annotations")))
    annotations.update(
        {
            "kubevirt.io/latest-observed-api-version": "v1",
            "kubevirt.io/storage-observed-api-version": "v1",
            "kubevirt.io/vm-generation": str(meta.get("generation") or 1),
        }
    )
    spec = default_vmi_spec(copy_object(_dict(template.get("spec"))), settings, namespace, name)
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstance",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": dict(_dict(template_meta.get("labels"))),
            "annotations": annotations,
            "finalizers": list(VMI_FINALIZERS),
            "ownerReferences": [
                {
                    "apiVersion": "kubevirt.io/v1",
                    "blockOwnerDeletion": True,
                    "controller": True,
                    "kind": "VirtualMachine",
                    "name": name,
                    "uid": meta.get("uid", ""),
                }
            ],
        },
        "spec": spec,
        "status": {
            "phase": "Pending",
            "phaseTransitionTimestamps": [{"phase": "Pending", "phaseTransitionTimestamp": moment(now)}],
            "guestOSInfo": {},
            "qosClass": "Burstable",
        },
    }


def volume_claims(vm: dict | None) -> dict[str, dict]:
    """The PVC specs a Harvester VM declares in its volumeClaimTemplates annotation, by claim name."""
    if vm is None:
        return {}
    raw = _dict(_dict(vm.get("metadata")).get("annotations")).get(VOLUME_CLAIM_TEMPLATES)
    try:
        templates = json.loads(raw) if isinstance(raw, str) else []
    except ValueError:
        return {}
    claims: dict[str, dict] = {}
    for template in _list(templates):
        name = _dict(_dict(template).get("metadata")).get("name")
        if isinstance(name, str):
            claims[name] = _dict(_dict(template).get("spec"))
    return claims


def _disk_targets(spec: dict) -> dict[str, str]:
    """Guest device names by disk (vda, vdb, ... for virtio; sda, ... for sata and scsi)."""
    targets: dict[str, str] = {}
    counters = {"vd": 0, "sd": 0}
    for disk in _list(_dict(_dict(spec.get("domain")).get("devices")).get("disks")):
        disk = _dict(disk)
        device = next((_dict(disk.get(kind)) for kind in ("disk", "cdrom", "lun") if kind in disk), {})
        prefix = "vd" if device.get("bus", "virtio") == "virtio" else "sd"
        targets[str(disk.get("name"))] = prefix + chr(ord("a") + counters[prefix])
        counters[prefix] += 1
    return targets


def volume_status(spec: dict, vm: dict | None) -> list[dict]:
    """status.volumeStatus as virt-handler reports it, access modes taken from the VM's claims."""
    claims = volume_claims(vm)
    targets = _disk_targets(spec)
    statuses = []
    for volume in _list(spec.get("volumes")):
        volume = _dict(volume)
        name = str(volume.get("name"))
        entry: dict[str, Any] = {"name": name, "target": targets.get(name, "")}
        claim_name = _dict(volume.get("persistentVolumeClaim")).get("claimName") or _dict(volume.get("dataVolume")).get(
            "name"
        )
        if claim_name:
            claim = claims.get(claim_name, {})
            storage = _dict(_dict(claim.get("resources")).get("requests")).get("storage", "10Gi")
            entry["persistentVolumeClaimInfo"] = {
                "accessModes": list(claim.get("accessModes") or DEFAULT_ACCESS_MODES),
                "capacity": {"storage": storage},
                "claimName": claim_name,
                "filesystemOverhead": "0",
                "requests": {"storage": storage},
                "volumeMode": claim.get("volumeMode") or "Block",
            }
        elif "cloudInitNoCloud" in volume or "cloudInitConfigDrive" in volume:
            entry["size"] = CLOUD_INIT_SIZE
        statuses.append(entry)
    return sorted(statuses, key=lambda item: item["name"])


def interface_status(spec: dict, namespace: str, name: str, pod_ip: str) -> list[dict]:
    """status.interfaces: the pod network's interface has the pod's IP, others an address of their VLAN."""
    networks = {str(_dict(n).get("name")): _dict(n) for n in _list(spec.get("networks"))}
    result = []
    for position, interface in enumerate(_list(_dict(_dict(spec.get("domain")).get("devices")).get("interfaces"))):
        interface = _dict(interface)
        iface_name = str(interface.get("name"))
        network = networks.get(iface_name, {})
        if "pod" in network:
            address = pod_ip
        else:
            digest = hashlib.sha256(f"{namespace}/{name}/{iface_name}".encode()).digest()
            address = f"172.16.{digest[0] % 200 + 10}.{digest[1] % 250 + 2}"
        result.append(
            {
                "infoSource": "domain, guest-agent",
                "interfaceName": f"eth{position}",
                "ipAddress": address,
                "ipAddresses": [address],
                "mac": interface.get("macAddress") or stable_mac(namespace, name, iface_name),
                "name": iface_name,
                "queueCount": 1,
            }
        )
    return result


def is_block_migration(spec: dict) -> bool:
    """virt-handler's checkVolumesForMigration: any volume that is not a claim (cloud-init, container
    disk, empty disk...) is copied with the memory, unless a read-only disk (CD-ROM) uses it."""
    read_only = {
        str(_dict(disk).get("name"))
        for disk in _list(_dict(_dict(spec.get("domain")).get("devices")).get("disks"))
        if "cdrom" in _dict(disk) or _dict(_dict(disk).get("disk")).get("readonly") is True
    }
    for volume in _list(spec.get("volumes")):
        volume = _dict(volume)
        if any(source in volume for source in ("persistentVolumeClaim", "dataVolume", "hostDisk")):
            continue
        if str(volume.get("name")) in read_only:
            continue
        return True
    return False


# -- resources ---------------------------------------------------------------------------------------


def _vcpus(cpu: dict) -> int:
    count = 1
    for part in ("sockets", "cores", "threads"):
        value = cpu.get(part)
        count *= value if isinstance(value, int) and value > 0 else 1
    return count


def _guaranteed_qos(resources: dict) -> bool:
    """VirtualMachineInstance.WantsToHaveQOSGuaranteed: memory and CPU requested, each equal to its limit."""
    requests, limits = _dict(resources.get("requests")), _dict(resources.get("limits"))
    for kind in ("memory", "cpu"):
        wanted = parse_quantity(requests.get(kind)) if requests.get(kind) is not None else None
        limit = parse_quantity(limits.get(kind)) if limits.get(kind) is not None else None
        if wanted is None or wanted.value == 0 or limit is None or wanted.value != limit.value:
            return False
    return True


def memory_overhead(spec: dict, settings: KubeVirtSettings) -> int:
    """Bytes KubeVirt adds to the launcher pod's memory for QEMU and its own processes
    (services/renderresources.go GetMemoryOverhead, v1.3.0 to v1.7.x; hypervisor/kvm at v1.8.0): page
    tables (one byte per 512 of the kilobyte-rounded request), the launcher's processes (210 MiB, 220
    MiB from v1.5.0), 8 MiB per vCPU and for the I/O thread, video RAM (16 MiB, 32 MiB from v1.6.0),
    128 MiB on arm64, 1 GiB with VFIO devices, 256 MiB for SEV, 53 MiB for a TPM, 100 MiB with
    dedicated CPUs or a guaranteed QoS; the whole times additionalGuestMemoryOverheadRatio last (up to
    v1.5.x the 100 MiB were added after the multiplication)."""
    domain = _dict(spec.get("domain"))
    devices = _dict(domain.get("devices"))
    resources = _dict(domain.get("resources"))
    request = quantity_bytes(_dict(resources.get("requests")).get("memory"))
    kilo_scaled = -(-request // 1000) * 1000 if request is not None else 0
    overhead = kilo_scaled // 512  # page tables: one bit per 512 bytes of guest memory
    overhead += (220 if settings.version >= (1, 5, 0) else 210) * MI  # launcher, virtlogd, virtqemud, qemu
    overhead += 8 * MI * _vcpus(_dict(domain.get("cpu")))
    overhead += 8 * MI  # I/O thread
    if devices.get("autoattachGraphicsDevice", True) is not False:
        overhead += (32 if settings.version >= (1, 6, 0) else 16) * MI
    if str(spec.get("architecture") or "") == "arm64":
        overhead += 128 * MI  # two 64 MiB UEFI pflash devices
    if _list(devices.get("hostDevices")) or _list(devices.get("gpus")):
        overhead += 1024 * MI  # VFIO locks guest RAM plus the MMIO space
    if "sev" in _dict(domain.get("launchSecurity")):
        overhead += 256 * MI
    if isinstance(devices.get("tpm"), dict):
        overhead += 53 * MI  # swtpm
    pinned = _dict(domain.get("cpu")).get("dedicatedCpuPlacement") is True or _guaranteed_qos(resources)
    before_ratio = settings.version >= (1, 6, 0)  # up to 1.5.x the 100 MiB came after the multiplication
    if pinned and before_ratio:
        overhead += 100 * MI
    ratio = parse_quantity(settings.overhead_ratio) if settings.overhead_ratio else None
    if ratio is not None and ratio.value > 0:
        # multiplyMemory: the kilo-scaled overhead times (ratio - 1), added in whole kilobytes.
        overhead += int(-(-overhead // 1000) * float(ratio.value - 1)) * 1000
    if pinned and not before_ratio:
        overhead += 100 * MI
    return overhead


def _plus(quantity: Any, extra: int) -> str | None:
    parsed = quantity_bytes(quantity)
    return None if parsed is None else str(parsed + extra)


def _go_float(value: float) -> str:
    """fmt.Sprintf("%g", value) for the small positive values KubeVirt formats (shortest round trip)."""
    return repr(value) if value != int(value) else str(int(value))


def _cpu_resources(domain: dict, settings: KubeVirtSettings) -> tuple[Any, Any]:
    """The compute container's CPU request and limit (services/template.go v1.6.0 VMIResourcePredicates,
    renderresources.go WithCPUPinning / WithoutDedicatedCPU): with dedicated CPUs both are the vCPUs
    plus the supplemental I/O threads, whatever the VMI asks; otherwise the VMI's own, and without a
    request the vCPUs divided by cpuAllocationRatio ("%g", in millicores below one)."""
    resources = _dict(domain.get("resources"))
    requests, limits = _dict(resources.get("requests")), _dict(resources.get("limits"))
    cpu = _dict(domain.get("cpu"))
    io_threads = _dict(domain.get("ioThreads")).get("supplementalPoolThreadCount")
    io_threads = (
        io_threads if isinstance(io_threads, int) and not isinstance(io_threads, bool) and io_threads > 0 else 0
    )
    vcpus = _vcpus(cpu)
    if cpu.get("dedicatedCpuPlacement") is True:
        return str(vcpus + io_threads), str(vcpus + io_threads)
    request = requests.get("cpu")
    if request is None:
        value = (vcpus + io_threads) / settings.cpu_allocation_ratio
        request = f"{_go_float(value * 1000)}m" if value < 1 else _go_float(value)
    return request, limits.get("cpu")


def compute_resources(spec: dict, settings: KubeVirtSettings) -> dict:
    domain = _dict(spec.get("domain"))
    resources = _dict(domain.get("resources"))
    requests, limits = _dict(resources.get("requests")), _dict(resources.get("limits"))
    overhead = memory_overhead(spec, settings)
    devices = {"devices.kubevirt.io/kvm": "1", "devices.kubevirt.io/tun": "1", "devices.kubevirt.io/vhost-net": "1"}
    for device in _list(_dict(domain.get("devices")).get("hostDevices")) + _list(
        _dict(domain.get("devices")).get("gpus")
    ):
        if _dict(device).get("deviceName"):
            devices[str(device["deviceName"])] = "1"
    pod_requests: dict[str, Any] = dict(devices, **{"ephemeral-storage": "50M"})
    pod_limits: dict[str, Any] = dict(devices)
    cpu_request, cpu_limit = _cpu_resources(domain, settings)
    if cpu_request is not None:
        pod_requests["cpu"] = cpu_request
    if cpu_limit is not None:
        pod_limits["cpu"] = cpu_limit
    memory = _plus(requests.get("memory") or limits.get("memory"), overhead)
    if memory is not None:
        pod_requests["memory"] = memory
    limit = _plus(limits.get("memory"), overhead)
    if limit is not None:
        pod_limits["memory"] = limit
    return {"limits": dict(sorted(pod_limits.items())), "requests": dict(sorted(pod_requests.items()))}


# -- pods --------------------------------------------------------------------------------------------


def _tolerations(spec: dict) -> list[dict]:
    tolerations = [copy_object(t) for t in _list(spec.get("tolerations")) if isinstance(t, dict)]
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not any(t.get("key") == key and t.get("effect") in ("NoExecute", None, "") for t in tolerations):
            tolerations.append({"effect": "NoExecute", "key": key, "operator": "Exists", "tolerationSeconds": 300})
    return tolerations


def _pod_volumes(spec: dict) -> list[dict]:
    volumes: list[dict] = [
        {"emptyDir": {}, "name": name}
        for name in (
            "private",
            "public",
            "sockets",
            "virt-bin-share-dir",
            "libvirt-runtime",
            "ephemeral-disks",
            "container-disks",
        )
    ]
    for volume in _list(spec.get("volumes")):
        volume = _dict(volume)
        claim = _dict(volume.get("persistentVolumeClaim")).get("claimName") or _dict(volume.get("dataVolume")).get(
            "name"
        )
        if claim:
            volumes.append({"name": volume.get("name"), "persistentVolumeClaim": {"claimName": claim}})
    volumes.append({"emptyDir": {}, "name": "hotplug-disks"})
    return volumes


def launcher_pod(vmi: dict, settings: KubeVirtSettings, name: str) -> dict:
    """The virt-launcher pod KubeVirt creates for `vmi` (Pending, not yet scheduled)."""
    meta = _dict(vmi.get("metadata"))
    spec = _dict(vmi.get("spec"))
    vmi_name, namespace, uid = meta["name"], meta.get("namespace") or "default", meta.get("uid", "")
    labels = dict(_dict(meta.get("labels")))
    labels.update({"kubevirt.io": "virt-launcher", "kubevirt.io/created-by": uid, "vm.kubevirt.io/name": vmi_name})
    annotations = {k: v for k, v in _dict(meta.get("annotations")).items() if k not in _NOT_COPIED_ANNOTATIONS}
    freeze = json.dumps(["/usr/bin/virt-freezer", "--freeze", "--name", vmi_name, "--namespace", namespace])
    unfreeze = json.dumps(["/usr/bin/virt-freezer", "--unfreeze", "--name", vmi_name, "--namespace", namespace])
    annotations.update(
        {
            "descheduler.alpha.kubernetes.io/request-evict-only": "",
            "kubectl.kubernetes.io/default-container": "compute",
            "kubevirt.io/domain": vmi_name,
            "kubevirt.io/migrationTransportUnix": "true",
            "post.hook.backup.velero.io/command": unfreeze,
            "post.hook.backup.velero.io/container": "compute",
            "pre.hook.backup.velero.io/command": freeze,
            "pre.hook.backup.velero.io/container": "compute",
        }
    )
    multus = []
    for network in (_dict(item) for item in _list(spec.get("networks"))):
        if "multus" not in network:
            continue
        nad_namespace, _, nad = str(_dict(network.get("multus")).get("networkName", "")).rpartition("/")
        # KubeVirt names the pod-side interface after a hash of the network's name.
        interface = "pod" + hashlib.sha256(str(network.get("name")).encode()).hexdigest()[:11]
        multus.append({"interface": interface, "name": nad, "namespace": nad_namespace or namespace})
    if multus:
        annotations["k8s.v1.cni.cncf.io/networks"] = json.dumps(multus, separators=(",", ":"))
    image = settings.image("virt-launcher")
    grace = spec.get("terminationGracePeriodSeconds")
    pod_spec: dict[str, Any] = {
        "automountServiceAccountToken": False,
        "containers": [
            {
                "command": [
                    "/usr/bin/virt-launcher-monitor",
                    "--qemu-timeout",
                    "288s",
                    "--name",
                    vmi_name,
                    "--uid",
                    uid,
                    "--namespace",
                    namespace,
                    "--kubevirt-share-dir",
                    "/var/run/kubevirt",
                    "--ephemeral-disk-dir",
                    "/var/run/kubevirt-ephemeral-disks",
                    "--container-disk-dir",
                    "/var/run/kubevirt/container-disks",
                    "--grace-period-seconds",
                    str((grace if isinstance(grace, int) else 30) + 15),
                    "--hook-sidecars",
                    "0",
                    "--ovmf-path",
                    "/usr/share/OVMF",
                    "--run-as-nonroot",
                ],
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                "name": "compute",
                "resources": compute_resources(spec, settings),
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
                    "privileged": False,
                    "runAsGroup": 107,
                    "runAsNonRoot": True,
                    "runAsUser": 107,
                },
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
            },
            {
                "args": ["--logfile", f"/var/run/kubevirt-private/{uid}/virt-serial0-log"],
                "command": ["/usr/bin/virt-tail"],
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                "name": "guest-console-log",
                "resources": {"limits": {"cpu": "15m", "memory": "60M"}, "requests": {"cpu": "15m", "memory": "60M"}},
            },
        ],
        "dnsPolicy": "ClusterFirst",
        "enableServiceLinks": False,
        "hostname": spec.get("hostname") or vmi_name,
        "nodeSelector": launcher_node_selector(vmi, settings),
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
        "readinessGates": [{"conditionType": "kubevirt.io/virtual-machine-unpaused"}],
        "restartPolicy": "Never",
        "schedulerName": "default-scheduler",
        "securityContext": {"fsGroup": 107, "runAsGroup": 107, "runAsNonRoot": True, "runAsUser": 107},
        "serviceAccountName": "default",
        "terminationGracePeriodSeconds": (grace if isinstance(grace, int) else 30) + 30,
        "tolerations": _tolerations(spec),
        "volumes": _pod_volumes(spec),
    }
    affinity = launcher_affinity(vmi)
    if affinity:
        pod_spec["affinity"] = affinity
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "generateName": f"virt-launcher-{vmi_name}-",
            "namespace": namespace,
            "labels": labels,
            "annotations": dict(sorted(annotations.items())),
            "ownerReferences": [
                {
                    "apiVersion": "kubevirt.io/v1",
                    "blockOwnerDeletion": True,
                    "controller": True,
                    "kind": "VirtualMachineInstance",
                    "name": vmi_name,
                    "uid": uid,
                }
            ],
        },
        "spec": pod_spec,
        "status": {"phase": "Pending", "qosClass": "Burstable"},
    }


def target_pod(
    vmi: dict,
    migration: dict,
    source_pod: dict | None,
    source_node: dict | None,
    settings: KubeVirtSettings,
    name: str,
) -> dict:
    """A migration's target pod (createTargetPod): the launcher manifest, the migration's label and
    annotation, pod anti-affinity to the VMI's own pods, the added node selector (KubeVirt >= 1.6, the
    VMI's own keys win) and, for host-model, the source's CPU selectors. Raises
    nodeselectors.HostModelUnknown when KubeVirt cannot render it."""
    pod = launcher_pod(vmi, settings, name)
    migration_meta = _dict(migration.get("metadata"))
    uid = _dict(vmi.get("metadata")).get("uid", "")
    pod["spec"]["nodeSelector"] = target_node_selector(vmi, migration, source_node, source_pod, settings)
    pod["metadata"]["labels"]["kubevirt.io/migrationJobUID"] = migration_meta.get("uid", "")
    pod["metadata"]["annotations"]["kubevirt.io/migrationJobName"] = migration_meta.get("name", "")
    affinity = pod["spec"].setdefault("affinity", {})
    anti = affinity.setdefault("podAntiAffinity", {}).setdefault("requiredDuringSchedulingIgnoredDuringExecution", [])
    anti.append(
        {"labelSelector": {"matchLabels": {"kubevirt.io/created-by": uid}}, "topologyKey": "kubernetes.io/hostname"}
    )
    return pod


# -- pod status ----------------------------------------------------------------------------------


def _condition(type_: str, status: str, at: str, **extra: Any) -> dict:
    return {"lastProbeTime": None, "lastTransitionTime": at, "status": status, "type": type_, **extra}


def unschedulable_status(message: str, now: datetime) -> dict:
    return {
        "conditions": [_condition("PodScheduled", "False", moment(now), message=message, reason="Unschedulable")],
        "phase": "Pending",
        "qosClass": "Burstable",
    }


def scheduled_status(now: datetime) -> dict:
    return {
        "conditions": [_condition("PodScheduled", "True", moment(now))],
        "phase": "Pending",
        "qosClass": "Burstable",
    }


def running_status(pod: dict, host_ip: str, pod_ip: str, started: datetime, ready: datetime) -> dict:
    """A launcher pod whose containers run and whose VM is up (the readiness gate is set by virt-handler)."""
    start, up = moment(started), moment(ready)
    containers = [
        {
            "name": container.get("name"),
            "image": container.get("image"),
            "imageID": "",
            "ready": True,
            "restartCount": 0,
            "started": True,
            "state": {"running": {"startedAt": start}},
        }
        for container in _list(_dict(pod.get("spec")).get("containers"))
    ]
    return {
        "conditions": [
            _condition("kubevirt.io/virtual-machine-unpaused", "True", up, lastProbeTime=None, reason="NotPaused"),
            _condition("Initialized", "True", start),
            _condition("Ready", "True", up),
            _condition("ContainersReady", "True", up),
            _condition("PodScheduled", "True", start),
        ],
        "containerStatuses": containers,
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}] if host_ip else [],
        "phase": "Running",
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "qosClass": "Burstable",
        "startTime": start,
    }


def completed_status(pod: dict, now: datetime) -> dict:
    """The launcher has exited normally (a migration source after success, a target after a failure)."""
    status = copy_object(_dict(pod.get("status")))
    at = moment(now)
    status["phase"] = "Succeeded"
    for condition in _list(status.get("conditions")):
        if condition.get("type") in ("Ready", "ContainersReady"):
            condition.update({"status": "False", "lastTransitionTime": at, "reason": "PodCompleted"})
    for container in _list(status.get("containerStatuses")):
        started = _dict(_dict(container.get("state")).get("running")).get("startedAt", at)
        container.update(
            {
                "ready": False,
                "started": False,
                "state": {"terminated": {"exitCode": 0, "finishedAt": at, "reason": "Completed", "startedAt": started}},
            }
        )
    return status
