"""Small frozen values parsed from API JSON: only the fields the rules and the UI need.

Every parse_* function takes what the API returned (a dict, usually) and never raises: a missing
field, a value of the wrong type or an unknown enum becomes "unknown" (None, "" or an empty
collection), and the rules treat unknown conservatively and say so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from sys import intern
from types import MappingProxyType
from typing import Any

import orjson

from tui.domain.phases import MIGRATION_FINAL_PHASES
from tui.domain.quantity import Quantity, millicores_of, parse_quantity

HOSTNAME_LABEL = "kubernetes.io/hostname"  # a node's name as a label (kubelet sets it)

# ---------------------------------------------------------------------------------------------
# Tolerant readers
# ---------------------------------------------------------------------------------------------


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    # Interned: the same names, keys and words recur across thousands of objects; one copy each.
    return intern(value) if type(value) is str else value if isinstance(value, str) else ""


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


_INT64 = (-(2**63), 2**63 - 1)


def _int(value: Any) -> int | None:
    """An integer field (int64 in the API); anything else, or out of int64's range, is unknown."""
    if isinstance(value, bool):
        return None
    if (
        isinstance(value, float)
        and value.is_integer()
        or isinstance(value, str)
        and re.fullmatch(r"-?[0-9]{1,19}", value.strip())
    ):
        value = int(value)
    if isinstance(value, int) and _INT64[0] <= value <= _INT64[1]:
        return value
    return None


def _str_map(value: Any) -> dict[str, str]:
    """A label-like map; entries that are not string to string are dropped (they cannot match)."""
    if not isinstance(value, dict):
        return {}
    return {
        (intern(k) if type(k) is str else k): (intern(v) if type(v) is str else v)
        for k, v in value.items()
        if isinstance(k, str) and isinstance(v, str)
    }


def _path(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|z|[+-]\d{2}:\d{2})?$")


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp as the API writes it, in UTC; None when absent or malformed."""
    if not isinstance(value, str):
        return None
    return _parse_time_text(value)


# Objects of one cluster share many timestamps (a VM's conditions, objects made together): one
# datetime each, read once.
@lru_cache(maxsize=8192)
def _parse_time_text(value: str) -> datetime | None:
    match = _RFC3339.match(value.strip())
    if not match:
        return None
    try:
        year, month, day, hour, minute, second = (int(match[i]) for i in range(1, 7))
        micro = int((match[7] or ".0")[1:7].ljust(6, "0"))
        moment = datetime(year, month, day, hour, minute, second, micro, tzinfo=timezone.utc)
        offset = match[8]
        if offset and offset not in ("Z", "z"):
            sign = 1 if offset[0] == "+" else -1
            hours, minutes = int(offset[1:3]), int(offset[4:6])
            moment -= sign * timedelta(hours=hours, minutes=minutes)
        return moment
    except ValueError:
        return None


def format_time(moment: datetime) -> str:
    """The API's own form: 2024-12-13T12:38:58Z."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")


def parse_version(value: Any) -> tuple[int, int, int] | None:
    """ "v1.6.3" or "1.6.3-150700.3.13.1" -> (1, 6, 3); None when there is no version to read."""
    if not isinstance(value, str):
        return None
    match = _VERSION.search(value)
    if not match:
        return None
    return int(match[1]), int(match[2]), int(match[3] or 0)


# ---------------------------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Condition:
    type: str
    status: bool | None  # "True" -> True, "False" -> False, "Unknown" or anything else -> None
    reason: str = ""
    message: str = ""
    last_transition: datetime | None = None


# Conditions read so far, by their fields (bounded: cleared when full). Objects made together carry the
# same conditions at the same times: one tuple of Conditions each, read once.
_CONDITIONS: dict[tuple[tuple[Any, ...], ...], tuple[Condition, ...]] = {}
_CONDITIONS_HELD = 4096


def _conditions(value: Any) -> tuple[Condition, ...]:
    if not isinstance(value, list):
        return ()
    try:
        key = tuple(
            (item["type"], item.get("status"), item.get("reason"), item.get("message"), item.get("lastTransitionTime"))
            for item in value
        )
        found = _CONDITIONS.get(key)
    except (KeyError, AttributeError, TypeError):  # not a dict, no type, or a value that is no key
        return _read_conditions(value)
    if found is None:
        found = _read_conditions(value)
        if len(_CONDITIONS) >= _CONDITIONS_HELD:
            _CONDITIONS.clear()
        _CONDITIONS[key] = found
    return found


def _read_conditions(value: Any) -> tuple[Condition, ...]:
    result = []
    for item in _list(value):
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            continue
        status = item.get("status")
        result.append(
            Condition(
                type=item["type"],
                status=True if status == "True" else False if status == "False" else None,
                reason=_str(item.get("reason")),
                message=_str(item.get("message")),
                last_transition=parse_time(item.get("lastTransitionTime")),
            )
        )
    return tuple(result)


def find_condition(conditions: tuple[Condition, ...], type_: str) -> Condition | None:
    for condition in conditions:
        if condition.type == type_:
            return condition
    return None


@dataclass(frozen=True, slots=True)
class Taint:
    key: str
    value: str
    effect: str  # NoSchedule | PreferNoSchedule | NoExecute (anything else is kept as written)


@dataclass(frozen=True, slots=True)
class Toleration:
    key: str = ""
    operator: str = "Equal"  # Equal | Exists
    value: str = ""
    effect: str = ""  # "" tolerates every effect


@dataclass(frozen=True, slots=True)
class SelectorRequirement:
    """One expression of a node selector term or label selector: key, operator, values."""

    key: str
    operator: str  # In | NotIn | Exists | DoesNotExist | Gt | Lt
    values: tuple[str, ...] = ()
    # Set when the expression itself could not be read (not an object, a value that is no string):
    # kube-scheduler would refuse such a term, so it must never match, never be silently relaxed.
    problem: str = ""


