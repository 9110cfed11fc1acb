"""Node verdicts: every node gets one, with every reason it cannot take the VM, in a stable order."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.domain.clusters import cluster, codes, verdict
from tui.domain.placement import node_verdicts, node_verdicts_for_template
from tui.domain.snapshot import ClusterSnapshot

PLACEMENT = cluster("placement")


def verdicts_of(snapshot: ClusterSnapshot, vmi: str, **kwargs):
    return node_verdicts(snapshot, snapshot.vmis[vmi], **kwargs)


@pytest.mark.parametrize(
    "node, expected",
    [
        ("node-1", ["SourceNode"]),
        ("node-2", []),
        ("node-not-ready", ["NotReady", "Taint"]),
        ("node-unreachable", ["NotReady", "Taint"]),
        ("node-cordoned", ["Unschedulable"]),
        ("node-maintenance", ["Maintenance"]),
        ("node-draining", ["Maintenance"]),
        ("node-witness", ["Witness"]),
        ("node-handler-down", ["KubevirtNotSchedulable"]),
        ("node-no-handler", ["KubevirtNotSchedulable"]),
        ("node-arm", ["Arch"]),
        ("node-old-machine", ["NodeSelector"]),
        ("node-obsolete-cpu", ["CPUModel"]),
        ("node-gpu-only", ["Taint"]),
        ("node-prefer-not", []),
    ],
)
def test_each_node_fails_exactly_its_own_rule(node, expected):
    found = verdict(verdicts_of(PLACEMENT, "default/vm-basic"), node)
    assert codes(found.reasons) == expected
    assert found.eligible is (expected == [])


def test_every_node_gets_a_verdict_sorted_by_name():
    names = [v.node for v in verdicts_of(PLACEMENT, "default/vm-basic")]
    assert names == sorted(PLACEMENT.nodes)


def test_the_source_node_is_listed_with_source_node_only():
    source = verdict(verdicts_of(PLACEMENT, "default/vm-basic"), "node-1")
    assert codes(source.reasons) == ["SourceNode"]
    assert not source.eligible


def test_not_ready_names_the_kubelet_reason_and_message():
    message = verdict(verdicts_of(PLACEMENT, "default/vm-basic"), "node-not-ready").reasons[0].message
    assert "KubeletNotReady" in message and "container runtime network not ready" in message


def test_an_unreachable_nodes_no_execute_taint_is_tolerated_by_default_like_every_pod():
    taints = [r.message for r in verdict(verdicts_of(PLACEMENT, "default/vm-basic"), "node-unreachable").reasons]
    assert any("node.kubernetes.io/unreachable:NoSchedule" in m for m in taints)
    assert not any("NoExecute" in m for m in taints)


def test_a_cordoned_node_is_not_reported_twice_as_a_taint():
    found = verdict(verdicts_of(PLACEMENT, "default/vm-basic"), "node-cordoned")
    assert codes(found.reasons) == ["Unschedulable"]


def test_maintenance_names_the_annotation_and_its_value():
    found = verdict(verdicts_of(PLACEMENT, "default/vm-basic"), "node-maintenance")
    assert "harvesterhci.io/maintain-status=running" in found.reasons[0].message


def test_arch_names_both_architectures():
    message = verdict(verdicts_of(PLACEMENT, "default/vm-basic"), "node-arm").reasons[0].message
    assert "arm64" in message and "amd64" in message


def test_machine_type_from_the_vmi_status_is_required_on_kubevirt_1_6():
    message = verdict(verdicts_of(PLACEMENT, "default/vm-basic"), "node-old-machine").reasons[0].message
    assert "machine-type.node.kubevirt.io/pc-q35-8.2" in message


def test_a_prefer_no_schedule_taint_never_blocks():
    assert verdict(verdicts_of(PLACEMENT, "default/vm-basic"), "node-prefer-not").eligible


def test_a_toleration_lets_the_vm_onto_a_tainted_node():
    found = verdict(verdicts_of(PLACEMENT, "default/vm-ssd"), "node-gpu-only")
    assert "Taint" not in codes(found.reasons)


def test_the_vms_node_selector_names_the_missing_label():
    found = verdict(verdicts_of(PLACEMENT, "default/vm-ssd"), "node-2")
    assert codes(found.reasons) == ["NodeSelector"]
    assert "disktype=ssd" in found.reasons[0].message and "nodeSelector" in found.reasons[0].message


def test_dedicated_cpus_need_the_cpu_manager_label():
    verdicts = verdicts_of(PLACEMENT, "default/vm-dedicated")
    found = verdict(verdicts, "node-2")
    assert codes(found.reasons) == ["CPUManager"]
    assert "cpumanager=true" in found.reasons[0].message


def test_a_node_virt_handler_never_registered_is_told_apart_from_an_unhealthy_one():
    verdicts = verdicts_of(PLACEMENT, "default/vm-basic")
    assert "no kubevirt.io/schedulable label" in verdict(verdicts, "node-no-handler").reasons[0].message
    assert "kubevirt.io/schedulable=false" in verdict(verdicts, "node-handler-down").reasons[0].message


def test_with_the_kubevirt_version_unknown_either_cpu_manager_label_will_do():
    unknown = replace(PLACEMENT, kubevirt=replace(PLACEMENT.kubevirt, version=None))
    node = unknown.nodes["node-2"]
    labels = {**node.labels, "cpumanager": "false", "kubevirt.io/cpumanager": "true"}
    renamed = replace(unknown, nodes={**unknown.nodes, "node-2": replace(node, meta=replace(node.meta, labels=labels))})
    assert verdict(verdicts_of(renamed, "default/vm-dedicated"), "node-2").eligible


def test_reasons_keep_the_documented_order_whatever_rule_found_them_first():
    found = verdict(verdicts_of(PLACEMENT, "default/vm-dedicated"), "node-not-ready")
    assert codes(found.reasons) == ["NotReady", "Taint", "CPUManager"]


def test_every_failing_rule_is_listed_not_only_the_first():
    found = verdict(verdicts_of(PLACEMENT, "default/vm-ssd"), "node-arm")
    assert codes(found.reasons) == ["Arch", "NodeSelector"]


def test_added_node_selector_narrows_to_the_chosen_node():
    verdicts = verdicts_of(PLACEMENT, "default/vm-basic", added_node_selector={"kubernetes.io/hostname": "node-2"})
    assert [v.node for v in verdicts if v.eligible] == ["node-2"]
    other = verdict(verdicts, "node-prefer-not")
    assert codes(other.reasons) == ["NodeSelector"]
    assert "addedNodeSelector" in other.reasons[0].message


def test_added_node_selector_cannot_override_the_vms_own_selector():
    verdicts = verdicts_of(PLACEMENT, "default/vm-ssd", added_node_selector={"disktype": "hdd"})
    message = verdict(verdicts, "node-2").reasons[0].message
    assert "disktype=ssd" in message


def test_resources_are_not_checked_without_pod_data():
    assert not any(v.resources_checked for v in verdicts_of(PLACEMENT, "default/vm-basic"))


def test_a_stopped_vm_gets_verdicts_for_starting_without_a_source_node():
    snapshot = cluster("blockers")
    verdicts = node_verdicts_for_template(snapshot, snapshot.vms["default/vm-stopped"])
    assert [v.node for v in verdicts] == sorted(snapshot.nodes)
    assert "SourceNode" not in [c for v in verdicts for c in codes(v.reasons)]
    assert verdict(verdicts, "node-1").eligible
