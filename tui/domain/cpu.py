"""CPU models and the node selectors KubeVirt puts on launcher and migration-target pods.

What KubeVirt does (virt-controller: services/nodeselectorrenderer.go, services/template.go,
watch/migration/migration.go):

- Every launcher pod: `kubevirt.io/schedulable: "true"`, `kubernetes.io/arch: <vmi.spec.architecture>`,
  then the KubeVirt CR's `developerConfiguration.nodeSelectors`, then the VMI's own `nodeSelector`
  (later ones win), then `"true"` for: the CPU-manager label (dedicated CPUs), the named model's
  `cpu-model.node.kubevirt.io/<M>` and a `cpu-feature.node.kubevirt.io/<f>` per feature with policy
  "" or require, the machine type's `machine-type.node.kubevirt.io/<t>` (KubeVirt >= 1.5.1), and
  `scheduling.node.kubevirt.io/tsc-frequency-<Hz>` when the guest needs a stable TSC (feature invtsc
  required or forced, or Hyper-V reenlightenment) and KubeVirt fixed its frequency
  (status.topologyHints.tscFrequency).
  Required node affinity: the VMI's, with `node-labeller.kubevirt.io/obsolete-host-model DoesNotExist`
  (host-model) and `cpu-feature.node.kubevirt.io/<f> DoesNotExist` (features with policy forbid)
  added to every term.
- A migration target pod: the VMIM's `addedNodeSelector`, overridden by everything above (so it only
  narrows), then for host-model the source's CPU labels: copied from the source launcher pod when it
  carries any key containing `cpu-model-migration.` or `cpu-feature.` (KubeVirt takes that as "the VM
  migrated before"), otherwise derived from the source node (`host-model-cpu.node.kubevirt.io/<M>`
  becomes `cpu-model-migration.node.kubevirt.io/<M>`, each
  `host-model-required-features.node.kubevirt.io/<f>` becomes `cpu-feature.node.kubevirt.io/<f>`). A
  source node without a host-model label means KubeVirt cannot create the target pod at all.

host-passthrough gets no CPU label at all (Render skips the host-model and host-passthrough model
labels: services/nodeselectorrenderer.go, v1.6.0), and the migration controller adds the source's CPU
labels for host-model only: the scheduler may put a host-passthrough VM on any node, and libvirt fails
the migration (or the guest sees another CPU) when the target's host CPU differs. livemig says so as a
caution on such nodes (`passthrough_caution`), never as a refusal.

A host-model VM with required `cpu.features` of its own has `cpu-feature.*` keys on its launcher pod
from the start, so KubeVirt copies those and never asks for the source's host model: the scheduler may
place the target on another CPU generation, where libvirt refuses the migration or the guest sees a
different CPU. `host_model_guard` gives the labels KubeVirt left out, for livemig to check itself.

Not modelled: Hyper-V strict checks (feature gate HypervStrictCheck; placement says when a VMI may be
subject to them, in a verdict's `unchecked`), realtime, SEV/TDX/secure-execution labels, which can
refuse a node for reasons these rules do not show.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace

from tui.domain.objects import (
    VMI,
    GuestSpec,
    KubeVirt,
    Node,
    NodeAffinity,
    NodeSelectorTerm,
    Pod,
    SelectorRequirement,
)
from tui.domain.versions import machine_type_required

HOST_MODEL = "host-model"
HOST_PASSTHROUGH = "host-passthrough"

SCHEDULABLE_LABEL = "kubevirt.io/schedulable"
ARCH_LABEL = "kubernetes.io/arch"
CPU_MODEL_LABEL = "cpu-model.node.kubevirt.io/"
CPU_MODEL_MIGRATION_LABEL = "cpu-model-migration.node.kubevirt.io/"
HOST_MODEL_CPU_LABEL = "host-model-cpu.node.kubevirt.io/"
HOST_MODEL_REQUIRED_FEATURES_LABEL = "host-model-required-features.node.kubevirt.io/"
CPU_FEATURE_LABEL = "cpu-feature.node.kubevirt.io/"
MACHINE_TYPE_LABEL = "machine-type.node.kubevirt.io/"
OBSOLETE_HOST_MODEL_LABEL = "node-labeller.kubevirt.io/obsolete-host-model"
TSC_FREQUENCY_LABEL = "scheduling.node.kubevirt.io/tsc-frequency-"  # + the frequency in Hz
CPU_MANAGER_LABEL_OLD = "cpumanager"  # KubeVirt <= 1.7
CPU_MANAGER_LABEL = "kubevirt.io/cpumanager"  # KubeVirt >= 1.8
CPU_MANAGER_LABELS = (CPU_MANAGER_LABEL_OLD, CPU_MANAGER_LABEL)

# Where each key of a target pod's node selector came from, so a failing key can be explained.
ORIGIN_ADDED = "addedNodeSelector"
ORIGIN_KUBEVIRT = "kubevirt"
ORIGIN_ARCH = "architecture"
ORIGIN_CLUSTER = "developerConfiguration.nodeSelectors"
ORIGIN_VMI = "nodeSelector"
ORIGIN_CPU_MANAGER = "dedicatedCpuPlacement"
ORIGIN_CPU_MODEL = "cpu.model"
ORIGIN_CPU_FEATURE = "cpu.features"
ORIGIN_MACHINE_TYPE = "machine.type"
ORIGIN_TSC = "topologyHints.tscFrequency"
ORIGIN_HOST_MODEL_NODE = "host-model (source node)"
ORIGIN_HOST_MODEL_POD = "host-model (source pod)"


def effective_cpu_model(spec: GuestSpec, kubevirt: KubeVirt | None) -> str:
    """The VMI's model; on arm64 host-passthrough (KubeVirt's arm64 defaults run before the cluster's
    model: pkg/defaults/arm64.go, v1.6.0); else the KubeVirt CR's spec.configuration.cpuModel; else
    host-model."""
    if spec.cpu_model:
        return spec.cpu_model
    if spec.architecture.lower() == "arm64":
        return HOST_PASSTHROUGH
    if kubevirt is not None and kubevirt.cpu_model:
        return kubevirt.cpu_model
    return HOST_MODEL


def is_named_model(model: str) -> bool:
    return bool(model) and model not in (HOST_MODEL, HOST_PASSTHROUGH)


def cpu_manager_label(kubevirt: KubeVirt | None) -> str:
    """The label KubeVirt requires for dedicated CPUs; with the version unknown, the older name."""
    version = kubevirt.version if kubevirt is not None else None
    return CPU_MANAGER_LABEL if version is not None and version >= (1, 8, 0) else CPU_MANAGER_LABEL_OLD


def machine_type_selected(kubevirt: KubeVirt | None) -> bool:
    """KubeVirt >= 1.5.1 asks for the machine type's node label (nodeselectorrenderer.go has no
    machine-type label at v1.5.0, WithMachineType at v1.5.1); with the version unknown, it is not asked."""
    return machine_type_required(kubevirt.version if kubevirt is not None else None)


def required_feature_labels(spec: GuestSpec) -> list[str]:
    """cpu-feature labels a named model needs: features with policy "" or require."""
    return [CPU_FEATURE_LABEL + f.name for f in spec.cpu_features if f.policy in ("", "require")]


def needs_stable_tsc(spec: GuestSpec) -> bool:
    """KubeVirt's topology.IsManualTSCFrequencyRequired: invtsc required or forced, or Hyper-V
    reenlightenment. Such a guest keeps its TSC frequency, so a node must be able to run it."""
    invtsc = any(f.name == "invtsc" and f.policy in ("require", "force") for f in spec.cpu_features)
    return invtsc or spec.hyperv_reenlightenment


def forbidden_feature_labels(spec: GuestSpec) -> list[str]:
    return [CPU_FEATURE_LABEL + f.name for f in spec.cpu_features if f.policy == "forbid"]


@dataclass(frozen=True)
class SelectorEntry:
    value: str
    origin: str  # one of the ORIGIN_* names


def _spec_and_machine(vmi: VMI | GuestSpec) -> tuple[GuestSpec, str]:
    if isinstance(vmi, VMI):
        return vmi.spec, vmi.machine_type or vmi.spec.machine_type
    return vmi, vmi.machine_type


def launcher_selector_entries(vmi: VMI | GuestSpec, kubevirt: KubeVirt | None) -> dict[str, SelectorEntry]:
    """The launcher pod's node selector, each key with where it came from."""
    spec, machine_type = _spec_and_machine(vmi)
    entries: dict[str, SelectorEntry] = {SCHEDULABLE_LABEL: SelectorEntry("true", ORIGIN_KUBEVIRT)}
    if spec.architecture:
        entries[ARCH_LABEL] = SelectorEntry(spec.architecture.lower(), ORIGIN_ARCH)
    if kubevirt is not None:
        entries.update((k, SelectorEntry(v, ORIGIN_CLUSTER)) for k, v in kubevirt.node_selectors.items())
    entries.update((k, SelectorEntry(v, ORIGIN_VMI)) for k, v in spec.node_selector.items())
    if spec.dedicated_cpu:
        entries[cpu_manager_label(kubevirt)] = SelectorEntry("true", ORIGIN_CPU_MANAGER)
    model = effective_cpu_model(spec, kubevirt)
    if is_named_model(model):
        entries[CPU_MODEL_LABEL + model] = SelectorEntry("true", ORIGIN_CPU_MODEL)
    if machine_type and machine_type_selected(kubevirt):
        entries[MACHINE_TYPE_LABEL + machine_type] = SelectorEntry("true", ORIGIN_MACHINE_TYPE)
    # KubeVirt asks for required features whatever the model (host-model and host-passthrough included).
    entries.update((label, SelectorEntry("true", ORIGIN_CPU_FEATURE)) for label in required_feature_labels(spec))
    frequency = vmi.tsc_frequency if isinstance(vmi, VMI) else None
    if frequency is not None and frequency > 0 and needs_stable_tsc(spec):
        entries[f"{TSC_FREQUENCY_LABEL}{frequency}"] = SelectorEntry("true", ORIGIN_TSC)
    return entries


