"""The changes livemig makes to a cluster: start a migration, abort one, set a VM's CPU model.

Each action is exactly one API call, never retried (a retried create could start a second
migration), and returns an `ActionResult`: ok with the object's name, or the server's Status
message verbatim. Actions refused before any call (read-only mode, unsupported target pinning, a
migration that already ended) say why with `refused=True`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from tui.cluster.errors import ApiError, TransportError
from tui.cluster.store import Store
from tui.cluster.transport import ApiTransport
from tui.domain.objects import VMI, Migration, parse_migration, parse_vmi
from tui.domain.plan import PINNING_ADDED_NODE_SELECTOR, target_pinning

VMI_NAME_LABEL = "kubevirt.io/vmi-name"
HOSTNAME_LABEL = "kubernetes.io/hostname"
MIGRATIONS_PATH = "/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachineinstancemigrations"
VMS_PATH = "/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachines"
VMIS_PATH = "/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachineinstances"
ACTION_TIMEOUT = (10.0, 30.0)
# An abort refused because the migration's status moved on (409) is asked again this often at most.
ABORT_ATTEMPTS = 3


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
    ended_meanwhile: bool = False  # abort: the migration ended before it could be deleted (message says how)

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


def _how_it_ended(name: str, uid: str, current: Migration | None, vmi: VMI | None) -> str:
    """One sentence on how a migration that could not be aborted ended, from its phase or else the
    VMI's migration state for its uid (completed, failed, abortStatus, target node)."""
    state = vmi.migration_state if vmi is not None else None
    if state is not None and uid and state.migration_uid != uid:
        state = None
    if state is None and current is not None:
        state = current.migration_state
    phase = current.phase if current is not None else ""
    if phase == "Succeeded" or (
        state is not None and state.completed and not state.failed and state.abort_status != "Succeeded"
    ):
        node = (state.target_node if state is not None else "") or (vmi.node_name if vmi is not None else "")
        return (
            f"Migration {name} finished meanwhile: the VM is on {node}."
            if node
            else f"Migration {name} finished meanwhile: the VM moved."
        )
    if phase == "Failed" or (state is not None and state.completed):
        node = (state.source_node if state is not None else "") or (vmi.node_name if vmi is not None else "")
        where = f": the VM stays on {node}" if node else ""
        return f"Migration {name} failed meanwhile{where}; there is nothing to abort."
    return f"Migration {name} no longer exists (it ended and was removed): there is nothing to abort."


