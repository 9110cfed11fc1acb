"""KubeVirt's VM and VMI controllers and virt-handler's VM start-up: a VMI and a launcher pod for every running VM.

A VM that should run (runStrategy Always, RerunOnFailure or Once, or running: true) gets a VMI; the
VMI gets a launcher pod, goes Scheduling, Scheduled when its pod runs, and Running once virt-handler
has started the domain. A VM told to stop loses its VMI; a deleted VMI loses its pods and then its
finalizers. Each VM's status (printableStatus, created, ready, conditions) follows its VMI.

At start-up the cluster is taken as it was before the simulation began: VMs that should run get a
VMI that is already Running on the node the scheduler picks, and VMIs the scenario already holds
(a dumped cluster) are kept as they are, given a launcher pod if the dump had none.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

from tui.domain.objects import parse_time
from tui.sim import status as st
from tui.sim.kubevirt import conditions as cond
from tui.sim.kubevirt import render
from tui.sim.kubevirt.config import KubeVirtSettings
from tui.sim.kubevirt.events import NORMAL, VIRT_CONTROLLER, VIRT_HANDLER, WARNING, EventRecorder
from tui.sim.kubevirt.filters import pod_requests
from tui.sim.kubevirt.index import MIGRATION_JOB_LABEL, ClusterIndex, Key, key_of, labels_of
from tui.sim.kubevirt.kubelet import PodRuntime
from tui.sim.kubevirt.problems import scenario_object
from tui.sim.kubevirt.render import moment as format_time
from tui.sim.kubevirt.restart_required import RestartRequired
from tui.sim.store import ObjectStore, copy_object

DOMAIN_START_SECONDS = 2.0  # from a running launcher pod to a running guest
NODE_NAME_LABEL = "kubevirt.io/nodeName"
# Finalizers of KubeVirt's VM controller and Harvester's VM controller, removed once the VMI is gone.
VM_FINALIZER_PREFIXES = ("kubevirt.io/", "wrangler.cattle.io/VMController.")
RUN = "run"
STOP = "stop"
KEEP = "keep"


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def desired_state(vm: dict) -> str:
    """What the VM controller makes of a VM's run strategy: run it, stop it, or leave it (Manual)."""
    spec = _dict(vm.get("spec"))
    strategy = spec.get("runStrategy")
    if strategy in ("Always", "RerunOnFailure", "Once"):
        return RUN
    if strategy == "Halted":
        return STOP
    if strategy:
        return KEEP
    return RUN if spec.get("running") is True else STOP


def restarts_when_final(vm: dict) -> bool:
    """runStrategy Always (or the legacy running: true): a VMI that ended is deleted and started again
    (pkg/virt-controller/watch/vm/vm.go syncRunStrategy, case RunStrategyAlways, KubeVirt v1.6.0)."""
    spec = _dict(vm.get("spec"))
    strategy = spec.get("runStrategy")
    return strategy == "Always" or (not strategy and spec.get("running") is True)


def started_before(vm: dict, now: datetime) -> datetime:
    """When a VM running before the simulation began was started: up to a month back (the same for
    the same VM every time), never before the VM was created."""
    meta = _dict(vm.get("metadata"))
    hours = 1 + int(render.stable_uuid("uptime", meta.get("namespace", ""), meta.get("name", ""))[:4], 16) % 720
    started = now - timedelta(hours=hours)
    created = parse_time(meta.get("creationTimestamp"))
    return max(started, created) if created is not None and created < now else started


def is_terminal(pod: dict) -> bool:
    return _dict(pod.get("status")).get("phase") in ("Succeeded", "Failed")


def _phase_transition(status: dict, phase: str, now: datetime) -> None:
    status["phase"] = phase
    status.setdefault("phaseTransitionTimestamps", []).append(
        {"phase": phase, "phaseTransitionTimestamp": format_time(now)}
    )


