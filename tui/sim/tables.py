"""Server-side Table output (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), as `kubectl get` shows it.

Custom resources get the CRD's additionalPrinterColumns evaluated with the same simple JSONPath the
apiextensions table convertor supports; built-in types get the columns of kube's own printers
(pkg/printers/internalversion) for the few cells livemig's scenarios need.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Callable, Mapping

import orjson

from tui.sim.resources import _AGE, AGE_DESCRIPTION, NAME_COLUMN, PrinterColumn, ResourceType

TABLE_API_VERSION = "meta.k8s.io/v1"

# ---------------------------------------------------------------------------------------------
# Durations and timestamps
# ---------------------------------------------------------------------------------------------


def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration: "45s", "3m20s", "5h12m", "12d"."""
    whole = int(seconds)
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 120:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        rest = whole % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = whole // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


_TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def since(value: Any, now: datetime) -> str:
    """translateTimestampSince: the age of a timestamp, "<unknown>" when there is none."""
    moment = _parse_time(value)
    if moment is None:
        return "<unknown>"
    return human_duration((now - moment).total_seconds())


# ---------------------------------------------------------------------------------------------
# JSONPath for printer columns
# ---------------------------------------------------------------------------------------------

_STEP = re.compile(
    r"""\.(?P<field>[A-Za-z0-9_\-$]+)
      | \[(?P<index>-?\d+)\]
      | \[(?P<star>\*)\]
      | \[\?\(@(?P<filter_path>(?:\.[A-Za-z0-9_\-]+)+)\s*(?P<op>==|!=)\s*(?P<literal>'[^']*'|"[^"]*"|-?\d+(?:\.\d+)?|true|false)\)\]
      | \['(?P<quoted>[^']+)'\]
    """,
    re.X,
)


class JSONPathError(ValueError):
    pass


def compile_json_path(path: str) -> list[tuple[str, Any]]:
    """Steps of a simple JSONPath (`.a.b[0]`, `[*]`, `[?(@.type=='Ready')]`)."""
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    if text.startswith("$"):
        text = text[1:]
    steps: list[tuple[str, Any]] = []
    position = 0
    while position < len(text):
        match = _STEP.match(text, position)
        if not match:
            raise JSONPathError(f"unrecognized JSONPath at {text[position:]!r}")
        if match.group("field") is not None:
            steps.append(("field", match.group("field")))
        elif match.group("quoted") is not None:
            steps.append(("field", match.group("quoted")))
        elif match.group("index") is not None:
            steps.append(("index", int(match.group("index"))))
        elif match.group("star"):
            steps.append(("star", None))
        else:
            literal = match.group("literal")
            if literal[0] in "'\"":
                value: Any = literal[1:-1]
            elif literal in ("true", "false"):
                value = literal == "true"
            else:
                value = float(literal) if "." in literal else int(literal)
            steps.append(("filter", (match.group("filter_path")[1:].split("."), match.group("op"), value)))
        position = match.end()
    return steps


def evaluate_json_path(steps: list[tuple[str, Any]], obj: Any) -> list[Any]:
    """Every value the path reaches (possibly none)."""
    current = [obj]
    for kind, argument in steps:
        following: list[Any] = []
        for value in current:
            if kind == "field":
                if isinstance(value, Mapping) and argument in value:
                    following.append(value[argument])
            elif kind == "index":
                if isinstance(value, list) and -len(value) <= argument < len(value):
                    following.append(value[argument])
            elif kind == "star":
                if isinstance(value, list):
                    following.extend(value)
                elif isinstance(value, Mapping):
                    following.extend(value.values())
            else:
                path, op, literal = argument
                if isinstance(value, list):
                    for item in value:
                        found = item
                        for key in path:
                            found = found.get(key) if isinstance(found, Mapping) else None
                        if (found == literal) == (op == "=="):
                            following.append(item)
        current = following
    return current


def _print_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return orjson.dumps(value).decode()


def _json_path_cell(column: PrinterColumn, obj: Mapping[str, Any], now: datetime) -> Any:
    try:
        results = evaluate_json_path(compile_json_path(column.json_path), obj)
    except JSONPathError:
        return None
    if not results or results[0] is None:
        return None
    value = results[0]
    if column.type == "string":
        return _print_value(value)
    if column.type == "date":
        return (
            since(value, now)
            if isinstance(value, str) and _parse_time(value)
            else ("<invalid>" if isinstance(value, str) else None)
        )
    if column.type == "integer":
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if column.type == "number":
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if column.type == "boolean":
        return value if isinstance(value, bool) else None
    return None


# ---------------------------------------------------------------------------------------------
# Built-in printers' cells
# ---------------------------------------------------------------------------------------------


