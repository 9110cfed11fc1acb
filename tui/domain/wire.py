"""The shape of what the parsers in tui/domain/objects.py read, for decoding only that much of the API's JSON.

Each *Object type below lists the fields one parse_* function reads, nested as the API nests them;
a decoder given it (msgspec, in tui/cluster/decoding.py) keeps those fields and skips everything else
while it scans the bytes (a VMI's 3 kB of JSON becomes the 1 kB the rules read; a pod's status, its
managed fields and most of its containers are never built at all). The result is a plain dict, a
pruned copy of the object, so the parsers read it exactly as they read the whole object.

Values the parsers check themselves are `Any`; a nested shape is `Or[Shape]`, which takes any other
JSON value too, kept as it is: a wrong type reaches the parser, which treats it as unknown, as before.
A field a parser starts reading must be added here; the tests compare parse(pruned) with
parse(whole) over the example objects to catch one that is not.
"""

from __future__ import annotations

from typing import Any, TypedDict, TypeVar, Union

# Everything here is total=False: a field may be absent, as in the API.

_T = TypeVar("_T")
# An object of the given shape, or any other JSON value (kept as it is, for the parser to judge): a
# decoder cannot be told "this shape, else anything" with Any, which would swallow the shape.
Or = Union[_T, None, str, int, float, bool, list[Any]]
# A list of such objects, or any other JSON value.
ListOr = Union[list[Or[_T]], dict[str, Any], None, str, int, float, bool]


class OwnerReference(TypedDict, total=False):
    controller: Any
    name: Any


class Metadata(TypedDict, total=False):
    name: Any
    namespace: Any
    uid: Any
    resourceVersion: Any
    labels: Any
    annotations: Any
    creationTimestamp: Any
    deletionTimestamp: Any
    generateName: Any
    ownerReferences: ListOr[OwnerReference]
    finalizers: Any  # migrations


class NodeSpec(TypedDict, total=False):
    taints: Any
    unschedulable: Any


class NodeInfo(TypedDict, total=False):
    architecture: Any
    osImage: Any


class NodeStatus(TypedDict, total=False):
    # Not `images`, which on a real node lists every image it holds (tens of kB).
    conditions: Any
    allocatable: Any
    addresses: Any
    nodeInfo: Or[NodeInfo]


class NodeObject(TypedDict, total=False):
    """parse_node."""

    metadata: Or[Metadata]
    spec: Or[NodeSpec]
    status: Or[NodeStatus]


class Resources(TypedDict, total=False):
    requests: Any
    limits: Any
    overcommitGuestOverhead: Any


class Cpu(TypedDict, total=False):
    features: Any
    model: Any
    dedicatedCpuPlacement: Any
    cores: Any
    sockets: Any
    threads: Any
    realtime: Any
    isolateEmulatorThread: Any


class Disk(TypedDict, total=False):
    # Which of these keys is present says the disk's kind; their contents are not read.
    name: Any
    disk: Any
    cdrom: Any
    lun: Any
    floppy: Any


class Interface(TypedDict, total=False):
    # Which binding key is present says the binding; only a plugin binding's name is read.
    name: Any
    masquerade: Any
    bridge: Any
    sriov: Any
    slirp: Any
    passt: Any
    macvtap: Any
    binding: Any


class Devices(TypedDict, total=False):
    disks: ListOr[Disk]
    interfaces: ListOr[Interface]
    hostDevices: Any
    gpus: Any
    autoattachGraphicsDevice: Any
    tpm: Any


class Memory(TypedDict, total=False):
    guest: Any
    hugepages: Any


class Machine(TypedDict, total=False):
    type: Any


class Domain(TypedDict, total=False):
    cpu: Or[Cpu]
    resources: Or[Resources]
    devices: Or[Devices]
    memory: Or[Memory]
    machine: Or[Machine]
    features: Any
    launchSecurity: Any


class PVCSource(TypedDict, total=False):
    claimName: Any
    name: Any
    capacity: Any
    hotpluggable: Any


class Volume(TypedDict, total=False):
    # Which source key is present says the volume's source; of its body only these fields are read.
    name: Any
    persistentVolumeClaim: Or[PVCSource]
    dataVolume: Or[PVCSource]
    containerDisk: Or[PVCSource]
    cloudInitNoCloud: Or[PVCSource]
    cloudInitConfigDrive: Or[PVCSource]
    emptyDisk: Or[PVCSource]
    ephemeral: Or[PVCSource]
    hostDisk: Or[PVCSource]
    configMap: Or[PVCSource]
    secret: Or[PVCSource]
    serviceAccount: Or[PVCSource]
    downwardAPI: Or[PVCSource]
    downwardMetrics: Or[PVCSource]
    sysprep: Or[PVCSource]
    memoryDump: Or[PVCSource]


class GuestSpec(TypedDict, total=False):
    """A VMI's spec, or a VM's template spec (parse_guest_spec)."""

    domain: Or[Domain]
    volumes: ListOr[Volume]
    networks: Any
    nodeSelector: Any
    affinity: Any
    tolerations: Any
    evictionStrategy: Any
    architecture: Any
    topologySpreadConstraints: Any
    priorityClassName: Any
    schedulerName: Any
    readinessProbe: Any
    livenessProbe: Any


class TemplateMetadata(TypedDict, total=False):
    labels: Any


class Template(TypedDict, total=False):
    metadata: Or[TemplateMetadata]
    spec: Or[GuestSpec]


class VMSpec(TypedDict, total=False):
    template: Or[Template]
    runStrategy: Any
    running: Any


class VMStatus(TypedDict, total=False):
    printableStatus: Any
    conditions: Any


class VMObject(TypedDict, total=False):
    """parse_vm."""

    metadata: Or[Metadata]
    spec: Or[VMSpec]
    status: Or[VMStatus]


class VMIInterfaceStatus(TypedDict, total=False):
    ipAddress: Any


class ClaimInfo(TypedDict, total=False):
    accessModes: Any
    capacity: Any
    claimName: Any
    requests: Any


class VolumeStatus(TypedDict, total=False):
    name: Any
    size: Any
    persistentVolumeClaimInfo: Or[ClaimInfo]


class VMIStatus(TypedDict, total=False):
    phase: Any
    nodeName: Any
    conditions: Any
    migrationState: Any
    migrationMethod: Any
    interfaces: ListOr[VMIInterfaceStatus]
    volumeStatus: ListOr[VolumeStatus]
    activePods: Any
    machine: Or[Machine]
    topologyHints: Any
    migratedVolumes: Any
    evacuationNodeName: Any


class VMIObject(TypedDict, total=False):
    """parse_vmi."""

    metadata: Or[Metadata]
    spec: Or[GuestSpec]
    status: Or[VMIStatus]


class ContainerResources(TypedDict, total=False):
    requests: Any


class Container(TypedDict, total=False):
    name: Any
    restartPolicy: Any
    resources: Or[ContainerResources]


class PodSpec(TypedDict, total=False):
    containers: ListOr[Container]
    initContainers: ListOr[Container]
    overhead: Any
    nodeName: Any
    nodeSelector: Any
    affinity: Any
    tolerations: Any


class PodStatus(TypedDict, total=False):
    phase: Any


class PodObject(TypedDict, total=False):
    """parse_pod."""

    metadata: Or[Metadata]
    spec: Or[PodSpec]
    status: Or[PodStatus]
