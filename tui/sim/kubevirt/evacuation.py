"""KubeVirt's answer to a drain: the eviction interceptor, the evacuation controller, and launchers that are evicted.

The interceptor (pkg/virt-api/webhooks/validating-webhook/admitters/pod-eviction-admitter.go, v1.6.3)
sees every eviction of a virt-launcher pod that has not finished. The VMI's spec.evictionStrategy,
else the KubeVirt CR's spec.configuration.evictionStrategy, decides: none or `None` lets the pod be
evicted; `LiveMigrate` on a VMI that is not live-migratable is refused; `LiveMigrate`,
`LiveMigrateIfPossible` on a migratable VMI, and `External` mark the VMI (status.evacuationNodeName =
the pod's node) and refuse the eviction with 429, so that the drain retries until the pod is
gone; `LiveMigrateIfPossible` on a VMI that cannot migrate lets the pod be evicted.

The evacuation controller (pkg/virt-controller/watch/drain/evacuation/evacuation.go, v1.6.3) then
creates, per node, a migration named kubevirt-evacuation-<random> (annotation
kubevirt.io/evacuationMigration: <node>) for each marked VMI that wants to move on eviction
(LiveMigrate, or LiveMigrateIfPossible and migratable; never External), is LiveMigratable, has no
unfinished migration and one active pod, within the free places: parallelMigrationsPerCluster less
the running (not Pending) migrations, and parallelOutboundMigrationsPerNode less those of the node's
VMIs; with no place it looks again 5 s later. A marked VMI that cannot migrate gets the Normal event
FailedCreate "VirtualMachineInstance is not migrateable" when a place is left for it. The node taint
kubevirt.io/drain:NoSchedule (deprecated) makes every VMI of the node a candidate.

An evicted launcher pod ends its guest: the VMI goes Succeeded (a shutdown asked by a signal) and
its VM stops.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

from tui.sim import status as st
from tui.sim.admission import AdmissionDenied, AdmissionRequest
from tui.sim.kubevirt import conditions as cond
from tui.sim.kubevirt.config import DRAIN_TAINT_KEY, KubeVirtSettings, int_setting
from tui.sim.kubevirt.events import EVACUATION_CONTROLLER, NORMAL, VIRT_HANDLER, WARNING, EventRecorder
from tui.sim.kubevirt.index import ClusterIndex, Key, key_of, labels_of
from tui.sim.kubevirt.lifecycle import VirtualMachines, is_terminal
from tui.sim.kubevirt.webhooks import mutate_migration
from tui.sim.resources import VIRTUAL_MACHINE_INSTANCE_MIGRATIONS
from tui.sim.store import ObjectStore, copy_object, format_time

INTERCEPTOR = "virt-launcher-eviction-interceptor.kubevirt.io"
EVACUATION_ANNOTATION = "kubevirt.io/evacuationMigration"
EVACUATION_PREFIX = "kubevirt-evacuation-"
REQUEUE_SECONDS = 5.0
EVICTION_FORMAT = 'Eviction triggered evacuation of VMI "{namespace}/{name}"'
FINAL = ("Succeeded", "Failed")


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def eviction_strategy(vmi: dict, settings: KubeVirtSettings) -> str:
    """migrations.VMIEvictionStrategy: the VMI's own, else the cluster's; "" for none."""
    own = _dict(vmi.get("spec")).get("evictionStrategy")
    return str(own) if own else settings.eviction_strategy


def is_migratable(vmi: dict) -> bool:
    """VirtualMachineInstance.IsMigratable: the LiveMigratable condition is True."""
    found = cond.find(_dict(vmi.get("status")).get("conditions"), cond.LIVE_MIGRATABLE)
    return found is not None and found.get("status") == "True"


def migrates_on_eviction(vmi: dict, settings: KubeVirtSettings) -> bool:
    """migrations.VMIMigratableOnEviction."""
    strategy = eviction_strategy(vmi, settings)
    return strategy == "LiveMigrate" or (strategy == "LiveMigrateIfPossible" and is_migratable(vmi))


def _deny(message: str) -> AdmissionDenied:
    # The webhook answers a Status with code 429 and no reason (pod-eviction-admitter.go denied()).
    return AdmissionDenied(INTERCEPTOR, message, code=429, reason="")


class Evacuations:
    """The eviction interceptor, the evacuation controller and the end of evicted launchers."""

    def __init__(
        self,
        store: ObjectStore,
        index: ClusterIndex,
        vms: VirtualMachines,
        events: EventRecorder,
        settings: Callable[[], KubeVirtSettings],
    ) -> None:
        self.store = store
        self.index = index
        self.vms = vms
        self.events = events
        self.settings = settings
        self._nodes: dict[str, datetime | None] = {}  # node -> when to look again (None: next step)
        self._evicted: dict[Key, str] = {}  # VMI -> the node its evicted launcher ran on
        self._warned: set[tuple[str, str]] = set()

    # -- the interceptor ------------------------------------------------------------------------------

    def admit(self, request: AdmissionRequest) -> None:
        if request.subresource != "eviction":
            return
        pod = self.index.get("pods", request.namespace, request.name)
        if pod is None or labels_of(pod).get("kubevirt.io") != "virt-launcher" or is_terminal(pod):
            return
        vmi_name = _dict(_dict(pod.get("metadata")).get("annotations")).get("kubevirt.io/domain")
        if not vmi_name:
            return
        vmi = self.index.get("virtualmachineinstances", request.namespace, vmi_name)
        if vmi is None:
            raise _deny(f'kubevirt failed getting the vmi: virtualmachineinstances.kubevirt.io "{vmi_name}" not found')
        strategy = eviction_strategy(vmi, self.settings())
        if strategy == "LiveMigrate" and not is_migratable(vmi):
            raise _deny(f"VMI {vmi_name} is configured with an eviction strategy but is not live-migratable")
        mark = strategy in ("LiveMigrate", "External") or (strategy == "LiveMigrateIfPossible" and is_migratable(vmi))
        if not mark:
            return
        namespace, name = key_of(vmi)
        message = EVICTION_FORMAT.format(namespace=namespace, name=name)
        status = _dict(vmi.get("status"))
        if status.get("evacuationNodeName"):
            raise _deny(f"Evacuation in progress: {message}")
        node = _dict(pod.get("spec")).get("nodeName", "")
        if status.get("nodeName") != node:
            raise _deny("Eviction request for target Pod")
        if not request.dry_run:
            updated = copy_object(vmi)
            updated.setdefault("status", {})["evacuationNodeName"] = node
            self.store.update_status("virtualmachineinstances", updated)
            self._nodes[node] = None
        raise _deny(message)

    # -- what changed ------------------------------------------------------------------------------------

    def install(self) -> None:
        """Pick up what the scenario already holds: marked VMIs and tainted nodes."""
        for vmi in self.index.all("virtualmachineinstances"):
            self.on_vmi(vmi)
        for name in self.index.node_names():
            node = self.index.node(name)
            if node is not None:
                self.on_node(node)

    def on_vmi(self, vmi: dict) -> None:
        node = _dict(vmi.get("status")).get("evacuationNodeName")
        if node:
            self._nodes.setdefault(node, None)

    def on_node(self, node: dict) -> None:
        meta = _dict(node.get("metadata"))
        name = meta.get("name", "")
        if any(
            _dict(t).get("key") == self._taint_key() and _dict(t).get("effect") == "NoSchedule"
            for t in _dict(node.get("spec")).get("taints") or []
        ):
            self._nodes.setdefault(name, None)

    def on_pod_deleted(self, pod: dict) -> None:
        """A launcher pod went away: if its VMI still ran in it, the guest has been shut down."""
        if labels_of(pod).get("kubevirt.io") != "virt-launcher" or is_terminal(pod):
            return
        vmi_name = _dict(_dict(pod.get("metadata")).get("annotations")).get("kubevirt.io/domain")
        if vmi_name:
            self._evicted[(_dict(pod.get("metadata")).get("namespace", ""), vmi_name)] = _dict(pod.get("spec")).get(
                "nodeName", ""
            )

    def _taint_key(self) -> str:
        return str(self.settings().migration_configuration().get("nodeDrainTaintKey") or DRAIN_TAINT_KEY)

    # -- every clock step -----------------------------------------------------------------------------------

    def tick(self, now: datetime) -> None:
        for key, node in sorted(self._evicted.items()):
            self._end_guest(key, node, now)
        self._evicted.clear()
        for node in sorted(self._nodes):
            when = self._nodes.get(node)
            if when is not None and when > now:
                continue
            again = self._sync(node, now)
            if again is None:
                self._nodes.pop(node, None)
            else:
                self._nodes[node] = now + timedelta(seconds=again)

    def _end_guest(self, key: Key, node: str, now: datetime) -> None:
        vmi = self.index.get("virtualmachineinstances", *key)
        if vmi is None:
            return
        status = _dict(vmi.get("status"))
        if _dict(vmi.get("metadata")).get("deletionTimestamp"):
            return  # being deleted: the VMI controller ends it
        if status.get("phase") != "Running" or status.get("nodeName") != node or self.vms.launcher_pod(vmi) is not None:
            return
        updated = copy_object(vmi)
        new_status = updated["status"]
        new_status["phase"] = "Succeeded"
        new_status.setdefault("phaseTransitionTimestamps", []).append(
            {"phase": "Succeeded", "phaseTransitionTimestamp": format_time(now)}
        )
        new_status["conditions"] = cond.set_condition(
            list(new_status.get("conditions") or []), cond.ready_condition(updated, None, now)
        )
        try:
            self.store.update("virtualmachineinstances", updated)
        except st.ApiError:
            return
        self.events.record(updated, NORMAL, "Stopped", "The VirtualMachineInstance was shut down.", VIRT_HANDLER, node)
        self.vms.dirty_vms.add(key)

    def _sync(self, node: str, now: datetime) -> float | None:
        """evacuation.go sync for one node; seconds until it wants to look again, None when done."""
        settings = self.settings()
        node_obj = self.index.node(node)
        if node_obj is None:
            return None
        on_node = [
            vmi for vmi in self.index.all("virtualmachineinstances") if _dict(vmi.get("status")).get("nodeName") == node
        ]
        tainted = any(
            _dict(t).get("key") == self._taint_key() and _dict(t).get("effect") == "NoSchedule"
            for t in _dict(node_obj.get("spec")).get("taints") or []
        )
        if tainted:
            wanted = on_node
        else:
            wanted = [
                vmi
                for vmi in on_node
                if _dict(vmi.get("status")).get("evacuationNodeName") == node and not self._migrating(vmi)
            ]
        if not wanted:
            return None
        unfinished = [
            m
            for m in self.index.all("virtualmachineinstancemigrations")
            if _dict(m.get("status")).get("phase") not in FINAL
        ]
        busy = {(key_of(m)[0], str(_dict(m.get("spec")).get("vmiName") or "")) for m in unfinished}
        candidates: list[dict] = []
        not_migratable: list[dict] = []
        for vmi in sorted(wanted, key=key_of):
            if _dict(vmi.get("status")).get("phase") in FINAL or _dict(vmi.get("metadata")).get("deletionTimestamp"):
                continue
            if not migrates_on_eviction(vmi, settings):
                continue
            if not is_migratable(vmi):
                not_migratable.append(vmi)
                continue
            if key_of(vmi) in busy:
                continue
            if len(_dict(vmi.get("status")).get("activePods") or {}) > 1:
                continue
            candidates.append(vmi)
        if not candidates and not not_migratable:
            return REQUEUE_SECONDS if any(key_of(v) in busy for v in wanted) else None
        config = settings.migration_configuration()
        running = [m for m in unfinished if _dict(m.get("status")).get("phase") not in ("", "Pending")]
        names_on_node = {_dict(v.get("metadata")).get("name") for v in on_node}
        outbound = sum(1 for m in running if _dict(m.get("spec")).get("vmiName") in names_on_node)
        free = min(
            int_setting(config, "parallelMigrationsPerCluster", 5) - len(running),
            int_setting(config, "parallelOutboundMigrationsPerNode", 2) - outbound,
        )
        if free <= 0:
            return REQUEUE_SECONDS
        chosen = candidates[:free]
        for vmi in not_migratable[: free - len(chosen)]:
            mark = (key_of(vmi)[0] + "/" + key_of(vmi)[1], node)
            if mark not in self._warned:
                self._warned.add(mark)
                self.events.record(
                    vmi, NORMAL, "FailedCreate", "VirtualMachineInstance is not migrateable", EVACUATION_CONTROLLER
                )
        for vmi in chosen:
            self._create_migration(vmi, node)
        return REQUEUE_SECONDS

    def _migrating(self, vmi: dict) -> bool:
        state = _dict(_dict(vmi.get("status")).get("migrationState"))
        return bool(state.get("startTimestamp")) and not state.get("endTimestamp")

    def _create_migration(self, vmi: dict, node: str) -> None:
        namespace, name = key_of(vmi)
        migration = {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachineInstanceMigration",
            "metadata": {
                "generateName": EVACUATION_PREFIX,
                "namespace": namespace,
                "annotations": {EVACUATION_ANNOTATION: node},
            },
            "spec": {"vmiName": name},
        }
        # virt-controller's client goes through virt-api's migration mutator like any other.
        request = AdmissionRequest(
            "create",
            VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
            namespace,
            "",
            migration,
            None,
            "system:serviceaccount:harvester-system:kubevirt-controller",
        )
        migration = mutate_migration(request) or migration
        try:
            created = self.store.create("virtualmachineinstancemigrations", migration, namespace)
        except st.ApiError as error:
            self.events.record(
                vmi, WARNING, "FailedCreate", f"Error creating a Migration: {error.message}", EVACUATION_CONTROLLER
            )
            return
        self.events.record(
            vmi, NORMAL, "SuccessfulCreate", f"Created Migration {created['metadata']['name']}", EVACUATION_CONTROLLER
        )
