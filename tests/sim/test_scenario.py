"""Scenarios: Kubernetes YAML plus one Simulation document; bad ones are refused with the document and field named."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tui.sim.runtime import SimCluster
from tui.sim.scenario import Scenario, ScenarioError, ScenarioOptions, load_scenario, parse_scenario, register_scenario

GOOD = """
apiVersion: livemig.io/v1alpha1
kind: Simulation
kubevirtVersion: "1.5.2"
migrationBandwidth: 128Mi
defaultDirtyRate: 4Mi
dirtyRates:
  lab/vm1: 1Gi
monitoring: true
historySize: 200
startTime: "2026-01-19T05:00:00Z"
users:
- {name: admin, role: admin, token: admin-token}
- name: alice
  rules: [{verbs: [get, list, watch], apiGroups: [kubevirt.io], resources: [virtualmachineinstances], namespaces: [default]}]
nodeCPUs:
  harv41: {hostModel: XYZ, models: ["123", XYZ], features: [vmx], requiredFeatures: [vmx]}
---
apiVersion: v1
kind: List
items:
- apiVersion: kubevirt.io/v1
  kind: VirtualMachine
  metadata: {name: vm1, namespace: lab}
  spec: {runStrategy: Halted}
---
apiVersion: v1
kind: Node
metadata:
  name: harv41
  labels: {kubernetes.io/hostname: harv41}
"""


def test_a_scenario_reads_its_objects_and_simulation():
    scenario = parse_scenario(GOOD)
    simulation = scenario.simulation
    assert [o["kind"] for o in scenario.objects] == ["VirtualMachine", "Node"]
    assert simulation.kubevirt_version == "1.5.2"
    assert simulation.migration_bandwidth == 128 * 1024 * 1024
    assert simulation.dirty_rate("lab", "vm1") == 1024**3
    assert simulation.dirty_rate("default", "idle") == 4 * 1024 * 1024
    assert simulation.monitoring and simulation.history_size == 200
    assert simulation.start_time == datetime(2026, 1, 19, 5, 0, tzinfo=timezone.utc)
    assert simulation.node_cpus["harv41"].models == ("123", "XYZ")
    assert [u.name for u in simulation.users] == ["admin", "alice"]
    assert simulation.users[1].rules[0].namespaces == ("default",)


def test_without_a_simulation_document_the_users_are_admin_and_viewer():
    scenario = parse_scenario("apiVersion: v1\nkind: Namespace\nmetadata: {name: lab}\n")
    assert [(u.name, u.role) for u in scenario.simulation.users] == [("admin", "admin"), ("viewer", "viewer")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: Node\nmetadata: {name: [oops\n", "document 1: not valid YAML at line 3, column 1"),
        ("apiVersion: v1\nmetadata: {name: x}\n", "document 1: kind: required"),
        (
            "---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n",
            'document 2 (Secret s): kind: unknown kind "Secret"',
        ),
        (
            "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: Bad_VM, namespace: lab}\n",
            'document 1 (VirtualMachine lab/Bad_VM): metadata.name: Invalid value: "Bad_VM"',
        ),
        (
            "apiVersion: livemig.io/v1alpha1\nkind: Simulation\nmonitoring: sometimes\n",
            "document 1 (Simulation): monitoring: must be true or false",
        ),
        (
            "apiVersion: livemig.io/v1alpha1\nkind: Simulation\nmigrationBandwith: 1Gi\n",
            "document 1 (Simulation): migrationBandwith: unknown field",
        ),
        (
            "apiVersion: livemig.io/v1alpha1\nkind: Simulation\nmigrationBandwidth: fast\n",
            "migrationBandwidth: 'fast' is not a quantity",
        ),
        (
            "apiVersion: livemig.io/v1alpha1\nkind: Simulation\nusers: [{name: bob, role: root}]\n",
            'users[0].role: must be "admin" or "viewer"',
        ),
        (
            "apiVersion: livemig.io/v1alpha1\nkind: Simulation\nnodeCPUs: {n1: {hostModel: XYZ, modles: []}}\n",
            "nodeCPUs[n1].modles: unknown field",
        ),
        (
            "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Node}\n",
            "document 1, item 1 (Node): metadata: required",
        ),
    ],
)
def test_bad_scenarios_name_the_document_and_field(text, message):
    with pytest.raises(ScenarioError) as error:
        parse_scenario(text)
    assert message in str(error.value)


def test_an_unknown_scenario_name_lists_the_built_in_ones():
    with pytest.raises(ScenarioError) as error:
        load_scenario("no-such-scenario")
    assert "built-in scenarios: " in str(error.value) and "empty" in str(error.value)


def test_a_scenario_file_loads_by_path(tmp_path):
    path = tmp_path / "lab.yaml"
    path.write_text(GOOD)
    assert load_scenario(path).name == "lab.yaml"


def test_registered_scenarios_receive_the_options():
    register_scenario("test-sized", lambda options: Scenario(name=f"sized-{options.vms}"))
    assert load_scenario("test-sized", ScenarioOptions(vms=12)).name == "sized-12"


def test_a_cluster_loads_objects_into_namespaces_it_creates(tmp_path):
    with SimCluster.start(parse_scenario(GOOD), manual_clock=True) as cluster:
        assert cluster.store.exists("namespaces", None, "lab")
        assert cluster.store.get("virtualmachines", "lab", "vm1")["spec"] == {"runStrategy": "Halted"}
        assert cluster.tokens["admin"] == "admin-token" and cluster.tokens["alice"]
        assert cluster.clock.now() == datetime(2026, 1, 19, 5, 0, tzinfo=timezone.utc)


def test_a_scenario_with_the_same_object_twice_does_not_start():
    text = "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"
    with pytest.raises(ScenarioError) as error:
        SimCluster.start(parse_scenario(text), manual_clock=True)
    assert 'object 2 (Node n1): nodes "n1" already exists' in str(error.value)


def test_every_namespace_of_the_default_scenario_is_active():
    from tui.sim.runtime import SimCluster

    with SimCluster.start("default", manual_clock=True) as cluster:
        phases = {ns["metadata"]["name"]: ns.get("status", {}).get("phase") for ns in cluster.store.list("namespaces")}
    assert {"finance", "harvester-system", "cattle-monitoring-system"} <= set(phases)
    assert set(phases.values()) == {"Active"}
