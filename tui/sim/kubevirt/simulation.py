"""The simulated KubeVirt and Harvester of one SimCluster: installs its parts and runs them on every clock step.

KubeVirt runs where it is deployed: when the scenario holds a KubeVirt CR, or holds nodes and VMs or
VMIs (a dump without the CR gets the one Harvester deploys). Any other scenario, such as `empty`, is
a plain Kubernetes cluster: nothing here touches it.

Installed, it registers the admission webhooks (and, before KubeVirt 1.6, prunes the migration's
spec.addedNodeSelector as that API server does), a store subscriber that keeps its index current
and notes what needs attention, the tick callback, the Prometheus source, and the faults
cut-network, node-not-ready and node-ready.
"""

from __future__ import annotations

import gc
import weakref
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterator

from tui.sim.kubevirt.churn import register_churn
from tui.sim.kubevirt.config import HARVESTER_NAMESPACE, KubeVirtSettings, settings_from
from tui.sim.kubevirt.evacuation import Evacuations
from tui.sim.kubevirt.events import EventRecorder
from tui.sim.kubevirt.faults import NetworkCuts, register_faults
from tui.sim.kubevirt.harvester import HarvesterMigrations
from tui.sim.kubevirt.index import WATCHED, ClusterIndex, key_of, labels_of
from tui.sim.kubevirt.kubelet import PodRuntime
from tui.sim.kubevirt.lifecycle import VirtualMachines
from tui.sim.kubevirt.maintenance import HarvesterMaintenance
from tui.sim.kubevirt.migration import Migrations
from tui.sim.kubevirt.monitoring import MigrationMetrics
from tui.sim.kubevirt.nodes import NodeAgents
from tui.sim.kubevirt.releases import SERVER_VERSION, harvester_release, server_version_setting
from tui.sim.kubevirt.webhooks import migration_validator, mutate_migration, vmi_mutator
from tui.sim.store import DELETED, Change, format_time

if TYPE_CHECKING:
    from tui.sim.runtime import SimCluster

KUBEVIRT_KINDS = ("VirtualMachine", "VirtualMachineInstance", "VirtualMachineInstanceMigration")
_RUNNING: "weakref.WeakKeyDictionary[SimCluster, KubeVirtSimulation]" = weakref.WeakKeyDictionary()


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def harvester_kubevirt(version_text: str, now: datetime) -> dict:
    """The KubeVirt CR as Harvester deploys it (reference examples/kubevirt-cr.yaml), for dumps without one."""
    moment = format_time(now)
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "KubeVirt",
        "metadata": {"name": "kubevirt", "namespace": HARVESTER_NAMESPACE, "finalizers": ["foregroundDeleteKubeVirt"]},
        "spec": {
            "certificateRotateStrategy": {},
            "configuration": {
                "additionalGuestMemoryOverheadRatio": "1.5",
                "developerConfiguration": {"featureGates": ["CPUManager", "ExpandDisks", "HostDevices"]},
                "network": {
                    "defaultNetworkInterface": "bridge",
                    "permitBridgeInterfaceOnPodNetwork": True,
                    "permitSlirpInterface": True,
                },
                "vmRolloutStrategy": "LiveUpdate",
            },
            "workloadUpdateStrategy": {"workloadUpdateMethods": ["LiveMigrate"]},
        },
        "status": _deployed_status(version_text, moment),
    }