@dataclass(frozen=True, slots=True)
class NodeSelectorTerm:
    match_expressions: tuple[SelectorRequirement, ...] = ()
    match_fields: tuple[SelectorRequirement, ...] = ()


@dataclass(frozen=True, slots=True)
class NodeAffinity:
    """Required node affinity. `terms is None` means there is no requirement at all."""

    terms: tuple[NodeSelectorTerm, ...] | None = None


def _requirements(value: Any) -> tuple[SelectorRequirement, ...]:
    result = []
    for item in _list(value):
        if not isinstance(item, dict):
            result.append(SelectorRequirement(key="", operator="", problem="an expression that is not an object"))
            continue
        raw_values = item.get("values")
        problem = ""
        if raw_values is not None and not isinstance(raw_values, list):
            problem = "values is not a list"
        elif any(not isinstance(v, str) for v in _list(raw_values)):
            problem = "a value that is not a string"
        values = tuple(v for v in _list(raw_values) if isinstance(v, str))
        result.append(
            SelectorRequirement(
                key=_str(item.get("key")), operator=_str(item.get("operator")), values=values, problem=problem
            )
        )
    return tuple(result)


def _node_affinity(affinity: Any) -> NodeAffinity:
    required = _path(affinity, "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution")
    if not isinstance(required, dict):
        return NodeAffinity(None)
    terms = []
    for term in _list(required.get("nodeSelectorTerms")):
        term = _dict(term)
        terms.append(
            NodeSelectorTerm(
                match_expressions=_requirements(term.get("matchExpressions")),
                match_fields=_requirements(term.get("matchFields")),
            )
        )
    return NodeAffinity(tuple(terms))


def _tolerations(value: Any) -> tuple[Toleration, ...]:
    result = []
    for item in _list(value):
        if not isinstance(item, dict):
            continue
        result.append(
            Toleration(
                key=_str(item.get("key")),
                operator=_str(item.get("operator")) or "Equal",
                value=_str(item.get("value")),
                effect=_str(item.get("effect")),
            )
        )
    return tuple(result)


@dataclass(frozen=True, slots=True)
class Meta:
    """What every object carries: identity, version, labels, and (a filtered set of) annotations."""

    name: str
    namespace: str = ""
    uid: str = ""
    resource_version: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    created: datetime | None = None
    deleted: datetime | None = None  # deletionTimestamp: going away, finalizers pending
    generate_name: str = ""
    owner_name: str = ""  # the controller owner's name, if any

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


class Named:
    """Name, namespace and key of an object that carries a `meta`."""

    __slots__ = ()  # the objects' own slots hold everything (tens of thousands of them: no __dict__ each)
    meta: Meta

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def namespace(self) -> str:
        return self.meta.namespace

    @property
    def key(self) -> str:
        return self.meta.key


# Annotations are kept only under these prefixes: objects carry far more than the rules need.
_KEPT_ANNOTATION_PREFIXES = ("harvesterhci.io/", "kubevirt.io/", "network.harvesterhci.io/")


def parse_meta(obj: Any, keep_all_annotations: bool = False) -> Meta:
    metadata = _dict(_dict(obj).get("metadata"))
    annotations = _str_map(metadata.get("annotations"))
    if not keep_all_annotations:
        annotations = {k: v for k, v in annotations.items() if k.startswith(_KEPT_ANNOTATION_PREFIXES)}
    owner = ""
    for ref in _list(metadata.get("ownerReferences")):
        if isinstance(ref, dict) and ref.get("controller") is True:
            owner = _str(ref.get("name"))
    return Meta(
        name=_str(metadata.get("name")),
        namespace=_str(metadata.get("namespace")),
        uid=_str(metadata.get("uid")),
        resource_version=_str(metadata.get("resourceVersion")),
        labels=_str_map(metadata.get("labels")),
        annotations=annotations,
        created=parse_time(metadata.get("creationTimestamp")),
        deleted=parse_time(metadata.get("deletionTimestamp")),
        generate_name=_str(metadata.get("generateName")),
        owner_name=owner,
    )


# ---------------------------------------------------------------------------------------------
# Node
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Node(Named):
    meta: Meta
    taints: tuple[Taint, ...] = ()
    unschedulable: bool = False
    ready: bool | None = None  # Ready condition: True, False, or unknown (missing / "Unknown")
    ready_reason: str = ""
    ready_message: str = ""
    allocatable_cpu_milli: int | None = None
    allocatable_memory: int | None = None  # bytes
    allocatable_pods: int | None = None
    arch: str = ""  # kubernetes.io/arch label, else status.nodeInfo.architecture
    internal_ip: str = ""
    # Every other allocatable resource (ephemeral-storage, hugepages-*, device-plugin resources such as
    # devices.kubevirt.io/kvm), rounded up; None for a value that could not be read.
    allocatable_other: Mapping[str, int | None] = field(default_factory=dict)
    os_image: str = ""  # status.nodeInfo.osImage ("Harvester v1.7.0" on a Harvester node)

    @property
    def labels(self) -> Mapping[str, str]:
        return self.meta.labels

    @property
    def annotations(self) -> Mapping[str, str]:
        return self.meta.annotations