def launcher_node_selector(vmi: VMI | GuestSpec, kubevirt: KubeVirt | None) -> dict[str, str]:
    """The nodeSelector KubeVirt puts on a VMI's launcher pod (a VMI, or a VM template's spec)."""
    return {key: entry.value for key, entry in launcher_selector_entries(vmi, kubevirt).items()}


def launcher_node_affinity(vmi: VMI | GuestSpec, kubevirt: KubeVirt | None) -> NodeAffinity:
    """The required node affinity of a launcher pod: the VMI's, plus KubeVirt's DoesNotExist rules."""
    spec, _ = _spec_and_machine(vmi)
    rejected = forbidden_feature_labels(spec)
    if effective_cpu_model(spec, kubevirt) == HOST_MODEL:
        rejected.insert(0, OBSOLETE_HOST_MODEL_LABEL)
    affinity = spec.affinity
    for label in rejected:
        requirement = SelectorRequirement(key=label, operator="DoesNotExist")
        if affinity.terms is None:
            affinity = NodeAffinity((NodeSelectorTerm(match_expressions=(requirement,)),))
        else:
            # Terms are ORed, so the rule goes into every one of them (as KubeVirt adds it).
            affinity = NodeAffinity(
                tuple(replace(t, match_expressions=t.match_expressions + (requirement,)) for t in affinity.terms)
            )
    return affinity


