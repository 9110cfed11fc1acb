"""Nodes that are not Ready, and nodes with long names, as a real cluster treats them.

The node lifecycle controller taints a node by its conditions (kubernetes
pkg/controller/nodelifecycle/node_lifecycle_controller.go), kube-scheduler then keeps pods off it,
and a kubelet that is not Ready starts no pod.
"""

from __future__ import annotations

import yaml
from kubernetes import client
from kubernetes.client.rest import ApiException

from tests.sim.kubevirt_cluster import KUBEVIRT, api_client, condition, migrate, node, phase_of, running, vm, vmi_of


def _not_ready_node(name: str, index: int, status: str = "False") -> str:
    """A node dumped while its kubelet reports Ready=False (e.g. the network plugin is down)."""
    doc = yaml.safe_load(node(name, index))
    doc["status"]["conditions"] = [
        {
            "type": "Ready",
            "status": status,
            "reason": "KubeletNotReady",
            "message": "container runtime network not ready: NetworkReady=false",
        }
    ]
    return yaml.safe_dump(doc, sort_keys=False)


def _taints(cluster, name: str) -> list[tuple[str, str]]:
    return [(t["key"], t["effect"]) for t in cluster.store.get("nodes", None, name)["spec"].get("taints", [])]


def test_a_node_dumped_not_ready_gets_the_not_ready_taints():
    with running(_not_ready_node("node-d", 4)) as cluster:
        taints = _taints(cluster, "node-d")
    assert taints == [("node.kubernetes.io/not-ready", "NoSchedule"), ("node.kubernetes.io/not-ready", "NoExecute")]


def test_a_node_whose_status_is_unknown_gets_the_unreachable_taints_and_ready_loses_them():
    with running(_not_ready_node("node-d", 4, status="Unknown")) as cluster:
        unknown = _taints(cluster, "node-d")
        cluster.fault("node-ready", node="node-d")
        cluster.advance(1)
        back = _taints(cluster, "node-d")
    assert unknown == [
        ("node.kubernetes.io/unreachable", "NoSchedule"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
    ]
    assert back == []


def test_pressure_conditions_give_their_no_schedule_taints_and_other_taints_stay():
    doc = yaml.safe_load(node("node-d", 4, taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]))
    doc["status"]["conditions"] = [{"type": "Ready", "status": "True"}, {"type": "DiskPressure", "status": "True"}]
    with running(yaml.safe_dump(doc)) as cluster:
        taints = _taints(cluster, "node-d")
    assert taints == [("dedicated", "NoSchedule"), ("node.kubernetes.io/disk-pressure", "NoSchedule")]


def test_a_migration_target_is_not_placed_on_a_node_that_is_not_ready(tmp_path):
    with (
        running(vm("app", model="host-passthrough", on_node="node-a"), _not_ready_node("node-d", 4)) as cluster,
        api_client(cluster, tmp_path) as api,
    ):
        name = migrate(api, "app", target="node-d")["metadata"]["name"]
        cluster.advance(3)
        (target,) = [
            p
            for p in cluster.store.list("pods", "default")
            if p["metadata"]["labels"].get("kubevirt.io/migrationJobUID")
        ]
        phase = phase_of(cluster, name)
    assert "spec" in target and not target["spec"].get("nodeName")
    assert phase == "Scheduling"
    assert (
        "1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }"
        in condition(target, "PodScheduled")["message"]
    )


def _target_pod(cluster) -> dict | None:
    found = [
        p for p in cluster.store.list("pods", "default") if p["metadata"]["labels"].get("kubevirt.io/migrationJobUID")
    ]
    return found[0] if found else None


def test_the_kubelet_of_a_node_that_is_not_ready_starts_no_pod_until_it_is_ready(tmp_path):
    with (
        running(vm("app", model="host-passthrough", on_node="node-a")) as cluster,
        api_client(cluster, tmp_path) as api,
    ):
        migrate(api, "app", target="node-b")
        for _ in range(10):  # until the scheduler has bound the target pod, before its kubelet starts it
            cluster.advance(1)
            pod = _target_pod(cluster)
            if pod is not None and pod["spec"].get("nodeName"):
                break
        bound = pod["spec"].get("nodeName"), pod["status"]["phase"]
        cluster.fault("node-not-ready", node="node-b")
        phases = []
        for _ in range(3):
            cluster.advance(5)
            phases.append(_target_pod(cluster)["status"]["phase"])
        cluster.fault("node-ready", node="node-b")
        cluster.advance(5)
        after = _target_pod(cluster)["status"]["phase"]
    assert bound == ("node-b", "Pending")
    assert phases == ["Pending", "Pending", "Pending"]
    assert after == "Running"


LONG_NAME = "node-" + "x" * 90 + ".example.com"


def _long_named_node() -> str:
    """A node whose name is a valid DNS subdomain of more than 63 characters; its hostname label is short,
    as the kubelet writes the host's own name there."""
    doc = yaml.safe_load(node("node-d", 9))
    doc["metadata"]["name"] = LONG_NAME
    return yaml.safe_dump(doc)


def test_a_migration_to_a_node_with_a_long_name_stops_where_kubevirt_stops(tmp_path):
    # KubeVirt (watch/migration/migration.go handleTargetPodHandoff, v1.3.0 to v1.9.0) labels the VMI with
    # kubevirt.io/migrationTargetNodeName=<node name>; a label value is at most 63 characters, so the API
    # server refuses the hand-off and KubeVirt retries it: the migration stays Scheduled, as on a real cluster.
    with (
        running(vm("app", model="host-passthrough", on_node="node-a"), _long_named_node()) as cluster,
        api_client(cluster, tmp_path) as api,
    ):
        for cordoned in ("node-b", "node-c"):
            client.CoreV1Api(api).patch_node(cordoned, {"spec": {"unschedulable": True}})
        name = migrate(api, "app")["metadata"]["name"]
        cluster.advance(20)
        (target,) = [
            p
            for p in cluster.store.list("pods", "default")
            if p["metadata"]["labels"].get("kubevirt.io/migrationJobUID")
        ]
        phase = phase_of(cluster, name)
        vmi = vmi_of(cluster, "app")
        body = {"metadata": {"labels": {"kubevirt.io/migrationTargetNodeName": LONG_NAME}}}
        try:
            client.CustomObjectsApi(api).patch_namespaced_custom_object(
                *KUBEVIRT, "default", "virtualmachineinstances", "app", body
            )
            refusal = ""
        except ApiException as error:
            refusal = str(error.body)
    assert target["spec"]["nodeName"] == LONG_NAME and target["status"]["phase"] == "Running"
    assert phase == "Scheduled" and "migrationState" not in vmi["status"]
    assert "must be no more than 63 characters" in refusal
