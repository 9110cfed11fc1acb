"""The resources the simulated API server serves: names, verbs, printer columns and selectable fields.

One `ResourceType` per served resource, described as a real API server (built-in types) or KubeVirt's
CRDs (custom resources) describe it, so discovery, tables and error messages come out right.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
METADATA_FIELDS = ("metadata.name", "metadata.namespace")


@dataclass(frozen=True)
class PrinterColumn:
    """One column of the server-side Table: a CRD's JSONPath column, or a built-in printer's named cell rule."""

    name: str
    type: str = "string"
    json_path: str = ""
    compute: str = ""
    priority: int = 0
    description: str = ""
    format: str = ""


@dataclass(frozen=True)
class Subresource:
    """A subresource other than status, served with a kind of its own (pods/eviction: policy/v1 Eviction)."""

    name: str
    kind: str
    group: str
    version: str
    verbs: tuple[str, ...] = ("create",)


@dataclass(frozen=True)
class ResourceType:
    """A served resource (group, version, plural) with everything discovery, tables and rules need."""

    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    status_subresource: bool = False
    # A built-in type lists all its printer's columns; a CRD lists its additionalPrinterColumns
    # (the Name column comes first on its own, and no columns at all means an Age column).
    columns: tuple[PrinterColumn, ...] = ()
    builtin: bool = False
    field_selectors: tuple[str, ...] = METADATA_FIELDS
    # Updates without metadata.resourceVersion are refused for most types (AllowUnconditionalUpdate).
    unconditional_update: bool = False
    # DELETE answers the object itself (pods, ...) or a Status (custom resources).
    delete_returns_object: bool = False
    stored: bool = True
    subresources: tuple[Subresource, ...] = ()

    def subresource(self, name: str) -> Subresource | None:
        return next((sub for sub in self.subresources if sub.name == name), None)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def qualified(self) -> str:
        """`pods`, `virtualmachines.kubevirt.io`: how errors name the resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def strategic_merge(self) -> bool:
        """Strategic merge patch is defined by Go struct tags, so only built-in types accept it."""
        return self.builtin

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The REST path of the collection or of one object."""
        root = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            root += f"/namespaces/{namespace}"
        root += f"/{self.plural}"
        return f"{root}/{name}" if name else root


_AGE = PrinterColumn("Age", "date", json_path=".metadata.creationTimestamp")
NAME_DESCRIPTION = (
    "Name must be unique within a namespace. Is required when creating resources, although some resources "
    "may allow a client to request the generation of an appropriate name automatically. Name is primarily "
    "intended for creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
AGE_DESCRIPTION = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. "
    "It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. "
    "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)
NAME_COLUMN = PrinterColumn("Name", "string", compute="name", format="name", description=NAME_DESCRIPTION)
_READY_CONDITION = ".status.conditions[?(@.type=='Ready')].status"


def _string_column(name: str, compute: str, priority: int = 0, description: str = "") -> PrinterColumn:
    return PrinterColumn(name, "string", compute=compute, priority=priority, description=description)


NAMESPACES = ResourceType(
    group="",
    version="v1",
    plural="namespaces",
    singular="namespace",
    kind="Namespace",
    namespaced=False,
    short_names=("ns",),
    verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
    status_subresource=True,
    builtin=True,
    field_selectors=("metadata.name", "metadata.namespace", "status.phase"),
    unconditional_update=True,
    delete_returns_object=True,
    columns=(
        NAME_COLUMN,
        _string_column("Status", "namespace.status", description="The status of the namespace"),
        _string_column("Age", "age", description=AGE_DESCRIPTION),
    ),
)

NODES = ResourceType(
    group="",
    version="v1",
    plural="nodes",
    singular="node",
    kind="Node",
    namespaced=False,
    short_names=("no",),
    status_subresource=True,
    builtin=True,
    field_selectors=("metadata.name", "metadata.namespace", "spec.unschedulable"),
    unconditional_update=True,
    delete_returns_object=True,
    columns=(
        NAME_COLUMN,
        _string_column("Status", "node.status", description="The status of the node"),
        _string_column("Roles", "node.roles", description="The roles of the node"),
        _string_column("Age", "age", description=AGE_DESCRIPTION),
        _string_column("Version", "node.version", description="Kubelet Version reported by the node."),
        _string_column("Internal-IP", "node.internal_ip", 1, "List of internal IPs (if any) for this node"),
        _string_column("External-IP", "node.external_ip", 1, "List of external IPs (if any) for this node"),
        _string_column("OS-Image", "node.os_image", 1, "OS image reported by the node"),
        _string_column("Kernel-Version", "node.kernel_version", 1, "Kernel version reported by the node"),
        _string_column("Container-Runtime", "node.container_runtime", 1, "Container runtime reported by the node"),
    ),
)

PODS = ResourceType(
    group="",
    version="v1",
    plural="pods",
    singular="pod",
    kind="Pod",
    short_names=("po",),
    categories=("all",),
    status_subresource=True,
    builtin=True,
    field_selectors=(
        "metadata.name",
        "metadata.namespace",
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.podIPs",
        "status.nominatedNodeName",
    ),
    delete_returns_object=True,
    subresources=(Subresource("eviction", "Eviction", "policy", "v1"),),
    columns=(
        NAME_COLUMN,
        _string_column(
            "Ready", "pod.ready", description="The aggregate readiness state of this pod for accepting traffic."
        ),
        _string_column("Status", "pod.status", description="The aggregate status of the containers in this pod."),
        _string_column(
            "Restarts",
            "pod.restarts",
            description="The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
        ),
        _string_column("Age", "age", description=AGE_DESCRIPTION),
        _string_column(
            "IP",
            "pod.ip",
            1,
            "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
        ),
        _string_column("Node", "pod.node", 1, "NodeName is a request to schedule this pod onto a specific node."),
        _string_column(
            "Nominated Node",
            "pod.nominated_node",
            1,
            "nominatedNodeName is set only when this pod preempts other pods on the node.",
        ),
        _string_column(
            "Readiness Gates",
            "pod.readiness_gates",
            1,
            "If specified, all readiness gates will be evaluated for pod readiness.",
        ),
    ),
)

EVENTS = ResourceType(
    group="",
    version="v1",
    plural="events",
    singular="event",
    kind="Event",
    short_names=("ev",),
    builtin=True,
    field_selectors=(
        "metadata.name",
        "metadata.namespace",
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    unconditional_update=True,
    delete_returns_object=True,
    columns=(
        _string_column("Last Seen", "event.last_seen", description="Time when last this event was seen"),
        _string_column(
            "Type",
            "event.type",
            description="Type of this event (Normal, Warning), new types could be added in the future.",
        ),
        _string_column(
            "Reason",
            "event.reason",
            description="This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
        ),
        _string_column("Object", "event.object", description="The object that this event is about"),
        _string_column("Subobject", "event.subobject", 1, "The subobject that this event is about"),
        _string_column(
            "Source",
            "event.source",
            1,
            "The component reporting this event. Should be a short machine understandable string.",
        ),
        _string_column(
            "Message", "event.message", description="A human-readable description of the status of this operation."
        ),
        _string_column(
            "First Seen",
            "event.first_seen",
            1,
            "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
        ),
        PrinterColumn(
            "Count",
            "integer",
            compute="event.count",
            priority=1,
            description="The number of times this event has occurred.",
        ),
        _string_column("Name", "event.name", 1, "Name must be unique within a namespace."),
    ),
)

POD_DISRUPTION_BUDGETS = ResourceType(
    group="policy",
    version="v1",
    plural="poddisruptionbudgets",
    singular="poddisruptionbudget",
    kind="PodDisruptionBudget",
    short_names=("pdb",),
    status_subresource=True,
    builtin=True,
    columns=(
        NAME_COLUMN,
        _string_column(
            "Min Available",
            "pdb.min_available",
            description='The minimum number of pods that must be available simultaneously.  This can be either an integer or a string specifying a percentage, e.g. "28%".',
        ),
        _string_column(
            "Max Unavailable",
            "pdb.max_unavailable",
            description='The maximum number of pods that may be unavailable simultaneously.  This can be either an integer or a string specifying a percentage, e.g. "28%".',
        ),
        PrinterColumn(
            "Allowed Disruptions",
            "integer",
            compute="pdb.allowed",
            description="Calculated number of pods that may be disrupted at this time.",
        ),
        _string_column("Age", "age", description=AGE_DESCRIPTION),
    ),
)

VIRTUAL_MACHINES = ResourceType(
    group="kubevirt.io",
    version="v1",
    plural="virtualmachines",
    singular="virtualmachine",
    kind="VirtualMachine",
    short_names=("vm", "vms"),
    categories=("all",),
    status_subresource=True,
    columns=(
        _AGE,
        PrinterColumn("Status", json_path=".status.printableStatus", description="Human Readable Status"),
        PrinterColumn("Ready", json_path=_READY_CONDITION),
    ),
)

VIRTUAL_MACHINE_INSTANCES = ResourceType(
    group="kubevirt.io",
    version="v1",
    plural="virtualmachineinstances",
    singular="virtualmachineinstance",
    kind="VirtualMachineInstance",
    short_names=("vmi", "vmis"),
    categories=("all",),
    # KubeVirt's VMI CRD has no status subresource: status is written with ordinary updates.
    status_subresource=False,
    columns=(
        _AGE,
        PrinterColumn("Phase", json_path=".status.phase"),
        PrinterColumn("IP", json_path=".status.interfaces[0].ipAddress"),
        PrinterColumn("NodeName", json_path=".status.nodeName"),
        PrinterColumn("Ready", json_path=_READY_CONDITION),
        PrinterColumn(
            "Live-Migratable", json_path=".status.conditions[?(@.type=='LiveMigratable')].status", priority=1
        ),
        PrinterColumn("Paused", json_path=".status.conditions[?(@.type=='Paused')].status", priority=1),
    ),
)

VIRTUAL_MACHINE_INSTANCE_MIGRATIONS = ResourceType(
    group="kubevirt.io",
    version="v1",
    plural="virtualmachineinstancemigrations",
    singular="virtualmachineinstancemigration",
    kind="VirtualMachineInstanceMigration",
    short_names=("vmim", "vmims"),
    categories=("all",),
    status_subresource=True,
    columns=(
        PrinterColumn("Phase", json_path=".status.phase", description="The current phase of VM instance migration"),
        PrinterColumn("VMI", json_path=".spec.vmiName", description="The name of the VMI to perform the migration on"),
    ),
)

KUBEVIRTS = ResourceType(
    group="kubevirt.io",
    version="v1",
    plural="kubevirts",
    singular="kubevirt",
    kind="KubeVirt",
    short_names=("kv", "kvs"),
    categories=("all",),
    status_subresource=True,
    columns=(_AGE, PrinterColumn("Phase", json_path=".status.phase")),
)

MIGRATION_POLICIES = ResourceType(
    group="migrations.kubevirt.io",
    version="v1alpha1",
    plural="migrationpolicies",
    singular="migrationpolicy",
    kind="MigrationPolicy",
    namespaced=False,
    categories=("all",),
    status_subresource=True,
)

NETWORK_ATTACHMENT_DEFINITIONS = ResourceType(
    group="k8s.cni.cncf.io",
    version="v1",
    plural="network-attachment-definitions",
    singular="network-attachment-definition",
    kind="NetworkAttachmentDefinition",
    short_names=("net-attach-def",),
)

HARVESTER_SETTINGS = ResourceType(
    group="harvesterhci.io",
    version="v1beta1",
    plural="settings",
    singular="setting",
    kind="Setting",
    namespaced=False,
    columns=(PrinterColumn("VALUE", json_path=".value"),),
)

SELF_SUBJECT_ACCESS_REVIEWS = ResourceType(
    group="authorization.k8s.io",
    version="v1",
    plural="selfsubjectaccessreviews",
    singular="selfsubjectaccessreview",
    kind="SelfSubjectAccessReview",
    namespaced=False,
    verbs=("create",),
    builtin=True,
    stored=False,
)

SELF_SUBJECT_RULES_REVIEWS = ResourceType(
    group="authorization.k8s.io",
    version="v1",
    plural="selfsubjectrulesreviews",
    singular="selfsubjectrulesreview",
    kind="SelfSubjectRulesReview",
    namespaced=False,
    verbs=("create",),
    builtin=True,
    stored=False,
)


@dataclass(frozen=True)
class ResourceRegistry:
    """Every served resource, looked up by path segments or by apiVersion and kind."""

    resources: tuple[ResourceType, ...]
    _by_path: dict[tuple[str, str, str], ResourceType] = field(init=False, repr=False, compare=False)
    _by_kind: dict[tuple[str, str], ResourceType] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_path", {(r.group, r.version, r.plural): r for r in self.resources})
        object.__setattr__(self, "_by_kind", {(r.api_version, r.kind): r for r in self.resources})

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_path.get((group, version, plural))

    def for_kind(self, api_version: str, kind: str) -> ResourceType | None:
        return self._by_kind.get((api_version, kind))

    def by_plural(self, plural: str) -> ResourceType:
        """The resource with this plural name (plurals are unique here); KeyError otherwise."""
        for resource in self.resources:
            if resource.plural == plural:
                return resource
        raise KeyError(plural)

    def group_versions(self) -> list[tuple[str, str]]:
        """(group, version) pairs in serving order, core first."""
        seen: list[tuple[str, str]] = []
        for resource in self.resources:
            pair = (resource.group, resource.version)
            if pair not in seen:
                seen.append(pair)
        return seen

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return [r for r in self.resources if r.group == group and r.version == version]

    def stored(self) -> list[ResourceType]:
        return [r for r in self.resources if r.stored]


SERVED = ResourceRegistry(
    (
        NAMESPACES,
        NODES,
        PODS,
        EVENTS,
        POD_DISRUPTION_BUDGETS,
        VIRTUAL_MACHINES,
        VIRTUAL_MACHINE_INSTANCES,
        VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
        KUBEVIRTS,
        MIGRATION_POLICIES,
        NETWORK_ATTACHMENT_DEFINITIONS,
        HARVESTER_SETTINGS,
        SELF_SUBJECT_ACCESS_REVIEWS,
        SELF_SUBJECT_RULES_REVIEWS,
    )
)