def parse_node(obj: Any) -> Node:
    obj = _dict(obj)
    meta = parse_meta(obj)
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    taints = tuple(
        Taint(key=_str(t.get("key")), value=_str(t.get("value")), effect=_str(t.get("effect")))
        for t in _list(spec.get("taints"))
        if isinstance(t, dict)
    )
    ready = find_condition(_conditions(status.get("conditions")), "Ready")
    allocatable = _dict(status.get("allocatable"))
    memory = parse_quantity(allocatable.get("memory"))
    internal_ip = ""
    for address in _list(status.get("addresses")):
        if isinstance(address, dict) and address.get("type") == "InternalIP":
            internal_ip = _str(address.get("address"))
    return Node(
        meta=meta,
        taints=taints,
        unschedulable=spec.get("unschedulable") is True,
        ready=None if ready is None else ready.status,
        ready_reason="" if ready is None else ready.reason,
        ready_message="" if ready is None else ready.message,
        allocatable_cpu_milli=_millicores(allocatable.get("cpu")),
        allocatable_memory=None if memory is None else memory.ceil(),
        allocatable_pods=_int(allocatable.get("pods")),
        arch=meta.labels.get("kubernetes.io/arch") or _str(_path(status, "nodeInfo", "architecture")),
        internal_ip=internal_ip,
        allocatable_other={
            name: _whole(amount)
            for name, amount in allocatable.items()
            if isinstance(name, str) and name not in _BASIC_RESOURCES
        },
        os_image=_str(_path(status, "nodeInfo", "osImage")),
    )


# Resources with fields of their own; every other one is an "other" (scalar) resource.
_BASIC_RESOURCES = ("cpu", "memory", "pods")


def _whole(raw: Any) -> int | None:
    """A quantity rounded up to a whole number (Value()); None when it cannot be read."""
    if type(raw) is str:
        return _whole_text(raw)
    parsed = parse_quantity(raw)
    return None if parsed is None else parsed.ceil()


# Quantities recur ("40Gi", "125m" in every VM alike): each text rounded once.
@lru_cache(maxsize=4096)
def _whole_text(raw: str) -> int | None:
    parsed = parse_quantity(raw)
    return None if parsed is None else parsed.ceil()


def _millicores(raw: Any) -> int | None:
    """millicores_of, each text computed once."""
    return _millicores_text(raw) if type(raw) is str else millicores_of(raw)


@lru_cache(maxsize=4096)
def _millicores_text(raw: str) -> int | None:
    return millicores_of(raw)


# ---------------------------------------------------------------------------------------------
# The guest: what a VMI spec (or a VM's template spec) says about the machine
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CPUFeature:
    name: str
    policy: str = "require"  # force | require | optional | disable | forbid ("" means require)


@dataclass(frozen=True, slots=True)
class Disk:
    name: str
    kind: str  # disk | cdrom | lun | floppy


@dataclass(frozen=True, slots=True)
class Volume:
    name: str
    source: str  # persistentVolumeClaim | dataVolume | containerDisk | cloudInitNoCloud | emptyDisk | ...
    claim_name: str = ""  # for persistentVolumeClaim and dataVolume
    hotpluggable: bool = False
    capacity: int | None = None  # bytes, for emptyDisk


@dataclass(frozen=True, slots=True)
class Network:
    name: str
    kind: str  # pod | multus | unknown
    network_name: str = ""  # multus: "<ns>/<nad>" or "<nad>"


@dataclass(frozen=True, slots=True)
class Interface:
    name: str
    binding: str  # masquerade | bridge | sriov | slirp | passt | binding:<plugin> | unknown


@dataclass(frozen=True, slots=True)
class GuestSpec:
    """The part of a VMI spec (or VM template spec) the rules read."""

    cpu_model: str = ""  # "" when the object does not say (the cluster default applies)
    cpu_features: tuple[CPUFeature, ...] = ()
    dedicated_cpu: bool = False
    cores: int | None = None
    sockets: int | None = None
    threads: int | None = None
    memory_guest: Quantity | None = None
    memory_request: Quantity | None = None
    memory_limit: Quantity | None = None
    cpu_request_milli: int | None = None
    cpu_limit_milli: int | None = None
    node_selector: Mapping[str, str] = field(default_factory=dict)
    affinity: NodeAffinity = field(default_factory=NodeAffinity)
    tolerations: tuple[Toleration, ...] = ()
    host_devices: tuple[str, ...] = ()  # deviceName of each host device
    gpus: tuple[str, ...] = ()  # deviceName of each GPU
    disks: tuple[Disk, ...] = ()
    volumes: tuple[Volume, ...] = ()
    networks: tuple[Network, ...] = ()
    interfaces: tuple[Interface, ...] = ()
    eviction_strategy: str = ""
    architecture: str = ""  # spec.architecture (a webhook fills it on a VMI: "amd64")
    machine_type: str = ""  # spec.domain.machine.type ("q35")
    # Scheduling rules placement does not evaluate (they depend on other pods): how many of each can
    # make the scheduler refuse a node. Preferred terms and ScheduleAnyway constraints only score.
    required_pod_affinity: int = 0  # affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution
    required_pod_anti_affinity: int = 0  # affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution
    spread_constraints: int = 0  # topologySpreadConstraints with whenUnsatisfiable DoNotSchedule
    hyperv: bool = False  # spec.domain.features.hyperv is set (HypervStrictCheck turns it into node labels)
    hyperv_reenlightenment: bool = False  # features.hyperv.reenlightenment.enabled: true
    priority_class_name: str = ""  # spec.priorityClassName (the scheduler may preempt for it)
    scheduler_name: str = ""  # spec.schedulerName ("" or default-scheduler: kube-scheduler)
    realtime: bool = False  # spec.domain.cpu.realtime is set (node label kubevirt.io/realtime)
    # What KubeVirt's launcher memory overhead depends on (services/renderresources.go GetMemoryOverhead).
    overcommit_guest_overhead: bool = False  # resources.overcommitGuestOverhead
    isolate_emulator_thread: bool = False  # cpu.isolateEmulatorThread (one more dedicated CPU)
    hugepages: bool = False  # memory.hugepages is set
    autoattach_graphics: bool = True  # devices.autoattachGraphicsDevice (unset: true)
    tpm: bool = False  # devices.tpm is set
    probes: bool = False  # a readiness or liveness probe (their overhead is not modelled)
    sev: bool = False  # spec.domain.launchSecurity.sev is set (node label kubevirt.io/sev)

    @property
    def memory(self) -> Quantity | None:
        """Guest memory as KubeVirt counts it for a migration: memory.guest, else requests.memory."""
        return self.memory_guest or self.memory_request


