"""Where KubeVirt lets a launcher or migration-target pod run: its node selector and required node affinity.

The simulator's own rendering, from the KubeVirt sources at the version the scenario runs (never
livemig's rules in tui.domain):

- pkg/virt-controller/services/nodeselectorrenderer.go (v1.3.0 ... v1.6.0): `kubevirt.io/schedulable`,
  `kubernetes.io/arch` from spec.architecture, then the CR's developerConfiguration.nodeSelectors, then
  the VMI's spec.nodeSelector (later ones win), then "true" for: the CPU-manager label with dedicated
  CPUs (`cpumanager`, `kubevirt.io/cpumanager` from v1.8.0), the named model's
  `cpu-model.node.kubevirt.io/<model>` (none for host-model and host-passthrough), a
  `cpu-feature.node.kubevirt.io/<f>` per feature with policy "" or require (only when the VMI names a
  model at all: template.go's WithModelAndFeatureLabels), the machine type's
  `machine-type.node.kubevirt.io/<type>` (from v1.5.1; absent in v1.5.0), the TSC frequency label
  when the guest needs one and KubeVirt fixed it (watch/topology/tsc.go IsManualTSCFrequencyRequired),
  and realtime, SEV, SEV-ES and Secure Execution labels (the VMI mutator put these into the VMI's
  nodeSelector before v1.5.0: same outcome).
- pkg/virt-controller/services/template.go (v1.6.0) setNodeAffinityForPod: required node affinity
  `node-labeller.kubevirt.io/obsolete-host-model DoesNotExist` for host-model (or an empty model) and
  `cpu-feature.node.kubevirt.io/<f> DoesNotExist` per forbidden feature, added to every term.
- pkg/virt-controller/watch/migration/migration.go (v1.6.0) createTargetPod: the migration's
  spec.addedNodeSelector (from v1.6.0) under the rendered selector (so it only narrows), then for a
  host-model VMI prepareNodeSelectorForHostCpuModel: the source pod's keys containing `cpu-feature.` or
  `cpu-model-migration.` when it has any, else the source node's `host-model-cpu` label as
  `cpu-model-migration.node.kubevirt.io/<model>` and its `host-model-required-features` as cpu-feature
  labels; a source node without a host model is an error (no target pod).

Not rendered: the Hyper-V labels of the HypervStrictCheck feature gate, which no scenario enables.
"""

from __future__ import annotations

from typing import Any, Mapping

from tui.sim.kubevirt.config import KubeVirtSettings

HOST_MODEL = "host-model"
HOST_PASSTHROUGH = "host-passthrough"
SCHEDULABLE_LABEL = "kubevirt.io/schedulable"
ARCH_LABEL = "kubernetes.io/arch"
CPU_MODEL_LABEL = "cpu-model.node.kubevirt.io/"
CPU_FEATURE_LABEL = "cpu-feature.node.kubevirt.io/"
CPU_MODEL_MIGRATION_LABEL = "cpu-model-migration.node.kubevirt.io/"
HOST_MODEL_CPU_LABEL = "host-model-cpu.node.kubevirt.io/"
HOST_MODEL_REQUIRED_FEATURES_LABEL = "host-model-required-features.node.kubevirt.io/"
MACHINE_TYPE_LABEL = "machine-type.node.kubevirt.io/"
OBSOLETE_HOST_MODEL_LABEL = "node-labeller.kubevirt.io/obsolete-host-model"
TSC_FREQUENCY_LABEL = "scheduling.node.kubevirt.io/tsc-frequency-"
REALTIME_LABEL = "kubevirt.io/realtime"
SEV_LABEL = "kubevirt.io/sev"
SEV_ES_LABEL = "kubevirt.io/sev-es"
SECURE_EXECUTION_LABEL = "kubevirt.io/s390-pv"


class HostModelUnknown(ValueError):
    """The source node has no host-model label: KubeVirt cannot render the target pod."""


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _cpu(vmi: Mapping[str, Any]) -> dict:
    return _dict(_dict(_dict(vmi.get("spec")).get("domain")).get("cpu"))


def cpu_model(vmi: Mapping[str, Any]) -> str:
    """spec.domain.cpu.model as the VMI has it (the mutating webhook filled in the default)."""
    model = _cpu(vmi).get("model")
    return model if isinstance(model, str) else ""


def _features(vmi: Mapping[str, Any], policies: tuple[str, ...]) -> list[str]:
    found = []
    for feature in (_dict(f) for f in _list(_cpu(vmi).get("features"))):
        if isinstance(feature.get("name"), str) and (feature.get("policy") or "") in policies:
            found.append(feature["name"])
    return found


def needs_tsc_frequency(vmi: Mapping[str, Any]) -> bool:
    """GetTscFrequencyRequirement is not NotRequired: invtsc required or forced, or Hyper-V reenlightenment."""
    if "invtsc" in _features(vmi, ("require", "force")):
        return True
    hyperv = _dict(_dict(_dict(_dict(vmi.get("spec")).get("domain")).get("features")).get("hyperv"))
    return _dict(hyperv.get("reenlightenment")).get("enabled") is True


def tsc_frequency(vmi: Mapping[str, Any]) -> int | None:
    """status.topologyHints.tscFrequency when set and positive."""
    value = _dict(_dict(vmi.get("status")).get("topologyHints")).get("tscFrequency")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def machine_type(vmi: Mapping[str, Any]) -> str:
    """status.machine.type, else spec.domain.machine.type."""
    for source in (
        _dict(_dict(vmi.get("status")).get("machine")),
        _dict(_dict(_dict(vmi.get("spec")).get("domain")).get("machine")),
    ):
        if isinstance(source.get("type"), str) and source["type"]:
            return source["type"]
    return ""


