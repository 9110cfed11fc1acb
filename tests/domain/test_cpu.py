"""CPU models: what KubeVirt puts on launcher and migration-target pods, and what a node must offer."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.domain.clusters import cluster, codes, verdict
from tui.domain.cpu import (
    effective_cpu_model,
    host_model_labels,
    launcher_node_affinity,
    launcher_node_selector,
    migration_target_node_selector,
)
from tui.domain.objects import GuestSpec, KubeVirt, Meta, MigrationConfig
from tui.domain.placement import node_verdicts
from tui.domain.placement.cpu_advice import common_cpu_models, cpu_model_advice, nodes_by_host_model

CPU = cluster("cpu")
ADVICE = cluster("cpu-advice")


def verdicts_of(vmi: str):
    return node_verdicts(CPU, CPU.vmis[f"default/{vmi}"])


@pytest.mark.parametrize(
    "vmi, node, expected",
    [
        # host-model, never migrated: the source node's host model and its required features.
        ("vm-fresh", "node-sky-2", []),
        ("vm-fresh", "node-cascade", []),
        ("vm-fresh", "node-sky-nopdpe", ["CPUFeature"]),
        ("vm-fresh", "node-haswell", ["CPUModel", "CPUFeature"]),
        ("vm-fresh", "node-unlabelled", ["CPUModel", "CPUFeature"]),
        # host-model, migrated before: the source pod's selectors (Haswell) win over the node's (Cascade Lake).
        ("vm-migrated", "node-haswell", []),
        ("vm-migrated", "node-sky-nopdpe", []),
        ("vm-migrated", "node-unlabelled", ["CPUModel", "CPUFeature"]),
        # named model: its label, its required features, no forbidden feature.
        ("vm-named", "node-sky-2", []),
        ("vm-named", "node-sky-nopdpe", ["CPUFeature"]),
        ("vm-named", "node-cascade", ["CPUFeature"]),
        ("vm-named", "node-unlabelled", ["CPUModel", "CPUFeature"]),
        # host-passthrough: KubeVirt asks for no CPU label, so the scheduler's answer stands (a caution
        # where the host CPU differs, see below).
        ("vm-passthrough", "node-sky-2", []),
        ("vm-passthrough", "node-sky-nopdpe", []),
        ("vm-passthrough", "node-cascade", []),
        ("vm-passthrough", "node-unlabelled", []),
        # host-model on a node without host-model labels: no target pod anywhere.
        ("vm-on-unlabelled", "node-sky-2", ["CPUModel"]),
        # host-model with its own required feature: KubeVirt leaves the host model out of the target's
        # selector, livemig still checks the source's host model (and its required features).
        ("vm-features", "node-sky-2", []),
        ("vm-features", "node-cascade", []),
        ("vm-features", "node-haswell", ["CPUModel", "CPUFeature"]),
        ("vm-features", "node-sky-nopdpe", ["CPUFeature"]),
        ("vm-features", "node-unlabelled", ["CPUModel", "CPUFeature", "CPUFeature"]),
    ],
)
def test_cpu_rules_per_vm_and_node(vmi, node, expected):
    assert codes(verdict(verdicts_of(vmi), node).reasons) == expected


def test_host_model_reason_names_the_source_nodes_model_and_the_missing_label():
    message = verdict(verdicts_of("vm-fresh"), "node-haswell").reasons[0].message
    assert "Skylake-Client-IBRS" in message and "node-sky-1" in message
    assert "cpu-model-migration.node.kubevirt.io/Skylake-Client-IBRS" in message


def test_missing_features_are_listed_by_name_in_one_reason():
    message = verdict(verdicts_of("vm-fresh"), "node-unlabelled").reasons[1].message
    assert "2 CPU features" in message and "pdpe1gb, vmx" in message


def test_a_migrated_vm_says_its_model_comes_from_its_launcher_pod():
    message = verdict(verdicts_of("vm-migrated"), "node-unlabelled").reasons[0].message
    assert "Haswell-noTSX" in message and "migrated before" in message


def test_a_forbidden_feature_names_the_feature():
    message = verdict(verdicts_of("vm-named"), "node-cascade").reasons[0].message
    assert "avx512f" in message and "forbids" in message


@pytest.mark.parametrize(
    "node, cautioned",
    [("node-sky-2", False), ("node-sky-nopdpe", False), ("node-cascade", True), ("node-unlabelled", True)],
)
def test_host_passthrough_is_cautioned_where_the_host_cpu_differs_or_is_unknown(node, cautioned):
    found = verdict(verdicts_of("vm-passthrough"), node)
    assert found.eligible
    assert bool(found.cautions) is cautioned


def test_the_host_passthrough_caution_names_both_host_cpus_and_what_libvirt_may_do():
    (caution,) = verdict(verdicts_of("vm-passthrough"), "node-cascade").cautions
    assert "Cascadelake-Server" in caution and "Skylake-Client-IBRS" in caution
    assert "libvirt may fail it" in caution


def test_the_host_passthrough_caution_says_which_node_has_no_host_cpu_label():
    (caution,) = verdict(verdicts_of("vm-passthrough"), "node-unlabelled").cautions
    assert "this node has no host-model-cpu.node.kubevirt.io/<model> label" in caution


def test_only_host_passthrough_vms_get_the_caution():
    assert not any(v.cautions for v in verdicts_of("vm-fresh"))
    assert not any(v.cautions for v in verdicts_of("vm-named"))


def test_a_source_node_without_host_model_label_stops_every_target():
    message = verdict(verdicts_of("vm-on-unlabelled"), "node-sky-2").reasons[0].message
    assert "node-unlabelled" in message and "cannot create a migration target pod" in message


# -- what KubeVirt puts on the pods ---------------------------------------------------------------


def test_launcher_pods_always_ask_for_a_schedulable_node_of_the_vms_architecture():
    spec = GuestSpec(architecture="AMD64")
    assert launcher_node_selector(spec, None) == {"kubevirt.io/schedulable": "true", "kubernetes.io/arch": "amd64"}


def test_the_vms_node_selector_wins_over_the_cluster_wide_one():
    kubevirt = KubeVirt(meta=Meta(name="kubevirt"), node_selectors={"zone": "a", "tier": "vm"})
    spec = GuestSpec(node_selector={"zone": "b"})
    assert launcher_node_selector(spec, kubevirt) == {"kubevirt.io/schedulable": "true", "zone": "b", "tier": "vm"}


def test_a_named_model_asks_for_its_label_and_required_features_only():
    selector = launcher_node_selector(CPU.vmis["default/vm-named"], CPU.kubevirt)
    assert selector["cpu-model.node.kubevirt.io/Haswell-noTSX"] == "true"
    assert selector["cpu-feature.node.kubevirt.io/pdpe1gb"] == "true"
    assert "cpu-feature.node.kubevirt.io/avx512f" not in selector


def test_a_forbidden_feature_becomes_does_not_exist_in_every_affinity_term():
    affinity = launcher_node_affinity(CPU.vmis["default/vm-named"], CPU.kubevirt)
    expressions = [(r.key, r.operator) for t in affinity.terms for r in t.match_expressions]
    assert expressions == [("cpu-feature.node.kubevirt.io/avx512f", "DoesNotExist")]


def test_host_model_pods_reject_nodes_with_an_obsolete_host_model():
    affinity = launcher_node_affinity(CPU.vmis["default/vm-fresh"], CPU.kubevirt)
    expressions = [(r.key, r.operator) for t in affinity.terms for r in t.match_expressions]
    assert expressions == [("node-labeller.kubevirt.io/obsolete-host-model", "DoesNotExist")]


def test_the_cpu_manager_label_follows_the_kubevirt_version():
    spec = GuestSpec(dedicated_cpu=True)
    old = KubeVirt(meta=Meta(name="kubevirt"), version=(1, 7, 0))
    new = KubeVirt(meta=Meta(name="kubevirt"), version=(1, 8, 0))
    assert "cpumanager" in launcher_node_selector(spec, old)
    assert "kubevirt.io/cpumanager" in launcher_node_selector(spec, new)


@pytest.mark.parametrize(
    "version, asked",
    # pkg/virt-controller/services/nodeselectorrenderer.go: no machine-type label at v1.5.0,
    # WithMachineType from v1.5.1 on.
    [((1, 4, 1), False), ((1, 5, 0), False), ((1, 5, 1), True), ((1, 5, 2), True), ((1, 6, 3), True), (None, False)],
)
def test_the_machine_type_is_asked_for_from_kubevirt_1_5_1(version, asked):
    vmi = replace(CPU.vmis["default/vm-fresh"], machine_type="pc-q35-8.2")
    kubevirt = KubeVirt(meta=Meta(name="kubevirt"), version=version)
    selector = launcher_node_selector(vmi, kubevirt)
    assert (selector.get("machine-type.node.kubevirt.io/pc-q35-8.2") == "true") is asked


@pytest.mark.parametrize(
    "spec, cluster_model, model",
    [
        # pkg/defaults/arm64.go (v1.6.0): arm64's default runs before the cluster's cpuModel.
        (GuestSpec(architecture="arm64"), "Haswell-noTSX", "host-passthrough"),
        (GuestSpec(architecture="arm64", cpu_model="host-model"), "", "host-model"),
        (GuestSpec(architecture="amd64"), "Haswell-noTSX", "Haswell-noTSX"),
        (GuestSpec(architecture="amd64"), "", "host-model"),
    ],
)
def test_an_arm64_vm_without_a_model_runs_host_passthrough(spec, cluster_model, model):
    kubevirt = KubeVirt(meta=Meta(name="kubevirt"), cpu_model=cluster_model)
    assert effective_cpu_model(spec, kubevirt) == model


def test_a_fresh_host_model_target_is_derived_from_the_source_node():
    vmi = CPU.vmis["default/vm-fresh"]
    source_pod = CPU.source_launcher_pod(vmi)
    selector = migration_target_node_selector(vmi, CPU.nodes["node-sky-1"], source_pod, CPU.kubevirt)
    assert selector == {
        "kubevirt.io/schedulable": "true",
        "cpu-model-migration.node.kubevirt.io/Skylake-Client-IBRS": "true",
        "cpu-feature.node.kubevirt.io/pdpe1gb": "true",
        "cpu-feature.node.kubevirt.io/vmx": "true",
    }


def test_a_migrated_host_model_target_copies_the_source_pods_selectors():
    vmi = CPU.vmis["default/vm-migrated"]
    labels = host_model_labels(CPU.nodes["node-cascade"], CPU.source_launcher_pod(vmi))
    assert labels.from_source_pod and labels.host_model == "Haswell-noTSX"
    assert dict(labels.selector) == {
        "cpu-model-migration.node.kubevirt.io/Haswell-noTSX": "true",
        "cpu-feature.node.kubevirt.io/vmx": "true",
    }


def test_added_node_selector_only_adds_keys_the_vm_does_not_set():
    vmi = CPU.vmis["default/vm-named"]
    selector = migration_target_node_selector(
        vmi,
        CPU.nodes["node-sky-1"],
        None,
        CPU.kubevirt,
        {"kubernetes.io/hostname": "node-sky-2", "kubevirt.io/schedulable": "false"},
    )
    assert selector["kubernetes.io/hostname"] == "node-sky-2"
    assert selector["kubevirt.io/schedulable"] == "true"


def test_host_model_labels_without_a_source_node_explain_the_problem():
    assert "not known" in host_model_labels(None, None).problem


@pytest.mark.parametrize(
    "vmi_model, cluster_model, effective",
    [("Haswell-noTSX", "EPYC", "Haswell-noTSX"), ("", "EPYC", "EPYC"), ("", "", "host-model")],
)
def test_the_effective_model_is_the_vms_then_the_clusters_then_host_model(vmi_model, cluster_model, effective):
    kubevirt = KubeVirt(meta=Meta(name="kubevirt"), cpu_model=cluster_model, migrations=MigrationConfig())
    assert effective_cpu_model(GuestSpec(cpu_model=vmi_model), kubevirt) == effective


# -- advice: the seed's XYZ / ABC / 123 example -------------------------------------------------


def test_models_every_schedulable_node_supports():
    assert common_cpu_models(ADVICE) == ("123",)


def test_schedulable_nodes_grouped_by_host_model():
    assert nodes_by_host_model(ADVICE) == {"ABC": ("abc-1", "abc-2"), "XYZ": ("xyz-1", "xyz-2")}


def test_a_host_model_vm_reaches_only_nodes_of_its_own_host_model():
    advice = cpu_model_advice(ADVICE, ADVICE.vmis["default/web-1"])
    assert advice.current_model == "host-model"
    assert advice.reachable_now == ("xyz-2",)


def test_with_the_common_model_the_vm_could_reach_both_generations():
    advice = cpu_model_advice(ADVICE, ADVICE.vmis["default/web-1"])
    assert [(o.model, o.reachable) for o in advice.options] == [("123", ("abc-1", "abc-2", "xyz-2"))]
    assert "restart" in advice.note


def test_without_pods_a_host_model_reason_says_an_earlier_migration_would_change_it():
    snapshot = cluster("cpu", pods_known=False)
    message = verdict(node_verdicts(snapshot, snapshot.vmis["default/vm-fresh"]), "node-haswell").reasons[0].message
    assert "pods could not be read" in message and "migrated before" in message


# -- host-model with cpu.features: the selector KubeVirt really uses, and the check it leaves out --------


def test_kubevirt_drops_the_host_model_for_a_vm_with_its_own_cpu_features_and_livemig_shows_its_selector():
    vmi = CPU.vmis["default/vm-features"]
    selector = migration_target_node_selector(vmi, CPU.nodes["node-sky-1"], CPU.source_launcher_pod(vmi), CPU.kubevirt)
    assert selector == {"kubevirt.io/schedulable": "true", "cpu-feature.node.kubevirt.io/vmx": "true"}


def test_a_vm_with_its_own_cpu_features_has_not_migrated_before():
    vmi = CPU.vmis["default/vm-features"]
    labels = host_model_labels(
        CPU.nodes["node-sky-1"], CPU.source_launcher_pod(vmi), ["cpu-feature.node.kubevirt.io/vmx"]
    )
    assert labels.from_source_pod and not labels.migrated_before and labels.host_model == ""


def test_a_vm_whose_pod_asks_for_a_host_model_migrated_before():
    vmi = CPU.vmis["default/vm-migrated"]
    labels = host_model_labels(CPU.nodes["node-cascade"], CPU.source_launcher_pod(vmi))
    assert labels.migrated_before


def test_a_node_of_another_cpu_generation_is_refused_and_the_reason_says_kubevirt_would_not_stop_it():
    reason = verdict(verdicts_of("vm-features"), "node-haswell").reasons[0]
    assert reason.code == "CPUModel"
    assert "Skylake-Client-IBRS" in reason.message and "node-sky-1" in reason.message
    assert "cpu-model-migration.node.kubevirt.io/Skylake-Client-IBRS" in reason.message
    assert "would not stop" in reason.message and "cpu.features" in reason.message


def test_a_missing_host_model_feature_is_named_and_said_not_to_be_checked_by_kubevirt():
    reason = verdict(verdicts_of("vm-features"), "node-sky-nopdpe").reasons[0]
    assert reason.code == "CPUFeature" and "pdpe1gb" in reason.message and "would not stop" in reason.message


def test_the_vms_own_feature_is_attributed_to_its_cpu_features_not_to_an_earlier_migration():
    found = [r for r in verdict(verdicts_of("vm-features"), "node-unlabelled").reasons if "vmx" in r.message]
    assert len(found) == 1
    assert "cpu.features" in found[0].message and "migrated before" not in found[0].message


@pytest.mark.parametrize("node", ["node-sky-2", "node-cascade", "node-haswell", "node-sky-nopdpe", "node-unlabelled"])
def test_with_or_without_pods_a_host_model_vm_with_features_gets_the_same_codes(node):
    unread = cluster("cpu", pods_known=False)
    with_pods = verdict(verdicts_of("vm-features"), node)
    without = verdict(node_verdicts(unread, unread.vmis["default/vm-features"]), node)
    assert (codes(without.reasons), without.eligible) == (codes(with_pods.reasons), with_pods.eligible)