class ClusterActions:
    """migrate, abort and set_cpu_model against one cluster; thread-safe (each call is independent)."""

    def __init__(
        self, transport: ApiTransport, store: Store, readonly: bool = False, readonly_reason: str = ""
    ) -> None:
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
            response = self.transport.request(
                "POST", _path(MIGRATIONS_PATH, namespace), body=body, timeout=ACTION_TIMEOUT
            )
        except (ApiError, TransportError) as error:
            return _failure(error, f"Migration of {namespace}/{vm}")
        created = response.json() if response.data else {}
        created = created if isinstance(created, dict) else {}
        metadata = created.get("metadata") or {}
        found_name, found_uid = metadata.get("name"), metadata.get("uid")
        name = found_name if isinstance(found_name, str) else ""
        uid = found_uid if isinstance(found_uid, str) else ""
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

    def abort(self, namespace: str, migration_name: str, uid: str, resource_version: str | None = None) -> ActionResult:
        """Delete migration `namespace/migration_name` only as it was seen running: the DELETE carries
        preconditions on its uid and resourceVersion (`resource_version`, else the store's), so a
        migration that ended (or changed) meanwhile is not deleted. On a 409 the migration is read
        again: still running, the abort is asked again at its new resourceVersion (at most
        ABORT_ATTEMPTS times); ended, the result says how ("it finished meanwhile: the VM is on
        node-1"), judged by the VMI's migration state. Refused when the migration already ended."""
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
            return ActionResult(
                ok=False,
                name=migration_name,
                message=f"Migration {migration_name} is already being aborted.",
                refused=True,
            )
        if resource_version is None and known is not None and (not uid or known.meta.uid == uid):
            resource_version = known.meta.resource_version
        path = f"{_path(MIGRATIONS_PATH, namespace)}/{quote(migration_name, safe='')}"
        for _ in range(ABORT_ATTEMPTS):
            body: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1"}
            preconditions = {
                key: value for key, value in (("uid", uid), ("resourceVersion", resource_version)) if value
            }
            if preconditions:
                body["preconditions"] = preconditions
            try:
                self.transport.request("DELETE", path, body=body, timeout=ACTION_TIMEOUT)
            except ApiError as error:
                if error.code not in (404, 409):
                    result = _failure(error, f"Abort of migration {migration_name}")
                    return ActionResult(ok=False, name=migration_name, message=result.message, code=result.code)
                current = self._reread(namespace, migration_name)
                if isinstance(current, ActionResult):
                    return current
                if (
                    current is None
                    or (uid and current.meta.uid != uid)
                    or current.is_final
                    or current.meta.deleted is not None
                ):
                    return self._ended_meanwhile(namespace, migration_name, uid, current, error.code)
                resource_version = current.meta.resource_version  # still running, only its status moved on
                continue
            except TransportError as error:
                result = _failure(error, f"Abort of migration {migration_name}")
                return ActionResult(ok=False, name=migration_name, message=result.message)
            return ActionResult(ok=True, name=migration_name, message=f"Abort of migration {migration_name} requested.")
        return ActionResult(
            ok=False,
            name=migration_name,
            code=409,
            message=f"Migration {migration_name} kept changing while its abort was asked {ABORT_ATTEMPTS} times; it was not aborted: try again.",
        )

    def _read(self, path: str, parse: Any) -> Any:
        """GET one object and parse it; None when it does not exist (404)."""
        try:
            response = self.transport.request("GET", path, timeout=ACTION_TIMEOUT)
        except ApiError as error:
            if error.code == 404:
                return None
            raise
        return parse(response.json())

    def _reread(self, namespace: str, migration_name: str) -> Migration | None | ActionResult:
        path = f"{_path(MIGRATIONS_PATH, namespace)}/{quote(migration_name, safe='')}"
        try:
            migration: Migration | None = self._read(path, parse_migration)
            return migration
        except (ApiError, TransportError) as error:
            result = _failure(
                error, f"Abort of migration {migration_name} was refused as it changed meanwhile, and reading it again"
            )
            return ActionResult(ok=False, name=migration_name, message=result.message, code=result.code)

    def _ended_meanwhile(
        self, namespace: str, migration_name: str, uid: str, current: Migration | None, code: int
    ) -> ActionResult:
        """What became of a migration that could not be deleted as it was seen: ended (how: the VMI's
        migration state for its uid says), gone, or replaced by another of the same name."""
        if current is not None and uid and current.meta.uid != uid:
            message = f"Migration {migration_name} ended meanwhile and another one of that name now runs: nothing was aborted."
        elif current is not None and current.meta.deleted is not None:
            message = f"Migration {migration_name} is already being aborted."
        else:
            vmi_name = current.vmi_name if current is not None else ""
            if not vmi_name:
                known = self.store.get("migrations", f"{namespace}/{migration_name}")
                vmi_name = known.vmi_name if known is not None else ""
            vmi = None
            if vmi_name:
                with contextlib.suppress(ApiError, TransportError):
                    vmi = self._read(f"{_path(VMIS_PATH, namespace)}/{quote(vmi_name, safe='')}", parse_vmi)
            message = _how_it_ended(migration_name, uid, current, vmi)
        return ActionResult(
            ok=False, name=migration_name, message=message, code=code, refused=False, ended_meanwhile=True
        )

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
