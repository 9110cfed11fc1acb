"""Pods from creation to running: kube-scheduler's binding loop and the kubelet's start-up, on the simulated clock.

A new pod is tried on the next clock step. Bound, it runs and is Ready a few seconds later (the
launcher starts its VM), unless its node is not Ready: a kubelet that does not post Ready starts
nothing, and the pod waits, bound and Pending, until the node is Ready again. A pod no node can take gets PodScheduled=False/Unschedulable with
kube-scheduler's message and a FailedScheduling event, and is tried again every ten seconds.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from tui.sim import status as st
from tui.sim.kubevirt import render
from tui.sim.kubevirt.events import NORMAL, SCHEDULER, WARNING, EventRecorder
from tui.sim.kubevirt.index import ClusterIndex, Key, key_of
from tui.sim.kubevirt.scheduler import AddressBook, Placement, Scheduler
from tui.sim.store import ObjectStore, copy_object

START_SECONDS = 4.0  # from binding to a running launcher with its VM defined
RETRY_SECONDS = 10.0  # kube-scheduler's longest back-off for an unschedulable pod
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def node_ready(node: dict) -> bool:
    """The node's Ready condition is True."""
    for condition in _dict(node.get("status")).get("conditions") or []:
        if _dict(condition).get("type") == "Ready":
            return condition.get("status") == "True"
    return False


class PodRuntime:
    """Schedules and starts the pods the simulated KubeVirt creates."""

    def __init__(self, store: ObjectStore, index: ClusterIndex, events: EventRecorder, seed: str) -> None:
        self.store = store
        self.index = index
        self.events = events
        self.scheduler = Scheduler(index)
        self.addresses = AddressBook()
        self._random = random.Random(seed)
        self._pending: dict[Key, datetime] = {}
        self._starting: dict[Key, tuple[datetime, datetime]] = {}

    def name(self, namespace: str, vmi_name: str) -> str:
        """A launcher pod name as generateName would make it (deterministic for a given scenario)."""
        base = f"virt-launcher-{vmi_name}-"[:58]
        while True:
            candidate = base + "".join(self._random.choice(_NAME_ALPHABET) for _ in range(5))
            if (namespace, candidate) not in self.index.objects["pods"]:
                return candidate

    def create(self, pod: dict, now: datetime) -> dict:
        """Create a pending pod; it is scheduled on the next clock step."""
        created = self.store.create("pods", pod, pod["metadata"]["namespace"])
        self._pending[key_of(created)] = now
        return created

    def create_running(
        self, pod: dict, node_name: str, now: datetime, started: datetime, requests: dict[str, int] | None = None
    ) -> dict:
        """Create a pod that is already bound and running (a cluster as it was before the simulation)."""
        node = self.index.node(node_name) or {"metadata": {"name": node_name}}
        pod["spec"]["nodeName"] = node_name
        pod["status"] = render.running_status(
            pod, self.addresses.host_ip(node), self.addresses.pod_ip(node), started, started
        )
        if requests is not None:
            self.index.expect_pod(key_of(pod), requests)
        # It existed before the simulation began: stored as loaded, created when it started.
        pod["metadata"]["creationTimestamp"] = render.moment(started)
        return self.store.restore("pods", pod)

    def place(self, pod: dict, exhaustive: bool = True, requests: dict[str, int] | None = None) -> Placement:
        return self.scheduler.place(pod, exhaustive=exhaustive, requests=requests)

    def forget(self, key: Key) -> None:
        self._pending.pop(key, None)
        self._starting.pop(key, None)

    def adopt(self, pod: dict, now: datetime) -> None:
        """Take over a pod found in the cluster that is not running yet."""
        key = key_of(pod)
        status = _dict(pod.get("status"))
        if status.get("phase") in ("Succeeded", "Failed", "Running"):
            return
        if not _dict(pod.get("spec")).get("nodeName"):
            self._pending.setdefault(key, now)
        else:
            self._starting.setdefault(key, (now, now + timedelta(seconds=START_SECONDS)))

    # -- every clock step ------------------------------------------------------------------------

    def tick(self, now: datetime) -> None:
        for key, due in sorted(self._pending.items(), key=lambda item: (item[1], item[0])):
            if due <= now:
                try:
                    self._schedule(key, now)
                except st.ApiError:
                    self.forget(key)  # deleted or changed meanwhile
        for key, (bound, ready_at) in sorted(self._starting.items(), key=lambda item: (item[1][1], item[0])):
            if ready_at <= now:
                try:
                    self._start(key, bound, now)
                except st.ApiError:
                    self.forget(key)

    def _schedule(self, key: Key, now: datetime) -> None:
        pod = self.index.get("pods", *key)
        if pod is None or _dict(pod.get("metadata")).get("deletionTimestamp") or _dict(pod.get("spec")).get("nodeName"):
            self._pending.pop(key, None)
            return
        placement = self.place(pod)
        if placement.node is None:
            self._pending[key] = now + timedelta(seconds=RETRY_SECONDS)
            updated = copy_object(pod)
            current = render.unschedulable_status(placement.message, now)
            previous = [c for c in updated.get("status", {}).get("conditions", []) if c.get("type") == "PodScheduled"]
            if previous and previous[0].get("message") == placement.message:
                current["conditions"][0]["lastTransitionTime"] = previous[0].get("lastTransitionTime")
            updated["status"] = current
            self.store.update_status("pods", updated)
            self.events.record(updated, WARNING, "FailedScheduling", placement.message, SCHEDULER)
            return
        self._pending.pop(key, None)
        self.bind(pod, placement.node, now)

    def bind(self, pod: dict, node_name: str, now: datetime) -> None:
        """What the scheduler's binding does: spec.nodeName, PodScheduled=True, a Scheduled event."""
        key = key_of(pod)
        binding = copy_object(pod)
        binding["spec"]["nodeName"] = node_name
        bound = self.store.update("pods", binding)
        bound["status"] = render.scheduled_status(now)
        self.store.update_status("pods", bound)
        namespace, name = key
        self.events.record(
            bound, NORMAL, "Scheduled", f"Successfully assigned {namespace}/{name} to {node_name}", SCHEDULER
        )
        self._starting[key] = (now, now + timedelta(seconds=START_SECONDS))

    def _start(self, key: Key, bound: datetime, now: datetime) -> None:
        self._starting.pop(key, None)
        pod = self.index.get("pods", *key)
        if pod is None or _dict(pod.get("metadata")).get("deletionTimestamp"):
            return
        node = self.index.node(_dict(pod.get("spec")).get("nodeName", "")) or {}
        if not node_ready(node):
            self._starting[key] = (bound, now + timedelta(seconds=START_SECONDS))
            return
        updated = copy_object(pod)
        updated["status"] = render.running_status(
            pod, self.addresses.host_ip(node), self.addresses.pod_ip(node), bound, now
        )
        self.store.update_status("pods", updated)

    # -- endings -----------------------------------------------------------------------------------

    def complete(self, pod: dict, now: datetime) -> None:
        """The launcher in this pod exited normally: the pod is Succeeded (Completed)."""
        self.forget(key_of(pod))
        if _dict(pod.get("status")).get("phase") in ("Succeeded", "Failed"):
            return
        updated = copy_object(pod)
        updated["status"] = render.completed_status(pod, now)
        self.store.update_status("pods", updated)

    def delete(self, pod: dict) -> None:
        self.forget(key_of(pod))
        namespace, name = key_of(pod)
        try:
            self.store.delete("pods", namespace, name)
        except st.ApiError:
            pass  # already gone: what the caller wanted
