"""A pod against a node in kube-scheduler's own words: what the simulated scheduler reports."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.domain.clusters import cluster
from tui.domain.objects import Taint, Toleration, parse_pod
from tui.domain.scheduling import NodeUsage, node_usage, pod_fit_failures, with_default_tolerations

RESOURCES = cluster("resources")
LAUNCHER = RESOURCES.pods["default/virt-launcher-big-x9x9x"]


def usage_on(node: str) -> NodeUsage:
    return node_usage(RESOURCES.pods_on(node))


@pytest.mark.parametrize(
    "node, failures",
    [
        ("node-roomy", []),
        ("node-memory-full", ["Insufficient memory"]),
        ("node-cpu-full", ["Insufficient cpu"]),
        ("node-pods-full", ["Too many pods"]),
    ],
)
def test_resource_failures_use_kube_schedulers_words(node, failures):
    assert pod_fit_failures(LAUNCHER, RESOURCES.nodes[node], usage_on(node)) == failures


def test_a_finished_pod_uses_nothing():
    assert usage_on("node-roomy") == NodeUsage(0, 0, 0)


def test_a_selector_the_node_lacks():
    pod = replace(LAUNCHER, node_selector={"cpu-model-migration.node.kubevirt.io/Haswell-noTSX": "true"})
    assert pod_fit_failures(pod, RESOURCES.nodes["node-roomy"], NodeUsage()) == [
        "node(s) didn't match Pod's node affinity/selector"
    ]


def test_an_untolerated_taint_is_named_as_kube_scheduler_names_it():
    node = replace(RESOURCES.nodes["node-roomy"], taints=(Taint("dedicated", "db", "NoSchedule"),))
    assert pod_fit_failures(LAUNCHER, node, NodeUsage()) == ["node(s) had untolerated taint {dedicated: db}"]


def test_a_cordoned_node():
    node = replace(RESOURCES.nodes["node-roomy"], unschedulable=True)
    assert pod_fit_failures(LAUNCHER, node, NodeUsage()) == ["node(s) were unschedulable"]


def test_admitted_pods_tolerate_not_ready_and_unreachable_for_eviction_only():
    tolerations = with_default_tolerations(())
    assert {(t.key, t.effect) for t in tolerations} == {
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
    }


def test_a_pod_that_already_tolerates_everything_gets_no_defaults():
    assert with_default_tolerations((Toleration(operator="Exists"),)) == (Toleration(operator="Exists"),)


def test_a_pod_without_requests_still_counts_one_pod():
    pod = parse_pod({"metadata": {"name": "p"}, "spec": {"nodeName": "n", "containers": [{"name": "c"}]}})
    assert node_usage([pod]) == NodeUsage(0, 0, 1)