def _get(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _pod_ready(pod: Mapping[str, Any], now: datetime) -> str:
    total = len(_list(_get(pod, "spec", "containers")))
    ready = sum(
        1
        for status in _list(_get(pod, "status", "containerStatuses"))
        if isinstance(status, Mapping) and status.get("ready")
    )
    return f"{ready}/{total}"


def _pod_status(pod: Mapping[str, Any], now: datetime) -> str:
    reason = _get(pod, "status", "reason") or _get(pod, "status", "phase") or ""
    for status in reversed(_list(_get(pod, "status", "containerStatuses"))):
        waiting = _get(status, "state", "waiting")
        terminated = _get(status, "state", "terminated")
        if isinstance(waiting, Mapping) and waiting.get("reason"):
            reason = waiting["reason"]
        elif isinstance(terminated, Mapping):
            if terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated.get("signal"):
                reason = f"Signal:{terminated['signal']}"
            else:
                reason = f"ExitCode:{terminated.get('exitCode', 0)}"
    if _get(pod, "metadata", "deletionTimestamp"):
        reason = "Unknown" if _get(pod, "status", "reason") == "NodeLost" else "Terminating"
    return str(reason)


def _pod_restarts(pod: Mapping[str, Any], now: datetime) -> str:
    restarts = 0
    last: datetime | None = None
    for status in _list(_get(pod, "status", "containerStatuses")):
        restarts += int(_get(status, "restartCount") or 0)
        finished = _parse_time(_get(status, "lastState", "terminated", "finishedAt"))
        if finished and (last is None or finished > last):
            last = finished
    if restarts and last is not None:
        return f"{restarts} ({human_duration((now - last).total_seconds())} ago)"
    return str(restarts)


def _none(value: Any) -> str:
    return str(value) if value else "<none>"


def _not_set(value: Any) -> str:
    """kubectl's PodDisruptionBudget printer: N/A for a bound that is not set (0 is a bound)."""
    return "N/A" if value is None else str(value)


def _node_status(node: Mapping[str, Any], now: datetime) -> str:
    states: list[str] = []
    for condition in _list(_get(node, "status", "conditions")):
        if isinstance(condition, Mapping) and condition.get("type") == "Ready":
            states.append("Ready" if condition.get("status") == "True" else "NotReady")
            break
    if not states:
        states.append("Unknown")
    if _get(node, "spec", "unschedulable"):
        states.append("SchedulingDisabled")
    return ",".join(states)


def _node_roles(node: Mapping[str, Any], now: datetime) -> str:
    roles: set[str] = set()
    for key, value in (_get(node, "metadata", "labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/"):
            role = key.split("/", 1)[1]
            if role:
                roles.add(role)
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return ",".join(sorted(roles)) if roles else "<none>"


def _node_address(kind: str) -> Callable[[Mapping[str, Any], datetime], str]:
    def cell(node: Mapping[str, Any], now: datetime) -> str:
        for address in _list(_get(node, "status", "addresses")):
            if isinstance(address, Mapping) and address.get("type") == kind:
                return str(address.get("address", ""))
        return "<none>"

    return cell


def _node_info(field: str) -> Callable[[Mapping[str, Any], datetime], str]:
    def cell(node: Mapping[str, Any], now: datetime) -> str:
        value = _get(node, "status", "nodeInfo", field)
        return str(value) if value else ("" if field == "kubeletVersion" else "<unknown>")

    return cell


def _event_last_seen(event: Mapping[str, Any], now: datetime) -> str:
    for field in ("lastTimestamp", "eventTime", "firstTimestamp"):
        value = _get(event, field)
        if value:
            return since(value, now)
    series = _get(event, "series", "lastObservedTime")
    return since(series, now) if series else since(_get(event, "metadata", "creationTimestamp"), now)


def _event_first_seen(event: Mapping[str, Any], now: datetime) -> str:
    value = _get(event, "firstTimestamp") or _get(event, "eventTime")
    return since(value, now)


def _event_object(event: Mapping[str, Any], now: datetime) -> str:
    kind = str(_get(event, "involvedObject", "kind") or "").lower()
    return f"{kind}/{_get(event, 'involvedObject', 'name') or ''}"


def _event_source(event: Mapping[str, Any], now: datetime) -> str:
    component = _get(event, "source", "component") or _get(event, "reportingComponent") or ""
    host = _get(event, "source", "host") or _get(event, "reportingInstance") or ""
    return f"{component}, {host}" if host else str(component)


def _event_count(event: Mapping[str, Any], now: datetime) -> int:
    count = _get(event, "count") or _get(event, "series", "count") or 1
    return int(count) if isinstance(count, (int, float)) else 1


CELL_RULES: dict[str, Callable[[Mapping[str, Any], datetime], Any]] = {
    "name": lambda obj, now: str(_get(obj, "metadata", "name") or ""),
    "age": lambda obj, now: since(_get(obj, "metadata", "creationTimestamp"), now),
    "namespace.status": lambda obj, now: str(_get(obj, "status", "phase") or ""),
    "node.status": _node_status,
    "node.roles": _node_roles,
    "node.version": _node_info("kubeletVersion"),
    "node.internal_ip": _node_address("InternalIP"),
    "node.external_ip": _node_address("ExternalIP"),
    "node.os_image": _node_info("osImage"),
    "node.kernel_version": _node_info("kernelVersion"),
    "node.container_runtime": _node_info("containerRuntimeVersion"),
    "pdb.min_available": lambda obj, now: _not_set(_get(obj, "spec", "minAvailable")),
    "pdb.max_unavailable": lambda obj, now: _not_set(_get(obj, "spec", "maxUnavailable")),
    "pdb.allowed": lambda obj, now: int(_get(obj, "status", "disruptionsAllowed") or 0),
    "pod.ready": _pod_ready,
    "pod.status": _pod_status,
    "pod.restarts": _pod_restarts,
    "pod.ip": lambda obj, now: _none(_get(obj, "status", "podIP")),
    "pod.node": lambda obj, now: _none(_get(obj, "spec", "nodeName")),
    "pod.nominated_node": lambda obj, now: _none(_get(obj, "status", "nominatedNodeName")),
    "pod.readiness_gates": lambda obj, now: (
        f"{sum(1 for c in _list(_get(obj, 'status', 'conditions')) if isinstance(c, Mapping) and c.get('status') == 'True' and c.get('type') in {g.get('conditionType') for g in _list(_get(obj, 'spec', 'readinessGates')) if isinstance(g, Mapping)})}/{len(_list(_get(obj, 'spec', 'readinessGates')))}"
        if _list(_get(obj, "spec", "readinessGates"))
        else "<none>"
    ),
    "event.last_seen": _event_last_seen,
    "event.type": lambda obj, now: str(_get(obj, "type") or ""),
    "event.reason": lambda obj, now: str(_get(obj, "reason") or ""),
    "event.object": _event_object,
    "event.subobject": lambda obj, now: str(_get(obj, "involvedObject", "fieldPath") or ""),
    "event.source": _event_source,
    "event.message": lambda obj, now: str(_get(obj, "message") or "").strip(),
    "event.first_seen": _event_first_seen,
    "event.count": _event_count,
    "event.name": lambda obj, now: str(_get(obj, "metadata", "name") or ""),
}


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


def table_columns(resource: ResourceType) -> tuple[PrinterColumn, ...]:
    """The columns of this resource's Table, Name first as the real servers put it."""
    if resource.builtin:
        return resource.columns or (
            NAME_COLUMN,
            PrinterColumn("Age", "date", compute="age", description=AGE_DESCRIPTION),
        )
    return (NAME_COLUMN,) + (
        resource.columns
        or (PrinterColumn(_AGE.name, _AGE.type, json_path=_AGE.json_path, description=AGE_DESCRIPTION),)
    )


def column_definitions(resource: ResourceType) -> list[dict[str, Any]]:
    return [
        {
            "name": column.name,
            "type": "string" if column.type == "date" and column.compute else column.type,
            "format": column.format,
            "description": column.description,
            "priority": column.priority,
        }
        for column in table_columns(resource)
    ]


def row_cells(resource: ResourceType, obj: Mapping[str, Any], now: datetime) -> list[Any]:
    cells: list[Any] = []
    for column in table_columns(resource):
        if column.compute:
            cells.append(CELL_RULES[column.compute](obj, now))
        else:
            cells.append(_json_path_cell(column, obj, now))
    return cells


def row_object(obj: Mapping[str, Any], include_object: str) -> dict[str, Any] | None:
    """The row's `object`: the partial metadata (default), the whole object, or nothing."""
    if include_object == "None":
        return None
    if include_object == "Object":
        return dict(obj)
    return {"kind": "PartialObjectMetadata", "apiVersion": TABLE_API_VERSION, "metadata": obj.get("metadata", {})}


def to_table(
    resource: ResourceType,
    objects: list[Mapping[str, Any]],
    now: datetime,
    list_metadata: dict[str, Any] | None = None,
    include_object: str = "Metadata",
    headers: bool = True,
) -> dict[str, Any]:
    """A meta.k8s.io/v1 Table of `objects`; `headers=False` leaves out the column definitions (watch events)."""
    rows = []
    for obj in objects:
        row: dict[str, Any] = {"cells": row_cells(resource, obj, now)}
        embedded = row_object(obj, include_object)
        if embedded is not None:
            row["object"] = embedded
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": TABLE_API_VERSION,
        "metadata": list_metadata or {},
        "columnDefinitions": column_definitions(resource) if headers else [],
        "rows": rows,
    }
