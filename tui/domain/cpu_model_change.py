"""Changing a CPU model: which models to offer, which one livemig advises, and what a change does.

Two places hold a CPU model: a VM's `spec.template.spec.domain.cpu.model`, and the cluster default,
the KubeVirt CR's `spec.configuration.cpuModel`, which a VM without a model of its own takes when it
starts (else host-model). Neither reaches a running VM: its VMI keeps the model it started with until
it restarts. KubeVirt marks a running VM whose template changed with the condition RestartRequired
("a non-live-updatable field was changed in the template spec": addRestartRequiredIfNeeded in
pkg/virt-controller/watch/vm/vm.go, v1.3.0 to v1.9.0; the CPU model is not one of the fields it lets
live-update). A change of the cluster default marks no VM: their templates did not change.

The models offered are those every schedulable node can run (`cpu-model.node.kubevirt.io/<M>` on all
of them), so the VM can start and migrate anywhere; plus host-model, and for a VM "no model of its
own" (the cluster default).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tui.domain.cpu import HOST_MODEL, effective_cpu_model
from tui.domain.placement.cpu_advice import (
    common_cpu_models,
    cpu_model_advice,
    nodes_by_host_model,
)
from tui.domain.snapshot import ClusterSnapshot

VM_SCOPE = "vm"
CLUSTER_SCOPE = "cluster"
# The choice that removes the model: a VM then takes the cluster default, the cluster host-model.
NO_MODEL = ""
RESTART_WORDS = "A restart is needed: a running VM keeps its CPU model until it restarts."


@dataclass(frozen=True)
class ModelChoice:
    """One line of the chooser."""

    model: str  # what is written; NO_MODEL removes the field
    label: str  # how the line names it
    note: str  # why it is offered, in a few words
    advised: bool = False
    current: bool = False


@dataclass(frozen=True)
class CPUModelChange:
    """What setting a CPU model changes, for the confirmation and the API call."""

    scope: str  # VM_SCOPE or CLUSTER_SCOPE
    namespace: str  # the VM's, or the KubeVirt CR's
    name: str  # the VM's, or the KubeVirt CR's
    resource_version: str  # the object as it was seen: the patch applies only to it
    model: str  # NO_MODEL removes it
    from_words: str  # "host-model (the cluster default)"
    to_words: str
    vms: tuple[str, ...]  # the VMs that take the change (namespace/name), at their next start
    running: tuple[str, ...]  # of those, the ones running now: they need a restart

    @property
    def changes_nothing(self) -> bool:
        return self.from_words == self.to_words

    @property
    def subject(self) -> str:
        return f"{self.namespace}/{self.name}" if self.scope == VM_SCOPE else "the cluster default"


def _default_words(snapshot: ClusterSnapshot) -> str:
    kubevirt = snapshot.kubevirt
    return kubevirt.cpu_model if kubevirt is not None and kubevirt.cpu_model else HOST_MODEL


def vm_model_words(model: str, snapshot: ClusterSnapshot) -> str:
    """A VM's own model in words: the model, or what it takes when it has none."""
    return model or f"{_default_words(snapshot)} (the cluster default)"


def cluster_model_words(model: str) -> str:
    return model or f"{HOST_MODEL} (no cluster default set)"


def _host_model_note(snapshot: ClusterSnapshot) -> str:
    groups = nodes_by_host_model(snapshot)
    if len(groups) <= 1:
        return "the node's own CPU; moves between nodes of the same CPU"
    return "the node's own CPU; moves only between nodes of the same one (" + ", ".join(m or "?" for m in groups) + ")"


def advised_vm_model(snapshot: ClusterSnapshot, vm_key: str) -> str | None:
    """The model livemig's CPU-model advice names for a running VM (the one reaching more nodes than
    now, most first), or None when no model reaches more (or the VM does not run)."""
    vmi = snapshot.vmis.get(vm_key)
    if vmi is None:
        return None
    advice = cpu_model_advice(snapshot, vmi)
    better = [option for option in advice.options if len(option.reachable) > len(advice.reachable_now)]
    return better[0].model if better else None


def advised_cluster_model(snapshot: ClusterSnapshot) -> str | None:
    """A cluster default every schedulable node runs, advised when their host models differ (a
    host-model VM then reaches only the nodes of its own CPU); None when they do not, or none is common."""
    common = common_cpu_models(snapshot)
    if not common or len(nodes_by_host_model(snapshot)) <= 1:
        return None
    return common[0]


