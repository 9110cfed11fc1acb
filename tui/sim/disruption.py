"""Evictions and PodDisruptionBudgets: the eviction subresource's rules and the disruption controller.

The eviction (kubernetes pkg/registry/core/pod/storage/eviction.go): a pod that has finished, is
Pending or is already being deleted goes without looking at budgets; otherwise the one budget whose
selector matches it must allow a disruption (more than one is refused with 500, none means no
limit). A budget that has not seen its latest spec, or allows no disruption, answers 429; an allowed
eviction takes one from `disruptionsAllowed` and notes the pod in `disruptedPods` until the pod is
gone. A pod that is not Ready is evicted without counting when the budget is healthy
(unhealthyPodEvictionPolicy IfHealthyBudget, the default) or always (AlwaysAllow).

The disruption controller (pkg/controller/disruption/disruption.go) recomputes each budget's status
from the pods its selector matches: expectedPods is their number, desiredHealthy is minAvailable
(an integer, or a percentage of expectedPods rounded up) or expectedPods less maxUnavailable
(likewise), currentHealthy counts the Ready pods not being deleted nor just evicted, and
disruptionsAllowed = max(currentHealthy - desiredHealthy, 0). The real controller takes the
expected count from the pods' controllers' scale; here the pods themselves stand in for it.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tui.sim import status as st
from tui.sim.kubevirt.scheduler import selector_matches
from tui.sim.store import DELETED, Change, ObjectStore, copy_object, format_time

if TYPE_CHECKING:
    from tui.sim.runtime import SimCluster

BUDGETS = "poddisruptionbudgets"
DISRUPTED_POD_SECONDS = 120  # DeletionTimeout: an eviction not followed by a deletion stops counting


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _labels(obj: dict) -> dict:
    return _dict(_dict(obj.get("metadata")).get("labels"))


def check_eviction(body: Any, pod_name: str) -> dict:
    """The Eviction a request carries, or a 400 worded as the API server words it."""
    if not isinstance(body, dict):
        raise st.bad_request("the body of the request was not a JSON object")
    api_version, kind = body.get("apiVersion"), body.get("kind")
    if kind and kind != "Eviction":
        raise st.bad_request(f"the kind in the data ({kind}) does not match the expected kind (Eviction)")
    if api_version and api_version not in ("policy/v1", "policy/v1beta1"):
        raise st.bad_request(f"the API version in the data ({api_version}) is not policy/v1")
    name = _dict(body.get("metadata")).get("name")
    if name and name != pod_name:
        raise st.bad_request(f"name in URL does not match name in Eviction object ({name} != {pod_name})")
    options = body.get("deleteOptions")
    if options is not None and not isinstance(options, dict):
        raise st.bad_request("deleteOptions must be an object")
    return body


def pod_ready(pod: dict) -> bool:
    for condition in _dict(pod.get("status")).get("conditions") or []:
        if _dict(condition).get("type") == "Ready":
            return condition.get("status") == "True"
    return False


def _ignores_budgets(pod: dict) -> bool:
    """canIgnorePDB: finished or Pending pods, and pods already being deleted."""
    phase = _dict(pod.get("status")).get("phase")
    return phase in ("Succeeded", "Failed", "Pending") or bool(_dict(pod.get("metadata")).get("deletionTimestamp"))


def budgets_of(store: ObjectStore, pod: dict) -> list[dict]:
    namespace = _dict(pod.get("metadata")).get("namespace", "")
    return [
        pdb
        for pdb in store.list(BUDGETS, namespace)
        if selector_matches(_dict(pdb.get("spec")).get("selector"), _labels(pod))
    ]


def evict(store: ObjectStore, pod: dict, options: dict, dry_run: bool, now: datetime) -> None:
    """Check the pod's budget and delete the pod (under the store lock); raises ApiError when refused."""
    meta = _dict(pod.get("metadata"))
    namespace, name = meta.get("namespace", ""), meta.get("name", "")
    if not _ignores_budgets(pod):
        budgets = budgets_of(store, pod)
        if len(budgets) > 1:
            raise st.internal_error(
                "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
            )
        if budgets:
            _take_disruption(store, budgets[0], pod, dry_run, now)
    if dry_run:
        return
    preconditions = _dict(options.get("preconditions"))
    store.delete(
        "pods", namespace, name, uid=preconditions.get("uid"), resource_version=preconditions.get("resourceVersion")
    )


