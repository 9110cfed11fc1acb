"""One consistent view of the cluster's objects, with the lookups the rules need."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

from tui.domain.kinds import KIND_BY_API_KIND, KUBEVIRTS, PODS
from tui.domain.objects import (
    VM,
    VMI,
    KubeVirt,
    Migration,
    MigrationPolicy,
    Named,
    Namespace,
    NetworkAttachmentDefinition,
    Node,
    Pod,
)
from tui.domain.phases import KubeVirtPhase

HARVESTER_NAMESPACE = "harvester-system"  # where Harvester deploys its KubeVirt CR
HARVESTER_MANAGED_LABEL = "harvesterhci.io/managed"  # on every node Harvester installed

_T = TypeVar("_T")
_N = TypeVar("_N", bound=Named)


def _by_key(items: Iterable[_N]) -> dict[str, _N]:
    return {item.meta.key: item for item in items}


@dataclass(frozen=True)
class ClusterSnapshot:
    """Everything known about a cluster at one moment. Keys are "namespace/name" ("name" when cluster scoped).

    `pods_known` is False when pods could not be read (RBAC, or not yet listed): resource checks are
    then skipped and said to be skipped, never guessed. `nodes_known` is False when nodes could not be
    read (a user with rights in one namespace only, or not yet listed): there are then no node
    verdicts, and "no node can take it" is never concluded from their absence.
    """

    nodes: Mapping[str, Node] = field(default_factory=dict)
    vms: Mapping[str, VM] = field(default_factory=dict)
    vmis: Mapping[str, VMI] = field(default_factory=dict)
    migrations: Mapping[str, Migration] = field(default_factory=dict)
    pods: Mapping[str, Pod] = field(default_factory=dict)
    kubevirt: KubeVirt | None = None
    policies: Mapping[str, MigrationPolicy] = field(default_factory=dict)
    nads: Mapping[str, NetworkAttachmentDefinition] = field(default_factory=dict)
    namespaces: Mapping[str, Namespace] = field(default_factory=dict)
    pods_known: bool = False
    nodes_known: bool = True
    # False when namespaces could not be read: a MigrationPolicy's namespaceSelector is then not evaluated.
    namespaces_known: bool = True
    # Harvester's server-version setting (settings.harvesterhci.io), "" when not read.
    harvester_server_version: str = ""
    # Indexes and sums, built on first use: each costs one pass over the objects. Not an init field, so a
    # snapshot made with dataclasses.replace() starts afresh instead of sharing the original's caches.
    _index: dict[Hashable, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    @classmethod
    def of(
        cls,
        nodes: Iterable[Node] = (),
        vms: Iterable[VM] = (),
        vmis: Iterable[VMI] = (),
        migrations: Iterable[Migration] = (),
        pods: Iterable[Pod] | None = None,
        kubevirt: KubeVirt | None = None,
        policies: Iterable[MigrationPolicy] = (),
        nads: Iterable[NetworkAttachmentDefinition] = (),
        namespaces: Iterable[Namespace] = (),
    ) -> ClusterSnapshot:
        """Build from lists of parsed objects; `pods=None` means pod data is unknown."""
        return cls(
            nodes=_by_key(nodes),
            vms=_by_key(vms),
            vmis=_by_key(vmis),
            migrations=_by_key(migrations),
            pods=_by_key(pods or ()),
            kubevirt=kubevirt,
            policies=_by_key(policies),
            nads=_by_key(nads),
            namespaces=_by_key(namespaces),
            pods_known=pods is not None,
        )

    @classmethod
    def from_objects(
        cls, objects: Iterable[Any], *, pods_known: bool | None = None, namespaces_known: bool = True
    ) -> ClusterSnapshot:
        """Build from API objects as `kubectl get -o json` gives them (dicts with a `kind`; a `List`'s
        items are read too). Objects of other kinds, and values that are no objects, are skipped;
        Harvester's `server-version` Setting is kept as the Harvester version.

        `pods_known=None` means: pods are known when at least one Pod is among the objects.
        """
        found: dict[str, list[Any]] = {kind.name: [] for kind in KIND_BY_API_KIND.values()}
        server_version = ""
        try:
            pending = deque(objects)
        except TypeError:  # not iterable at all: nothing to read
            pending = deque()
        while pending:
            obj = pending.popleft()
            if not isinstance(obj, dict):
                continue
            kind = obj.get("kind")
            if isinstance(kind, str) and kind.endswith("List") and "items" in obj:
                items = obj.get("items")
                pending.extendleft(reversed(items) if isinstance(items, list) else ())
                continue
            if kind == "Setting" and server_version == "":
                server_version = harvester_server_version_of(obj)
            entry = KIND_BY_API_KIND.get(kind) if isinstance(kind, str) else None
            if entry is not None:
                found[entry.name].append(entry.parse(obj))
        kubevirt = deployed_kubevirt(found.pop(KUBEVIRTS.name))
        known = bool(found[PODS.name]) if pods_known is None else pods_known
        pods = found.pop(PODS.name)
        snapshot = cls.of(kubevirt=kubevirt, pods=pods if known else None, **found)
        if server_version or not namespaces_known:
            snapshot = replace(snapshot, harvester_server_version=server_version, namespaces_known=namespaces_known)
        return snapshot

    def memo(self, key: Hashable, build: Callable[[], _T]) -> _T:
        """A value derived from this snapshot, built once: rules that run for every VM share it. The
        key says what the value is, so one key is always built by the same kind of `build`."""
        if key not in self._index:
            self._index[key] = build()
        return cast(_T, self._index[key])

    def is_harvester(self) -> bool:
        """Whether Harvester runs this cluster (and so its own rules apply on top of KubeVirt's): the
        KubeVirt CR is in harvester-system, or a node carries harvesterhci.io/managed=true (the CR may
        not be readable to every user, the nodes usually are)."""
        return self.memo(
            "is_harvester",
            lambda: (
                (self.kubevirt is not None and self.kubevirt.meta.namespace == HARVESTER_NAMESPACE)
                or any(node.labels.get(HARVESTER_MANAGED_LABEL) == "true" for node in self.nodes.values())
            ),
        )

    # -- lookups --------------------------------------------------------------------------------

    def _migrations_by_vmi(self) -> dict[str, list[Migration]]:
        def build() -> dict[str, list[Migration]]:
            index = _group(self.migrations.values(), lambda m: f"{m.namespace}/{m.vmi_name}")
            for items in index.values():
                items.sort(key=_creation_order)
            return index

        return self.memo("migrations_by_vmi", build)

    def migrations_of(self, namespace: str, vmi_name: str) -> list[Migration]:
        """Migrations of one VMI, oldest first."""
        return self._migrations_by_vmi().get(f"{namespace}/{vmi_name}", [])

    def newest_migration_of(self, namespace: str, vmi_name: str) -> Migration | None:
        items = self.migrations_of(namespace, vmi_name)
        return items[-1] if items else None

    def _pods_by_node(self) -> dict[str, list[Pod]]:
        return self.memo(
            "pods_by_node", lambda: _group((p for p in self.pods.values() if p.node_name), lambda p: p.node_name)
        )

    def pods_on(self, node_name: str) -> list[Pod]:
        return self._pods_by_node().get(node_name, [])

    def _launchers_by_vmi(self) -> dict[str, list[Pod]]:
        return self.memo(
            "launchers_by_vmi",
            lambda: _group(
                (p for p in self.pods.values() if p.is_launcher and p.vmi_name), lambda p: f"{p.namespace}/{p.vmi_name}"
            ),
        )

    def launcher_pods_of(self, vmi: VMI) -> list[Pod]:
        return self._launchers_by_vmi().get(vmi.key, [])

    def source_launcher_pod(self, vmi: VMI) -> Pod | None:
        """The launcher pod the VMI runs in now: on its node, not a finished pod."""
        candidates = [
            pod
            for pod in self.launcher_pods_of(vmi)
            if pod.node_name == vmi.node_name and not pod.is_terminal and pod.meta.deleted is None
        ]
        if vmi.migration_state and vmi.migration_state.source_pod:
            named = [p for p in candidates if p.name == vmi.migration_state.source_pod]
            if named:
                return named[0]
        return min(candidates, key=_creation_order) if candidates else None

    def _vmis_by_node(self) -> dict[str, list[VMI]]:
        return self.memo(
            "vmis_by_node", lambda: _group((v for v in self.vmis.values() if v.node_name), lambda v: v.node_name)
        )

    def vmis_on(self, node_name: str) -> list[VMI]:
        return self._vmis_by_node().get(node_name, [])

    def vmi_of(self, vm: VM) -> VMI | None:
        return self.vmis.get(vm.key)

    def namespace_labels(self, namespace: str) -> Mapping[str, str]:
        found = self.namespaces.get(namespace)
        return found.meta.labels if found else {}

    def nad(self, reference: str, default_namespace: str) -> NetworkAttachmentDefinition | None:
        """A NetworkAttachmentDefinition named as a VM network names it: "ns/name", or "name" in
        `default_namespace`."""
        namespace, _, name = reference.rpartition("/")
        return self.nads.get(f"{namespace or default_namespace}/{name}")

    def vm_of(self, vmi: VMI) -> VM | None:
        return self.vms.get(vmi.key)


def deployed_kubevirt(kubevirts: Iterable[KubeVirt]) -> KubeVirt | None:
    """The KubeVirt CR that is in charge: the first deployed one if several exist, else the first."""
    listed = list(kubevirts)
    deployed = (kubevirt for kubevirt in listed if kubevirt.phase == KubeVirtPhase.DEPLOYED)
    return next(deployed, listed[0] if listed else None)


def _group(items: Iterable[_T], key: Callable[[_T], str]) -> dict[str, list[_T]]:
    """`items` by `key`, each list in the order the items came."""
    index: dict[str, list[_T]] = {}
    for item in items:
        index.setdefault(key(item), []).append(item)
    return index


def harvester_server_version_of(setting: Any) -> str:
    """The value of Harvester's `server-version` Setting (harvesterhci.io/v1beta1; `value`, else
    `default`), "" for any other object."""
    if not isinstance(setting, dict):
        return ""
    metadata = setting.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("name") != "server-version":
        return ""
    if not str(setting.get("apiVersion", "")).startswith("harvesterhci.io/"):
        return ""
    for key in ("value", "default"):
        value = setting.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _creation_order(obj: Named) -> tuple[float, str]:
    created = obj.meta.created
    return (created.timestamp() if created else 0.0, obj.meta.name)