@dataclass(frozen=True)
class HostModelLabels:
    """The CPU selectors a host-model VM's migration target gets, and where they came from."""

    selector: Mapping[str, str] = field(default_factory=dict)
    from_source_pod: bool = False
    host_model: str = ""  # the source's host model (from the node, or read back from the pod's selector)
    problem: str = ""  # set when KubeVirt cannot build them: it then creates no target pod
    # The pod asks for more than the VM's own features: a host model (or its features) from an earlier
    # migration. False when the copied keys are all the VM's own cpu.features.
    migrated_before: bool = False


def host_model_labels(
    source_node: Node | None, source_pod: Pod | None, own_feature_labels: Collection[str] = ()
) -> HostModelLabels:
    """KubeVirt's prepareNodeSelectorForHostCpuModel: the source pod's CPU selectors if it has any,
    else the source node's host-model labels turned into migration selectors.

    `own_feature_labels` are the VM's own required features (`required_feature_labels`): KubeVirt puts
    them on every launcher pod, so with the pod unknown (None) they are what it will find and copy.
    """
    if source_pod is None and own_feature_labels:
        return HostModelLabels({label: "true" for label in own_feature_labels}, from_source_pod=True)
    if source_pod is not None:
        copied = {
            key: value
            for key, value in source_pod.node_selector.items()
            if CPU_FEATURE_LABEL in key or CPU_MODEL_MIGRATION_LABEL in key
        }
        if copied:
            model = next(
                (
                    k[len(CPU_MODEL_MIGRATION_LABEL) :]
                    for k in sorted(copied)
                    if k.startswith(CPU_MODEL_MIGRATION_LABEL)
                ),
                "",
            )
            own = set(own_feature_labels)
            migrated = any(key not in own or value != "true" for key, value in copied.items())
            return HostModelLabels(copied, from_source_pod=True, host_model=model, migrated_before=migrated)
    if source_node is None:
        return HostModelLabels(problem="the source node is not known, so its host CPU model cannot be read")
    selector: dict[str, str] = {}
    model = model_value = ""
    # Go walks a map (random order); with one host-model label per node, as the labeller writes, it is the same.
    for key in sorted(source_node.labels):
        value = source_node.labels[key]
        if key.startswith(HOST_MODEL_CPU_LABEL):
            model, model_value = key[len(HOST_MODEL_CPU_LABEL) :], value
        elif key.startswith(HOST_MODEL_REQUIRED_FEATURES_LABEL):
            selector[CPU_FEATURE_LABEL + key[len(HOST_MODEL_REQUIRED_FEATURES_LABEL) :]] = value
    if not model:
        return HostModelLabels(
            problem=(
                f"source node {source_node.name} has no {HOST_MODEL_CPU_LABEL}<model> label, so KubeVirt cannot "
                "create a migration target pod for a host-model VM"
            )
        )
    selector[CPU_MODEL_MIGRATION_LABEL + model] = model_value
    return HostModelLabels(selector, host_model=model)


