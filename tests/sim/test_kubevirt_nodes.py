"""Simulated nodes: the labels KubeVirt's node labeller writes, virt-handler's heartbeat, outages."""

from __future__ import annotations

import pytest

from tests.sim.kubevirt_cluster import condition, running, vm, vmi_of
from tui.sim.faults import FaultError


def _labels(cluster, name: str) -> dict:
    return cluster.store.get("nodes", None, name)["metadata"]["labels"]


@pytest.fixture
def cluster():
    with running(vm("app", on_node="node-b")) as running_cluster:
        yield running_cluster


def test_the_labeller_writes_the_host_model_and_what_it_needs(cluster):
    labels = _labels(cluster, "node-a")
    assert labels["host-model-cpu.node.kubevirt.io/XYZ"] == "true"
    assert labels["host-model-required-features.node.kubevirt.io/avx512f"] == "true"
    assert labels["host-model-required-features.node.kubevirt.io/pdpe1gb"] == "true"


def test_the_labeller_writes_the_models_a_node_runs_and_accepts_in_a_migration(cluster):
    labels = _labels(cluster, "node-c")
    assert {k for k in labels if k.startswith("cpu-model.node.kubevirt.io/")} == {
        "cpu-model.node.kubevirt.io/123",
        "cpu-model.node.kubevirt.io/ABC",
    }
    assert {k for k in labels if k.startswith("cpu-model-migration.node.kubevirt.io/")} == {
        "cpu-model-migration.node.kubevirt.io/123",
        "cpu-model-migration.node.kubevirt.io/ABC",
    }


def test_the_labeller_writes_features_vendor_schedulable_and_machine_types(cluster):
    labels = _labels(cluster, "node-c")
    assert labels["cpu-feature.node.kubevirt.io/sha-ni"] == "true"
    assert labels["cpu-vendor.node.kubevirt.io/Intel"] == "true"
    assert labels["kubevirt.io/schedulable"] == "true"
    assert labels["machine-type.node.kubevirt.io/pc-q35-9.2"] == "true"
    assert labels["cpumanager"] == "false"


def test_kubevirt_1_8_names_the_cpu_manager_label_kubevirt_io_cpumanager():
    with running(version="1.8.1") as cluster:
        labels = _labels(cluster, "node-a")
    assert labels["kubevirt.io/cpumanager"] == "false" and "cpumanager" not in labels


def test_a_node_gets_allocatable_device_plugins_and_a_ready_condition(cluster):
    node = cluster.store.get("nodes", None, "node-a")
    assert node["status"]["allocatable"]["devices.kubevirt.io/kvm"] == "1k"
    assert (condition(node, "Ready")["status"], condition(node, "Ready")["reason"]) == ("True", "KubeletReady")


def test_the_heartbeat_is_refreshed_every_minute(cluster):
    before = cluster.store.get("nodes", None, "node-a")["metadata"]["annotations"]["kubevirt.io/heartbeat"]
    cluster.advance(30)
    assert cluster.store.get("nodes", None, "node-a")["metadata"]["annotations"]["kubevirt.io/heartbeat"] == before
    cluster.advance(30)
    assert (
        cluster.store.get("nodes", None, "node-a")["metadata"]["annotations"]["kubevirt.io/heartbeat"]
        == "2026-03-02T09:01:00Z"
    )


def test_a_node_made_not_ready_has_unknown_conditions_and_the_unreachable_taints(cluster):
    cluster.fault("node-not-ready", node="node-b", seconds=120)
    cluster.advance(1)
    node = cluster.store.get("nodes", None, "node-b")
    ready = condition(node, "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "Unknown",
        "NodeStatusUnknown",
        "Kubelet stopped posting node status.",
    )
    assert [(t["key"], t["effect"]) for t in node["spec"]["taints"]] == [
        ("node.kubernetes.io/unreachable", "NoSchedule"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
    ]


def test_the_vms_on_a_node_made_not_ready_are_not_ready(cluster):
    cluster.fault("node-not-ready", node="node-b")
    cluster.advance(1)
    assert condition(vmi_of(cluster, "app"), "Ready")["status"] == "False"
    assert cluster.store.get("virtualmachines", "default", "app")["status"].get("ready") is None


def test_a_silent_node_becomes_unschedulable_for_kubevirt_after_five_minutes(cluster):
    cluster.fault("node-not-ready", node="node-b")
    cluster.advance(240)
    assert _labels(cluster, "node-b")["kubevirt.io/schedulable"] == "true"
    cluster.advance(61)
    assert _labels(cluster, "node-b")["kubevirt.io/schedulable"] == "false"


def test_a_node_not_ready_for_some_seconds_comes_back(cluster):
    cluster.fault("node-not-ready", node="node-b", seconds=30)
    cluster.advance(31)
    node = cluster.store.get("nodes", None, "node-b")
    assert condition(node, "Ready")["status"] == "True" and "taints" not in node["spec"]
    assert condition(vmi_of(cluster, "app"), "Ready")["status"] == "True"


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("node-not-ready", {"node": "node-z"}, 'no node named "node-z"'),
        ("node-not-ready", {}, 'parameter "node" is required: a node name'),
        ("cut-network", {"nodes": "node-a"}, 'parameter "nodes" must name two nodes, not 1'),
        ("cut-network", {"nodes": "node-a,node-b"}, 'parameter "seconds" is required'),
    ],
)
def test_a_fault_with_bad_parameters_is_refused_with_the_reason(cluster, name, params, message):
    with pytest.raises(FaultError) as error:
        cluster.fault(name, **params)
    assert str(error.value) == message
