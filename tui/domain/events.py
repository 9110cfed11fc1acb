"""Kubernetes Events about a VM, its VMI and its migrations, as `kubectl describe` lists them.

KubeVirt records with client-go's legacy EventRecorder (core/v1 Event: firstTimestamp, lastTimestamp,
count, source.component and, for virt-handler, source.host; eventTime null), on the VMI (virt-handler,
the evacuation and workload-update controllers) and on the migration (the migration controller): pkg/virt-controller/watch/migration/migration.go,
pkg/virt-controller/watch/drain/evacuation/evacuation.go and pkg/virt-handler at KubeVirt v1.4.0 and v1.6.0. Newer recorders fill eventTime and series instead;
both are read here. Reasons and messages are data: shown, never interpreted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tui.domain.objects import parse_time

# The kinds whose events a VM's details show.
VM_KINDS = frozenset({"VirtualMachine", "VirtualMachineInstance", "VirtualMachineInstanceMigration"})


@dataclass(frozen=True)
class ClusterEvent:
    """One core/v1 Event."""

    name: str
    type: str  # Normal | Warning
    reason: str
    message: str
    kind: str  # involvedObject.kind
    object_name: str  # involvedObject.name
    component: str  # source.component, else reportingComponent
    host: str  # source.host
    first: datetime | None
    last: datetime | None
    count: int

    @property
    def warning(self) -> bool:
        return self.type == "Warning"


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_event(obj: Any) -> ClusterEvent:
    obj = _dict(obj)
    involved, source, series = _dict(obj.get("involvedObject")), _dict(obj.get("source")), _dict(obj.get("series"))
    event_time = parse_time(obj.get("eventTime"))
    first = parse_time(obj.get("firstTimestamp")) or event_time
    last = parse_time(obj.get("lastTimestamp")) or parse_time(series.get("lastObservedTime")) or first
    count = obj.get("count")
    if not isinstance(count, int) or isinstance(count, bool):
        count = series.get("count") if isinstance(series.get("count"), int) else 1
    return ClusterEvent(
        name=_str(_dict(obj.get("metadata")).get("name")),
        type=_str(obj.get("type")),
        reason=_str(obj.get("reason")),
        message=_str(obj.get("message")),
        kind=_str(involved.get("kind")),
        object_name=_str(involved.get("name")),
        component=_str(source.get("component")) or _str(obj.get("reportingComponent")),
        host=_str(source.get("host")),
        first=first,
        last=last,
        count=max(int(count), 1),
    )


def newest_first(events: Iterable[ClusterEvent], limit: int | None = None) -> tuple[ClusterEvent, ...]:
    """By last time seen, newest first (events without a time last), at most `limit`."""
    ordered = sorted(
        events,
        key=lambda e: (e.last is not None, e.last.timestamp() if e.last is not None else 0.0, e.name),
        reverse=True,
    )
    return tuple(ordered[:limit] if limit is not None else ordered)
