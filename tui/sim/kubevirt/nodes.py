"""The agents on each simulated node: KubeVirt's node labeller and heartbeat, the kubelet's node status, outages.

The labeller turns the Simulation's nodeCPUs into the labels virt-handler writes
(host-model-cpu, cpu-model, cpu-model-migration, host-model-required-features, cpu-feature,
cpu-vendor, machine-type, kubevirt.io/schedulable, the CPU-manager label by version), and refreshes
the kubevirt.io/heartbeat annotation every minute on nodes that are up. A node whose heartbeat is
older than five minutes is marked kubevirt.io/schedulable=false, as virt-controller does. Witness
nodes run no virt-handler and get none of it.

An outage (`node-not-ready`) is what the node lifecycle controller does when a kubelet stops
posting: every kubelet condition goes Unknown, the unreachable taints are added, the node's pods
are marked not Ready. Scenario nodes keep what they say: a node dumped as NotReady stays so.

The node lifecycle controller's taints follow every node's conditions, whoever changed them
(kubernetes pkg/controller/nodelifecycle/node_lifecycle_controller.go: nodeConditionToTaintKeyStatusMap
and the NotReady/Unreachable NoExecute templates): Ready=False gives node.kubernetes.io/not-ready,
Ready=Unknown node.kubernetes.io/unreachable, each NoSchedule and NoExecute; MemoryPressure,
DiskPressure, PIDPressure and NetworkUnavailable True give their NoSchedule taint. Taints of other
keys are left as they are.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping

from tui.domain.objects import parse_time
from tui.sim import status as st
from tui.sim.kubevirt.config import KubeVirtSettings
from tui.sim.kubevirt.index import ClusterIndex
from tui.sim.kubevirt.problems import scenario_object
from tui.sim.kubevirt.releases import harvester_release, os_image
from tui.sim.kubevirt.writes import replace
from tui.sim.scenario import NodeCPU, Simulation
from tui.sim.store import ObjectStore, copy_object, format_time

HEARTBEAT_ANNOTATION = "kubevirt.io/heartbeat"
SCHEDULABLE_LABEL = "kubevirt.io/schedulable"
WITNESS_LABEL = "node-role.harvesterhci.io/witness"
HEARTBEAT_INTERVAL = 60.0
HEARTBEAT_TIMEOUT = 300.0
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"
NOT_READY_TAINT = "node.kubernetes.io/not-ready"
# (condition, status) -> the taint key the node lifecycle controller adds with effect NoSchedule.
CONDITION_TAINTS = {
    ("Ready", "False"): NOT_READY_TAINT,
    ("Ready", "Unknown"): UNREACHABLE_TAINT,
    ("MemoryPressure", "True"): "node.kubernetes.io/memory-pressure",
    ("DiskPressure", "True"): "node.kubernetes.io/disk-pressure",
    ("PIDPressure", "True"): "node.kubernetes.io/pid-pressure",
    ("NetworkUnavailable", "True"): "node.kubernetes.io/network-unavailable",
}
CONTROLLER_TAINTS = frozenset(CONDITION_TAINTS.values())
MACHINE_TYPES = ("pc", "pc-i440fx-9.2", "pc-q35-8.2", "pc-q35-9.2", "q35")
KUBELET_CONDITIONS = (
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
)
DEVICE_RESOURCES = {
    "devices.kubevirt.io/kvm": "1k",
    "devices.kubevirt.io/tun": "1k",
    "devices.kubevirt.io/vhost-net": "1k",
}


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def runs_virt_handler(node: dict) -> bool:
    """virt-handler's DaemonSet skips Harvester's witness nodes (they only hold an etcd member)."""
    return _dict(_dict(node.get("metadata")).get("labels")).get(WITNESS_LABEL) != "true"


def is_ready(node: dict) -> bool:
    for condition in _list(_dict(node.get("status")).get("conditions")):
        if _dict(condition).get("type") == "Ready":
            return condition.get("status") == "True"
    return False


def lifecycle_taints(node: dict, moment: str) -> list[dict]:
    """The node's taints once the node lifecycle controller has matched them to its conditions."""
    statuses = {
        str(_dict(c).get("type")): str(_dict(c).get("status"))
        for c in _list(_dict(node.get("status")).get("conditions"))
    }
    if "Ready" not in statuses:
        statuses["Ready"] = "Unknown"  # a node that never posted its status is unreachable
    wanted: list[tuple[str, str]] = []
    for (condition, status), key in CONDITION_TAINTS.items():
        if statuses.get(condition) == status:
            wanted.append((key, "NoSchedule"))
            if condition == "Ready":
                wanted.append((key, "NoExecute"))
    current = [_dict(t) for t in _list(_dict(node.get("spec")).get("taints"))]
    kept = [t for t in current if t.get("key") not in CONTROLLER_TAINTS or (t.get("key"), t.get("effect")) in wanted]
    present = {(t.get("key"), t.get("effect")) for t in kept}
    added = [
        {"effect": effect, "key": key, "timeAdded": moment} for key, effect in wanted if (key, effect) not in present
    ]
    return kept + added