def host_model_guard(source_node: Node | None, labels: HostModelLabels) -> HostModelLabels | None:
    """The source node's host-model labels that KubeVirt leaves out of a target's selector, or None when
    it asks for them itself.

    KubeVirt leaves them out when it copies the source pod's CPU selectors and those name no host model:
    the pod's cpu-feature keys are the VM's own cpu.features, not an earlier migration's. The VM still
    runs the source's host model, so a target must offer it: livemig checks these labels itself.
    """
    if not labels.from_source_pod or labels.host_model:
        return None
    return host_model_labels(source_node, None)


def target_selector_entries(
    vmi: VMI,
    source_node: Node | None,
    source_pod: Pod | None,
    kubevirt: KubeVirt | None,
    added_node_selector: Mapping[str, str] | None = None,
) -> dict[str, SelectorEntry]:
    """A migration target pod's node selector, each key with where it came from."""
    entries = {k: SelectorEntry(v, ORIGIN_ADDED) for k, v in (added_node_selector or {}).items()}
    entries.update(launcher_selector_entries(vmi, kubevirt))
    if effective_cpu_model(vmi.spec, kubevirt) == HOST_MODEL:
        labels = host_model_labels(source_node, source_pod, required_feature_labels(vmi.spec))
        origin = ORIGIN_HOST_MODEL_POD if labels.from_source_pod else ORIGIN_HOST_MODEL_NODE
        for key, value in labels.selector.items():
            if entries.get(key) != SelectorEntry(value, ORIGIN_CPU_FEATURE):
                entries[key] = SelectorEntry(value, origin)  # the VM's own features keep their origin
    return entries


def migration_target_node_selector(
    vmi: VMI,
    source_node: Node | None,
    source_pod: Pod | None,
    kubevirt: KubeVirt | None,
    added_node_selector: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The nodeSelector KubeVirt puts on a migration target pod.

    `addedNodeSelector` (KubeVirt >= 1.6) only narrows: on a key the VMI or KubeVirt also sets, theirs
    wins. For host-model, see `host_model_labels` (and its `problem`, when KubeVirt creates no pod).
    """
    entries = target_selector_entries(vmi, source_node, source_pod, kubevirt, added_node_selector)
    return {key: entry.value for key, entry in entries.items()}


def labelled_names(labels: Mapping[str, str], prefix: str) -> set[str]:
    """The names under a label prefix whose value is "true": cpu-model.node.kubevirt.io/X -> X."""
    return {key[len(prefix) :] for key, value in labels.items() if key.startswith(prefix) and value == "true"}


def host_model_of(node: Node) -> str:
    """The node's own host model (host-model-cpu.node.kubevirt.io/<M>), "" when it has none."""
    return min(labelled_names(node.labels, HOST_MODEL_CPU_LABEL) or {""})
