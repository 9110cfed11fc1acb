"""Admission for API requests: per-resource hooks that may mutate or deny, and pruning of unknown fields.

What validating/mutating webhooks and structural-schema pruning are to a real API server. Only requests
that come over HTTP are admitted; the store's Python API (used by the simulated controllers) is not.

A hook is `hook(request: AdmissionRequest) -> dict | None`: it returns the object to store instead
(mutation), None to leave it as it is, or raises `AdmissionDenied`, which the server answers with the
Status a real webhook denial produces: `admission webhook "<name>" denied the request: <message>`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from tui.sim import status as st
from tui.sim.resources import ResourceType

OPERATIONS = ("create", "update", "patch", "delete")


class AdmissionDenied(Exception):
    """Raised by a hook to refuse a request, as a validating webhook named `webhook_name` would."""

    def __init__(
        self,
        webhook_name: str,
        message: str,
        code: int = 422,
        reason: str = "Invalid",
        causes: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.webhook_name = webhook_name
        self.message = message
        self.code = code
        self.reason = reason
        self.causes = causes

    def to_api_error(self) -> st.ApiError:
        code = self.code if self.code >= 400 else 400
        message = f'admission webhook "{self.webhook_name}" denied the request'
        message = f"{message}: {self.message}" if self.message else f"{message} without explanation"
        details = {"causes": self.causes} if self.causes else None
        return st.ApiError(code, self.reason, message, details)


@dataclass(frozen=True)
class AdmissionRequest:
    """What a hook sees. `object` is a private copy (a hook may change it and return it); for a delete it is
    the object being deleted and the hook's return value is ignored."""

    operation: str
    resource: ResourceType
    namespace: str
    name: str
    object: dict | None
    old_object: dict | None
    user: str
    subresource: str = ""
    dry_run: bool = False


AdmissionHook = Callable[[AdmissionRequest], "dict | None"]


class AdmissionChain:
    """The registered hooks and pruned fields, by resource plural."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hooks: list[tuple[str, frozenset[str], bool, AdmissionHook]] = []
        self._pruned: dict[str, tuple[tuple[str, ...], ...]] = {}

    def register(
        self,
        resource: ResourceType | str,
        hook: AdmissionHook,
        operations: Iterable[str] = OPERATIONS,
        subresources: bool = False,
    ) -> Callable[[], None]:
        """Run `hook` on API requests for `resource` with one of `operations` (create, update, patch,
        delete); on status-subresource writes too when `subresources`. Returns the unregister function."""
        plural = resource.plural if isinstance(resource, ResourceType) else resource
        wanted = frozenset(operations)
        unknown = wanted - set(OPERATIONS)
        if unknown:
            raise ValueError(f"unknown admission operations: {sorted(unknown)}")
        entry = (plural, wanted, subresources, hook)
        with self._lock:
            self._hooks.append(entry)

        def unregister() -> None:
            with self._lock:
                if entry in self._hooks:
                    self._hooks.remove(entry)

        return unregister

    def prune_fields(self, resource: ResourceType | str, paths: Iterable[str]) -> None:
        """Treat these dotted paths (e.g. "spec.addedNodeSelector") as unknown to the schema: they are
        dropped from objects written over the API, as a structural schema prunes unknown fields.
        An empty `paths` stops pruning."""
        plural = resource.plural if isinstance(resource, ResourceType) else resource
        with self._lock:
            self._pruned[plural] = tuple(tuple(path.split(".")) for path in paths if path)

    def prune(self, resource: ResourceType, obj: Any) -> list[str]:
        """Remove the pruned fields from `obj` in place; returns the paths that were present."""
        with self._lock:
            paths = self._pruned.get(resource.plural, ())
        removed: list[str] = []
        for path in paths:
            node = obj
            for key in path[:-1]:
                node = node.get(key) if isinstance(node, dict) else None
            if isinstance(node, dict) and path[-1] in node:
                del node[path[-1]]
                removed.append(".".join(path))
        return removed

    def admit(self, request: AdmissionRequest) -> dict | None:
        """Run the hooks that apply, in registration order; returns the (possibly mutated) object.

        Raises AdmissionDenied from the first hook that refuses.
        """
        with self._lock:
            hooks = [
                hook
                for plural, operations, subresources, hook in self._hooks
                if plural == request.resource.plural
                and request.operation in operations
                and (subresources or not request.subresource)
            ]
        obj = request.object
        for hook in hooks:
            result = hook(request)
            if result is not None and request.operation != "delete":
                obj = result
                request = AdmissionRequest(
                    request.operation,
                    request.resource,
                    request.namespace,
                    request.name,
                    obj,
                    request.old_object,
                    request.user,
                    request.subresource,
                    request.dry_run,
                )
        return obj
