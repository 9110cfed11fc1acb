"""The changes livemig makes to a cluster: start a migration, abort one, set a VM's CPU model.

Each action is exactly one API call, never retried (a retried create could start a second
migration), and returns an `ActionResult`: ok with the object's name, or the server's Status
message verbatim. Actions refused before any call (read-only mode, unsupported target pinning, a
migration that already ended) say why with `refused=True`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from tui.cluster.errors import ApiError, TransportError
from tui.cluster.store import Store
from tui.cluster.transport import ApiTransport
from tui.domain.plan import PINNING_ADDED_NODE_SELECTOR, target_pinning

VMI_NAME_LABEL = "kubevirt.io/vmi-name"
HOSTNAME_LABEL = "kubernetes.io/hostname"
MIGRATIONS_PATH = "/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachineinstancemigrations"
VMS_PATH = "/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachines"
ACTION_TIMEOUT = (10.0, 30.0)


@dataclass(frozen=True)
class ActionResult:
    """How an action went. `message` is for the operator: the server's own words on failure."""

    ok: bool
    name: str = ""  # the migration created or aborted, or the VM patched
    message: str = ""
    warning: str = ""  # ok, but something did not go as asked (e.g. the target node was dropped)
    code: int | None = None  # the HTTP status of a failed call
    refused: bool = False  # refused by livemig itself: no API call was made
    restart_required: bool = False  # set_cpu_model: takes effect when the VM restarts
    uid: str = ""  # of the migration created

    @property
    def forbidden(self) -> bool:
        return self.code == 403


def _path(template: str, namespace: str) -> str:
    return template.format(namespace=quote(namespace, safe=""))


def _failure(error: Exception, what: str) -> ActionResult:
    if isinstance(error, ApiError):
        return ActionResult(ok=False, message=error.message, code=error.code)
    if isinstance(error, TransportError):
        return ActionResult(
            ok=False,
            message=f"{what}: no answer from the API server ({error.message}). It may or may not have been done: check before trying again.",
        )
    return ActionResult(ok=False, message=f"{what}: {error}")