def _take_disruption(store: ObjectStore, budget: dict, pod: dict, dry_run: bool, now: datetime) -> None:
    meta, spec, status = _dict(budget.get("metadata")), _dict(budget.get("spec")), _dict(budget.get("status"))
    name = meta.get("name", "")
    if not pod_ready(pod):
        policy = spec.get("unhealthyPodEvictionPolicy") or "IfHealthyBudget"
        healthy_budget = int(status.get("currentHealthy") or 0) >= int(status.get("desiredHealthy") or 0) > 0
        if policy == "AlwaysAllow" or healthy_budget:
            return
    if int(status.get("observedGeneration") or 0) < int(meta.get("generation") or 1):
        raise st.ApiError(
            429,
            "TooManyRequests",
            f"Cannot evict pod as it would violate the pod's disruption budget. The disruption budget {name} is still being processed by the server.",
            {
                "causes": [
                    {
                        "reason": "DisruptionBudget",
                        "message": f"The disruption budget {name} is still being processed by the server.",
                    }
                ]
            },
        )
    allowed = int(status.get("disruptionsAllowed") or 0)
    if allowed < 0:
        raise st.forbidden(BUDGETS, "policy", name, "pdb disruptions allowed is negative")
    if allowed == 0:
        raise st.disruption_budget_violated(
            name, int(status.get("desiredHealthy") or 0), int(status.get("currentHealthy") or 0)
        )
    if dry_run:
        return
    updated = copy_object(budget)
    new_status = updated.setdefault("status", {})
    new_status["disruptionsAllowed"] = allowed - 1
    new_status.setdefault("disruptedPods", {})[_dict(pod.get("metadata")).get("name", "")] = format_time(now)
    if allowed - 1 == 0:
        new_status["conditions"] = [_condition(False, "InsufficientPods", now, status)]
    store.update_status(BUDGETS, updated)


def _scaled(value: Any, total: int) -> int | None:
    """intstr.GetScaledValueFromIntOrPercent, rounding up; None for a value that is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        return math.ceil(int(value[:-1]) * total / 100)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _condition(allowed: bool, reason: str, now: datetime, previous: dict) -> dict:
    old = next((c for c in previous.get("conditions") or [] if _dict(c).get("type") == "DisruptionAllowed"), None)
    value = "True" if allowed else "False"
    since = old.get("lastTransitionTime") if old and old.get("status") == value else format_time(now)
    return {
        "type": "DisruptionAllowed",
        "status": value,
        "reason": reason,
        "message": "",
        "lastTransitionTime": since,
        "observedGeneration": previous.get("observedGeneration", 0),
    }


def budget_status(budget: dict, pods: list[dict], now: datetime) -> dict:
    """The status the disruption controller writes for `budget` over the pods its selector matches."""
    meta, spec, previous = _dict(budget.get("metadata")), _dict(budget.get("spec")), _dict(budget.get("status"))
    generation = int(meta.get("generation") or 1)
    present = {_dict(p.get("metadata")).get("name", "") for p in pods}
    disrupted = {
        name: at
        for name, at in _dict(previous.get("disruptedPods")).items()
        if name in present and _age(at, now) < DISRUPTED_POD_SECONDS
    }
    expected = len(pods)
    healthy = sum(
        1
        for pod in pods
        if pod_ready(pod)
        and not _dict(pod.get("metadata")).get("deletionTimestamp")
        and _dict(pod.get("metadata")).get("name") not in disrupted
    )
    if spec.get("maxUnavailable") is not None:
        unavailable = _scaled(spec.get("maxUnavailable"), expected)
        desired = max(expected - (unavailable or 0), 0)
    else:
        desired = _scaled(spec.get("minAvailable"), expected) or 0
    allowed = max(healthy - desired, 0) if expected > 0 else 0
    status: dict[str, Any] = {
        "currentHealthy": healthy,
        "desiredHealthy": desired,
        "disruptionsAllowed": allowed,
        "expectedPods": expected,
        "observedGeneration": generation,
    }
    if disrupted:
        status["disruptedPods"] = disrupted
    reason = "SufficientPods" if allowed > 0 else "InsufficientPods"
    status["conditions"] = [_condition(allowed > 0, reason, now, {**previous, "observedGeneration": generation})]
    return status


def _age(moment: Any, now: datetime) -> float:
    try:
        then = datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
    except ValueError:
        return float("inf")
    return (now - then).total_seconds()


class DisruptionController:
    """Keeps every PodDisruptionBudget's status current as pods and budgets change."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self._dirty = True

    def on_change(self, change: Change) -> None:
        if change.resource.plural == "pods" or (change.resource.plural == BUDGETS and change.type != DELETED):
            self._dirty = True

    def tick(self, now: datetime) -> None:
        if not self._dirty:
            return
        self._dirty = False
        for budget in self.store.list(BUDGETS):
            namespace = _dict(budget.get("metadata")).get("namespace", "")
            selector = _dict(budget.get("spec")).get("selector")
            pods = [
                pod
                for pod in self.store.list("pods", namespace)
                if selector_matches(selector, _labels(pod))
                and _dict(pod.get("status")).get("phase") not in ("Succeeded", "Failed")
            ]
            status = budget_status(budget, pods, now)
            if _without_times(status) != _without_times(_dict(budget.get("status"))):
                updated = copy_object(budget)
                updated["status"] = status
                try:
                    self.store.update_status(BUDGETS, updated)
                except st.ApiError:
                    self._dirty = True  # changed meanwhile: next step


def _without_times(status: dict) -> dict:
    stripped = dict(status)
    stripped["conditions"] = [
        {k: v for k, v in _dict(c).items() if k != "lastTransitionTime"} for c in status.get("conditions") or []
    ]
    return stripped


def install(cluster: "SimCluster") -> None:
    """The installer every SimCluster runs: a Kubernetes cluster has a disruption controller."""
    controller = DisruptionController(cluster.store)
    cluster.store.subscribe(controller.on_change)
    controller.tick(cluster.clock.now())
    cluster.clock.on_tick(controller.tick)
