"""Setting a CPU model from the UI: a VM's, or the cluster default. Read-only and the user's rights are
asked first (a refusal says why), then a chooser of the models every schedulable node runs (the advised
one marked), then a confirmation that says a restart is needed, from what to what and for which VMs,
with "Cancel" focused; the patch runs in a thread worker and its answer is a toast.

    begin_cpu_model_change(app, "default/web-1")   # the VM's model
    begin_cpu_model_change(app, None)              # the cluster default
"""

from __future__ import annotations

from functools import partial
from typing import Any

from textual.content import Content

from tui.cluster.access import SET_CLUSTER_CPU_MODEL, SET_CPU_MODEL, Permission
from tui.cluster.actions import ActionResult
from tui.cluster.cpu_model_actions import set_cpu_model
from tui.domain.cpu_model_change import (
    VM_SCOPE,
    CPUModelChange,
    ModelChoice,
    advised_cluster_model,
    advised_vm_model,
    cluster_change,
    cluster_choices,
    vm_change,
    vm_choices,
)
from tui.domain.snapshot import ClusterSnapshot
from tui.messages import PermissionChecked
from tui.screens.chooser import ChooserScreen, Option
from tui.screens.confirm import ConfirmScreen
from tui.screens.question import is_question
from tui.widgets.literal import clean

READONLY = "livemig runs read-only (--readonly): it changes nothing."
VMS_SHOWN = 4  # VMs named in the confirmation; the rest are counted


def _action_and_namespace(snapshot: ClusterSnapshot, vm_key: str | None) -> tuple[str, str]:
    if vm_key is not None:
        return SET_CPU_MODEL, vm_key.partition("/")[0]
    kubevirt = snapshot.kubevirt
    return SET_CLUSTER_CPU_MODEL, kubevirt.namespace if kubevirt is not None else ""


def _cached_permission(app: Any, action: str, namespace: str) -> Permission | None:
    """The access review's cached answer (never asks the server); None when not asked yet."""
    lookup = getattr(getattr(app.session, "access", None), "permission", None)
    return lookup(action, namespace) if callable(lookup) else None


def unavailable(app: Any, vm_key: str | None) -> str:
    """Why the change cannot be offered now ("" when it can; rights not yet asked count as allowed)."""
    if app.live.readonly:
        return READONLY
    snapshot = app.live.snapshot
    if vm_key is not None and vm_key not in snapshot.vms:
        return f"{vm_key.partition('/')[2]} is not a VirtualMachine livemig can see: only a VM's model can be set."
    if vm_key is None and snapshot.kubevirt is None:
        return "The KubeVirt CR could not be read, so its default CPU model cannot be set."
    if app.live.connection.stale:
        return "The connection to the API server is lost; wait until it is back (see the banner)."
    action, namespace = _action_and_namespace(snapshot, vm_key)
    permission = _cached_permission(app, action, namespace)
    if permission is not None and not permission.allowed:
        return f"Not allowed: {permission.reason}."
    return ""


def begin_cpu_model_change(app: Any, vm_key: str | None) -> None:
    """The key or palette command: say why not, or check the right, then open the chooser."""
    if is_question(app.screen):
        return
    reason = unavailable(app, vm_key)
    if reason:
        app.bell()
        app.notify(clean(reason), title="Cannot set the CPU model", severity="warning", markup=False)
        return
    action, namespace = _action_and_namespace(app.live.snapshot, vm_key)
    if _cached_permission(app, action, namespace) is None:
        app.run_worker(
            partial(_check_then_choose, app, vm_key, action, namespace),
            thread=True,
            group="cpu-model",
            exit_on_error=False,
        )
        return
    open_chooser(app, vm_key)


def _check_then_choose(app: Any, vm_key: str | None, action: str, namespace: str) -> None:
    try:
        permission = app.session.access.check(action, namespace)
    except Exception as error:  # the server decides then
        permission = Permission(True, f"could not be checked ({error})", checked=False)
    app.post_message(PermissionChecked(action, namespace, permission))  # the screens show the answer
    if permission.allowed:
        app.call_from_thread(open_chooser, app, vm_key)
    else:
        app.call_from_thread(
            app.notify,
            clean(f"Not allowed: {permission.reason}."),
            title="Cannot set the CPU model",
            severity="warning",
            markup=False,
        )


def _option(choice: ModelChoice) -> Option:
    return Option(choice.model or "-", choice.label, choice.note, current=choice.current, advised=choice.advised)