_DISK_KINDS = ("disk", "cdrom", "lun", "floppy")
_VOLUME_SOURCES = (
    "persistentVolumeClaim",
    "dataVolume",
    "containerDisk",
    "cloudInitNoCloud",
    "cloudInitConfigDrive",
    "emptyDisk",
    "ephemeral",
    "hostDisk",
    "configMap",
    "secret",
    "serviceAccount",
    "downwardAPI",
    "downwardMetrics",
    "sysprep",
    "memoryDump",
)
_BINDINGS = ("masquerade", "bridge", "sriov", "slirp", "passt", "macvtap")


def parse_guest_spec(spec: Any) -> GuestSpec:
    spec = _dict(spec)
    domain = _dict(spec.get("domain"))

    volumes = []
    for item in _list(spec.get("volumes")):
        if not isinstance(item, dict):
            continue
        source = next((s for s in _VOLUME_SOURCES if s in item), "unknown")
        body = _dict(item.get(source))
        claim = _str(body.get("claimName")) or (_str(body.get("name")) if source == "dataVolume" else "")
        capacity = parse_quantity(body.get("capacity"))
        volumes.append(
            Volume(
                name=_str(item.get("name")),
                source=source,
                claim_name=claim,
                hotpluggable=body.get("hotpluggable") is True,
                capacity=None if capacity is None else capacity.ceil(),
            )
        )

    networks = []
    for item in _list(spec.get("networks")):
        if not isinstance(item, dict):
            continue
        if "pod" in item:
            networks.append(Network(name=_str(item.get("name")), kind="pod"))
        elif "multus" in item:
            networks.append(
                Network(
                    name=_str(item.get("name")),
                    kind="multus",
                    network_name=_str(_path(item, "multus", "networkName")),
                )
            )
        else:
            networks.append(Network(name=_str(item.get("name")), kind="unknown"))

    affinity = _dict(spec.get("affinity"))
    return GuestSpec(
        **_domain_fields(domain),
        node_selector=_str_map(spec.get("nodeSelector")),
        affinity=_node_affinity(spec.get("affinity")),
        tolerations=_tolerations(spec.get("tolerations")),
        volumes=tuple(volumes),
        networks=tuple(networks),
        eviction_strategy=_str(spec.get("evictionStrategy")),
        architecture=_str(spec.get("architecture")),
        required_pod_affinity=len(
            _list(_path(affinity, "podAffinity", "requiredDuringSchedulingIgnoredDuringExecution"))
        ),
        required_pod_anti_affinity=len(
            _list(_path(affinity, "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution"))
        ),
        spread_constraints=sum(
            1
            for item in _list(spec.get("topologySpreadConstraints"))
            if isinstance(item, dict) and item.get("whenUnsatisfiable", "DoNotSchedule") == "DoNotSchedule"
        ),
        priority_class_name=_str(spec.get("priorityClassName")),
        scheduler_name=_str(spec.get("schedulerName")),
        probes=isinstance(spec.get("readinessProbe"), dict) or isinstance(spec.get("livenessProbe"), dict),
    )


_GUEST_SPEC_FIELDS = frozenset(GuestSpec.__dataclass_fields__)
# Dates, dataclasses and subclasses of str or int are not JSON: orjson refuses them with this.
_AS_IT_IS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


class _DeferredGuestSpec(GuestSpec):
    """A VM's template spec kept as its (pruned) JSON until a rule first reads one of its fields, then
    parsed whole, exactly as parse_guest_spec parses it. A running VM's rules and row read its VMI's
    spec, never its template: of 10,000 VMs' templates, the few hundred of stopped VMs are ever parsed.

    Made by `deferred_guest_spec`; its fields are the GuestSpec slots, unset until the first read
    (`__getattr__` runs only for an unset one). Two threads reading at once both parse it and set the
    same values. `dataclasses.replace` of one makes a plain, whole GuestSpec of this class."""

    __slots__ = ("_json",)

    def __getattr__(self, name: str) -> Any:
        if name not in _GUEST_SPEC_FIELDS:
            raise AttributeError(name)
        try:
            text = object.__getattribute__(self, "_json")
        except AttributeError:  # made whole (by replace), or parsed by another thread meanwhile
            return object.__getattribute__(self, name)
        if text is not None:
            parsed = parse_guest_spec(orjson.loads(text))
            for field_name in _GUEST_SPEC_FIELDS:
                object.__setattr__(self, field_name, getattr(parsed, field_name))
            object.__setattr__(self, "_json", None)
        return object.__getattribute__(self, name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GuestSpec):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in _GUEST_SPEC_FIELDS)

    __hash__ = GuestSpec.__hash__


def _kept(text: bytes) -> bytes:
    """orjson's answer as bytes of just its length, to keep: orjson's own holds a buffer of at least
    4 kB (10,000 deferred templates took 40 MB that way)."""
    return bytes(memoryview(text))


def deferred_guest_spec(spec: Any) -> GuestSpec:
    """parse_guest_spec(spec), parsed when first read; `spec` is kept as compact JSON meanwhile. A spec
    whose JSON would read otherwise (a date from YAML, which the parser takes for no string; NaN, written
    as null; an integer beyond 64 bits) is parsed now."""
    try:
        text = orjson.dumps(spec, option=_AS_IT_IS)
    except (TypeError, orjson.JSONEncodeError):
        return parse_guest_spec(spec)
    if b"null" in text:
        return parse_guest_spec(spec)
    deferred = object.__new__(_DeferredGuestSpec)
    object.__setattr__(deferred, "_json", _kept(text))
    return deferred


