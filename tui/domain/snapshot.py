"""One consistent view of the cluster's objects, with the lookups the rules need."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from tui.domain.objects import (
    VM,
    VMI,
    KubeVirt,
    Migration,
    MigrationPolicy,
    Namespace,
    NetworkAttachmentDefinition,
    Node,
    Pod,
)


def _by_key(items: Iterable) -> dict:
    return {item.meta.key: item for item in items}


@dataclass(frozen=True)
class ClusterSnapshot:
    """Everything known about a cluster at one moment. Keys are "namespace/name" ("name" when cluster scoped).

    `pods_known` is False when pods could not be read (RBAC, or not yet listed): resource checks are
    then skipped and said to be skipped, never guessed.
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
    # Indexes, built on first use when not given: they cost one pass over the objects.
    _index: dict = field(default_factory=dict, compare=False, repr=False)

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
    ) -> "ClusterSnapshot":
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

    # -- lookups --------------------------------------------------------------------------------

    def _migrations_by_vmi(self) -> dict[str, list[Migration]]:
        index = self._index.get("migrations_by_vmi")
        if index is None:
            index = {}
            for migration in self.migrations.values():
                index.setdefault(f"{migration.namespace}/{migration.vmi_name}", []).append(migration)
            for items in index.values():
                items.sort(key=_creation_order)
            self._index["migrations_by_vmi"] = index
        return index

    def migrations_of(self, namespace: str, vmi_name: str) -> list[Migration]:
        """Migrations of one VMI, oldest first."""
        return self._migrations_by_vmi().get(f"{namespace}/{vmi_name}", [])

    def newest_migration_of(self, namespace: str, vmi_name: str) -> Migration | None:
        items = self.migrations_of(namespace, vmi_name)
        return items[-1] if items else None

    def _pods_by_node(self) -> dict[str, list[Pod]]:
        index = self._index.get("pods_by_node")
        if index is None:
            index = {}
            for pod in self.pods.values():
                if pod.node_name:
                    index.setdefault(pod.node_name, []).append(pod)
            self._index["pods_by_node"] = index
        return index

    def pods_on(self, node_name: str) -> list[Pod]:
        return self._pods_by_node().get(node_name, [])

    def _launchers_by_vmi(self) -> dict[str, list[Pod]]:
        index = self._index.get("launchers_by_vmi")
        if index is None:
            index = {}
            for pod in self.pods.values():
                if pod.is_launcher and pod.vmi_name:
                    index.setdefault(f"{pod.namespace}/{pod.vmi_name}", []).append(pod)
            self._index["launchers_by_vmi"] = index
        return index

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
        index = self._index.get("vmis_by_node")
        if index is None:
            index = {}
            for vmi in self.vmis.values():
                if vmi.node_name:
                    index.setdefault(vmi.node_name, []).append(vmi)
            self._index["vmis_by_node"] = index
        return index

    def vmis_on(self, node_name: str) -> list[VMI]:
        return self._vmis_by_node().get(node_name, [])

    def vmi_of(self, vm: VM) -> VMI | None:
        return self.vmis.get(vm.key)

    def namespace_labels(self, namespace: str) -> Mapping[str, str]:
        found = self.namespaces.get(namespace)
        return found.meta.labels if found else {}


def _creation_order(obj) -> tuple:
    created = obj.meta.created
    return (created.timestamp() if created else 0.0, obj.meta.name)
