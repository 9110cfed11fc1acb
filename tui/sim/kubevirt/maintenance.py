"""Harvester's maintenance mode, the part a drain touches: the node-drain and maintain-status controllers.

Harvester's "Enable Maintenance Mode" action annotates the node harvesterhci.io/drain-requested
(and harvesterhci.io/drain-forced when forced; pkg/api/node/formatter.go, v1.7.0). The node-drain
controller (pkg/controller/master/nodedrain/nodedrain_controller.go, v1.7.0) then:
- without force, gives up when a VM on the node cannot migrate (here: its VMI's LiveMigratable
  condition is not True): it removes the drain annotations and leaves the node as it was;
- with force, stops those VMs (runStrategy Halted) first;
- cordons the node and drains it as `kubectl drain --ignore-daemonsets --delete-emptydir-data
  --force` would, through the eviction API (pkg/util/drainhelper/helper.go): KubeVirt refuses the
  evictions of VMs it evacuates, so the drain tries again every 5 s until the node holds no pod;
- then sets harvesterhci.io/maintain-status=running and removes the drain annotations.
The maintain controller (pkg/controller/master/node/maintain_controller.go, v1.7.0) turns `running`
into `completed` once no VMI carries the node's name in its label kubevirt.io/nodeName.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tui.sim import status as st
from tui.sim.admission import AdmissionChain, AdmissionDenied, AdmissionRequest
from tui.sim.disruption import evict
from tui.sim.kubevirt.evacuation import is_migratable
from tui.sim.kubevirt.index import ClusterIndex, key_of, labels_of
from tui.sim.kubevirt.lifecycle import NODE_NAME_LABEL
from tui.sim.resources import PODS
from tui.sim.store import ObjectStore, copy_object

DRAIN_REQUESTED = "harvesterhci.io/drain-requested"
DRAIN_FORCED = "harvesterhci.io/drain-forced"
MAINTAIN_STATUS = "harvesterhci.io/maintain-status"
RETRY_SECONDS = 5.0  # kubectl's drain helper retries a refused eviction after 5 s
GRACE_PERIOD_SECONDS = 180  # drainhelper defaultGracePeriodSeconds
SKIPPED_APPS = ("csi-attacher", "csi-provisioner")  # drainhelper defaultSkipPodLabels
HARVESTER_USER = "system:serviceaccount:harvester-system:harvester"


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _annotations(obj: dict) -> dict:
    return _dict(_dict(obj.get("metadata")).get("annotations"))


class HarvesterMaintenance:
    """Nodes put in maintenance by Harvester's action, from the drain request to `completed`."""

    def __init__(self, store: ObjectStore, index: ClusterIndex, admission: AdmissionChain) -> None:
        self.store = store
        self.index = index
        self.admission = admission
        self._draining: dict[str, datetime | None] = {}  # node -> next attempt
        self._running: set[str] = set()

    def install(self) -> None:
        for name in self.index.node_names():
            node = self.index.node(name)
            if node is not None:
                self.on_node(node)

    def on_node(self, node: dict) -> None:
        name = _dict(node.get("metadata")).get("name", "")
        annotations = _annotations(node)
        if DRAIN_REQUESTED in annotations:
            self._draining.setdefault(name, None)
        if annotations.get(MAINTAIN_STATUS) == "running":
            self._running.add(name)

    def tick(self, now: datetime) -> None:
        for name in sorted(self._draining):
            when = self._draining[name]
            if when is not None and when > now:
                continue
            if self._drain(name, now):
                self._draining.pop(name, None)
            else:
                self._draining[name] = now + timedelta(seconds=RETRY_SECONDS)
        for name in sorted(self._running):
            if self._complete(name):
                self._running.discard(name)

    # -- the node-drain controller --------------------------------------------------------------------

    def _drain(self, name: str, now: datetime) -> bool:
        """One attempt; True when there is nothing more to do for this request."""
        node = self.index.node(name)
        if node is None or DRAIN_REQUESTED not in _annotations(node):
            return True
        vmis = [v for v in self.index.all("virtualmachineinstances") if labels_of(v).get(NODE_NAME_LABEL) == name]
        stuck = [v for v in vmis if _dict(v.get("status")).get("phase") == "Running" and not is_migratable(v)]
        if stuck:
            if DRAIN_FORCED not in _annotations(node):
                self._update_node(node, lambda n: self._clear_request(n))
                return True
            for vmi in stuck:
                self._stop(vmi)
        if not _dict(node.get("spec")).get("unschedulable"):
            node = self._update_node(node, lambda n: n["spec"].__setitem__("unschedulable", True)) or node
        left = [pod for pod in self.index.pods_on(name) if not self._skipped(pod)]
        for pod in left:
            self._evict(pod, now)
        if any(not self._skipped(pod) for pod in self.index.pods_on(name)):
            return False

        def enter(updated: dict) -> None:
            updated["metadata"].setdefault("annotations", {})[MAINTAIN_STATUS] = "running"
            self._clear_request(updated)

        self._update_node(node, enter)
        self._running.add(name)
        return True

    @staticmethod
    def _clear_request(node: dict) -> None:
        annotations = node["metadata"].setdefault("annotations", {})
        annotations.pop(DRAIN_REQUESTED, None)
        annotations.pop(DRAIN_FORCED, None)

    @staticmethod
    def _skipped(pod: dict) -> bool:
        labels = labels_of(pod)
        owners = _dict(pod.get("metadata")).get("ownerReferences") or []
        daemon = any(_dict(owner).get("kind") == "DaemonSet" for owner in owners)
        return daemon or labels.get("app") in SKIPPED_APPS or labels.get("kubevirt.io") == "hotplug-disk"

    def _evict(self, pod: dict, now: datetime) -> None:
        namespace, name = key_of(pod)
        eviction = {
            "apiVersion": "policy/v1",
            "kind": "Eviction",
            "metadata": {"name": name, "namespace": namespace},
            "deleteOptions": {"gracePeriodSeconds": GRACE_PERIOD_SECONDS},
        }
        request = AdmissionRequest(
            "create", PODS, namespace, name, eviction, None, HARVESTER_USER, subresource="eviction"
        )
        try:
            self.admission.admit(request)
            current = self.store.get("pods", namespace, name)
            evict(self.store, current, eviction["deleteOptions"], False, now)
        except (AdmissionDenied, st.ApiError):
            return  # refused (KubeVirt evacuates, or a budget): tried again later

    def _stop(self, vmi: dict) -> None:
        """findAndStopVM: the VMI's VM gets runStrategy Halted."""
        vm = self.index.get("virtualmachines", *key_of(vmi))
        if vm is None or _dict(vm.get("spec")).get("runStrategy") == "Halted":
            return
        updated = copy_object(vm)
        updated["spec"]["runStrategy"] = "Halted"
        updated["spec"].pop("running", None)
        try:
            self.store.update("virtualmachines", updated)
        except st.ApiError:
            pass

    def _update_node(self, node: dict, change: Any) -> dict | None:
        updated = copy_object(node)
        updated.setdefault("spec", {})
        change(updated)
        try:
            return self.store.update("nodes", updated)
        except st.ApiError:
            return None

    # -- the maintain controller ------------------------------------------------------------------------

    def _complete(self, name: str) -> bool:
        """OnNodeChanged: `completed` once no VMI is labelled with the node; True when settled."""
        node = self.index.node(name)
        if node is None or _annotations(node).get(MAINTAIN_STATUS) != "running":
            return True
        if any(labels_of(vmi).get(NODE_NAME_LABEL) == name for vmi in self.index.all("virtualmachineinstances")):
            return False

        def complete(updated: dict) -> None:
            updated["metadata"]["annotations"][MAINTAIN_STATUS] = "completed"

        return self._update_node(node, complete) is not None