def launcher_node_selector(vmi: Mapping[str, Any], settings: KubeVirtSettings) -> dict[str, str]:
    """The nodeSelector of the VMI's launcher pod."""
    spec = _dict(vmi.get("spec"))
    domain = _dict(spec.get("domain"))
    selector: dict[str, str] = {SCHEDULABLE_LABEL: "true"}
    architecture = spec.get("architecture")
    if isinstance(architecture, str) and architecture:
        selector[ARCH_LABEL] = architecture.lower()
    selector.update(settings.node_selectors)
    selector.update({str(k): str(v) for k, v in _dict(spec.get("nodeSelector")).items()})
    if _cpu(vmi).get("dedicatedCpuPlacement") is True:
        selector[settings.cpu_manager_label] = "true"
    model = cpu_model(vmi)
    if model and model not in (HOST_MODEL, HOST_PASSTHROUGH):
        selector[CPU_MODEL_LABEL + model] = "true"
    machine = machine_type(vmi)
    if machine and settings.machine_type_label:
        selector[MACHINE_TYPE_LABEL + machine] = "true"
    if model:
        for feature in _features(vmi, ("", "require")):
            selector[CPU_FEATURE_LABEL + feature] = "true"
    frequency = tsc_frequency(vmi)
    if frequency is not None and needs_tsc_frequency(vmi):
        selector[f"{TSC_FREQUENCY_LABEL}{frequency}"] = "true"
    if "realtime" in _cpu(vmi):
        selector[REALTIME_LABEL] = "true"
    security = _dict(domain.get("launchSecurity"))
    if "sev" in security:
        selector[SEV_LABEL] = "true"
        if _dict(_dict(security.get("sev")).get("policy")).get("encryptedState") is True:
            selector[SEV_ES_LABEL] = "true"
    if isinstance(domain.get("launchSecurity"), dict) and spec.get("architecture") == "s390x":
        selector[SECURE_EXECUTION_LABEL] = "true"
    return selector


def launcher_affinity(vmi: Mapping[str, Any]) -> dict | None:
    """The launcher pod's affinity: the VMI's, with KubeVirt's DoesNotExist requirements in every
    required node-affinity term (a new single term when there is none)."""
    affinity = _dict(_dict(vmi.get("spec")).get("affinity"))
    rejected = []
    if cpu_model(vmi) in ("", HOST_MODEL):
        rejected.append(OBSOLETE_HOST_MODEL_LABEL)
    rejected += [CPU_FEATURE_LABEL + f for f in _features(vmi, ("forbid",))]
    if not rejected:
        return _copy(affinity) or None
    result = _copy(affinity)
    for label in rejected:
        requirement = {"key": label, "operator": "DoesNotExist"}
        node_affinity = result.setdefault("nodeAffinity", {})
        required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
        if isinstance(required, dict):
            for term in _list(required.get("nodeSelectorTerms")):
                if isinstance(term, dict):
                    term["matchExpressions"] = _list(term.get("matchExpressions")) + [dict(requirement)]
        else:
            node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {
                "nodeSelectorTerms": [{"matchExpressions": [dict(requirement)]}]
            }
    return result


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def host_model_selector(source_node: Mapping[str, Any] | None, source_pod: Mapping[str, Any] | None) -> dict[str, str]:
    """prepareNodeSelectorForHostCpuModel; raises HostModelUnknown when the source node has no host model."""
    copied = {
        str(key): str(value)
        for key, value in _dict(_dict((source_pod or {}).get("spec")).get("nodeSelector")).items()
        if CPU_FEATURE_LABEL in str(key) or CPU_MODEL_MIGRATION_LABEL in str(key)
    }
    if copied:
        return copied
    labels = _dict(_dict((source_node or {}).get("metadata")).get("labels"))
    result: dict[str, str] = {}
    model = value = ""
    for key in sorted(labels):
        if key.startswith(HOST_MODEL_CPU_LABEL):
            model, value = key[len(HOST_MODEL_CPU_LABEL) :], str(labels[key])
        elif key.startswith(HOST_MODEL_REQUIRED_FEATURES_LABEL):
            result[CPU_FEATURE_LABEL + key[len(HOST_MODEL_REQUIRED_FEATURES_LABEL) :]] = str(labels[key])
    if not model:
        raise HostModelUnknown(
            f'unable to locate host cpu model, does not contain label "{HOST_MODEL_CPU_LABEL}" with information'
        )
    result[CPU_MODEL_MIGRATION_LABEL + model] = value
    return result


def target_node_selector(
    vmi: Mapping[str, Any],
    migration: Mapping[str, Any],
    source_node: Mapping[str, Any] | None,
    source_pod: Mapping[str, Any] | None,
    settings: KubeVirtSettings,
) -> dict[str, str]:
    """The migration target pod's nodeSelector; raises HostModelUnknown as createTargetPod fails."""
    selector: dict[str, str] = {}
    if settings.added_node_selector:
        added = _dict(_dict(migration.get("spec")).get("addedNodeSelector"))
        selector.update({str(k): str(v) for k, v in added.items()})
    selector.update(launcher_node_selector(vmi, settings))
    if cpu_model(vmi) == HOST_MODEL:
        selector.update(host_model_selector(source_node, source_pod))
    return selector