# Fields of the domains read so far, by the domain's JSON with sorted keys (bounded: cleared when full).
_DOMAINS: dict[bytes, Mapping[str, Any]] = {}
_DOMAINS_HELD = 4096
# Dates, dataclasses and subclasses of str or int are not JSON: such a domain is read afresh each time
# (JSON text could not tell them apart from plain values).
_DOMAIN_KEY = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_DOMAIN_KEY |= orjson.OPT_PASSTHROUGH_SUBCLASS


def _domain_fields(domain: dict[str, Any]) -> Mapping[str, Any]:
    """The GuestSpec fields spec.domain decides. VMs of one size and kind have equal domains (names of
    disks and interfaces included): each distinct domain is read once, its fields shared."""
    try:
        key = orjson.dumps(domain, option=_DOMAIN_KEY)
    except (TypeError, orjson.JSONEncodeError):
        return _read_domain(domain)
    if b"null" in key:
        return _read_domain(domain)  # NaN and infinities are written as null too: no key for them
    fields = _DOMAINS.get(key)
    if fields is None:
        fields = _read_domain(domain)
        if len(_DOMAINS) >= _DOMAINS_HELD:
            _DOMAINS.clear()
        _DOMAINS[_kept(key)] = fields
    return fields


def _read_domain(domain: dict[str, Any]) -> Mapping[str, Any]:
    cpu = _dict(domain.get("cpu"))
    resources = _dict(domain.get("resources"))
    requests, limits = _dict(resources.get("requests")), _dict(resources.get("limits"))
    devices = _dict(domain.get("devices"))

    features = []
    for item in _list(cpu.get("features")):
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            features.append(CPUFeature(name=_str(item["name"]), policy=_str(item.get("policy")) or "require"))

    disks = []
    for item in _list(devices.get("disks")):
        if not isinstance(item, dict):
            continue
        kind = "disk"  # KubeVirt's default
        for candidate in _DISK_KINDS:
            if candidate in item:
                kind = candidate
                break
        disks.append(Disk(name=_str(item.get("name")), kind=kind))

    interfaces = []
    for item in _list(devices.get("interfaces")):
        if not isinstance(item, dict):
            continue
        binding = next((b for b in _BINDINGS if b in item), "")
        if not binding and isinstance(item.get("binding"), dict):
            binding = "binding:" + _str(item["binding"].get("name"))
        interfaces.append(Interface(name=_str(item.get("name")), binding=binding or "unknown"))

    hyperv = _path(domain, "features", "hyperv")
    return MappingProxyType(
        {
            "cpu_model": _str(cpu.get("model")),
            "cpu_features": tuple(features),
            "dedicated_cpu": cpu.get("dedicatedCpuPlacement") is True,
            "cores": _int(cpu.get("cores")),
            "sockets": _int(cpu.get("sockets")),
            "threads": _int(cpu.get("threads")),
            "memory_guest": parse_quantity(_path(domain, "memory", "guest")),
            "memory_request": parse_quantity(requests.get("memory")),
            "memory_limit": parse_quantity(limits.get("memory")),
            "cpu_request_milli": _millicores(requests.get("cpu")),
            "cpu_limit_milli": _millicores(limits.get("cpu")),
            "host_devices": tuple(
                _str(d.get("deviceName")) or _str(d.get("name"))
                for d in _list(devices.get("hostDevices"))
                if isinstance(d, dict)
            ),
            "gpus": tuple(
                _str(d.get("deviceName")) or _str(d.get("name"))
                for d in _list(devices.get("gpus"))
                if isinstance(d, dict)
            ),
            "disks": tuple(disks),
            "interfaces": tuple(interfaces),
            "machine_type": _str(_path(domain, "machine", "type")),
            "hyperv": isinstance(hyperv, dict) and bool(hyperv),
            "hyperv_reenlightenment": _path(hyperv, "reenlightenment", "enabled") is True,
            "realtime": isinstance(cpu.get("realtime"), dict),
            "overcommit_guest_overhead": resources.get("overcommitGuestOverhead") is True,
            "isolate_emulator_thread": cpu.get("isolateEmulatorThread") is True,
            "hugepages": isinstance(_path(domain, "memory", "hugepages"), dict),
            "autoattach_graphics": devices.get("autoattachGraphicsDevice") is not False,
            "tpm": isinstance(devices.get("tpm"), dict),
            "sev": isinstance(_path(domain, "launchSecurity", "sev"), dict),
        }
    )


# ---------------------------------------------------------------------------------------------
# Migration settings (KubeVirt CR, MigrationPolicy, and the copy a VMI carries)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MigrationConfig:
    """Migration settings; None means "not set here" (a later source or the default applies)."""

    completion_timeout_per_gib: int | None = None
    progress_timeout: int | None = None
    parallel_migrations_per_cluster: int | None = None
    parallel_outbound_migrations_per_node: int | None = None
    bandwidth_per_migration: Quantity | None = None
    allow_post_copy: bool | None = None
    allow_auto_converge: bool | None = None
    allow_workload_disruption: bool | None = None
    unsafe_migration_override: bool | None = None
    network: str | None = None  # name of the NetworkAttachmentDefinition of a dedicated migration network


def parse_migration_config(value: Any) -> MigrationConfig:
    value = _dict(value)
    return MigrationConfig(
        completion_timeout_per_gib=_int(value.get("completionTimeoutPerGiB")),
        progress_timeout=_int(value.get("progressTimeout")),
        parallel_migrations_per_cluster=_int(value.get("parallelMigrationsPerCluster")),
        parallel_outbound_migrations_per_node=_int(value.get("parallelOutboundMigrationsPerNode")),
        bandwidth_per_migration=parse_quantity(value.get("bandwidthPerMigration")),
        allow_post_copy=_bool(value.get("allowPostCopy")),
        allow_auto_converge=_bool(value.get("allowAutoConverge")),
        allow_workload_disruption=_bool(value.get("allowWorkloadDisruption")),
        unsafe_migration_override=_bool(value.get("unsafeMigrationOverride")),
        network=_opt_str(value.get("network")) or None,
    )