def cpu_vendor(features: tuple[str, ...]) -> str:
    """The vendor the labeller reports: VT-x (vmx) is Intel's, AMD-V (svm) AMD's."""
    if "svm" in features:
        return "AMD"
    return "Intel" if "vmx" in features else ""


def labeller_labels(labels: Mapping[str, str], cpu: NodeCPU | None, settings: KubeVirtSettings) -> dict[str, str]:
    """The labels KubeVirt's node labeller writes on a node (added to what it has)."""
    added: dict[str, str] = {}
    if cpu is not None:
        added[f"host-model-cpu.node.kubevirt.io/{cpu.host_model}"] = "true"
        for model in cpu.models:
            added[f"cpu-model.node.kubevirt.io/{model}"] = "true"
        for model in dict.fromkeys(cpu.models + (cpu.host_model,)):
            added[f"cpu-model-migration.node.kubevirt.io/{model}"] = "true"
        for feature in dict.fromkeys(cpu.features + cpu.required_features):
            added[f"cpu-feature.node.kubevirt.io/{feature}"] = "true"
        for feature in cpu.required_features:
            added[f"host-model-required-features.node.kubevirt.io/{feature}"] = "true"
        vendor = cpu_vendor(cpu.features + cpu.required_features)
        if vendor and not any(key.startswith("cpu-vendor.node.kubevirt.io/") for key in labels):
            added[f"cpu-vendor.node.kubevirt.io/{vendor}"] = "true"
    if not any(key.startswith("machine-type.node.kubevirt.io/") for key in labels):
        added.update({f"machine-type.node.kubevirt.io/{machine}": "true" for machine in MACHINE_TYPES})
    for key in (settings.cpu_manager_label, "kubevirt.io/ksm-enabled"):
        if key not in labels:
            added[key] = "false"
    return added


