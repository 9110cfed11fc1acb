"""Events as client-go's legacy recorder writes them: one Event per object, reason, message and source, counted.

KubeVirt records with the core/v1 EventRecorder, so an event carries source.component (and
source.host for virt-handler), firstTimestamp, lastTimestamp and count, and eventTime is null. The
same event again bumps count and lastTimestamp of the existing object, as the recorder's correlator
does, instead of creating a new one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from tui.sim import status as st
from tui.sim.store import ObjectStore, format_time

NORMAL = "Normal"
WARNING = "Warning"

VIRT_CONTROLLER = "virtualmachine-controller"
# virt-controller's evacuation controller records with a recorder of its own
# (pkg/virt-controller/watch/application.go initEvacuationController, KubeVirt v1.6.0).
EVACUATION_CONTROLLER = "evacuation-controller"
VIRT_HANDLER = "virt-handler"
SCHEDULER = "default-scheduler"


def _involved(obj: dict) -> dict:
    meta = obj.get("metadata") or {}
    involved = {
        "apiVersion": obj.get("apiVersion", ""),
        "kind": obj.get("kind", ""),
        "name": meta.get("name", ""),
        "namespace": meta.get("namespace", ""),
        "uid": meta.get("uid", ""),
    }
    if meta.get("resourceVersion"):
        involved["resourceVersion"] = meta["resourceVersion"]
    return involved


class EventRecorder:
    """Records events for simulated components into the store, aggregating repeats."""

    def __init__(self, store: ObjectStore, now: Callable[[], datetime]) -> None:
        self.store = store
        self.now = now
        self._names: dict[tuple, tuple[str, str]] = {}
        self._sequence = 0

    def record(self, obj: dict, type_: str, reason: str, message: str, component: str, host: str = "") -> None:
        """Record one event about `obj` (as the component, on `host` for node agents)."""
        involved = _involved(obj)
        namespace = involved["namespace"] or "default"
        identity = (
            involved["uid"],
            involved["kind"],
            involved["name"],
            namespace,
            type_,
            reason,
            message,
            component,
            host,
        )
        now = format_time(self.now())
        known = self._names.get(identity)
        if known is not None and self.store.exists("events", known[0], known[1]):
            current = self.store.get("events", known[0], known[1])
            current["count"] = int(current.get("count") or 1) + 1
            current["lastTimestamp"] = now
            current["involvedObject"] = involved
            self.store.update("events", current, known[0])
            return
        self._sequence += 1
        # client-go names events "<object>.<hex of UnixNano>"; the sequence keeps same-instant events apart.
        stamp = int(self.now().timestamp() * 1_000_000_000) + self._sequence
        source = {"component": component}
        if host:
            source["host"] = host
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{involved['name']}.{stamp:x}", "namespace": namespace},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "type": type_,
            "eventTime": None,
            "reportingComponent": "",
            "reportingInstance": "",
        }
        try:
            created = self.store.create("events", event, namespace)
        except st.ApiError:
            return  # a namespace being deleted takes no new events, as on a real server
        self._names[identity] = (namespace, created["metadata"]["name"])