def _deployed_status(version_text: str, moment: str) -> dict:
    ready = {
        "lastProbeTime": moment,
        "lastTransitionTime": moment,
        "message": "All components are ready.",
        "reason": "AllComponentsReady",
    }
    return {
        "conditions": [
            {**ready, "status": "True", "type": "Available"},
            {**ready, "status": "False", "type": "Progressing"},
            {**ready, "status": "False", "type": "Degraded"},
            {
                "lastProbeTime": moment,
                "lastTransitionTime": None,
                "message": "All resources were created.",
                "reason": "AllResourcesCreated",
                "status": "True",
                "type": "Created",
            },
        ],
        "defaultArchitecture": "amd64",
        "observedKubeVirtVersion": version_text,
        "targetKubeVirtVersion": version_text,
        "phase": "Deployed",
    }


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while thousands of objects are made at start-up: it would
    otherwise scan the growing heap again and again (a third of the start-up time at 10,000 VMs)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class KubeVirtSimulation:
    """Everything KubeVirt and Harvester do in one simulated cluster."""

    def __init__(self, cluster: "SimCluster") -> None:
        self.cluster = cluster
        self.store = cluster.store
        self.clock = cluster.clock
        self.index = ClusterIndex()
        self.events = EventRecorder(self.store, self.clock.now)
        self.runtime = PodRuntime(self.store, self.index, self.events, seed=cluster.scenario.name)
        self.cuts = NetworkCuts()
        self._settings: KubeVirtSettings | None = None
        self.nodes = NodeAgents(self.store, self.index, self.settings, cluster.simulation)
        self.vms = VirtualMachines(self.store, self.index, self.runtime, self.events, self.settings)
        self.migrations = Migrations(
            self.store,
            self.index,
            self.runtime,
            self.vms,
            self.events,
            self.settings,
            cluster.simulation,
            self.cuts,
            self.nodes,
        )
        self.evacuations = Evacuations(self.store, self.index, self.vms, self.events, self.settings)
        self.harvester: HarvesterMigrations | None = None
        self.maintenance: HarvesterMaintenance | None = None

    # -- settings -----------------------------------------------------------------------------------

    def settings(self) -> KubeVirtSettings:
        if self._settings is None:
            self._settings = settings_from(self.index.kubevirt(), self.cluster.simulation)
        return self._settings

    # -- installing ---------------------------------------------------------------------------------

    @staticmethod
    def wanted(cluster: "SimCluster") -> bool:
        """KubeVirt is deployed: the scenario has its CR, or has nodes and VMs (a dump without the CR)."""
        if cluster.store.list("kubevirts"):
            return True
        kinds = {obj.get("kind") for obj in cluster.scenario.objects}
        return "Node" in kinds and bool(kinds & set(KUBEVIRT_KINDS))

    def install(self) -> None:
        """Called once, under the store lock, before the server accepts connections."""
        now = self.clock.now()
        if not self.store.list("kubevirts"):
            if not self.store.exists("namespaces", None, HARVESTER_NAMESPACE):
                self.store.create("namespaces", {"metadata": {"name": HARVESTER_NAMESPACE}})
            self.store.create(
                "kubevirts", harvester_kubevirt(self.cluster.simulation.kubevirt_version, now), HARVESTER_NAMESPACE
            )
        for plural in WATCHED:
            self.index.load(plural, self.store.page(plural, copies=False).items)
        self.store.subscribe(self._on_change)
        self._complete_kubevirt_status(now)
        settings = self.settings()
        if settings.harvester:
            if not self.store.exists("settings", None, SERVER_VERSION):
                release = harvester_release(self.cluster.simulation, settings.version)
                self.store.create("settings", server_version_setting(release, format_time(now)))
            self.harvester = HarvesterMigrations(self.store, self.index, self.runtime)
            self.migrations.on_change.append(self.harvester.on_migration)
            self.maintenance = HarvesterMaintenance(self.store, self.index, self.cluster.admission)
        admission = self.cluster.admission
        admission.register("virtualmachineinstancemigrations", mutate_migration, operations=["create"])
        admission.register("virtualmachineinstancemigrations", migration_validator(self.index), operations=["create"])
        admission.register("virtualmachineinstances", vmi_mutator(self.settings), operations=["create"])
        admission.register("pods", self.evacuations.admit, operations=["create"], subresources=True)
        if not settings.added_node_selector:
            admission.prune_fields("virtualmachineinstancemigrations", ["spec.addedNodeSelector"])
        self.nodes.install(now)
        with _collector_paused():
            self.vms.install(now)
        self.migrations.install()
        self.evacuations.install()
        if self.maintenance is not None:
            self.maintenance.install()
        self.clock.on_tick(self.tick)
        if self.cluster.simulation.monitoring:
            self.cluster.set_metrics_source(MigrationMetrics(self.index, self.migrations, self.settings))
        register_faults(self.cluster.faults.register, self.index, self.cuts, self.nodes, self.clock.now)
        register_churn(self.cluster.faults.register, self.store, self.clock)

    def _complete_kubevirt_status(self, now: datetime) -> None:
        kubevirt = self.index.kubevirt()
        if kubevirt is None or _dict(kubevirt.get("status")).get("observedKubeVirtVersion"):
            return
        updated = dict(kubevirt)
        status = dict(_dict(kubevirt.get("status")))
        status.update(_deployed_status(self.cluster.simulation.kubevirt_version, format_time(now)))
        updated["status"] = status
        namespace, _ = key_of(kubevirt)
        self.store.update_status("kubevirts", updated, namespace)
        self._settings = None

    # -- what changed -----------------------------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if not self.index.apply(change):
            return
        plural = change.resource.plural
        raw, previous = change.raw, change.previous
        key = key_of(raw)
        if plural == "virtualmachines":
            if (
                change.type == DELETED
                or previous is None
                or raw.get("spec") != previous.get("spec")
                or _dict(raw.get("metadata")).get("deletionTimestamp")
                != _dict(previous.get("metadata")).get("deletionTimestamp")
            ):
                self.vms.dirty_vms.add(key)
        elif plural == "virtualmachineinstances":
            if previous is None or change.type == DELETED or _dict(raw.get("metadata")).get("deletionTimestamp"):
                self.vms.dirty_vmis.add(key)
            self.vms.dirty_vms.add(key)  # its VM follows it (status, and a deleted VM's finalizers)
            if change.type != DELETED:
                self.evacuations.on_vmi(raw)
            for migration in self.index.migrations_of(*key):
                if _dict(migration.get("status")).get("phase") not in ("Succeeded", "Failed"):
                    self.migrations.watch(key_of(migration))
        elif plural == "pods":
            owner = _dict(raw.get("metadata")).get("ownerReferences") or []
            vmi = next(
                (
                    ref.get("name")
                    for ref in owner
                    if isinstance(ref, dict) and ref.get("kind") == "VirtualMachineInstance"
                ),
                None,
            )
            if vmi and labels_of(raw).get("kubevirt.io") == "virt-launcher":
                self.vms.dirty_vmis.add((key[0], vmi))
            if change.type == DELETED:
                self.runtime.forget(key)
                self.evacuations.on_pod_deleted(raw)
        elif plural == "virtualmachineinstancemigrations":
            if change.type != DELETED:
                self.migrations.watch(key)
        elif plural == "kubevirts":
            self._settings = None
        elif plural == "nodes" and change.type != DELETED:
            self.evacuations.on_node(raw)
            if self.maintenance is not None:
                self.maintenance.on_node(raw)
        if plural == "nodes" and previous is not None:
            if _dict(raw.get("metadata")).get("labels") != _dict(previous.get("metadata")).get("labels"):
                for vmi in self.index.all("virtualmachineinstances"):
                    if _dict(vmi.get("status")).get("nodeName") == key[1]:
                        self.vms.dirty_vmis.add(key_of(vmi))

    # -- every clock step ----------------------------------------------------------------------------------

    def tick(self, now: datetime) -> None:
        self.nodes.tick(now)
        self.runtime.tick(now)
        self.vms.tick(now)
        self.migrations.tick(now)
        self.evacuations.tick(now)
        if self.maintenance is not None:
            self.maintenance.tick(now)
        self.vms.tick(now)


def install(cluster: "SimCluster") -> None:
    """The installer SimCluster runs for every cluster it starts (see tui.sim.controller)."""
    if KubeVirtSimulation.wanted(cluster):
        simulation = KubeVirtSimulation(cluster)
        simulation.install()
        _RUNNING[cluster] = simulation


def simulation_of(cluster: "SimCluster") -> KubeVirtSimulation | None:
    """The KubeVirt simulation running in `cluster`, None for a cluster without KubeVirt."""
    return _RUNNING.get(cluster)