def vm_choices(snapshot: ClusterSnapshot, vm_key: str, advised: str | None = None) -> tuple[ModelChoice, ...]:
    """What the chooser offers for a VM: its cluster default, host-model, then every common model."""
    vm = snapshot.vms.get(vm_key)
    own = vm.template.cpu_model if vm is not None else ""
    choices = [
        ModelChoice(
            NO_MODEL,
            "cluster default",
            f"no model of its own: the cluster's, {_default_words(snapshot)} now",
            current=not own,
        ),
        ModelChoice(HOST_MODEL, HOST_MODEL, _host_model_note(snapshot), current=own == HOST_MODEL),
    ]
    for model in common_cpu_models(snapshot):
        choices.append(
            ModelChoice(
                model,
                model,
                "every schedulable node runs it",
                advised=model == advised,
                current=own == model,
            )
        )
    return tuple(choices)


def cluster_choices(snapshot: ClusterSnapshot, advised: str | None = None) -> tuple[ModelChoice, ...]:
    """What the chooser offers for the cluster default: none (host-model), then every common model."""
    kubevirt = snapshot.kubevirt
    current = kubevirt.cpu_model if kubevirt is not None else ""
    choices = [ModelChoice(NO_MODEL, f"none ({HOST_MODEL})", _host_model_note(snapshot), current=not current)]
    for model in common_cpu_models(snapshot):
        choices.append(
            ModelChoice(
                model, model, "every schedulable node runs it", advised=model == advised, current=current == model
            )
        )
    return tuple(choices)


def vm_change(snapshot: ClusterSnapshot, vm_key: str, model: str) -> CPUModelChange | None:
    """Setting `model` on VM `vm_key` (NO_MODEL: the cluster default); None when the VM is not known."""
    vm = snapshot.vms.get(vm_key)
    if vm is None:
        return None
    vmi = snapshot.vmis.get(vm_key)
    running_now = effective_cpu_model(vmi.spec, snapshot.kubevirt) if vmi is not None else ""
    before = vm_model_words(vm.template.cpu_model, snapshot)
    if vmi is not None and running_now and running_now != (vm.template.cpu_model or _default_words(snapshot)):
        before += f", running with {running_now}"
    return CPUModelChange(
        scope=VM_SCOPE,
        namespace=vm.namespace,
        name=vm.name,
        resource_version=vm.meta.resource_version,
        model=model,
        from_words=before,
        to_words=vm_model_words(model, snapshot),
        vms=(vm_key,),
        running=(vm_key,) if vmi is not None else (),
    )


def vms_on_cluster_default(snapshot: ClusterSnapshot) -> tuple[str, ...]:
    """The VMs without a CPU model of their own (arm64 ones excepted: KubeVirt gives them
    host-passthrough before the cluster default applies)."""
    return tuple(
        sorted(
            key
            for key, vm in snapshot.vms.items()
            if not vm.template.cpu_model and vm.template.architecture.lower() != "arm64"
        )
    )


def cluster_change(snapshot: ClusterSnapshot, model: str) -> CPUModelChange | None:
    """Setting the cluster default to `model` (NO_MODEL removes it); None when the KubeVirt CR is not known."""
    kubevirt = snapshot.kubevirt
    if kubevirt is None:
        return None
    vms = vms_on_cluster_default(snapshot)
    return CPUModelChange(
        scope=CLUSTER_SCOPE,
        namespace=kubevirt.namespace,
        name=kubevirt.name,
        resource_version=kubevirt.meta.resource_version,
        model=model,
        from_words=cluster_model_words(kubevirt.cpu_model),
        to_words=cluster_model_words(model),
        vms=vms,
        running=tuple(key for key in vms if key in snapshot.vmis),
    )


def vm_patch(model: str, resource_version: str) -> dict[str, Any]:
    """The JSON merge patch that sets a VM's model (null removes it), only at `resource_version`."""
    return {
        "metadata": {"resourceVersion": resource_version},
        "spec": {"template": {"spec": {"domain": {"cpu": {"model": model or None}}}}},
    }


def cluster_patch(model: str, resource_version: str) -> dict[str, Any]:
    """The JSON merge patch that sets the KubeVirt CR's spec.configuration.cpuModel (null removes it)."""
    return {
        "metadata": {"resourceVersion": resource_version},
        "spec": {"configuration": {"cpuModel": model or None}},
    }
