"""What the user may do, per action and namespace: SelfSubjectAccessReviews, cached until refreshed.

The UI asks `permission(action, namespace)` (never blocks: an unchecked action reads as allowed,
pending) and `check(action, namespace)` from a worker (one review, then cached). `refresh()` forgets
everything, e.g. after a context change or when the user asks. In read-only mode every action is
denied with that reason, without asking the server.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import Enum

from tui.cluster.errors import ApiError, TransportError
from tui.cluster.transport import ApiTransport


class Action(str, Enum):
    """livemig's actions on the cluster; each member equals its word, which is also the key binding's action."""

    MIGRATE = "migrate"
    ABORT = "abort"
    SET_CPU_MODEL = "set_cpu_model"
    SET_CLUSTER_CPU_MODEL = "set_cluster_cpu_model"
    CORDON = "cordon"

    def __str__(self) -> str:
        return self.value


MIGRATE, ABORT, SET_CPU_MODEL = Action.MIGRATE, Action.ABORT, Action.SET_CPU_MODEL
SET_CLUSTER_CPU_MODEL = Action.SET_CLUSTER_CPU_MODEL

# action -> (verb, resource, API group), as the action's API call needs them.
ACTION_VERBS: dict[str, tuple[str, str, str]] = {
    MIGRATE: ("create", "virtualmachineinstancemigrations", "kubevirt.io"),
    ABORT: ("delete", "virtualmachineinstancemigrations", "kubevirt.io"),
    SET_CPU_MODEL: ("patch", "virtualmachines", "kubevirt.io"),
    SET_CLUSTER_CPU_MODEL: ("patch", "kubevirts", "kubevirt.io"),  # in the KubeVirt CR's namespace
    Action.CORDON: ("patch", "nodes", ""),
}
REVIEW_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


@dataclass(frozen=True)
class Permission:
    """Whether the user may do an action in a namespace, and (when not) why, in a sentence."""

    allowed: bool
    reason: str = ""
    checked: bool = True  # False: the server could not be asked; the action is offered and the server decides


class AccessReviews:
    """Cached SelfSubjectAccessReview answers for livemig's actions; thread-safe."""

    def __init__(self, transport: ApiTransport, readonly: bool = False) -> None:
        self.transport = transport
        self.readonly = readonly
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], Permission] = {}

    def permission(self, action: str, namespace: str) -> Permission | None:
        """The cached answer, or None when not checked yet (never calls the server)."""
        if self.readonly:
            return _readonly()
        with self._lock:
            return self._cache.get((action, namespace))

    def check(self, action: str, namespace: str) -> Permission:
        """The answer, asking the server once per (action, namespace) until `refresh()`."""
        if self.readonly:
            return _readonly()
        if action not in ACTION_VERBS:
            raise ValueError(f"unknown action {action!r}; known: {', '.join(ACTION_VERBS)}")
        with self._lock:
            cached = self._cache.get((action, namespace))
        if cached is not None:
            return cached
        permission = self._review(action, namespace)
        if permission.checked:
            with self._lock:
                self._cache[(action, namespace)] = permission
        return permission

    def refresh(self) -> None:
        with self._lock:
            self._cache.clear()

    def _review(self, action: str, namespace: str) -> Permission:
        verb, resource, group = ACTION_VERBS[action]
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {
                "resourceAttributes": {"group": group, "resource": resource, "verb": verb, "namespace": namespace}
            },
        }
        try:
            answer = self.transport.request("POST", REVIEW_PATH, body=body, timeout=(5.0, 10.0)).json()
        except (ApiError, TransportError) as error:
            return Permission(
                True, f"could not be checked ({error.message}); the API server will decide", checked=False
            )
        status = answer.get("status") if isinstance(answer, dict) else None
        status = status if isinstance(status, dict) else {}
        if status.get("allowed") is True and status.get("denied") is not True:
            return Permission(True)
        why = status.get("reason") if isinstance(status.get("reason"), str) else ""
        if not why and isinstance(status.get("evaluationError"), str):
            why = status["evaluationError"]
        where = f"in {namespace}" if namespace else "(cluster-wide)"
        reason = f"you may not {verb} {resource} {where}" + (f" ({why})" if why else "")
        return Permission(False, reason)


def _readonly() -> Permission:
    return Permission(False, "livemig runs read-only (--readonly)")