# ---------------------------------------------------------------------------------------------
# VirtualMachine and VirtualMachineInstance
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MigrationState:
    """vmi.status.migrationState (and the copy a final VMIM keeps)."""

    migration_uid: str = ""
    start: datetime | None = None
    end: datetime | None = None
    source_node: str = ""
    target_node: str = ""
    source_pod: str = ""
    target_pod: str = ""
    target_node_address: str = ""
    target_node_domain_ready: datetime | None = None
    completed: bool = False
    failed: bool = False
    failure_reason: str = ""
    abort_requested: bool = False
    abort_status: str = ""  # Aborting | Succeeded | Failed | ""
    mode: str = ""  # PreCopy | PostCopy | Paused | ""
    policy_name: str = ""
    configuration: MigrationConfig | None = None


def parse_migration_state(value: Any) -> MigrationState | None:
    if not isinstance(value, dict):
        return None
    configuration = value.get("migrationConfiguration")
    return MigrationState(
        migration_uid=_str(value.get("migrationUid")),
        start=parse_time(value.get("startTimestamp")),
        end=parse_time(value.get("endTimestamp")),
        source_node=_str(value.get("sourceNode")),
        target_node=_str(value.get("targetNode")),
        source_pod=_str(value.get("sourcePod")),
        target_pod=_str(value.get("targetPod")),
        target_node_address=_str(value.get("targetNodeAddress")),
        target_node_domain_ready=parse_time(value.get("targetNodeDomainReadyTimestamp")),
        completed=value.get("completed") is True,
        failed=value.get("failed") is True,
        failure_reason=_str(value.get("failureReason")),
        abort_requested=value.get("abortRequested") is True,
        abort_status=_str(value.get("abortStatus")),
        mode=_str(value.get("mode")),
        policy_name=_str(value.get("migrationPolicyName")),
        configuration=parse_migration_config(configuration) if isinstance(configuration, dict) else None,
    )


@dataclass(frozen=True, slots=True)
class VolumeStatus:
    name: str
    access_modes: tuple[str, ...] = ()
    capacity: int | None = None  # bytes
    size: int | None = None  # bytes (status.volumeStatus[].size, e.g. of an ephemeral disk)
    is_pvc: bool = False
    claim_name: str = ""  # persistentVolumeClaimInfo.claimName
    request: int | None = None  # persistentVolumeClaimInfo.requests.storage, bytes


@dataclass(frozen=True, slots=True)
class MigratedVolume:
    """One entry of vmi.status.migratedVolumes (a volume migration's source and destination claims)."""

    volume_name: str
    source_claim: str = ""
    source_capacity: int | None = None  # sourcePVCInfo.capacity.storage, bytes
    source_request: int | None = None  # sourcePVCInfo.requests.storage, bytes


@dataclass(frozen=True, slots=True)
class VM(Named):
    meta: Meta
    template: GuestSpec
    template_labels: Mapping[str, str] = field(default_factory=dict)
    run_strategy: str = ""  # Always | RerunOnFailure | Manual | Halted | Once | "" (spec.running used)
    running: bool | None = None  # spec.running when set
    printable_status: str = ""
    ready: bool | None = None
    conditions: tuple[Condition, ...] = ()


def parse_vm(obj: Any) -> VM:
    obj = _dict(obj)
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    template = _dict(spec.get("template"))
    conditions = _conditions(status.get("conditions"))
    ready = find_condition(conditions, "Ready")
    return VM(
        meta=parse_meta(obj),
        template=deferred_guest_spec(template.get("spec")),
        template_labels=_str_map(_path(template, "metadata", "labels")),
        run_strategy=_str(spec.get("runStrategy")),
        running=_bool(spec.get("running")),
        printable_status=_str(status.get("printableStatus")),
        ready=None if ready is None else ready.status,
        conditions=conditions,
    )


@dataclass(frozen=True, slots=True)
class VMI(Named):
    meta: Meta
    spec: GuestSpec
    phase: str = ""  # Pending | Scheduling | Scheduled | Running | Succeeded | Failed | Unknown | ""
    node_name: str = ""
    conditions: tuple[Condition, ...] = ()
    migration_state: MigrationState | None = None
    migration_method: str = ""  # BlockMigration | LiveMigration | ""
    ip: str = ""
    volume_status: tuple[VolumeStatus, ...] = ()
    active_pods: Mapping[str, str] = field(default_factory=dict)  # pod uid -> node
    machine_type: str = ""  # status.machine.type, the machine type the guest really runs ("pc-q35-8.2")
    tsc_frequency: int | None = None  # status.topologyHints.tscFrequency (Hz), when KubeVirt fixed one
    migrated_volumes: tuple[MigratedVolume, ...] = ()  # status.migratedVolumes (volume migrations)
    # status.evacuationNodeName: the node a drain evicts it from, set by the eviction webhook
    # (pkg/virt-api/webhooks/validating-webhook/admitters/pod-eviction-admitter.go, KubeVirt v1.6.0).
    evacuation_node: str = ""

    def condition(self, type_: str) -> Condition | None:
        return find_condition(self.conditions, type_)


