"""The simulated KubeVirt's view of the cluster: the objects it watches, indexed, kept current from store changes.

What informers and their indexers are to KubeVirt's controllers. The objects held are the store's own
(read them, never change them); every lookup is a dictionary access, so the controllers' work per
clock step grows with what is happening, not with the size of the cluster.
"""

from __future__ import annotations

from typing import Iterable

from tui.domain.objects import Node, Pod, parse_node, parse_pod
from tui.domain.scheduling import NodeUsage, node_usage
from tui.sim.store import DELETED, Change

Key = tuple[str, str]

WATCHED = (
    "nodes",
    "pods",
    "virtualmachines",
    "virtualmachineinstances",
    "virtualmachineinstancemigrations",
    "kubevirts",
    "migrationpolicies",
    "namespaces",
    "network-attachment-definitions",
)

CREATED_BY_LABEL = "kubevirt.io/created-by"
MIGRATION_JOB_LABEL = "kubevirt.io/migrationJobUID"
LAUNCHER_LABEL = "kubevirt.io"


def key_of(obj: dict) -> Key:
    meta = obj.get("metadata") or {}
    return (meta.get("namespace") or "", meta.get("name") or "")


def labels_of(obj: dict) -> dict:
    return (obj.get("metadata") or {}).get("labels") or {}


class ClusterIndex:
    """Objects by kind and key, plus the lookups the controllers need (pods of a VMI, pods on a node)."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[Key, dict]] = {plural: {} for plural in WATCHED}
        self._pods_by_node: dict[str, set[Key]] = {}
        self._pods_by_vmi_uid: dict[str, set[Key]] = {}
        self._migrations_by_vmi: dict[Key, set[Key]] = {}
        self._parsed_nodes: dict[str, Node] = {}
        self._usage: dict[str, NodeUsage] = {}
        self._parsed_pods: dict[Key, Pod] = {}

    # -- feeding ---------------------------------------------------------------------------------

    def load(self, plural: str, objects: Iterable[dict]) -> None:
        for obj in objects:
            self._put(plural, obj)

    def apply(self, change: Change) -> bool:
        """Take one store change; False when it is of a kind this index does not watch."""
        plural = change.resource.plural
        if plural not in self.objects:
            return False
        if change.type == DELETED:
            # The deleted object is handed over as a copy: it leaves the index whatever it is.
            self.objects[plural].pop(key_of(change.raw), None)
            self._drop(plural, change.raw)
        else:
            if change.previous is not None:
                self._drop(plural, change.previous)
            self._put(plural, change.raw, added=change.previous is None)
        return True

    def _put(self, plural: str, obj: dict, added: bool = True) -> None:
        key = key_of(obj)
        self.objects[plural][key] = obj
        if plural == "pods":
            spec = obj.get("spec") or {}
            node = spec.get("nodeName")
            if node:
                self._pods_by_node.setdefault(node, set()).add(key)
                cached = self._usage.get(node)
                if added and cached is not None:
                    # A new pod only adds its requests: no need to sum the node's pods again.
                    pod = self._parsed_pods.pop(key, None) or parse_pod(obj)
                    if not pod.is_terminal:
                        self._usage[node] = NodeUsage(
                            cpu_milli=cached.cpu_milli + pod.cpu_request_milli,
                            memory=cached.memory + pod.memory_request,
                            pods=cached.pods + 1,
                        )
                else:
                    self._usage.pop(node, None)
            uid = labels_of(obj).get(CREATED_BY_LABEL)
            if uid:
                self._pods_by_vmi_uid.setdefault(uid, set()).add(key)
        elif plural == "nodes":
            self._parsed_nodes.pop(key[1], None)
        elif plural == "virtualmachineinstancemigrations":
            vmi = ((obj.get("spec") or {}).get("vmiName")) or ""
            self._migrations_by_vmi.setdefault((key[0], vmi), set()).add(key)

    def _drop(self, plural: str, obj: dict) -> None:
        key = key_of(obj)
        current = self.objects[plural].get(key)
        if current is obj:
            del self.objects[plural][key]
        if plural == "pods":
            node = (obj.get("spec") or {}).get("nodeName")
            if node:
                self._pods_by_node.get(node, set()).discard(key)
                self._usage.pop(node, None)
            uid = labels_of(obj).get(CREATED_BY_LABEL)
            if uid:
                self._pods_by_vmi_uid.get(uid, set()).discard(key)
        elif plural == "nodes":
            self._parsed_nodes.pop(key[1], None)
        elif plural == "virtualmachineinstancemigrations":
            vmi = ((obj.get("spec") or {}).get("vmiName")) or ""
            self._migrations_by_vmi.get((key[0], vmi), set()).discard(key)

    # -- lookups ---------------------------------------------------------------------------------

    def get(self, plural: str, namespace: str, name: str) -> dict | None:
        return self.objects[plural].get((namespace or "", name))

    def all(self, plural: str) -> list[dict]:
        return list(self.objects[plural].values())

    def node(self, name: str) -> dict | None:
        return self.objects["nodes"].get(("", name))

    def node_names(self) -> list[str]:
        return sorted(name for _, name in self.objects["nodes"])

    def parsed_node(self, name: str) -> Node | None:
        parsed = self._parsed_nodes.get(name)
        if parsed is None:
            raw = self.node(name)
            if raw is None:
                return None
            parsed = self._parsed_nodes[name] = parse_node(raw)
        return parsed

    def expect_pod(self, key: Key, parsed: Pod) -> None:
        """The parsed form of a pod about to be created, so its arrival need not parse it again."""
        self._parsed_pods[key] = parsed

    def pods_on(self, node: str) -> list[dict]:
        pods = self.objects["pods"]
        return [pods[key] for key in sorted(self._pods_by_node.get(node, ())) if key in pods]

    def usage(self, node: str) -> NodeUsage:
        """What the pods on a node ask for, as kube-scheduler counts it (cached until they change)."""
        found = self._usage.get(node)
        if found is None:
            found = self._usage[node] = node_usage(parse_pod(pod) for pod in self.pods_on(node))
        return found

    def pods_of_vmi(self, uid: str) -> list[dict]:
        """Every pod KubeVirt made for the VMI with this uid (launcher and migration targets)."""
        pods = self.objects["pods"]
        found = [pods[key] for key in self._pods_by_vmi_uid.get(uid, ()) if key in pods]
        return sorted(found, key=lambda pod: ((pod.get("metadata") or {}).get("creationTimestamp") or "", key_of(pod)))

    def target_pods(self, vmi_uid: str, migration_uid: str) -> list[dict]:
        return [
            pod
            for pod in self.pods_of_vmi(vmi_uid)
            if labels_of(pod).get(MIGRATION_JOB_LABEL) == migration_uid and labels_of(pod).get(LAUNCHER_LABEL) == "virt-launcher"
        ]

    def migrations_of(self, namespace: str, vmi: str) -> list[dict]:
        """The VMI's migrations, oldest first."""
        migrations = self.objects["virtualmachineinstancemigrations"]
        found = [migrations[key] for key in self._migrations_by_vmi.get((namespace, vmi), ()) if key in migrations]
        return sorted(found, key=lambda m: ((m.get("metadata") or {}).get("creationTimestamp") or "", key_of(m)))

    def kubevirt(self) -> dict | None:
        """The KubeVirt CR (the first by namespace and name when a scenario has several)."""
        found = self.objects["kubevirts"]
        return found[min(found)] if found else None
