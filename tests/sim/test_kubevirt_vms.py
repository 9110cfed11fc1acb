"""VMs in the simulated cluster: their VMIs and launcher pods, the conditions KubeVirt computes, starting and stopping."""

from __future__ import annotations

import pytest
from kubernetes import client

from tests.sim.kubevirt_cluster import KUBEVIRT, api_client, condition, events_about, running, vm, vmi_of
from tui.domain.objects import parse_pod
from tui.domain.quantity import parse_quantity


def _launcher(cluster, name: str) -> dict:
    (pod,) = cluster.store.list("pods", "default", label_selector=f"vm.kubevirt.io/name={name}")
    return pod


@pytest.fixture
def vms():
    documents = (
        vm("app", on_node="node-a"),
        vm("hm", model=None, on_node="node-b"),
        vm("rwo", access="ReadWriteOnce"),
        vm("bridged", binding="bridge"),
        vm("gpu", host_device=True),
        vm("stopped", run="Halted"),
        vm("racked", node_selector={"rack": "r2"}),
    )
    with running(*documents) as cluster:
        yield cluster


def test_every_running_vm_gets_a_running_vmi(vms):
    phases = {v["metadata"]["name"]: v["status"]["phase"] for v in vms.store.list("virtualmachineinstances", "default")}
    assert phases == {
        "app": "Running",
        "hm": "Running",
        "rwo": "Running",
        "bridged": "Running",
        "gpu": "Running",
        "racked": "Running",
    }


def test_the_vm_status_follows_its_vmi(vms):
    status = {v["metadata"]["name"]: v["status"] for v in vms.store.list("virtualmachines", "default")}
    assert (
        status["app"]["printableStatus"] == "Running"
        and status["app"]["ready"] is True
        and status["app"]["created"] is True
    )
    assert status["stopped"]["printableStatus"] == "Stopped" and "created" not in status["stopped"]
    assert condition({"status": status["stopped"]}, "Ready")["reason"] == "VMINotExists"
    assert condition({"status": status["rwo"]}, "LiveMigratable")["reason"] == "DisksNotLiveMigratable"


def test_the_cpu_model_is_defaulted_to_host_model_when_the_cluster_names_none(vms):
    assert vmi_of(vms, "hm")["spec"]["domain"]["cpu"]["model"] == "host-model"
    assert vmi_of(vms, "app")["spec"]["domain"]["cpu"]["model"] == "123"


def test_the_cpu_model_is_defaulted_from_the_kubevirt_cr(tmp_path):
    with running(vm("hm", model=None)) as cluster:
        cluster.store.patch(
            "kubevirts", "harvester-system", "kubevirt", {"spec": {"configuration": {"cpuModel": "123"}}}
        )
        with api_client(cluster, tmp_path) as api:
            body = cluster.store.get("virtualmachines", "default", "hm")["spec"]["template"]
            vmi = {
                "apiVersion": "kubevirt.io/v1",
                "kind": "VirtualMachineInstance",
                "metadata": {"name": "standalone"},
                "spec": body["spec"],
            }
            created = client.CustomObjectsApi(api).create_namespaced_custom_object(
                *KUBEVIRT, "default", "virtualmachineinstances", vmi
            )
    assert created["spec"]["domain"]["cpu"]["model"] == "123"


def test_a_vmi_runs_on_a_node_its_selector_allows(vms):
    assert vmi_of(vms, "racked")["status"]["nodeName"] == "node-c"


def test_the_launcher_pod_is_shaped_as_kubevirt_renders_it(vms):
    vmi = vmi_of(vms, "app")
    pod = _launcher(vms, "app")
    meta, spec = pod["metadata"], pod["spec"]
    assert (
        meta["labels"]["kubevirt.io"] == "virt-launcher"
        and meta["labels"]["kubevirt.io/created-by"] == vmi["metadata"]["uid"]
    )
    assert meta["annotations"]["kubevirt.io/domain"] == "app"
    assert meta["ownerReferences"][0] | {} == {
        "apiVersion": "kubevirt.io/v1",
        "blockOwnerDeletion": True,
        "controller": True,
        "kind": "VirtualMachineInstance",
        "name": "app",
        "uid": vmi["metadata"]["uid"],
    }
    assert spec["nodeSelector"] == {
        "kubevirt.io/schedulable": "true",
        "kubernetes.io/arch": "amd64",
        "cpu-model.node.kubevirt.io/123": "true",
        "machine-type.node.kubevirt.io/q35": "true",
    }
    assert spec["nodeName"] == vmi["status"]["nodeName"] == "node-a"
    assert {
        "effect": "NoExecute",
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "tolerationSeconds": 300,
    } in spec["tolerations"]