def parse_vmi(obj: Any) -> VMI:
    obj = _dict(obj)
    status = _dict(obj.get("status"))
    volume_status = []
    for item in _list(status.get("volumeStatus")):
        if not isinstance(item, dict):
            continue
        claim = item.get("persistentVolumeClaimInfo")
        claim = claim if isinstance(claim, dict) else None
        capacity = parse_quantity(_path(claim, "capacity", "storage")) if claim else None
        size = _int(item.get("size"))
        volume_status.append(
            VolumeStatus(
                name=_str(item.get("name")),
                access_modes=tuple(m for m in _list(_path(claim, "accessModes")) if isinstance(m, str)),
                capacity=None if capacity is None else capacity.ceil(),
                size=size,
                is_pvc=claim is not None,
                claim_name=_str(_path(claim, "claimName")) if claim else "",
                request=_whole(_path(claim, "requests", "storage")) if claim else None,
            )
        )
    migrated_volumes = []
    for item in _list(status.get("migratedVolumes")):
        if not isinstance(item, dict):
            continue
        source = _dict(item.get("sourcePVCInfo"))
        migrated_volumes.append(
            MigratedVolume(
                volume_name=_str(item.get("volumeName")),
                source_claim=_str(source.get("claimName")),
                source_capacity=_whole(_path(source, "capacity", "storage")),
                source_request=_whole(_path(source, "requests", "storage")),
            )
        )
    ip = ""
    interfaces = _list(status.get("interfaces"))
    if interfaces and isinstance(interfaces[0], dict):
        ip = _str(interfaces[0].get("ipAddress"))
    return VMI(
        meta=parse_meta(obj),
        spec=parse_guest_spec(obj.get("spec")),
        phase=_str(status.get("phase")),
        node_name=_str(status.get("nodeName")),
        conditions=_conditions(status.get("conditions")),
        migration_state=parse_migration_state(status.get("migrationState")),
        migration_method=_str(status.get("migrationMethod")),
        ip=ip,
        volume_status=tuple(volume_status),
        active_pods=_str_map(status.get("activePods")),
        machine_type=_str(_path(status, "machine", "type")),
        tsc_frequency=_int(_path(status, "topologyHints", "tscFrequency")),
        migrated_volumes=tuple(migrated_volumes),
        evacuation_node=_str(status.get("evacuationNodeName")),
    )


# ---------------------------------------------------------------------------------------------
# VirtualMachineInstanceMigration
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PhaseTransition:
    phase: str
    at: datetime | None


@dataclass(frozen=True, slots=True)
class Migration(Named):
    meta: Meta
    vmi_name: str
    # "" (new), Pending, Scheduling, Scheduled, PreparingTarget, TargetReady, Running, Succeeded, Failed
    phase: str = ""
    phase_transitions: tuple[PhaseTransition, ...] = ()
    conditions: tuple[Condition, ...] = ()
    added_node_selector: Mapping[str, str] = field(default_factory=dict)
    migration_state: MigrationState | None = None
    finalizers: tuple[str, ...] = ()

    @property
    def is_final(self) -> bool:
        return self.phase in MIGRATION_FINAL_PHASES

    @property
    def pinned_node(self) -> str:
        """The node the migration asks for (spec.addedNodeSelector's hostname, KubeVirt >= 1.6); "" for any."""
        return self.added_node_selector.get(HOSTNAME_LABEL, "")

    def condition(self, type_: str) -> Condition | None:
        return find_condition(self.conditions, type_)


def parse_migration(obj: Any) -> Migration:
    obj = _dict(obj)
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    transitions = tuple(
        PhaseTransition(phase=_str(t.get("phase")), at=parse_time(t.get("phaseTransitionTimestamp")))
        for t in _list(status.get("phaseTransitionTimestamps"))
        if isinstance(t, dict)
    )
    return Migration(
        meta=parse_meta(obj),
        vmi_name=_str(spec.get("vmiName")),
        phase=_str(status.get("phase")),
        phase_transitions=transitions,
        conditions=_conditions(status.get("conditions")),
        added_node_selector=_str_map(spec.get("addedNodeSelector")),
        migration_state=parse_migration_state(status.get("migrationState")),
        finalizers=tuple(f for f in _list(_path(obj, "metadata", "finalizers")) if isinstance(f, str)),
    )


# ---------------------------------------------------------------------------------------------
# KubeVirt CR, MigrationPolicy, NetworkAttachmentDefinition, Namespace
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KubeVirt(Named):
    meta: Meta
    version: tuple[int, int, int] | None = None  # status.observedKubeVirtVersion (else the target version)
    version_text: str = ""
    phase: str = ""
    cpu_model: str = ""  # spec.configuration.cpuModel
    migrations: MigrationConfig = field(default_factory=MigrationConfig)
    node_selectors: Mapping[str, str] = field(default_factory=dict)  # developerConfiguration.nodeSelectors
    feature_gates: tuple[str, ...] = ()
    cpu_allocation_ratio: int | None = None  # developerConfiguration.cpuAllocationRatio
    memory_overhead_ratio: str = ""  # spec.configuration.additionalGuestMemoryOverheadRatio ("1.5")
    eviction_strategy: str = ""  # spec.configuration.evictionStrategy, "" when the CR names none


def parse_kubevirt(obj: Any) -> KubeVirt:
    obj = _dict(obj)
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    configuration = _dict(spec.get("configuration"))
    developer = _dict(configuration.get("developerConfiguration"))
    version_text = _str(status.get("observedKubeVirtVersion")) or _str(status.get("targetKubeVirtVersion"))
    return KubeVirt(
        meta=parse_meta(obj),
        version=parse_version(version_text),
        version_text=version_text,
        phase=_str(status.get("phase")),
        cpu_model=_str(configuration.get("cpuModel")),
        migrations=parse_migration_config(configuration.get("migrations")),
        node_selectors=_str_map(developer.get("nodeSelectors")),
        feature_gates=tuple(g for g in _list(developer.get("featureGates")) if isinstance(g, str)),
        cpu_allocation_ratio=_int(developer.get("cpuAllocationRatio")),
        memory_overhead_ratio=_str(configuration.get("additionalGuestMemoryOverheadRatio")),
        eviction_strategy=_str(configuration.get("evictionStrategy")),
    )


@dataclass(frozen=True, slots=True)
class MigrationPolicy(Named):
    meta: Meta
    namespace_selector: Mapping[str, str] = field(default_factory=dict)
    vmi_selector: Mapping[str, str] = field(default_factory=dict)
    config: MigrationConfig = field(default_factory=MigrationConfig)
    # KubeVirt never matches a policy whose spec.selectors is absent; an empty one matches every VMI.
    selectors_set: bool = False


