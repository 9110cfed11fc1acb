"""Setting a CPU model: a VM's (`spec.template.spec.domain.cpu.model`) or the cluster default (the
KubeVirt CR's `spec.configuration.cpuModel`), each one JSON merge patch that applies only to the object
as it was seen (its resourceVersion), never retried. The change reaches a VM when it next starts."""

from __future__ import annotations

from urllib.parse import quote

from tui.cluster.actions import ACTION_TIMEOUT, ActionResult, _failure
from tui.cluster.errors import ApiError, TransportError
from tui.cluster.transport import ApiTransport
from tui.domain.cpu_model_change import VM_SCOPE, CPUModelChange, cluster_patch, vm_patch

VM_PATH = "/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachines/{name}"
KUBEVIRT_PATH = "/apis/kubevirt.io/v1/namespaces/{namespace}/kubevirts/{name}"
MERGE_PATCH = "application/merge-patch+json"
READONLY_REASON = "livemig runs read-only (--readonly): it changes nothing."


def change_path(change: CPUModelChange) -> str:
    template = VM_PATH if change.scope == VM_SCOPE else KUBEVIRT_PATH
    return template.format(namespace=quote(change.namespace, safe=""), name=quote(change.name, safe=""))


def set_cpu_model(transport: ApiTransport, change: CPUModelChange, readonly: bool = False) -> ActionResult:
    """Apply `change`; a 409 means the object changed since it was seen, and nothing was changed."""
    if readonly:
        return ActionResult(ok=False, name=change.name, message=READONLY_REASON, refused=True)
    patch = (vm_patch if change.scope == VM_SCOPE else cluster_patch)(change.model, change.resource_version)
    what = f"CPU model change of {change.subject}"
    try:
        transport.request("PATCH", change_path(change), body=patch, content_type=MERGE_PATCH, timeout=ACTION_TIMEOUT)
    except (ApiError, TransportError) as error:
        result = _failure(error, what)
        message = result.message
        if result.code == 409:
            message = f"{change.subject} changed since it was shown, so nothing was changed: look again and retry ({message})."
        return ActionResult(ok=False, name=change.name, message=message, code=result.code)
    if change.scope == VM_SCOPE:
        message = f"CPU model of {change.subject} set to {change.to_words}; it takes effect when the VM restarts."
    else:
        count = len(change.vms)
        message = (
            f"Cluster default CPU model set to {change.to_words}; {count} VM{'s' if count != 1 else ''} without a "
            "model of their own take it at their next start."
        )
    return ActionResult(ok=True, name=change.name, message=message, restart_required=bool(change.running))