class NodeAgents:
    """virt-handler's node duties and the kubelet's node status, for every simulated node."""

    def __init__(
        self,
        store: ObjectStore,
        index: ClusterIndex,
        settings: Callable[[], KubeVirtSettings],
        simulation: Simulation,
    ) -> None:
        self.store = store
        self.index = index
        self.settings = settings
        self.simulation = simulation
        self.node_cpus: Mapping[str, NodeCPU] = simulation.node_cpus
        self._last_heartbeat: dict[str, datetime] = {}
        self._down_until: dict[str, datetime | None] = {}

    # -- start-up ------------------------------------------------------------------------------

    def install(self, now: datetime) -> None:
        """Give every node what its kubelet and virt-handler would have written by now."""
        for position, name in enumerate(self.index.node_names()):
            current = self.index.node(name)
            if current is None:
                continue
            with scenario_object("Node", "", name):
                self._install_node(current, position, now)

    def _install_node(self, current: dict, position: int, now: datetime) -> None:
        name = current["metadata"]["name"]
        node = copy_object(current)
        self._complete_status(node, position, now)
        if runs_virt_handler(node):
            labels = node["metadata"].setdefault("labels", {})
            labels.update(labeller_labels(labels, self.node_cpus.get(name), self.settings()))
            if SCHEDULABLE_LABEL not in labels:
                labels[SCHEDULABLE_LABEL] = "true" if is_ready(node) else "false"
            annotations = node["metadata"].setdefault("annotations", {})
            if is_ready(node) or HEARTBEAT_ANNOTATION not in annotations:
                annotations[HEARTBEAT_ANNOTATION] = format_time(now)
                self._last_heartbeat[name] = now
            annotations.setdefault("kubevirt.io/ksm-handler-managed", "false")
        self._set_taints(node, now)
        if node != current:
            replace(self.store, "nodes", node)

    @staticmethod
    def _set_taints(node: dict, now: datetime) -> bool:
        """Match the node's taints to its conditions; True when they changed."""
        taints = lifecycle_taints(node, format_time(now))
        if taints == _list(_dict(node.get("spec")).get("taints")):
            return False
        if taints:
            node.setdefault("spec", {})["taints"] = taints
        else:
            _dict(node.get("spec")).pop("taints", None)
        return True

    def _complete_status(self, node: dict, position: int, now: datetime) -> None:
        status = node.setdefault("status", {})
        name = node["metadata"]["name"]
        moment = format_time(now)
        capacity = status.setdefault(
            "capacity", {"cpu": "16", "memory": "65842516Ki", "pods": "200", "ephemeral-storage": "283681308Ki"}
        )
        allocatable = status.setdefault("allocatable", dict(capacity))
        # The kubelet always reports its pod slots and local ephemeral storage, whatever a dump trimmed.
        for resource, amount in (("pods", "110"), ("ephemeral-storage", "283681308Ki")):
            capacity.setdefault(resource, amount)
            allocatable.setdefault(resource, capacity[resource])
        if runs_virt_handler(node):
            for resource, amount in DEVICE_RESOURCES.items():
                capacity.setdefault(resource, amount)
                allocatable.setdefault(resource, amount)
        if not _list(status.get("conditions")):
            status["conditions"] = [
                {
                    "lastHeartbeatTime": moment,
                    "lastTransitionTime": moment,
                    "message": message,
                    "reason": reason,
                    "status": state,
                    "type": type_,
                }
                for type_, state, reason, message in KUBELET_CONDITIONS
            ]
        if not _list(status.get("addresses")):
            status["addresses"] = [
                {"address": f"10.115.10.{10 + position % 240}", "type": "InternalIP"},
                {"address": name, "type": "Hostname"},
            ]
        info = status.setdefault("nodeInfo", {})
        settings = self.settings()
        image = os_image(settings.harvester, harvester_release(self.simulation, settings.version))
        digest = hashlib.sha256(f"node/{name}".encode()).hexdigest()
        for key, value in (
            ("architecture", "amd64"),
            ("bootID", str(uuid.UUID(digest[:32]))),
            ("kubeProxyVersion", ""),
            ("machineID", digest[32:64]),
            ("systemUUID", str(uuid.UUID(digest[:32][::-1]))),
            ("containerRuntimeVersion", "containerd://2.1.5-k3s1"),
            ("kernelVersion", "6.4.0-36-default"),
            ("kubeletVersion", "v1.33.5+rke2r1"),
            ("operatingSystem", "linux"),
            ("osImage", image),
        ):
            info.setdefault(key, value)
        node["metadata"].setdefault("labels", {}).setdefault("kubernetes.io/hostname", name)
        node["metadata"]["labels"].setdefault("kubernetes.io/arch", "amd64")
        node["metadata"]["labels"].setdefault("kubernetes.io/os", "linux")

    # -- every clock step ------------------------------------------------------------------------

    def tick(self, now: datetime) -> None:
        for name, until in list(self._down_until.items()):
            if until is not None and now >= until:
                self.restore(name, now)
        for name in self.index.node_names():
            node = self.index.node(name)
            if node is None:
                continue
            tainted = copy_object(node)
            if self._set_taints(tainted, now):
                try:
                    node = self.store.update("nodes", tainted)
                except st.ApiError:
                    continue
            if not runs_virt_handler(node):
                continue
            up = is_ready(node) and name not in self._down_until
            last = self._last_heartbeat.get(name)
            try:
                if up and (last is None or (now - last).total_seconds() >= HEARTBEAT_INTERVAL):
                    self._heartbeat(node, now)
                elif not up:
                    self._mark_unresponsive(node, now)
            except st.ApiError:
                continue  # deleted or changed meanwhile

    def _heartbeat(self, node: dict, now: datetime) -> None:
        updated = copy_object(node)
        updated["metadata"].setdefault("annotations", {})[HEARTBEAT_ANNOTATION] = format_time(now)
        updated["metadata"].setdefault("labels", {})[SCHEDULABLE_LABEL] = "true"
        self._last_heartbeat[node["metadata"]["name"]] = now
        self.store.update("nodes", updated)

    def _mark_unresponsive(self, node: dict, now: datetime) -> None:
        labels = _dict(node["metadata"].get("labels"))
        if labels.get(SCHEDULABLE_LABEL) == "false":
            return
        beat = parse_time(_dict(node["metadata"].get("annotations")).get(HEARTBEAT_ANNOTATION))
        if beat is not None and (now - beat).total_seconds() < HEARTBEAT_TIMEOUT:
            return
        updated = copy_object(node)
        updated["metadata"]["labels"][SCHEDULABLE_LABEL] = "false"
        self.store.update("nodes", updated)

    # -- outages -----------------------------------------------------------------------------------

    def is_down(self, name: str) -> bool:
        """A node that cannot be reached (a fault, or a scenario node whose Ready is not True)."""
        node = self.index.node(name)
        return name in self._down_until or (node is not None and not is_ready(node))

    def make_not_ready(self, name: str, now: datetime, seconds: float | None) -> None:
        current = self.index.node(name)
        if current is None:
            raise KeyError(name)
        self._down_until[name] = now + timedelta(seconds=seconds) if seconds else None
        node = copy_object(current)
        moment = format_time(now)
        for condition in _list(node["status"].get("conditions")):
            if condition.get("type") in ("MemoryPressure", "DiskPressure", "PIDPressure", "Ready"):
                condition.update(
                    {
                        "status": "Unknown",
                        "reason": "NodeStatusUnknown",
                        "message": "Kubelet stopped posting node status.",
                        "lastTransitionTime": moment,
                    }
                )
        self._set_taints(node, now)
        replace(self.store, "nodes", node)
        self._set_pods_ready(name, "False", now)

    def restore(self, name: str, now: datetime) -> None:
        self._down_until.pop(name, None)
        current = self.index.node(name)
        if current is None:
            return
        node = copy_object(current)
        moment = format_time(now)
        defaults = {type_: (state, reason, message) for type_, state, reason, message in KUBELET_CONDITIONS}
        for condition in _list(node["status"].get("conditions")):
            if condition.get("type") in defaults:
                state, reason, message = defaults[condition["type"]]
                condition.update(
                    {
                        "status": state,
                        "reason": reason,
                        "message": message,
                        "lastTransitionTime": moment,
                        "lastHeartbeatTime": moment,
                    }
                )
        self._set_taints(node, now)
        node["metadata"].setdefault("annotations", {})[HEARTBEAT_ANNOTATION] = moment
        node["metadata"].setdefault("labels", {})[SCHEDULABLE_LABEL] = "true"
        self._last_heartbeat[name] = now
        replace(self.store, "nodes", node)
        self._set_pods_ready(name, "True", now)

    def _set_pods_ready(self, node: str, state: str, now: datetime) -> None:
        """What the node lifecycle controller (down) and the kubelet (back) do to the node's pods."""
        for pod in self.index.pods_on(node):
            if _dict(pod.get("status")).get("phase") != "Running":
                continue
            updated = copy_object(pod)
            for condition in _list(updated["status"].get("conditions")):
                if condition.get("type") in ("Ready", "ContainersReady") and condition.get("status") != state:
                    condition.update({"status": state, "lastTransitionTime": format_time(now)})
            self.store.update_status("pods", updated)
