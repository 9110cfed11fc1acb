"""KubeVirt's migration controller and the virt-handlers at both ends of a migration, on the simulated clock.

The controller side follows pkg/virt-controller/watch/migration (sync, then updateStatus, in
KubeVirt's order of checks): phases "" -> Pending -> Scheduling -> Scheduled -> PreparingTarget ->
TargetReady -> Running -> Succeeded or Failed, each with its phaseTransitionTimestamp; extra
migrations wait in Pending while parallelMigrationsPerCluster or parallelOutboundMigrationsPerNode
is reached; the target pod is rendered as KubeVirt renders it and an unschedulable one is deleted
after the unschedulable-pod timeout (300 s, or the migration's
kubevirt.io/migrationUnschedulablePodTimeoutSeconds annotation), which fails the migration; at
hand-off the VMI's migrationState gets the target, the pods and the migration configuration (the
KubeVirt CR's, or the matching MigrationPolicy's); deleting a migration cancels it (before hand-off
at once, after it through virt-handler); a final migration gets the VMI's migrationState and loses
its finalizer.

The node side is virt-handler and virt-launcher: the target prepares (its address and ports), the
source starts the memory copy (precopy.MemoryCopy) and watches it as KubeVirt's migration monitor
does: the progress timeout ("Live migration stuck for N seconds and has been aborted"), the
completion timeout ("Live migration is not completed after N seconds and has been aborted", or
post-copy / a paused guest when allowed), and libvirt's keepalive when the peer stops answering.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Callable

from tui.domain.objects import parse_time
from tui.sim import status as st
from tui.sim.kubevirt import conditions as cond
from tui.sim.kubevirt import datasize, precopy, render
from tui.sim.kubevirt.config import KubeVirtSettings, bandwidth_limit, int_setting
from tui.sim.kubevirt.datasize import KEEPALIVE_SECONDS
from tui.sim.kubevirt.events import NORMAL, VIRT_CONTROLLER, VIRT_HANDLER, WARNING, EventRecorder
from tui.sim.kubevirt.faults import NetworkCuts
from tui.sim.kubevirt.index import ClusterIndex, Key, key_of
from tui.sim.kubevirt.kubelet import PodRuntime
from tui.sim.kubevirt.lifecycle import NODE_NAME_LABEL, VirtualMachines, is_terminal
from tui.sim.kubevirt.nodes import NodeAgents
from tui.sim.kubevirt.nodeselectors import HOST_MODEL, HostModelUnknown
from tui.sim.scenario import Simulation
from tui.sim.store import ObjectStore, copy_object, format_time

PENDING, SCHEDULING, SCHEDULED = "Pending", "Scheduling", "Scheduled"
PREPARING_TARGET, TARGET_READY, RUNNING = "PreparingTarget", "TargetReady", "Running"
SUCCEEDED, FAILED = "Succeeded", "Failed"
FINAL = (SUCCEEDED, FAILED)
VMI_NAME_LABEL = "kubevirt.io/vmi-name"
TARGET_NODE_LABEL = "kubevirt.io/migrationTargetNodeName"
ABORT_REQUESTED = "migrationAbortRequested"
UNSCHEDULABLE_TIMEOUT_ANNOTATION = "kubevirt.io/migrationUnschedulablePodTimeoutSeconds"
PENDING_TIMEOUT_ANNOTATION = "kubevirt.io/migrationPendingPodTimeoutSeconds"
UNSCHEDULABLE_TIMEOUT = 300
CATCH_ALL_TIMEOUT = 900
FINALIZED_KEPT = 5  # finalized migrations KubeVirt keeps per VMI
TARGET_PREPARE_SECONDS = 2.0
ABORT_SECONDS = 1.0
TARGET_CLEANUP_SECONDS = 1.0  # a failed migration's target launcher exits once its virt-handler sees the failure
KEEPALIVE_ERROR = (
    "Live migration failed error encountered during MigrateToURI3 libvirt api call: "
    "virError(Code=1, Domain=7, Message='internal error: connection closed due to keepalive timeout')"
)
CONNECTION_RESET = (
    "Live migration failed error encountered during MigrateToURI3 libvirt api call: "
    "virError(Code=38, Domain=7, Message='Cannot recv data: Connection reset by peer')"
)
OBSERVED_ANNOTATIONS = {
    "kubevirt.io/latest-observed-api-version": "v1",
    "kubevirt.io/storage-observed-api-version": "v1",
}


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def is_final(migration: dict) -> bool:
    return _dict(migration.get("status")).get("phase") in FINAL


def is_running_phase(phase: str) -> bool:
    """VirtualMachineInstanceMigration.IsRunning: anything but unset, Pending and the final phases."""
    return phase not in ("", PENDING, SUCCEEDED, FAILED)


def pod_ready(pod: dict | None) -> bool:
    if pod is None or _dict(pod.get("status")).get("phase") != "Running":
        return False
    return _dict(cond.find(_dict(pod.get("status")).get("conditions"), "Ready")).get("status") == "True"


def pod_unschedulable(pod: dict) -> bool:
    if _dict(pod.get("status")).get("phase") != "Pending" or _dict(pod.get("metadata")).get("deletionTimestamp"):
        return False
    scheduled = cond.find(_dict(pod.get("status")).get("conditions"), "PodScheduled")
    return scheduled is not None and scheduled.get("status") == "False" and scheduled.get("reason") == "Unschedulable"


def _annotation_seconds(migration: dict, annotation: str, default: int) -> int:
    raw = _dict(_dict(migration.get("metadata")).get("annotations")).get(annotation)
    try:
        return int(raw) if raw is not None else default
    except (TypeError, ValueError):
        return default


def target_ports(uid: str) -> dict[str, int]:
    """The three proxy ports a target virt-handler listens on, as targetDirectMigrationNodePorts maps them."""
    digest = hashlib.sha256(uid.encode()).digest()
    ports = [32768 + int.from_bytes(digest[i : i + 2], "big") % 28000 for i in (0, 2, 4)]
    return {str(ports[0]): 0, str(ports[1]): 49152, str(ports[2]): 49153}


@dataclass
class MigrationRun:
    """What the node agents remember about one migration between clock steps."""

    uid: str
    prepare_at: datetime | None = None
    copy: precopy.MemoryCopy | None = None
    last_step: datetime | None = None
    acceptable: int = 0  # completion timeout in seconds, 0 for none
    progress_timeout: int = 150
    abort_at: datetime | None = None
    unschedulable_reported: bool = False
    source_node: str = ""
    target_node: str = ""
    namespace: str = ""
    vmi_name: str = ""


class Migrations:
    """Every VirtualMachineInstanceMigration that is not final yet, driven one clock step at a time."""

    def __init__(
        self,
        store: ObjectStore,
        index: ClusterIndex,
        runtime: PodRuntime,
        vms: VirtualMachines,
        events: EventRecorder,
        settings: Callable[[], KubeVirtSettings],
        simulation: Simulation,
        cuts: NetworkCuts,
        nodes: NodeAgents,
    ) -> None:
        self.store = store
        self.index = index
        self.runtime = runtime
        self.vms = vms
        self.events = events
        self.settings = settings
        self.simulation = simulation
        self.cuts = cuts
        self.nodes = nodes
        self.active: set[Key] = set()
        self.runs: dict[str, MigrationRun] = {}
        self.on_change: list[Callable[[dict, datetime], None]] = []
        self._target_cleanups: list[tuple[datetime, Key]] = []
        self._running: list[dict] | None = None  # running_migrations(), worked out once per clock step

    def watch(self, key: Key) -> None:
        self.active.add(key)

    def store_now(self) -> datetime:
        return self.events.now()

    def install(self) -> None:
        for migration in self.index.all("virtualmachineinstancemigrations"):
            self.active.add(key_of(migration))

    # -- every clock step --------------------------------------------------------------------------

    def tick(self, now: datetime) -> None:
        def creation(key: Key) -> tuple:
            migration = self.index.get("virtualmachineinstancemigrations", *key) or {}
            return (_dict(migration.get("metadata")).get("creationTimestamp") or "", key)

        self._running = None
        for key in sorted(self.active, key=creation):
            try:
                self._step(key, now)
            except st.ApiError:
                continue  # someone changed or removed an object meanwhile: the next step sees the new state
        due = [entry for entry in self._target_cleanups if entry[0] <= now]
        self._target_cleanups = [entry for entry in self._target_cleanups if entry[0] > now]
        for _, pod_key in due:
            pod = self.index.get("pods", *pod_key)
            if pod is not None:
                self.runtime.complete(pod, now)

    def _step(self, key: Key, now: datetime) -> None:
        for _ in range(8):  # what a real controller does within milliseconds, re-run at once
            if not self._execute(key, now):
                break
        migration = self.index.get("virtualmachineinstancemigrations", *key)
        if migration is not None:
            self._node_agents(migration, now)
            for listener in self.on_change:
                listener(self.index.get("virtualmachineinstancemigrations", *key) or migration, now)

    def _write_status(self, migration: dict, status: dict) -> bool:
        if status == _dict(migration.get("status")):
            return False
        updated = copy_object(migration)
        updated["status"] = status
        self.store.update_status("virtualmachineinstancemigrations", updated)
        return True

    def _write_metadata(self, migration: dict, metadata: dict) -> bool:
        if metadata == migration.get("metadata"):
            return False
        updated = copy_object(migration)
        updated["metadata"] = metadata
        self.store.update("virtualmachineinstancemigrations", updated)
        return True

    def _execute(self, key: Key, now: datetime) -> bool:
        """One pass of KubeVirt's migration controller over one migration; True when it changed something."""
        migration = self.index.get("virtualmachineinstancemigrations", *key)
        if migration is None:
            self.active.discard(key)
            return False
        meta = copy_object(_dict(migration.get("metadata")))
        spec = _dict(migration.get("spec"))
        uid = meta.get("uid", "")
        annotations = meta.setdefault("annotations", {})
        if any(annotations.get(k) != v for k, v in OBSERVED_ANNOTATIONS.items()) or VMI_NAME_LABEL not in _dict(
            meta.get("labels")
        ):
            # The controller's first write; the label and finalizer are the mutating webhook's, for
            # migrations created without it (through the store rather than the API).
            annotations.update(OBSERVED_ANNOTATIONS)
            meta.setdefault("labels", {})[VMI_NAME_LABEL] = spec.get("vmiName", "")
            if not meta.get("deletionTimestamp") and render.MIGRATION_FINALIZER not in _list(meta.get("finalizers")):
                meta.setdefault("finalizers", []).append(render.MIGRATION_FINALIZER)
            return self._write_metadata(migration, meta)
        run = self.runs.setdefault(uid, MigrationRun(uid=uid, namespace=key[0], vmi_name=spec.get("vmiName", "")))
        vmi = self.index.get("virtualmachineinstances", key[0], spec.get("vmiName", ""))
        if vmi is None:
            return self._without_vmi(migration, now)
        if is_final(migration):
            return self._finalize(migration, vmi, now)
        changed = self._sync(migration, vmi, run, now)
        migration = self.index.get("virtualmachineinstancemigrations", *key) or migration
        vmi = self.index.get("virtualmachineinstances", key[0], spec.get("vmiName", "")) or vmi
        return self._update_status(migration, vmi, now) or changed

    def _without_vmi(self, migration: dict, now: datetime) -> bool:
        if is_final(migration):
            meta = copy_object(migration["metadata"])
            meta["finalizers"] = [f for f in _list(meta.get("finalizers")) if f != render.MIGRATION_FINALIZER]
            if not meta["finalizers"]:
                meta.pop("finalizers")
            self.active.discard(key_of(migration))
            self.runs.pop(meta.get("uid", ""), None)
            return self._write_metadata(migration, meta)
        status = copy_object(_dict(migration.get("status")))
        self._set_phase(migration, status, FAILED, now)
        self.events.record(
            migration, WARNING, "FailedMigration", "Migration failed because vmi does not exist.", VIRT_CONTROLLER
        )
        return self._write_status(migration, status)

    # -- the controller's sync -----------------------------------------------------------------------

    def _state(self, vmi: dict) -> dict:
        return _dict(_dict(vmi.get("status")).get("migrationState"))

    def _handed_off(self, migration: dict, vmi: dict) -> bool:
        return self._state(vmi).get("migrationUid") == _dict(migration.get("metadata")).get("uid")

    def _target_pod(self, migration: dict, vmi: dict) -> dict | None:
        pods = self.index.target_pods(
            _dict(vmi.get("metadata")).get("uid", ""), _dict(migration.get("metadata")).get("uid", "")
        )
        return pods[0] if pods else None

    def _can_migrate(self, migration: dict, vmi: dict) -> bool:
        current = self._state(vmi).get("migrationUid")
        if not current or current == _dict(migration.get("metadata")).get("uid"):
            return True
        for other in self.index.migrations_of(*key_of(vmi)):
            if _dict(other.get("metadata")).get("uid") == current:
                return is_final(other)
        return True

    def _sync(self, migration: dict, vmi: dict, run: MigrationRun, now: datetime) -> bool:
        if _dict(vmi.get("metadata")).get("deletionTimestamp"):
            return False
        state = self._state(vmi)
        mine = self._handed_off(migration, vmi)
        if mine and state.get("completed"):
            return False
        if not self._can_migrate(migration, vmi):
            return False
        deleting = bool(_dict(migration.get("metadata")).get("deletionTimestamp"))
        phase = _dict(migration.get("status")).get("phase") or ""
        pod = self._target_pod(migration, vmi)
        if phase == PENDING:
            if deleting:
                return self._cancel_before_hand_off(migration, pod)
            if pod is None:
                return self._create_target_pod(migration, vmi, now)
            if not pod_ready(pod):
                return self._pending_pod_timeout(migration, vmi, pod, run, now)
        elif phase == SCHEDULING:
            if deleting:
                return self._cancel_before_hand_off(migration, pod)
            if pod is not None:
                return self._pending_pod_timeout(migration, vmi, pod, run, now)
        elif phase == SCHEDULED:
            if deleting and not mine:
                return self._cancel_before_hand_off(migration, pod)
            if pod is not None and pod_ready(pod) and not mine:
                return self._hand_off(migration, vmi, pod, run, now)
        elif phase in (PREPARING_TARGET, TARGET_READY):
            if (
                (pod is None or is_terminal(pod))
                and mine
                and not state.get("startTimestamp")
                and not state.get("failed")
                and not state.get("completed")
            ):
                return self._mark_failed_on_vmi(migration, vmi, now)
        elif phase == RUNNING:
            if deleting and mine and not state.get("abortRequested"):
                updated = copy_object(vmi)
                updated["status"]["migrationState"]["abortRequested"] = True
                self.store.update("virtualmachineinstances", updated)
                self.events.record(
                    migration,
                    NORMAL,
                    "SuccessfulAbortMigration",
                    "Migration is ready to be canceled by virt-handler.",
                    VIRT_CONTROLLER,
                )
                return True
        return False

    def _cancel_before_hand_off(self, migration: dict, pod: dict | None) -> bool:
        if pod is None or _dict(pod.get("metadata")).get("deletionTimestamp"):
            return False
        namespace, name = key_of(pod)
        self.runtime.delete(pod)
        self.events.record(
            migration,
            NORMAL,
            "SuccessfulDelete",
            f"migration canceled and pod {namespace}/{name} is deleted",
            VIRT_CONTROLLER,
        )
        return True

    def running_migrations(self) -> list[dict]:
        """findRunningMigrations: migrations past Pending, and pending ones that already have a target pod."""
        found = []
        for key in sorted(self.active):
            migration = self.index.get("virtualmachineinstancemigrations", *key)
            if migration is None or is_final(migration):
                continue
            if is_running_phase(_dict(migration.get("status")).get("phase") or ""):
                found.append(migration)
                continue
            vmi = self.index.get("virtualmachineinstances", key[0], _dict(migration.get("spec")).get("vmiName", ""))
            if vmi is not None and self._target_pod(migration, vmi) is not None:
                found.append(migration)
        return found

    def _outbound(self, node: str, running: list[dict]) -> int:
        count = 0
        for migration in running:
            vmi = self.index.get(
                "virtualmachineinstances", key_of(migration)[0], _dict(migration.get("spec")).get("vmiName", "")
            )
            status = _dict((vmi or {}).get("status"))
            if vmi is not None and (
                status.get("nodeName") == node or _dict(status.get("migrationState")).get("sourceNode") == node
            ):
                count += 1
        return count

    def _create_target_pod(self, migration: dict, vmi: dict, now: datetime) -> bool:
        """handleTargetPodCreation: wait for the parallel limits, then createTargetPod."""
        active_pods = [
            p for p in self.index.pods_of_vmi(_dict(vmi.get("metadata")).get("uid", "")) if not is_terminal(p)
        ]
        if len(active_pods) > 1:
            return False
        config = self.settings().migration_configuration()
        if self._running is None:
            self._running = self.running_migrations()
        running = self._running
        if len(running) >= int_setting(config, "parallelMigrationsPerCluster", 5):
            return False
        node = _dict(vmi.get("status")).get("nodeName", "")
        if self._outbound(node, running) >= int_setting(config, "parallelOutboundMigrationsPerNode", 2):
            return False
        if _dict(vmi.get("status")).get("phase") != "Running":
            return False
        source_pod = self.vms.launcher_pod(vmi)
        if source_pod is None:
            return False
        source_node = self.index.node(node)
        try:
            pod = render.target_pod(
                vmi, migration, source_pod, source_node, self.settings(), self.runtime.name(*key_of(vmi))
            )
        except HostModelUnknown:
            return False  # KubeVirt cannot render the target pod; it retries until the node is labelled
        try:
            created = self.runtime.create(pod, now)
        except st.ApiError as error:
            self.events.record(vmi, WARNING, "FailedCreate", f"Error creating pod: {error.message}", VIRT_CONTROLLER)
            return False
        self.events.record(
            migration,
            NORMAL,
            "SuccessfulCreate",
            f"Created migration target pod {created['metadata']['name']}",
            VIRT_CONTROLLER,
        )
        running.append(migration)
        return True

    def _pending_pod_timeout(self, migration: dict, vmi: dict, pod: dict, run: MigrationRun, now: datetime) -> bool:
        """handlePendingPodTimeout: report an unschedulable target pod, delete it when it waited too long."""
        pod_meta = _dict(pod.get("metadata"))
        if _dict(pod.get("status")).get("phase") != "Pending" or pod_meta.get("deletionTimestamp"):
            return False
        created = parse_time(pod_meta.get("creationTimestamp")) or now
        spent = max(int((now - created).total_seconds()), 0)
        unschedulable_timeout = _annotation_seconds(migration, UNSCHEDULABLE_TIMEOUT_ANNOTATION, UNSCHEDULABLE_TIMEOUT)
        catch_all = _annotation_seconds(migration, PENDING_TIMEOUT_ANNOTATION, CATCH_ALL_TIMEOUT)
        namespace, name = key_of(vmi)
        if pod_unschedulable(pod):
            if not run.unschedulable_reported or spent >= unschedulable_timeout:
                run.unschedulable_reported = True
                self._alert_host_model(vmi, pod)
                self.events.record(
                    migration,
                    WARNING,
                    "migrationTargetPodUnschedulable",
                    f"Migration target pod for VMI [{namespace}/{name}] is currently unschedulable.",
                    VIRT_CONTROLLER,
                )
            if spent >= unschedulable_timeout:
                return self._delete_timed_out(
                    migration,
                    pod,
                    f"unschedulable pod {pod_meta.get('namespace')}/{pod_meta.get('name')} timeout period exceeded",
                )
        if spent >= catch_all:
            return self._delete_timed_out(
                migration,
                pod,
                f"pending pod {pod_meta.get('namespace')}/{pod_meta.get('name')} timeout period exceeded",
            )
        return False

    def _delete_timed_out(self, migration: dict, pod: dict, message: str) -> bool:
        self.runtime.delete(pod)
        self.events.record(migration, NORMAL, "SuccessfulDelete", message, VIRT_CONTROLLER)
        return True

    def _alert_host_model(self, vmi: dict, pod: dict) -> None:
        """NoSuitableNodesForHostModelMigration when no other node has the host-model labels the pod asks for."""
        if _dict(_dict(_dict(vmi.get("spec")).get("domain")).get("cpu")).get("model") != HOST_MODEL:
            return
        required = {
            key: value
            for key, value in _dict(_dict(pod.get("spec")).get("nodeSelector")).items()
            if key.startswith("cpu-model-migration.node.kubevirt.io/")
            or key.startswith("cpu-feature.node.kubevirt.io/")
        }
        source = _dict(vmi.get("status")).get("nodeName")
        for name in self.index.node_names():
            if name == source:
                continue
            labels = _dict(_dict((self.index.node(name) or {}).get("metadata")).get("labels"))
            if all(labels.get(key) == value for key, value in required.items()):
                return
        rendered = "map[" + " ".join(f"{key}:{value}" for key, value in sorted(required.items())) + "]"
        self.events.record(
            vmi,
            WARNING,
            "NoSuitableNodesForHostModelMigration",
            f"Migration cannot proceed since no node is suitable to run the required CPU model / required features: {rendered}",
            VIRT_CONTROLLER,
        )

    def migration_configuration(self, vmi: dict) -> tuple[dict, str]:
        """The configuration KubeVirt fixes at hand-off, and the name of the policy it came from ("" for none)."""
        settings = self.settings()
        config = settings.migration_configuration()
        meta = _dict(vmi.get("metadata"))
        labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else None
        policy = datasize.match_policy(
            self.index.all("migrationpolicies"), labels, self.index.namespace_labels(meta.get("namespace") or "default")
        )
        if policy is None:
            return config, ""
        return datasize.policy_configuration(config, policy, settings.version), str(
            _dict(policy.get("metadata")).get("name") or ""
        )

    def _hand_off(self, migration: dict, vmi: dict, pod: dict, run: MigrationRun, now: datetime) -> bool:
        """handleTargetPodHandoff: the VMI's migrationState names the target; virt-handler takes over."""
        updated = copy_object(vmi)
        target = _dict(pod.get("spec")).get("nodeName", "")
        config, policy = self.migration_configuration(vmi)
        state: dict[str, Any] = {
            "migrationUid": _dict(migration.get("metadata")).get("uid", ""),
            "targetNode": target,
            "sourceNode": _dict(vmi.get("status")).get("nodeName", ""),
            "targetPod": _dict(pod.get("metadata")).get("name", ""),
            "migrationConfiguration": config,
        }
        source_pod = _dict(_dict(migration.get("status")).get("migrationState")).get("sourcePod")
        if source_pod:
            state["sourcePod"] = source_pod
        if policy:
            state["migrationPolicyName"] = policy
        updated["status"]["migrationState"] = state
        updated["status"]["activePods"] = self._active_pods(vmi)
        updated["metadata"].setdefault("labels", {})[TARGET_NODE_LABEL] = target
        self.store.update("virtualmachineinstances", updated)
        run.prepare_at = now + timedelta(seconds=TARGET_PREPARE_SECONDS)
        run.source_node, run.target_node = state["sourceNode"], target
        self.events.record(
            migration,
            NORMAL,
            "SuccessfulHandOver",
            "Migration target pod is ready for preparation by virt-handler.",
            VIRT_CONTROLLER,
        )
        return True

    def _active_pods(self, vmi: dict, leaving: dict | None = None) -> dict[str, str]:
        """status.activePods: every pod of the VMI that has not finished, but `leaving`."""
        return {
            pod["metadata"]["uid"]: pod["spec"]["nodeName"]
            for pod in self.index.pods_of_vmi(_dict(vmi.get("metadata")).get("uid", ""))
            if not is_terminal(pod) and _dict(pod.get("spec")).get("nodeName") and pod is not leaving
        }

    def _mark_failed_on_vmi(self, migration: dict, vmi: dict, now: datetime) -> bool:
        """handleMarkMigrationFailedOnVMI: the target pod went away before the copy started."""
        updated = copy_object(vmi)
        state = updated["status"]["migrationState"]
        moment = format_time(now)
        state.update(
            {
                "startTimestamp": moment,
                "endTimestamp": moment,
                "failed": True,
                "completed": True,
                "failureReason": "Target pod is down",
            }
        )
        self.store.update("virtualmachineinstances", updated)
        uid = _dict(migration.get("metadata")).get("uid", "")
        self.events.record(
            vmi,
            WARNING,
            "FailedMigration",
            f"VirtualMachineInstance migration uid {uid} failed. reason: Target pod is down",
            VIRT_CONTROLLER,
        )
        return True

    # -- the controller's updateStatus -----------------------------------------------------------------

    def _set_phase(self, migration: dict, status: dict, phase: str, now: datetime) -> None:
        if status.get("phase") == phase:
            return
        status["phase"] = phase
        status.setdefault("phaseTransitionTimestamps", []).append(
            {"phase": phase, "phaseTransitionTimestamp": format_time(now)}
        )

    def _fail(self, migration: dict, status: dict, message: str, now: datetime) -> None:
        self._set_phase(migration, status, FAILED, now)
        self.events.record(migration, WARNING, "FailedMigration", message, VIRT_CONTROLLER)

    def _update_status(self, migration: dict, vmi: dict, now: datetime) -> bool:
        status = copy_object(_dict(migration.get("status")))
        meta = _dict(migration.get("metadata"))
        deleting = bool(meta.get("deletionTimestamp"))
        phase = status.get("phase") or ""
        pod = self._target_pod(migration, vmi)
        state = self._state(vmi)
        mine = self._handed_off(migration, vmi)
        vmi_phase = _dict(vmi.get("status")).get("phase")
        target_created = phase not in ("", PENDING)
        handed_off_phase = phase not in ("", PENDING, SCHEDULING, SCHEDULED)
        has_abort = cond.find(status.get("conditions"), ABORT_REQUESTED) is not None
        if vmi_phase in ("Succeeded", "Failed"):
            self._fail(migration, status, "Migration failed vmi shutdown during migration.", now)
        elif deleting and not mine:
            if not has_abort:
                status.setdefault("conditions", []).append(
                    {
                        "lastProbeTime": format_time(now),
                        "lastTransitionTime": None,
                        "status": "True",
                        "type": ABORT_REQUESTED,
                    }
                )
            self._fail(migration, status, "Migration failed due to being canceled", now)
        elif pod is not None and is_terminal(pod):
            self._fail(migration, status, "Migration failed because target pod shutdown during migration", now)
        elif target_created and pod is None:
            self._fail(migration, status, "Migration target pod was removed during active migration.", now)
        elif handed_off_phase and not state:
            self._fail(migration, status, "VMI's migration state was cleared during the active migration.", now)
        elif handed_off_phase and state and not mine:
            self._fail(
                migration,
                status,
                "VMI's migration state was taken over by another migration job during active migration.",
                now,
            )
        elif mine and state.get("failed"):
            self._fail(migration, status, "source node reported migration failed", now)
        elif deleting and not has_abort:
            status.setdefault("conditions", []).append(
                {
                    "lastProbeTime": format_time(now),
                    "lastTransitionTime": None,
                    "status": "True",
                    "type": ABORT_REQUESTED,
                }
            )
        else:
            self._process_phase(migration, status, vmi, pod, now)
        if status.get("phase") not in FINAL:
            source = self.vms.launcher_pod(vmi)
            if source is not None:
                status.setdefault("migrationState", {})["sourcePod"] = source["metadata"]["name"]
        return self._write_status(migration, status)

    def _process_phase(self, migration: dict, status: dict, vmi: dict, pod: dict | None, now: datetime) -> None:
        phase = status.get("phase") or ""
        state = self._state(vmi)
        mine = self._handed_off(migration, vmi)
        if phase == "":
            if self._can_migrate(migration, vmi):
                self._set_phase(migration, status, PENDING, now)
            else:
                self._fail(
                    migration,
                    status,
                    "VMI is not eligible for migration because another migration job is in progress.",
                    now,
                )
        elif phase == PENDING:
            if pod is not None:
                self._set_phase(migration, status, SCHEDULING, now)
        elif phase == SCHEDULING:
            if pod_ready(pod):
                self._set_phase(migration, status, SCHEDULED, now)
        elif phase == SCHEDULED:
            if mine:
                self._set_phase(migration, status, PREPARING_TARGET, now)
        elif phase == PREPARING_TARGET:
            if state.get("targetNode") and state.get("targetNodeAddress"):
                self._set_phase(migration, status, TARGET_READY, now)
        elif phase == TARGET_READY:
            if state.get("startTimestamp"):
                self._set_phase(migration, status, RUNNING, now)
        elif phase == RUNNING:
            if state.get("completed") and not state.get("failed"):
                self._set_phase(migration, status, SUCCEEDED, now)
                self.events.record(
                    migration,
                    NORMAL,
                    "SuccessfulMigration",
                    "Source node reported migration succeeded",
                    VIRT_CONTROLLER,
                )

    def _finalize(self, migration: dict, vmi: dict, now: datetime) -> bool:
        """A final migration: keep the VMI's migrationState, drop the finalizer, collect old migrations."""
        changed = False
        state = self._state(vmi)
        uid = _dict(migration.get("metadata")).get("uid", "")
        if self._handed_off(migration, vmi) and state.get("startTimestamp") and not state.get("completed"):
            # Failed while memory was being copied (its target pod went away): the source loses its peer.
            self._finish(
                vmi,
                self.runs.get(uid) or MigrationRun(uid=uid, source_node=state.get("sourceNode", "")),
                now,
                failure=CONNECTION_RESET,
            )
            vmi = self.index.get("virtualmachineinstances", *key_of(vmi)) or vmi
            changed = True
        if self._handed_off(migration, vmi):
            status = copy_object(_dict(migration.get("status")))
            status["migrationState"] = copy_object(self._state(vmi))
            changed = self._write_status(migration, status)
            migration = self.index.get("virtualmachineinstancemigrations", *key_of(migration)) or migration
        for listener in self.on_change:
            listener(migration, self.store_now())
        meta = copy_object(migration["metadata"])
        if render.MIGRATION_FINALIZER in _list(meta.get("finalizers")):
            meta["finalizers"] = [f for f in meta["finalizers"] if f != render.MIGRATION_FINALIZER]
            if not meta["finalizers"]:
                meta.pop("finalizers")
            changed = self._write_metadata(migration, meta) or changed
        self.active.discard(key_of(migration))
        self.runs.pop(meta.get("uid", ""), None)
        self._collect_garbage(vmi)
        return changed

    def _collect_garbage(self, vmi: dict) -> None:
        finalized = [
            m
            for m in self.index.migrations_of(*key_of(vmi))
            if is_final(m) and not _dict(m.get("metadata")).get("deletionTimestamp")
        ]
        for migration in finalized[: max(len(finalized) - FINALIZED_KEPT, 0)]:
            try:
                self.store.delete("virtualmachineinstancemigrations", *key_of(migration))
            except st.ApiError:
                pass

    # -- virt-handler and virt-launcher ------------------------------------------------------------------

    def _node_agents(self, migration: dict, now: datetime) -> None:
        """The source and target virt-handlers' part of a migration that has been handed off."""
        uid = _dict(migration.get("metadata")).get("uid", "")
        run = self.runs.get(uid)
        vmi = self.index.get(
            "virtualmachineinstances", key_of(migration)[0], _dict(migration.get("spec")).get("vmiName", "")
        )
        if run is None or vmi is None or not self._handed_off(migration, vmi):
            return
        state = self._state(vmi)
        if state.get("completed") or state.get("failed"):
            return
        pod = self._target_pod(migration, vmi)
        if not state.get("targetNodeAddress"):
            if run.prepare_at is not None and now >= run.prepare_at and pod_ready(pod):
                self._prepare_target(vmi, pod, uid)
            return
        if not state.get("startTimestamp"):
            self._start_copy(vmi, run, now)
            return
        self._monitor(vmi, run, now)

    def _prepare_target(self, vmi: dict, pod: dict, uid: str) -> None:
        updated = copy_object(vmi)
        state = updated["status"]["migrationState"]
        address = _dict(pod.get("status")).get("podIP", "")
        ports = target_ports(uid)
        state["targetNodeAddress"] = address
        state["targetDirectMigrationNodePorts"] = ports
        self.store.update("virtualmachineinstances", updated)
        host = _dict(pod.get("spec")).get("nodeName", "")
        self.events.record(
            updated,
            NORMAL,
            "PreparingTarget",
            f"Migration Target is listening at {address}, on ports: {','.join(ports)}",
            VIRT_HANDLER,
            host,
        )
        self.events.record(
            updated, NORMAL, "PreparingTarget", "VirtualMachineInstance Migration Target Prepared.", VIRT_HANDLER, host
        )

    def _start_copy(self, vmi: dict, run: MigrationRun, now: datetime) -> None:
        state = self._state(vmi)
        config = _dict(state.get("migrationConfiguration"))
        version = self.settings().version
        run.acceptable = datasize.acceptable_completion_seconds(
            int_setting(config, "completionTimeoutPerGiB", 150), vmi, version
        )
        run.progress_timeout = int_setting(config, "progressTimeout", 150)
        namespace, name = key_of(vmi)
        run.copy = precopy.MemoryCopy.start(
            datasize.guest_memory(vmi) + datasize.ephemeral_bytes(vmi), self.simulation.dirty_rate(namespace, name)
        )
        run.last_step = now
        run.source_node, run.target_node = state.get("sourceNode", ""), state.get("targetNode", "")
        updated = copy_object(vmi)
        updated["status"]["migrationState"].update({"startTimestamp": format_time(now), "mode": precopy.PRE_COPY})
        self.store.update("virtualmachineinstances", updated)
        self.events.record(
            updated, NORMAL, "Migrating", "VirtualMachineInstance is migrating.", VIRT_HANDLER, run.source_node
        )

    def bandwidth(self, run: MigrationRun, now: datetime) -> float:
        """What the link between the two nodes gives this migration now: the migration network's
        bandwidth shared by the copies leaving the source and entering the target, capped by
        bandwidthPerMigration; nothing when the nodes cannot reach each other."""
        if (
            self.cuts.is_cut(run.source_node, run.target_node, now)
            or self.nodes.is_down(run.source_node)
            or self.nodes.is_down(run.target_node)
        ):
            return 0.0
        copying = [r for r in self.runs.values() if r.copy is not None and not r.copy.done]
        outgoing = sum(1 for r in copying if r.source_node == run.source_node) or 1
        incoming = sum(1 for r in copying if r.target_node == run.target_node) or 1
        share = self.simulation.migration_bandwidth / max(outgoing, incoming)
        vmi = self.index.get("virtualmachineinstances", run.namespace, run.vmi_name)
        limit = bandwidth_limit(_dict(self._state(vmi or {}).get("migrationConfiguration")))
        return min(share, limit) if limit else share

    def _monitor(self, vmi: dict, run: MigrationRun, now: datetime) -> None:
        """virt-launcher's migration monitor: abort on request, step the copy, enforce the timeouts."""
        state = self._state(vmi)
        if run.copy is None:  # a migration that was running when the scenario was dumped
            namespace, name = key_of(vmi)
            run.copy = precopy.MemoryCopy.start(
                datasize.guest_memory(vmi) + datasize.ephemeral_bytes(vmi), self.simulation.dirty_rate(namespace, name)
            )
            run.last_step = now
            run.source_node, run.target_node = state.get("sourceNode", ""), state.get("targetNode", "")
        if state.get("abortRequested"):
            if not state.get("abortStatus"):
                updated = copy_object(vmi)
                updated["status"]["migrationState"]["abortStatus"] = "Aborting"
                self.store.update("virtualmachineinstances", updated)
                self.events.record(
                    updated,
                    NORMAL,
                    "Migrating",
                    "VirtualMachineInstance is aborting migration.",
                    VIRT_HANDLER,
                    run.source_node,
                )
                run.abort_at = now + timedelta(seconds=ABORT_SECONDS)
            elif run.abort_at is None or now >= run.abort_at:
                self._finish(vmi, run, now, failure=self.settings().abort_reason, abort_status="Succeeded")
            return
        seconds = (now - run.last_step).total_seconds() if run.last_step else 0.0
        run.last_step = now
        run.copy = precopy.advance(run.copy, seconds, self.bandwidth(run, now))
        copy = run.copy
        if copy.done:
            self._finish(vmi, run, now)
            return
        if copy.silent_for >= KEEPALIVE_SECONDS:
            self._finish(vmi, run, now, failure=KEEPALIVE_ERROR)
            return
        if copy.mode == precopy.POST_COPY:
            return
        if run.progress_timeout > 0 and copy.stuck_for > run.progress_timeout:
            self._finish(
                vmi,
                run,
                now,
                failure=f"Live migration stuck for {int(copy.stuck_for)} seconds and has been aborted",
                abort_status="Succeeded",
            )
            return
        allowed = run.acceptable * (2 if copy.mode == precopy.PAUSED else 1)
        if run.acceptable > 0 and int(copy.elapsed) > allowed:
            self._on_completion_timeout(vmi, run, now, allowed)

    def _on_completion_timeout(self, vmi: dict, run: MigrationRun, now: datetime, allowed: int) -> None:
        config = _dict(self._state(vmi).get("migrationConfiguration"))
        post_copy = config.get("allowPostCopy") is True
        disruption = config.get("allowWorkloadDisruption")
        if disruption is None:
            disruption = post_copy
        assert run.copy is not None
        if disruption and run.copy.mode == precopy.PRE_COPY:
            mode = precopy.POST_COPY if post_copy else precopy.PAUSED
            run.copy = precopy.switch_mode(run.copy, mode)
            updated = copy_object(vmi)
            updated["status"]["migrationState"]["mode"] = mode
            self.store.update("virtualmachineinstances", updated)
            return
        self._finish(
            vmi,
            run,
            now,
            failure=f"Live migration is not completed after {allowed} seconds and has been aborted",
            abort_status="Succeeded",
        )

    def _finish(self, vmi: dict, run: MigrationRun, now: datetime, failure: str = "", abort_status: str = "") -> None:
        """The migration's end as virt-handler reports it: the VMI moves (success) or stays (failure)."""
        updated = copy_object(vmi)
        status = updated["status"]
        state = status["migrationState"]
        moment = format_time(now)
        state.update({"endTimestamp": moment, "completed": True})
        target_pod = next(
            (
                p
                for p in self.index.pods_of_vmi(updated["metadata"].get("uid", ""))
                if p["metadata"]["name"] == state.get("targetPod")
            ),
            None,
        )
        source_pod = self.vms.launcher_pod(vmi)
        run.copy = replace(run.copy, done=True) if run.copy is not None else None
        if failure:
            state["failed"] = True
            state["failureReason"] = failure
            if abort_status:
                state["abortStatus"] = abort_status
            status["activePods"] = self._active_pods(vmi, leaving=target_pod)
            self.store.update("virtualmachineinstances", updated)
            self.events.record(
                updated,
                WARNING,
                "Migrated",
                f"VirtualMachineInstance migration uid {state.get('migrationUid', '')} failed. reason:{failure}",
                VIRT_HANDLER,
                run.source_node,
            )
            if target_pod is not None:
                self._target_cleanups.append((now + timedelta(seconds=TARGET_CLEANUP_SECONDS), key_of(target_pod)))
            return
        target = state.get("targetNode", "")
        state.update({"targetNodeDomainDetected": True, "targetNodeDomainReadyTimestamp": moment})
        status["nodeName"] = target
        status.pop("evacuationNodeName", None)  # migration-target.go ackMigrationCompletion: it has left the node
        updated["metadata"].setdefault("labels", {})[NODE_NAME_LABEL] = target
        if target_pod is not None:
            status["interfaces"] = render.interface_status(
                updated["spec"], *key_of(updated), _dict(target_pod.get("status")).get("podIP", "")
            )
            status["activePods"] = self._active_pods(vmi, leaving=source_pod)
            status["conditions"] = cond.set_condition(
                _list(status.get("conditions")), cond.ready_condition(updated, target_pod, now)
            )
        target_labels = _dict(_dict((self.index.node(target) or {}).get("metadata")).get("labels"))
        status["conditions"] = cond.set_condition(
            _list(status.get("conditions")), cond.live_migratable(updated, target_labels, self.settings().version)
        )
        self.store.update("virtualmachineinstances", updated)
        self.events.record(
            updated, NORMAL, "Migrated", f"The VirtualMachineInstance migrated to node {target}.", VIRT_HANDLER, target
        )
        self.events.record(updated, NORMAL, "Deleted", "Signaled Deletion", VIRT_HANDLER, run.source_node)
        if source_pod is not None:
            self.runtime.complete(source_pod, now)