def parse_migration_policy(obj: Any) -> MigrationPolicy:
    obj = _dict(obj)
    spec = _dict(obj.get("spec"))
    selectors = _dict(spec.get("selectors"))
    return MigrationPolicy(
        meta=parse_meta(obj),
        namespace_selector=_str_map(selectors.get("namespaceSelector")),
        vmi_selector=_str_map(selectors.get("virtualMachineInstanceSelector")),
        config=parse_migration_config(spec),
        selectors_set=isinstance(spec.get("selectors"), dict),
    )


CLUSTER_NETWORK_LABEL = "network.harvesterhci.io/clusternetwork"


@dataclass(frozen=True, slots=True)
class NetworkAttachmentDefinition(Named):
    meta: Meta
    cluster_network: str = ""  # label network.harvesterhci.io/clusternetwork


def parse_nad(obj: Any) -> NetworkAttachmentDefinition:
    meta = parse_meta(obj)
    return NetworkAttachmentDefinition(meta=meta, cluster_network=meta.labels.get(CLUSTER_NETWORK_LABEL, ""))


@dataclass(frozen=True, slots=True)
class Namespace(Named):
    meta: Meta


def parse_namespace(obj: Any) -> Namespace:
    return Namespace(meta=parse_meta(obj))


# ---------------------------------------------------------------------------------------------
# Pods (virt-launcher pods, and any pod for a node's used resources)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pod(Named):
    meta: Meta
    node_name: str = ""
    phase: str = ""
    node_selector: Mapping[str, str] = field(default_factory=dict)
    affinity: NodeAffinity = field(default_factory=NodeAffinity)
    tolerations: tuple[Toleration, ...] = ()
    cpu_request_milli: int = 0  # effective request, as kube-scheduler sums it
    memory_request: int = 0  # bytes, effective request
    requests_known: bool = True  # False when a request could not be read
    # Effective requests of every other resource (ephemeral-storage, hugepages-*, devices.kubevirt.io/kvm,
    # GPUs, SR-IOV networks...), those above zero only.
    other_requests: Mapping[str, int] = field(default_factory=dict)
    # The "compute" container's own CPU (millicores) and memory (bytes) requests; None without one.
    compute_requests: tuple[int, int] | None = None

    @property
    def is_launcher(self) -> bool:
        return self.meta.labels.get("kubevirt.io") == "virt-launcher"

    @property
    def vmi_name(self) -> str:
        """The VMI a virt-launcher pod runs (annotation kubevirt.io/domain, else its owner)."""
        return self.meta.annotations.get("kubevirt.io/domain", "") or self.meta.owner_name

    @property
    def vmi_uid(self) -> str:
        return self.meta.labels.get("kubevirt.io/created-by", "")

    @property
    def migration_uid(self) -> str:
        """Set on a migration target pod: the VMIM's uid."""
        return self.meta.labels.get("kubevirt.io/migrationJobUID", "")

    @property
    def is_terminal(self) -> bool:
        return self.phase in ("Succeeded", "Failed")


def _requests_of(container: Any) -> tuple[dict[str, int], bool]:
    """One container's requests: CPU in millicores, everything else rounded up to whole units (bytes for
    memory, ephemeral-storage and hugepages); and whether every value could be read."""
    found: dict[str, int] = {}
    known = True
    for name, raw in _dict(_path(container, "resources", "requests")).items():
        if not isinstance(name, str):
            continue
        amount = _millicores(raw) if name == "cpu" else _whole(raw)
        known = known and amount is not None
        found[name] = amount or 0
    return found, known


def _plus(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    return {name: a.get(name, 0) + b.get(name, 0) for name in {*a, *b}}


def _at_least(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    return {name: max(a.get(name, 0), b.get(name, 0)) for name in {*a, *b}}


def parse_pod(obj: Any) -> Pod:
    obj = _dict(obj)
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    # kube-scheduler (computePodResourceRequest), resource by resource: the containers' sum, plus sidecars
    # (init containers with restartPolicy Always, which keep running); at least what any init container
    # needs while it runs next to the sidecars started before it; plus the pod overhead.
    total: dict[str, int] = {}
    known = True
    compute: tuple[int, int] | None = None
    for container in _list(spec.get("containers")):
        requests, container_known = _requests_of(container)
        total, known = _plus(total, requests), known and container_known
        if isinstance(container, dict) and container.get("name") == "compute":
            compute = (requests.get("cpu", 0), requests.get("memory", 0))
    sidecars: dict[str, int] = {}
    init_peak: dict[str, int] = {}
    for init in _list(spec.get("initContainers")):
        requests, init_known = _requests_of(init)
        known = known and init_known
        if isinstance(init, dict) and init.get("restartPolicy") == "Always":
            total, sidecars = _plus(total, requests), _plus(sidecars, requests)
            running = sidecars
        else:
            running = _plus(requests, sidecars)
        init_peak = _at_least(init_peak, running)
    total = _at_least(total, init_peak)
    overhead = _dict(spec.get("overhead"))
    total = _plus(
        total,
        {
            name: (_millicores(raw) if name == "cpu" else _whole(raw)) or 0
            for name, raw in overhead.items()
            if isinstance(name, str)
        },
    )
    cpu, memory = total.pop("cpu", 0), total.pop("memory", 0)
    return Pod(
        meta=parse_meta(obj),
        node_name=_str(spec.get("nodeName")),
        phase=_str(status.get("phase")),
        node_selector=_str_map(spec.get("nodeSelector")),
        affinity=_node_affinity(spec.get("affinity")),
        tolerations=_tolerations(spec.get("tolerations")),
        cpu_request_milli=cpu,
        memory_request=memory,
        requests_known=known,
        other_requests={name: amount for name, amount in sorted(total.items()) if amount},
        compute_requests=compute,
    )
