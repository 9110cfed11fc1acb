"""The simulated KubeVirt's view of the cluster: the objects it watches, indexed, kept current from store changes.

What informers and their indexers are to KubeVirt's controllers. The objects held are the store's own
(read them, never change them); every lookup is a dictionary access, so the controllers' work per
clock step grows with what is happening, not with the size of the cluster.
"""

from __future__ import annotations

from typing import Iterable

from tui.sim.kubevirt.filters import SchedNode, Usage, is_terminal, node_usage, plus, pod_requests, sched_node
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
        self._parsed_nodes: dict[str, SchedNode] = {}
        self._usage: dict[str, Usage] = {}
        self._requests: dict[Key, dict[str, int]] = {}
        self._with_pod_affinity: set[Key] = set()

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
                    requests = self._requests.pop(key, None)
                    if not is_terminal(obj):
                        self._usage[node] = plus(cached, requests if requests is not None else pod_requests(obj))
                else:
                    self._usage.pop(node, None)
            uid = labels_of(obj).get(CREATED_BY_LABEL)
            if uid:
                self._pods_by_vmi_uid.setdefault(uid, set()).add(key)
            affinity = (spec.get("affinity") or {}) if isinstance(spec.get("affinity"), dict) else {}
            if affinity.get("podAffinity") or affinity.get("podAntiAffinity"):
                self._with_pod_affinity.add(key)
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
            self._with_pod_affinity.discard(key)
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

    def parsed_node(self, name: str) -> SchedNode | None:
        parsed = self._parsed_nodes.get(name)
        if parsed is None:
            raw = self.node(name)
            if raw is None:
                return None
            parsed = self._parsed_nodes[name] = sched_node(raw)
        return parsed

    def expect_pod(self, key: Key, requests: dict[str, int]) -> None:
        """The requests of a pod about to be created, so its arrival need not work them out again."""
        self._requests[key] = requests

    def pods_on(self, node: str) -> list[dict]:
        pods = self.objects["pods"]
        return [pods[key] for key in sorted(self._pods_by_node.get(node, ())) if key in pods]

    def usage(self, node: str) -> Usage:
        """What the pods on a node ask for, as kube-scheduler counts it (cached until they change)."""
        found = self._usage.get(node)
        if found is None:
            found = self._usage[node] = node_usage(self.pods_on(node))
        return found

    def has_pods_with_pod_affinity(self) -> bool:
        return bool(self._with_pod_affinity)

    def pods_with_pod_affinity(self) -> list[dict]:
        """Bound pods that have pod affinity or anti-affinity of their own (what InterPodAffinity's
        PreFilter looks at for existing pods' anti-affinity)."""
        pods = self.objects["pods"]
        found = (pods.get(key) for key in sorted(self._with_pod_affinity))
        return [pod for pod in found if pod is not None and (pod.get("spec") or {}).get("nodeName")]

    def namespace_labels(self, namespace: str) -> dict | None:
        """A namespace's labels; None when the namespace is not known."""
        found = self.objects["namespaces"].get(("", namespace))
        return None if found is None else dict(labels_of(found))

    def pods_of_vmi(self, uid: str) -> list[dict]:
        """Every pod KubeVirt made for the VMI with this uid (launcher and migration targets)."""
        pods = self.objects["pods"]
        found = [pods[key] for key in self._pods_by_vmi_uid.get(uid, ()) if key in pods]
        return sorted(found, key=lambda pod: ((pod.get("metadata") or {}).get("creationTimestamp") or "", key_of(pod)))

    def target_pods(self, vmi_uid: str, migration_uid: str) -> list[dict]:
        return [
            pod
            for pod in self.pods_of_vmi(vmi_uid)
            if labels_of(pod).get(MIGRATION_JOB_LABEL) == migration_uid
            and labels_of(pod).get(LAUNCHER_LABEL) == "virt-launcher"
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