def test_a_host_model_launcher_pod_rejects_nodes_with_an_obsolete_host_model(vms):
    terms = _launcher(vms, "hm")["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ]
    assert terms == [
        {"matchExpressions": [{"key": "node-labeller.kubevirt.io/obsolete-host-model", "operator": "DoesNotExist"}]}
    ]


def test_the_launcher_pod_asks_for_the_vms_memory_plus_kubevirts_overhead(vms):
    compute = _launcher(vms, "app")["spec"]["containers"][0]["resources"]
    asked = parse_quantity(compute["requests"]["memory"]).ceil()
    overhead = asked - 2 * 1024**3
    # Page tables, the launcher's processes, 2 vCPUs, an I/O thread and video RAM, times the 1.5 ratio.
    assert 300 * 2**20 < overhead < 500 * 2**20
    assert compute["limits"]["devices.kubevirt.io/kvm"] == "1"
    assert parse_pod(_launcher(vms, "app")).memory_request == asked + 60_000_000  # plus the console-log container


@pytest.mark.parametrize(
    ("name", "reason", "message"),
    [
        (
            "rwo",
            "DisksNotLiveMigratable",
            "cannot migrate VMI: PVC rwo-disk-0 is not shared, live migration requires that all PVCs must be shared (using ReadWriteMany access mode)",
        ),
        (
            "bridged",
            "InterfaceNotLiveMigratable",
            "cannot migrate VMI which does not use masquerade, bridge with kubevirt.io/allow-pod-bridge-network-live-migration VM annotation or a migratable plugin to connect to the pod network",
        ),
        ("gpu", "HostDeviceNotLiveMigratable", "VMI uses a PCI host devices"),
    ],
)
def test_a_vmi_that_cannot_move_says_why_in_its_live_migratable_condition(vms, name, reason, message):
    found = condition(vmi_of(vms, name), "LiveMigratable")
    assert (found["status"], found["reason"], found["message"]) == ("False", reason, message)


def test_a_host_model_vmi_on_a_node_without_a_host_model_is_not_live_migratable(tmp_path):
    extra_node = """
apiVersion: v1
kind: Node
metadata:
  name: node-d
  labels: {kubernetes.io/hostname: node-d, rack: r9}
status:
  allocatable: {cpu: "16", memory: 64Gi, pods: "110"}
"""
    with running(vm("hm", model=None, node_selector={"rack": "r9"}), extra_node) as cluster:
        found = condition(vmi_of(cluster, "hm"), "LiveMigratable")
    assert (found["status"], found["reason"], found["message"]) == (
        "False",
        "CPUModeLiveMigratable",
        'the node "node-d" does not allow migration with host-model',
    )


def test_the_vmi_reports_its_volumes_access_modes_from_the_vms_claims(vms):
    volumes = {v["name"]: v for v in vmi_of(vms, "rwo")["status"]["volumeStatus"]}
    assert volumes["disk-0"]["persistentVolumeClaimInfo"]["accessModes"] == ["ReadWriteOnce"]
    assert volumes["cloudinitdisk"]["size"] == 1048576


def test_starting_a_halted_vm_walks_its_vmi_to_running(vms):
    vms.store.patch("virtualmachines", "default", "stopped", {"spec": {"runStrategy": "Always"}})
    vms.advance(1)
    assert vms.store.get("virtualmachines", "default", "stopped")["status"]["printableStatus"] == "Starting"
    vms.advance(10)
    vmi = vmi_of(vms, "stopped")
    phases = [t["phase"] for t in vmi["status"]["phaseTransitionTimestamps"]]
    assert phases == ["Pending", "Scheduling", "Scheduled", "Running"]
    assert vms.store.get("virtualmachines", "default", "stopped")["status"]["printableStatus"] == "Running"
    reasons = [reason for _, reason, _ in events_about(vms, "stopped")]
    assert reasons == ["SuccessfulCreate", "SuccessfulCreate", "Created", "Started"]


def test_halting_a_vm_removes_its_vmi_and_pod(vms):
    vms.store.patch("virtualmachines", "default", "app", {"spec": {"runStrategy": "Halted"}})
    vms.advance(2)
    assert not vms.store.exists("virtualmachineinstances", "default", "app")
    assert vms.store.list("pods", "default", label_selector="vm.kubevirt.io/name=app") == []
    assert vms.store.get("virtualmachines", "default", "app")["status"]["printableStatus"] == "Stopped"


def test_deleting_a_vm_takes_its_vmi_and_finalizers_away(vms):
    vms.store.patch(
        "virtualmachines",
        "default",
        "app",
        {"metadata": {"finalizers": ["kubevirt.io/virtualMachineControllerFinalize"]}},
    )
    vms.store.delete("virtualmachines", "default", "app")
    vms.advance(3)
    assert not vms.store.exists("virtualmachines", "default", "app")
    assert not vms.store.exists("virtualmachineinstances", "default", "app")


def test_a_vm_no_node_can_take_is_error_unschedulable(tmp_path):
    with running(vm("nowhere", node_selector={"rack": "r404"})) as cluster:
        cluster.advance(2)
        status = cluster.store.get("virtualmachines", "default", "nowhere")["status"]
        pod = _launcher(cluster, "nowhere")
    assert status["printableStatus"] == "ErrorUnschedulable"
    assert condition(pod, "PodScheduled")["message"] == (
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: "
        "3 Preemption is not helpful for scheduling."
    )


DUMPED_VMI = """
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata:
  name: dumped
  namespace: default
  uid: 3cfa3af6-c6ed-4db6-a4c2-1e5374683f84
  labels: {harvesterhci.io/vmName: dumped, kubevirt.io/nodeName: node-b}
  ownerReferences:
  - {apiVersion: kubevirt.io/v1, blockOwnerDeletion: true, controller: true, kind: VirtualMachine, name: dumped, uid: d7a2d0cc-6dd3-41de-bff7-fcea88db58fe}
spec:
  domain:
    cpu: {cores: 2, model: "123", sockets: 1, threads: 1}
    devices:
      disks: [{bootOrder: 1, disk: {bus: virtio}, name: disk-0}]
      interfaces: [{masquerade: {}, model: virtio, name: default}]
    machine: {type: q35}
    memory: {guest: 2Gi}
    resources: {requests: {memory: 2Gi}}
  networks: [{name: default, pod: {}}]
  volumes: [{name: disk-0, persistentVolumeClaim: {claimName: dumped-disk-0}}]
status:
  phase: Running
  nodeName: node-b
  interfaces: [{ipAddress: 10.52.2.157, ipAddresses: [10.52.2.157], mac: "ca:1d:63:b2:80:ea", name: default}]
  conditions:
  - {lastProbeTime: null, lastTransitionTime: "2026-03-01T13:39:18Z", status: "True", type: Ready}
  - {lastProbeTime: null, lastTransitionTime: null, status: "True", type: LiveMigratable}
"""


def test_a_vmi_the_scenario_holds_is_kept_and_given_a_launcher_pod():
    with running(vm("dumped"), DUMPED_VMI) as cluster:
        vmi = vmi_of(cluster, "dumped")
        pod = _launcher(cluster, "dumped")
    assert vmi["metadata"]["uid"] == "3cfa3af6-c6ed-4db6-a4c2-1e5374683f84"
    assert vmi["status"]["interfaces"][0]["ipAddress"] == "10.52.2.157"
    assert (pod["spec"]["nodeName"], pod["status"]["phase"]) == ("node-b", "Running")
    assert pod["metadata"]["labels"]["kubevirt.io/created-by"] == "3cfa3af6-c6ed-4db6-a4c2-1e5374683f84"


def test_a_scenario_vm_the_simulation_cannot_start_stops_the_cluster_with_its_name():
    from tests.sim.kubevirt_cluster import scenario_text
    from tui.sim.runtime import SimCluster
    from tui.sim.scenario import ScenarioError, parse_scenario

    broken = "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: broken, namespace: default}\nspec: {runStrategy: Always, template: {spec: {domain: huge}}}\n"
    with pytest.raises(ScenarioError) as error:
        SimCluster.start(parse_scenario(scenario_text(broken)), manual_clock=True)
    assert str(error.value).startswith("VirtualMachine default/broken: the simulated KubeVirt cannot run it: ")