class VirtualMachines:
    """VMs, their VMIs and their launcher pods."""

    def __init__(
        self,
        store: ObjectStore,
        index: ClusterIndex,
        runtime: PodRuntime,
        events: EventRecorder,
        settings: Callable[[], KubeVirtSettings],
    ) -> None:
        self.store = store
        self.index = index
        self.runtime = runtime
        self.events = events
        self.settings = settings
        self.dirty_vms: set[Key] = set()
        self.dirty_vmis: set[Key] = set()
        self._domain_start: dict[Key, datetime] = {}
        self.restarts = RestartRequired()

    # -- lookups -----------------------------------------------------------------------------------

    def launcher_pod(self, vmi: dict) -> dict | None:
        """The pod the VMI runs in now: on its node, not finished, not being deleted."""
        meta, status = _dict(vmi.get("metadata")), _dict(vmi.get("status"))
        node = status.get("nodeName")
        candidates = [
            pod
            for pod in self.index.pods_of_vmi(meta.get("uid", ""))
            if not is_terminal(pod) and not _dict(pod.get("metadata")).get("deletionTimestamp")
        ]
        if node:
            on_node = [pod for pod in candidates if _dict(pod.get("spec")).get("nodeName") == node]
            return on_node[0] if on_node else None
        starting = [pod for pod in candidates if MIGRATION_JOB_LABEL not in labels_of(pod)]
        return starting[0] if starting else None

    def node_labels(self, vmi: dict) -> dict | None:
        node = self.index.node(_dict(vmi.get("status")).get("nodeName", ""))
        return _dict(_dict(node.get("metadata")).get("labels")) if node else None

    # -- start-up -----------------------------------------------------------------------------------

    def install(self, now: datetime) -> None:
        for vmi in sorted(self.index.all("virtualmachineinstances"), key=key_of):
            with scenario_object("VirtualMachineInstance", *key_of(vmi)):
                self._adopt_vmi(vmi, now)
        for vm in sorted(self.index.all("virtualmachines"), key=key_of):
            key = key_of(vm)
            with scenario_object("VirtualMachine", *key):
                if desired_state(vm) == RUN and self.index.get("virtualmachineinstances", *key) is None:
                    self._settle(vm, now)
        for vm in sorted(self.index.all("virtualmachines"), key=key_of):
            with scenario_object("VirtualMachine", *key_of(vm)):
                self.refresh_vm(key_of(vm), now)
        # Everything written so far is settled; only VMIs still starting need the next steps.
        self.dirty_vms = set()
        self.dirty_vmis = {
            key_of(vmi)
            for vmi in self.index.all("virtualmachineinstances")
            if _dict(vmi.get("status")).get("phase") not in ("Running", "Succeeded", "Failed")
        }

    def _adopt_vmi(self, vmi: dict, now: datetime) -> None:
        """A VMI from the scenario: give it a launcher pod when the dump had none, track it otherwise."""
        status = _dict(vmi.get("status"))
        node = status.get("nodeName")
        pods = [
            pod for pod in self.index.pods_of_vmi(_dict(vmi.get("metadata")).get("uid", "")) if not is_terminal(pod)
        ]
        for pod in pods:
            self.runtime.adopt(pod, now)
        if (
            status.get("phase") in ("Running", "Scheduled")
            and self.index.node(node or "") is not None
            and self.launcher_pod(vmi) is None
        ):
            pod = render.launcher_pod(vmi, self.settings(), self.runtime.name(key_of(vmi)[0], key_of(vmi)[1]))
            started = parse_time(_dict(vmi.get("metadata")).get("creationTimestamp")) or now
            self.runtime.create_running(pod, node, now, started)
        if status.get("phase") == "Running" and cond.find(status.get("conditions"), cond.LIVE_MIGRATABLE) is None:
            updated = copy_object(vmi)
            updated["status"]["conditions"] = cond.set_condition(
                _list(updated["status"].get("conditions")),
                cond.live_migratable(updated, self.node_labels(updated), self.settings().version),
            )
            self.store.update("virtualmachineinstances", updated)

    def _settle(self, vm: dict, now: datetime) -> None:
        """A VM that was already running when the simulation began: VMI and pod, Running, placed now."""
        settings = self.settings()
        vmi = render.vmi_from_vm(vm, settings, now)
        namespace, name = key_of(vmi)
        vmi["metadata"]["uid"] = render.stable_uuid("vmi", namespace, name)
        pod = render.launcher_pod(vmi, settings, self.runtime.name(namespace, name))
        requests = pod_requests(pod)
        placement = self.runtime.place(pod, exhaustive=False, requests=requests)
        if placement.node is None:
            # No room: it starts like a new VM and stays unschedulable, as a real one would.
            self.store.create("virtualmachineinstances", vmi, namespace)
            return
        started = started_before(vm, now)
        created = self.runtime.create_running(pod, placement.node, now, started, requests=requests)
        self._make_running(vmi, created, started, settle=True)
        vmi["metadata"]["creationTimestamp"] = format_time(started)
        self.store.restore("virtualmachineinstances", vmi)

    def _make_running(self, vmi: dict, pod: dict, now: datetime, settle: bool = False) -> None:
        """Fill the status virt-handler and virt-controller report for a VMI whose guest runs in `pod`."""
        settings = self.settings()
        spec, meta = vmi["spec"], vmi["metadata"]
        namespace, name = key_of(vmi)
        node = _dict(pod.get("spec")).get("nodeName", "")
        pod_ip = _dict(pod.get("status")).get("podIP", "")
        vm = self.index.get("virtualmachines", namespace, name)
        status = vmi.setdefault("status", {})
        if settle:
            status["phaseTransitionTimestamps"] = []
            for phase in ("Pending", "Scheduling", "Scheduled"):
                _phase_transition(status, phase, now)
        _phase_transition(status, "Running", now)
        meta.setdefault("labels", {})[NODE_NAME_LABEL] = node
        status["nodeName"] = node
        domain = _dict(spec.get("domain"))
        memory = _dict(domain.get("memory")).get("guest") or _dict(_dict(domain.get("resources")).get("requests")).get(
            "memory"
        )
        cpu = _dict(domain.get("cpu"))
        status.update(
            {
                "activePods": {_dict(pod.get("metadata")).get("uid", ""): node},
                "currentCPUTopology": {part: cpu.get(part, 1) for part in ("cores", "sockets", "threads")},
                "guestOSInfo": status.get("guestOSInfo") or {},
                "interfaces": render.interface_status(spec, namespace, name, pod_ip),
                "launcherContainerImageVersion": settings.image("virt-launcher"),
                "machine": {"type": settings.machine_type},
                "migrationMethod": "BlockMigration" if render.is_block_migration(spec) else "LiveMigration",
                "migrationTransport": "Unix",
                "qosClass": "Burstable",
                "runtimeUser": 107,
                "selinuxContext": "none",
                "volumeStatus": render.volume_status(spec, vm),
            }
        )
        if memory:
            status["memory"] = {"guestAtBoot": memory, "guestCurrent": memory, "guestRequested": memory}
        conditions = cond.set_condition([], cond.ready_condition(vmi, pod, now))
        conditions = cond.set_condition(
            conditions, cond.live_migratable(vmi, self.node_labels(vmi) or {}, settings.version)
        )
        if settings.version >= (1, 4, 0):
            conditions = cond.set_condition(
                conditions,
                {
                    "lastProbeTime": None,
                    "lastTransitionTime": None,
                    "status": "True",
                    "type": cond.STORAGE_LIVE_MIGRATABLE,
                },
            )
        status["conditions"] = conditions

    # -- every clock step --------------------------------------------------------------------------

    def tick(self, now: datetime) -> None:
        for key in sorted(k for k, at in self._domain_start.items() if at <= now):
            self._domain_start.pop(key, None)
            self.dirty_vmis.add(key)
        while self.dirty_vms or self.dirty_vmis:
            vms, self.dirty_vms = sorted(self.dirty_vms), set()
            for key in vms:
                try:
                    self._reconcile_vm(key, now)
                except st.ApiError:
                    continue  # changed or removed meanwhile: its next change brings it back
            vmis, self.dirty_vmis = sorted(self.dirty_vmis), set()
            for key in vmis:
                try:
                    self._reconcile_vmi(key, now)
                    self.refresh_vm(key, now)
                except st.ApiError:
                    continue

    def _reconcile_vm(self, key: Key, now: datetime) -> None:
        vm = self.index.get("virtualmachines", *key)
        if vm is None:
            return
        vmi = self.index.get("virtualmachineinstances", *key)
        if _dict(vm.get("metadata")).get("deletionTimestamp"):
            self._delete_vm(vm, vmi)
            return
        wanted = desired_state(vm)
        vmi_meta, vmi_status = _dict((vmi or {}).get("metadata")), _dict((vmi or {}).get("status"))
        if (
            vmi is not None
            and restarts_when_final(vm)
            and vmi_status.get("phase") in ("Succeeded", "Failed")
            and not vmi_meta.get("deletionTimestamp")
        ):
            # An evicted or shut down guest of an Always VM: stopVMI, then the next sync starts a new VMI,
            # which the scheduler places anew (a cordoned node is not chosen).
            self._delete_vmi(vmi)
            self.events.record(
                vm,
                NORMAL,
                "SuccessfulDelete",
                f"Stopped the virtual machine by deleting the virtual machine instance {vmi_meta.get('uid', '')}",
                VIRT_CONTROLLER,
            )
        elif wanted == RUN and vmi is None:
            try:
                created = self.store.create(
                    "virtualmachineinstances", render.vmi_from_vm(vm, self.settings(), now), key[0]
                )
            except (st.ApiError, AttributeError, TypeError, ValueError) as error:
                # A VM KubeVirt's own admission would have refused: say so on the VM, as the controller does.
                message = (
                    error.message if isinstance(error, st.ApiError) else f"the VM's template cannot be read: {error}"
                )
                self.events.record(
                    vm, WARNING, "FailedCreate", f"Error creating virtual machine instance: {message}", VIRT_CONTROLLER
                )
                return
            self.events.record(
                vm,
                NORMAL,
                "SuccessfulCreate",
                f"Started the virtual machine by creating the new virtual machine instance {key[1]}",
                VIRT_CONTROLLER,
            )
            self.dirty_vmis.add(key_of(created))
        elif wanted == STOP and vmi is not None and not _dict(vmi.get("metadata")).get("deletionTimestamp"):
            uid = _dict(vmi.get("metadata")).get("uid", "")
            self._delete_vmi(vmi)
            self.events.record(
                vm,
                NORMAL,
                "SuccessfulDelete",
                f"Stopped the virtual machine by deleting the virtual machine instance {uid}",
                VIRT_CONTROLLER,
            )
        self.refresh_vm(key, now)

    def _delete_vm(self, vm: dict, vmi: dict | None) -> None:
        """A deleted VM: its VMI goes first, then KubeVirt's finalizer and Harvester's clean-up ones."""
        if vmi is not None:
            if not _dict(vmi.get("metadata")).get("deletionTimestamp"):
                self._delete_vmi(vmi)
            return
        finalizers = _list(_dict(vm.get("metadata")).get("finalizers"))
        kept = [f for f in finalizers if not f.startswith(VM_FINALIZER_PREFIXES)]
        if kept != finalizers:
            updated = copy_object(vm)
            updated["metadata"]["finalizers"] = kept
            self.store.update("virtualmachines", updated)

    def _delete_vmi(self, vmi: dict) -> None:
        try:
            self.store.delete("virtualmachineinstances", *key_of(vmi))
        except st.ApiError:
            return
        self.dirty_vmis.add(key_of(vmi))

    def _reconcile_vmi(self, key: Key, now: datetime) -> None:
        vmi = self.index.get("virtualmachineinstances", *key)
        if vmi is None:
            return
        meta, status = _dict(vmi.get("metadata")), _dict(vmi.get("status"))
        if meta.get("deletionTimestamp"):
            self._finalize(vmi, now)
            return
        phase = status.get("phase") or ""
        pod = self.launcher_pod(vmi)
        if phase in ("", "Pending"):
            self._start(vmi, now)
        elif phase == "Scheduling":
            if pod is not None and _dict(pod.get("status")).get("phase") == "Running":
                updated = copy_object(vmi)
                node = _dict(pod.get("spec")).get("nodeName", "")
                updated["metadata"].setdefault("labels", {})[NODE_NAME_LABEL] = node
                updated["status"]["nodeName"] = node
                _phase_transition(updated["status"], "Scheduled", now)
                self.store.update("virtualmachineinstances", updated)
                self._domain_start[key] = now + timedelta(seconds=DOMAIN_START_SECONDS)
        elif phase == "Scheduled":
            if pod is not None and key not in self._domain_start:
                updated = copy_object(vmi)
                self._make_running(updated, pod, now)
                self.store.update("virtualmachineinstances", updated)
                host = _dict(pod.get("spec")).get("nodeName", "")
                self.events.record(updated, NORMAL, "Created", "VirtualMachineInstance defined.", VIRT_HANDLER, host)
                self.events.record(updated, NORMAL, "Started", "VirtualMachineInstance started.", VIRT_HANDLER, host)
        elif phase == "Running":
            self.refresh_conditions(vmi, now)

    def _start(self, vmi: dict, now: datetime) -> None:
        """virt-controller: create the launcher pod of a new VMI and move it to Scheduling."""
        if self.launcher_pod(vmi) is None:
            namespace, name = key_of(vmi)
            pod = self.runtime.create(
                render.launcher_pod(vmi, self.settings(), self.runtime.name(namespace, name)), now
            )
            self.events.record(
                vmi,
                NORMAL,
                "SuccessfulCreate",
                f"Created virtual machine pod {pod['metadata']['name']}",
                VIRT_CONTROLLER,
            )
        updated = copy_object(vmi)
        status = updated.setdefault("status", {})
        if status.get("phase") != "Pending":
            _phase_transition(status, "Pending", now)
        _phase_transition(status, "Scheduling", now)
        status["conditions"] = cond.set_condition(
            _list(status.get("conditions")), cond.ready_condition(updated, None, now)
        )
        self.store.update("virtualmachineinstances", updated)

    def _finalize(self, vmi: dict, now: datetime) -> None:
        """A deleted VMI: its pods go, then its finalizers (the guest has been shut down)."""
        for pod in self.index.pods_of_vmi(_dict(vmi.get("metadata")).get("uid", "")):
            if not _dict(pod.get("metadata")).get("deletionTimestamp"):
                self.runtime.delete(pod)
                self.events.record(
                    vmi,
                    NORMAL,
                    "SuccessfulDelete",
                    f"Deleted virtual machine pod {pod['metadata']['name']}",
                    VIRT_CONTROLLER,
                )
        updated = copy_object(vmi)
        updated["metadata"].pop("finalizers", None)
        self.store.update("virtualmachineinstances", updated)

    def refresh_conditions(self, vmi: dict, now: datetime) -> None:
        """Recompute Ready (from the launcher pod) and LiveMigratable of a running VMI; write if changed."""
        status = _dict(vmi.get("status"))
        conditions = _list(status.get("conditions"))
        updated_conditions = cond.set_condition(conditions, cond.ready_condition(vmi, self.launcher_pod(vmi), now))
        updated_conditions = cond.set_condition(
            updated_conditions, cond.live_migratable(vmi, self.node_labels(vmi), self.settings().version)
        )
        if updated_conditions != conditions:
            updated = copy_object(vmi)
            updated["status"]["conditions"] = updated_conditions
            self.store.update("virtualmachineinstances", updated)

    def refresh_vm(self, key: Key, now: datetime) -> None:
        """Write the VM's status as the VM controller derives it from its VMI, when it changed."""
        vm = self.index.get("virtualmachines", *key)
        if vm is None:
            return
        vmi = self.index.get("virtualmachineinstances", *key)
        status = cond.vm_status(vm, vmi, self.launcher_pod(vmi) if vmi else None, now)
        status["conditions"] = self.restarts.conditions(key, vm, vmi, status["conditions"], now)
        current = _dict(vm.get("status"))
        if _without_probe_times(status) == _without_probe_times(current):
            return
        updated = dict(vm)  # the store copies what it is given
        updated["status"] = status
        self.store.update_status("virtualmachines", updated)


def _without_probe_times(status: dict) -> dict:
    """A VM status compared without the probe times that change on every look."""
    stripped = dict(status)
    stripped["conditions"] = [
        {k: v for k, v in _dict(c).items() if k != "lastProbeTime"} for c in _list(status.get("conditions"))
    ]
    return stripped