class ClusterActions:
    """migrate, abort and set_cpu_model against one cluster; thread-safe (each call is independent)."""

    def __init__(self, transport: ApiTransport, store: Store, readonly: bool = False, readonly_reason: str = "") -> None:
        self.transport = transport
        self.store = store
        self.readonly = readonly
        self.readonly_reason = readonly_reason or "livemig runs read-only (--readonly): it changes nothing."

    def _refuse_readonly(self) -> ActionResult | None:
        return ActionResult(ok=False, message=self.readonly_reason, refused=True) if self.readonly else None

    # -- migrate ---------------------------------------------------------------------------------

    def migrate(self, namespace: str, vm: str, target: str | None = None) -> ActionResult:
        """Create a VirtualMachineInstanceMigration for VM `namespace/vm`, pinned to node `target` when given.

        Pinning uses spec.addedNodeSelector, which only KubeVirt 1.6 and later know; on older (or
        unknown) versions a target is refused with the reason. After creation, the created object
        is checked: an API server with an older KubeVirt CRD drops the field silently, and the
        result then carries a warning (the scheduler will pick the node).
        """
        refused = self._refuse_readonly()
        if refused:
            return refused
        if target:
            pinning, reason = target_pinning(self.store.snapshot().kubevirt)
            if pinning != PINNING_ADDED_NODE_SELECTOR:
                return ActionResult(ok=False, message=f"Cannot send the migration to {target}: {reason}", refused=True)
        spec: dict[str, Any] = {"vmiName": vm}
        if target:
            spec["addedNodeSelector"] = {HOSTNAME_LABEL: target}
        body = {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachineInstanceMigration",
            "metadata": {"generateName": f"{vm}-", "namespace": namespace, "labels": {VMI_NAME_LABEL: vm}},
            "spec": spec,
        }
        try:
            response = self.transport.request("POST", _path(MIGRATIONS_PATH, namespace), body=body, timeout=ACTION_TIMEOUT)
        except (ApiError, TransportError) as error:
            return _failure(error, f"Migration of {namespace}/{vm}")
        created = response.json() if response.data else {}
        created = created if isinstance(created, dict) else {}
        metadata = created.get("metadata") or {}
        name = metadata.get("name") if isinstance(metadata.get("name"), str) else ""
        uid = metadata.get("uid") if isinstance(metadata.get("uid"), str) else ""
        warning = ""
        if target:
            kept = ((created.get("spec") or {}).get("addedNodeSelector") or {}).get(HOSTNAME_LABEL)
            if kept != target:
                server_said = "; ".join(response.warnings)
                warning = (
                    f"The API server dropped spec.addedNodeSelector from migration {name}"
                    + (f" ({server_said})" if server_said else "")
                    + f": its KubeVirt does not know target pinning, so the scheduler picks the node, which may not be {target}."
                )
        where = f" to {target}" if target else ""
        return ActionResult(
            ok=True,
            name=name,
            uid=uid,
            message=f"Migration {name} of {namespace}/{vm}{where} created.",
            warning=warning,
        )

    # -- abort -----------------------------------------------------------------------------------

    def abort(self, namespace: str, migration_name: str, uid: str) -> ActionResult:
        """Delete migration `namespace/migration_name`, only if its uid is still `uid` (so a newer
        migration of the same name is never deleted). Refused when the migration already ended."""
        refused = self._refuse_readonly()
        if refused:
            return refused
        known = self.store.get("migrations", f"{namespace}/{migration_name}")
        if known is not None and (not uid or known.meta.uid == uid) and known.is_final:
            return ActionResult(
                ok=False,
                name=migration_name,
                message=f"Migration {migration_name} already ended ({known.phase}): there is nothing to abort.",
                refused=True,
            )
        if known is not None and known.meta.deleted is not None:
            return ActionResult(ok=False, name=migration_name, message=f"Migration {migration_name} is already being aborted.", refused=True)
        body: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if uid:
            body["preconditions"] = {"uid": uid}
        path = f"{_path(MIGRATIONS_PATH, namespace)}/{quote(migration_name, safe='')}"
        try:
            self.transport.request("DELETE", path, body=body, timeout=ACTION_TIMEOUT)
        except (ApiError, TransportError) as error:
            result = _failure(error, f"Abort of migration {migration_name}")
            return ActionResult(ok=False, name=migration_name, message=result.message, code=result.code)
        return ActionResult(ok=True, name=migration_name, message=f"Abort of migration {migration_name} requested.")

    # -- CPU model -------------------------------------------------------------------------------

    def set_cpu_model(self, namespace: str, vm: str, model: str, resource_version: str) -> ActionResult:
        """Set spec.template.spec.domain.cpu.model of VM `namespace/vm` ("" removes it: the cluster
        default applies), only if the VM is still at `resource_version`. Takes effect on restart."""
        refused = self._refuse_readonly()
        if refused:
            return refused
        patch = {
            "metadata": {"resourceVersion": resource_version},
            "spec": {"template": {"spec": {"domain": {"cpu": {"model": model or None}}}}},
        }
        path = f"{_path(VMS_PATH, namespace)}/{quote(vm, safe='')}"
        try:
            self.transport.request(
                "PATCH", path, body=patch, content_type="application/merge-patch+json", timeout=ACTION_TIMEOUT
            )
        except (ApiError, TransportError) as error:
            result = _failure(error, f"CPU model change of {namespace}/{vm}")
            return ActionResult(ok=False, name=vm, message=result.message, code=result.code)
        shown = model or "the cluster default"
        return ActionResult(
            ok=True,
            name=vm,
            message=f"CPU model of {namespace}/{vm} set to {shown}; it takes effect when the VM restarts.",
            restart_required=True,
        )

