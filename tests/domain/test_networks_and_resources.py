"""Cluster networks, KubeVirt's migration network, and whether a node has room for the launcher pod."""

from __future__ import annotations

import pytest

from tests.domain.clusters import cluster, codes, verdict
from tui.domain.objects import parse_pod
from tui.domain.placement import node_verdicts

NETWORKS = cluster("networks")
RESOURCES = cluster("resources")


@pytest.mark.parametrize(
    "vmi, node, expected",
    [
        ("vm-harvester", "node-2", []),
        ("vm-harvester", "node-no-data", ["Network"]),
        ("vm-harvester", "node-no-storage", ["MigrationNetwork"]),
        ("vm-by-hand", "node-no-data", ["Network"]),
        ("vm-by-hand", "node-no-storage", ["MigrationNetwork"]),
    ],
)
def test_network_rules(vmi, node, expected):
    found = verdict(node_verdicts(NETWORKS, NETWORKS.vmis[f"default/{vmi}"]), node)
    assert codes(found.reasons) == expected


def test_the_network_reason_names_the_cluster_network():
    found = verdict(node_verdicts(NETWORKS, NETWORKS.vmis["default/vm-harvester"]), "node-no-data")
    assert "cluster network data" in found.reasons[0].message


def test_a_network_without_harvesters_node_rule_still_names_its_nad():
    found = verdict(node_verdicts(NETWORKS, NETWORKS.vmis["default/vm-by-hand"]), "node-no-data")
    assert "default/vlan100" in found.reasons[0].message and "network.harvesterhci.io/data" in found.reasons[0].message


def test_the_migration_network_reason_names_the_nad_and_its_cluster_network():
    found = verdict(node_verdicts(NETWORKS, NETWORKS.vmis["default/vm-harvester"]), "node-no-storage")
    assert "harvester-system/migration" in found.reasons[0].message and "storage" in found.reasons[0].message


@pytest.mark.parametrize(
    "node, expected",
    [
        ("node-roomy", []),
        ("node-memory-full", ["Resources"]),
        ("node-cpu-full", ["Resources"]),
        ("node-pods-full", ["Resources"]),
    ],
)
def test_resource_fit(node, expected):
    found = verdict(node_verdicts(RESOURCES, RESOURCES.vmis["default/big"]), node)
    assert codes(found.reasons) == expected
    assert found.resources_checked


def test_not_enough_memory_names_the_numbers():
    message = verdict(node_verdicts(RESOURCES, RESOURCES.vmis["default/big"]), "node-memory-full").reasons[0].message
    assert "memory" in message and "16 GiB allocatable" in message and "10 GiB already requested by 1 pod," in message
    assert "6 GiB free" in message


def test_an_init_container_counts_while_it_would_run():
    message = verdict(node_verdicts(RESOURCES, RESOURCES.vmis["default/big"]), "node-cpu-full").reasons[0].message
    assert "3 CPU already requested by 2 pods" in message  # max(2.5 init, 1 container) + 0.5 exporter


def test_without_pod_data_resources_are_not_checked_and_not_guessed():
    snapshot = cluster("resources", pods_known=False)
    verdicts = node_verdicts(snapshot, snapshot.vmis["default/big"])
    assert not any(v.resources_checked for v in verdicts)
    assert "Resources" not in [c for v in verdicts for c in codes(v.reasons)]


def test_pod_requests_add_sidecars_to_the_containers_and_each_init_container():
    pod = parse_pod(
        {
            "spec": {
                "initContainers": [
                    {"name": "proxy", "restartPolicy": "Always", "resources": {"requests": {"cpu": "100m"}}},
                    {"name": "migrate-db", "resources": {"requests": {"cpu": "2"}}},
                ],
                "containers": [{"name": "app", "resources": {"requests": {"cpu": "500m"}}}],
                "overhead": {"cpu": "10m"},
            }
        }
    )
    assert pod.cpu_request_milli == 2100 + 10  # the init container runs next to the sidecar