def chooser_for(snapshot: ClusterSnapshot, vm_key: str | None) -> ChooserScreen:
    """The chooser of models for a VM (`vm_key`) or for the cluster default (None)."""
    if vm_key is not None:
        advised = advised_vm_model(snapshot, vm_key)
        choices = vm_choices(snapshot, vm_key, advised)
        title = f"CPU model of {clean(vm_key)}"
    else:
        advised = advised_cluster_model(snapshot)
        choices = cluster_choices(snapshot, advised)
        title = "Cluster default CPU model (KubeVirt spec.configuration.cpuModel)"
    note = "Models every schedulable node can run. A change takes effect when a VM restarts."
    return ChooserScreen(title, [_option(c) for c in choices], note=note, id="cpu-model-chooser")


def open_chooser(app: Any, vm_key: str | None) -> None:
    if is_question(app.screen):
        return
    app.push_screen(chooser_for(app.live.snapshot, vm_key), partial(_chosen, app, vm_key))


def _chosen(app: Any, vm_key: str | None, key: str | None) -> None:
    if key is None:
        return
    model = "" if key == "-" else key
    snapshot = app.live.snapshot
    change = vm_change(snapshot, vm_key, model) if vm_key is not None else cluster_change(snapshot, model)
    if change is None:
        app.notify("It is gone from the cluster meanwhile.", title="CPU model not set", markup=False)
        return
    if change.changes_nothing:
        app.notify(clean(f"{change.subject} already has {change.to_words}."), title="Nothing to change", markup=False)
        return
    partial_scope = app.live.scope_words() if app.session.namespaces is not None else ""
    app.push_screen(confirmation(change, partial_scope), partial(_confirmed, app, change))


def _vm_list(keys: tuple[str, ...]) -> str:
    if not keys:
        return "none"
    shown = ", ".join(keys[:VMS_SHOWN])
    rest = len(keys) - VMS_SHOWN
    return shown + (f" and {rest} more" if rest > 0 else "")


def confirmation_rows(change: CPUModelChange, partial_scope: str = "") -> list[tuple[str, Content]]:
    """The confirmation's lines: what, from, to, which VMs, and the restart. `partial_scope` names
    the namespaces livemig shows when they are not all (the cluster default reaches every one)."""
    rows: list[tuple[str, Content]] = []
    if change.scope == VM_SCOPE:
        rows.append(("VM", Content.styled(clean(change.subject), "bold")))
    else:
        rows.append(
            ("Setting", Content(clean(f"KubeVirt {change.namespace}/{change.name} spec.configuration.cpuModel")))
        )
    rows.append(("From", Content(clean(change.from_words))))
    rows.append(("To", Content.styled(clean(change.to_words), "bold")))
    if change.scope == VM_SCOPE:
        restart = (
            "needed: the VM runs on with its current model until it restarts (KubeVirt marks it RestartRequired)."
            if change.running
            else "none: the VM is stopped and starts with the new model."
        )
    else:
        count = len(change.vms)
        where = f" in {partial_scope}" if partial_scope else ""
        rows.append(("VMs", Content(clean(f"{count}{where} without a model of their own: {_vm_list(change.vms)}"))))
        if partial_scope:
            rows.append(("", Content.styled("and those of the namespaces livemig does not show", "$text-muted")))
        running = len(change.running)
        restart = (
            f"needed: {running} of them run now and keep their model until they restart; the others take it at their next start."
            if running
            else "none: no VM without a model of its own runs now; they take it at their next start."
        )
    rows.append(("Restart", Content(restart)))
    return rows


def confirmation(change: CPUModelChange, partial_scope: str = "") -> ConfirmScreen:
    title = "Set the VM's CPU model?" if change.scope == VM_SCOPE else "Set the cluster default CPU model?"
    return ConfirmScreen(
        title,
        confirmation_rows(change, partial_scope),
        yes_label="Set model",
        no_label="Cancel",
        danger=True,
        id="confirm-cpu-model",
    )


def _confirmed(app: Any, change: CPUModelChange, confirmed: bool | None) -> None:
    if not confirmed:
        return
    app.run_worker(partial(_patch, app, change), thread=True, group="cpu-model", exit_on_error=False)


def _patch(app: Any, change: CPUModelChange) -> None:
    try:
        result = set_cpu_model(app.session.transport, change, readonly=app.live.readonly)
    except Exception as error:  # the UI must hear how it ended
        result = ActionResult(
            ok=False, message=f"CPU model change of {change.subject}: {type(error).__name__}: {error}"
        )
    app.call_from_thread(_tell, app, result)


def _tell(app: Any, result: ActionResult) -> None:
    if result.ok:
        app.notify(clean(result.message), title="CPU model set", timeout=12, markup=False)
    else:
        title = "Not allowed" if result.forbidden else "CPU model not set"
        app.notify(clean(result.message), title=title, severity="error", timeout=20, markup=False)
