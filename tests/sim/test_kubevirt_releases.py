"""The release scenarios: the default cluster on KubeVirt 1.3 to 1.7 and Harvester 1.5 to 1.8, each
answering over HTTP as that release does (its version, its Harvester setting and OS image, its rules)."""

from __future__ import annotations

import pytest
from kubernetes import client

from tests.sim.kubevirt_cluster import advance_until, api_client
from tui.sim.runtime import SimCluster
from tui.sim.scenario import ScenarioError, builtin_scenarios, parse_scenario
from tui.sim.scenarios.versions import RELEASES

HARVESTER = ("harvesterhci.io", "v1beta1")
BY_NAME = {release.name: release for release in RELEASES}


def test_every_release_named_in_the_issue_has_a_scenario():
    names = set(builtin_scenarios())
    kubevirt = {"1.3", "1.4", "1.5.0", "1.5.2", "1.6", "1.7"}
    harvester = {"1.5", "1.6", "1.7", "1.8"}
    assert {f"release-kubevirt-{v}" for v in kubevirt} | {f"release-harvester-{v}" for v in harvester} <= names
    # Harvester 1.6 ships KubeVirt 1.5.2, Harvester 1.7 ships 1.6.3 (deploy/charts/harvester/values.yaml).
    assert (BY_NAME["release-harvester-1.6"].kubevirt, BY_NAME["release-harvester-1.7"].kubevirt) == ("1.5.2", "1.6.3")


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_a_release_reports_its_versions_over_the_api(name, tmp_path):
    release = BY_NAME[name]
    with SimCluster.start(name, manual_clock=True) as cluster, api_client(cluster, tmp_path) as api:
        cluster.advance(5)
        custom = client.CustomObjectsApi(api)
        (kubevirt,) = custom.list_cluster_custom_object("kubevirt.io", "v1", "kubevirts")["items"]
        settings = custom.list_cluster_custom_object(*HARVESTER, "settings")["items"]
        images = {node.status.node_info.os_image for node in client.CoreV1Api(api).list_node().items}
        phases = {
            vmi["status"]["phase"]
            for vmi in custom.list_cluster_custom_object("kubevirt.io", "v1", "virtualmachineinstances")["items"]
        }
    assert kubevirt["status"]["observedKubeVirtVersion"] == release.build
    assert phases == {"Running"}
    if release.harvester:
        assert kubevirt["metadata"]["namespace"] == "harvester-system"
        assert [(s["metadata"]["name"], s["default"]) for s in settings] == [("server-version", release.harvester)]
        assert images == {f"Harvester {release.harvester}"}
    else:
        assert kubevirt["metadata"]["namespace"] == "kubevirt"
        assert settings == [] and not any(image.startswith("Harvester") for image in images)


def _launcher_selector(cluster, vm: str) -> dict:
    (pod,) = [
        p for p in cluster.store.list("pods", "default") if p["metadata"]["labels"].get("vm.kubevirt.io/name") == vm
    ]
    return pod["spec"]["nodeSelector"]


@pytest.mark.parametrize(
    ("name", "asked"),
    [("release-kubevirt-1.5.0", False), ("release-kubevirt-1.5.2", True), ("release-harvester-1.5", False)],
)
def test_the_machine_type_selector_comes_with_kubevirt_1_5_1(name, asked):
    with SimCluster.start(name, manual_clock=True) as cluster:
        selector = _launcher_selector(cluster, "web-frontend-01")
    assert any(key.startswith("machine-type.node.kubevirt.io/") for key in selector) is asked


@pytest.mark.parametrize(
    ("name", "per_gib"), [("release-kubevirt-1.3", 800), ("release-kubevirt-1.4", 150), ("release-harvester-1.8", 150)]
)
def test_a_migration_gets_the_completion_timeout_default_of_its_release(name, per_gib, tmp_path):
    body = {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstanceMigration",
        "metadata": {"name": "m"},
        "spec": {"vmiName": "web-frontend-01"},
    }
    with SimCluster.start(name, manual_clock=True) as cluster, api_client(cluster, tmp_path) as api:
        client.CustomObjectsApi(api).create_namespaced_custom_object(
            "kubevirt.io", "v1", "default", "virtualmachineinstancemigrations", body
        )
        assert advance_until(cluster, "m", ("Succeeded", "Failed"), limit=300) == "Succeeded"
        state = cluster.store.get("virtualmachineinstances", "default", "web-frontend-01")["status"]["migrationState"]
    assert state["migrationConfiguration"]["completionTimeoutPerGiB"] == per_gib


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("release-harvester-1.6", False),
        ("release-harvester-1.7", True),
        ("release-kubevirt-1.5.2", False),
        ("release-kubevirt-1.6", True),
    ],
)
def test_the_added_node_selector_exists_from_kubevirt_1_6(name, kept, tmp_path):
    body = {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstanceMigration",
        "metadata": {"name": "pinned"},
        "spec": {"vmiName": "db-primary", "addedNodeSelector": {"kubernetes.io/hostname": "harvester-node-3"}},
    }
    with SimCluster.start(name, manual_clock=True) as cluster, api_client(cluster, tmp_path) as api:
        created = client.CustomObjectsApi(api).create_namespaced_custom_object(
            "kubevirt.io", "v1", "default", "virtualmachineinstancemigrations", body
        )
    assert ("addedNodeSelector" in created["spec"]) is kept


def test_a_scenario_names_its_harvester_release():
    text = 'apiVersion: livemig.io/v1alpha1\nkind: Simulation\nkubevirtVersion: "1.5.2"\nharvesterVersion: v1.6.0\n'
    assert parse_scenario(text).simulation.harvester_version == "v1.6.0"
    with pytest.raises(ScenarioError, match="harvesterVersion: must be a version string"):
        parse_scenario(text.replace("v1.6.0", "latest"))


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_only_a_harvester_release_marks_its_nodes_as_harvester_s(name, tmp_path):
    release = BY_NAME[name]
    with SimCluster.start(name, manual_clock=True) as cluster, api_client(cluster, tmp_path) as api:
        nodes = client.CoreV1Api(api).list_node().items
    marks = {
        key
        for node in nodes
        for key in {**(node.metadata.labels or {}), **(node.metadata.annotations or {})}
        if key.startswith("harvesterhci.io/")
    }
    if release.harvester:
        assert "harvesterhci.io/managed" in marks
    else:
        assert marks == set()
