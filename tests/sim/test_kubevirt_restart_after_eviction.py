"""A runStrategy Always VM whose guest a drain evicted (evictionStrategy None) is started again by the VM
controller, on another node: pkg/virt-controller/watch/vm/vm.go syncRunStrategy, case RunStrategyAlways
(KubeVirt v1.6.0): a final VMI is deleted ("Stopped the virtual machine by deleting the virtual machine
instance <uid>") and the next sync creates a new one, which the scheduler places off the cordoned node."""

from __future__ import annotations

from tests.sim.conftest import RawHttp
from tests.sim.kubevirt_cluster import events_about, running, vmi_of
from tests.sim.test_kubevirt_evacuation import evict, launcher, started, strategy_vm


def cordon(http: RawHttp, node: str) -> None:
    status, body = http.json(
        "PATCH",
        f"/api/v1/nodes/{node}",
        {"spec": {"unschedulable": True}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert status == 200, body


def test_an_evicted_guest_of_an_always_vm_starts_again_elsewhere():
    with running(strategy_vm("keeper", "None", run="Always")) as cluster:
        started(cluster)
        http = RawHttp(cluster)
        first = vmi_of(cluster, "keeper")
        assert first["status"]["nodeName"] == "node-a"
        cordon(http, "node-a")
        status, _ = evict(http, launcher(cluster, "keeper"))
        assert status == 201
        cluster.advance(30)
        again = vmi_of(cluster, "keeper")
        assert again["metadata"]["uid"] != first["metadata"]["uid"]
        assert (again["status"]["phase"], again["status"]["nodeName"]) == ("Running", "node-b")
        stopped = f"Stopped the virtual machine by deleting the virtual machine instance {first['metadata']['uid']}"
        assert ("Normal", "SuccessfulDelete", stopped) in events_about(cluster, "keeper")
