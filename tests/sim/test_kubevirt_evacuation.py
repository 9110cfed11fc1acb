"""KubeVirt's answer to evictions of virt-launcher pods, its evacuation migrations, and Harvester's maintenance status.

Driven over HTTP (the eviction subresource, as `kubectl drain` calls it) with the manual clock.
Upstream: pod-eviction-admitter.go and watch/drain/evacuation/evacuation.go at KubeVirt v1.6.3;
maintain_controller.go at Harvester v1.7.0.
"""

from __future__ import annotations

from typing import Iterator

import pytest
import yaml

from tests.sim.conftest import RawHttp
from tests.sim.kubevirt_cluster import advance_until, events_about, running, vm, vmi_of
from tui.sim.runtime import SimCluster

INTERCEPTOR = 'admission webhook "virt-launcher-eviction-interceptor.kubevirt.io" denied the request: '
EVICTION = {"apiVersion": "policy/v1", "kind": "Eviction"}


def strategy_vm(name: str, strategy: str | None, on_node: str = "node-a", **options: object) -> str:
    """A Harvester VM with its own evictionStrategy (None: the VM names none)."""
    obj = yaml.safe_load(vm(name, on_node=on_node, **options))
    spec = obj["spec"]["template"]["spec"]
    if strategy is None:
        spec.pop("evictionStrategy", None)
    else:
        spec["evictionStrategy"] = strategy
    return yaml.safe_dump(obj, sort_keys=False)


def launcher(cluster: SimCluster, vmi: str) -> dict:
    """The running launcher pod of a VMI."""
    pods = [
        p
        for p in cluster.store.list("pods", "default", label_selector=f"vm.kubevirt.io/name={vmi}")
        if p.get("status", {}).get("phase") == "Running"
    ]
    assert len(pods) == 1, [p["metadata"]["name"] for p in pods]
    return pods[0]


def evict(http: RawHttp, pod: dict) -> tuple[int, dict]:
    return http.json("POST", f"/api/v1/namespaces/default/pods/{pod['metadata']['name']}/eviction", EVICTION)


def evacuations(cluster: SimCluster) -> list[dict]:
    return [
        m
        for m in cluster.store.list("virtualmachineinstancemigrations", "default")
        if m["metadata"]["name"].startswith("kubevirt-evacuation-")
    ]


def started(cluster: SimCluster) -> None:
    """Let the scenario's VMs come up."""
    cluster.advance(30)


@pytest.fixture
def mixed() -> Iterator[tuple[SimCluster, RawHttp]]:
    """node-a runs one VM of each strategy, two of them not live-migratable (a host device)."""
    with running(
        strategy_vm("mover", "LiveMigrateIfPossible"),
        strategy_vm("strict", "LiveMigrate"),
        strategy_vm("external", "External"),
        strategy_vm("disposable", "None"),
        strategy_vm("unset", None),
        strategy_vm("pinned", "LiveMigrateIfPossible", host_device=True),
        strategy_vm("stuck", "LiveMigrate", host_device=True),
    ) as cluster:
        started(cluster)
        yield cluster, RawHttp(cluster)


def test_evicting_a_migratable_vm_is_refused_and_marks_it_for_evacuation(mixed):
    cluster, http = mixed
    status, body = evict(http, launcher(cluster, "mover"))
    assert status == 429
    assert body["message"] == INTERCEPTOR + 'Eviction triggered evacuation of VMI "default/mover"'
    assert vmi_of(cluster, "mover")["status"]["evacuationNodeName"] == "node-a"


def test_a_second_eviction_says_the_evacuation_is_in_progress(mixed):
    cluster, http = mixed
    pod = launcher(cluster, "mover")
    evict(http, pod)
    status, body = evict(http, pod)
    assert status == 429
    assert (
        body["message"] == INTERCEPTOR + 'Evacuation in progress: Eviction triggered evacuation of VMI "default/mover"'
    )


def test_the_evacuation_controller_creates_a_migration_named_and_annotated_as_kubevirt_does(mixed):
    cluster, http = mixed
    evict(http, launcher(cluster, "mover"))
    cluster.advance(1)
    (migration,) = evacuations(cluster)
    assert migration["spec"]["vmiName"] == "mover"
    assert migration["metadata"]["annotations"]["kubevirt.io/evacuationMigration"] == "node-a"
    assert migration["metadata"]["labels"]["kubevirt.io/vmi-name"] == "mover"
    assert ("Normal", "SuccessfulCreate", f"Created Migration {migration['metadata']['name']}") in events_about(
        cluster, "mover"
    )


def test_after_the_evacuation_the_vmi_has_left_and_the_old_launcher_can_be_evicted(mixed):
    cluster, http = mixed
    source = launcher(cluster, "mover")
    evict(http, source)
    cluster.advance(1)
    (migration,) = evacuations(cluster)
    assert advance_until(cluster, migration["metadata"]["name"], ("Succeeded", "Failed")) == "Succeeded"
    status = vmi_of(cluster, "mover")["status"]
    assert status["nodeName"] != "node-a" and "evacuationNodeName" not in status
    code, _ = evict(http, cluster.store.get("pods", "default", source["metadata"]["name"]))
    assert code == 201


def test_live_migrate_on_a_vm_that_cannot_migrate_is_refused_without_marking(mixed):
    cluster, http = mixed
    status, body = evict(http, launcher(cluster, "stuck"))
    assert status == 429
    assert (
        body["message"] == INTERCEPTOR + "VMI stuck is configured with an eviction strategy but is not live-migratable"
    )
    assert "evacuationNodeName" not in vmi_of(cluster, "stuck")["status"]


@pytest.mark.parametrize("name", ["disposable", "unset", "pinned"])
def test_a_vm_that_will_not_or_cannot_migrate_is_evicted_and_stops(mixed, name):
    """None, no strategy at all (the KubeVirt CR names none), and LiveMigrateIfPossible on a VM with a host device."""
    cluster, http = mixed
    pod = launcher(cluster, name)
    status, _ = evict(http, pod)
    assert status == 201
    assert not cluster.store.exists("pods", "default", pod["metadata"]["name"])
    cluster.advance(1)
    assert vmi_of(cluster, name)["status"]["phase"] == "Succeeded"
    assert evacuations(cluster) == []


def test_external_is_marked_and_left_to_its_owner(mixed):
    cluster, http = mixed
    status, body = evict(http, launcher(cluster, "external"))
    assert status == 429 and body["message"].endswith('Eviction triggered evacuation of VMI "default/external"')
    cluster.advance(30)
    assert vmi_of(cluster, "external")["status"]["evacuationNodeName"] == "node-a"
    assert evacuations(cluster) == []


def test_the_kubevirt_crs_eviction_strategy_applies_to_vms_that_name_none(mixed):
    cluster, http = mixed
    kubevirt = cluster.store.list("kubevirts")[0]
    kubevirt["spec"]["configuration"]["evictionStrategy"] = "LiveMigrate"
    cluster.store.update("kubevirts", kubevirt)
    status, _ = evict(http, launcher(cluster, "unset"))
    assert status == 429
    assert vmi_of(cluster, "unset")["status"]["evacuationNodeName"] == "node-a"


def test_a_dry_run_eviction_does_not_mark_the_vmi(mixed):
    cluster, http = mixed
    pod = launcher(cluster, "mover")
    status, _ = http.json(
        "POST", f"/api/v1/namespaces/default/pods/{pod['metadata']['name']}/eviction?dryRun=All", EVICTION
    )
    assert status == 429
    assert "evacuationNodeName" not in vmi_of(cluster, "mover")["status"]


# -- parallel limits --------------------------------------------------------------------------------------


def test_at_most_two_evacuations_leave_one_node_at_once():
    with running(*(strategy_vm(f"vm-{i}", "LiveMigrate") for i in range(3))) as cluster:
        started(cluster)
        http = RawHttp(cluster)
        for index in range(3):
            evict(http, launcher(cluster, f"vm-{index}"))
        cluster.advance(1)
        assert sorted(m["spec"]["vmiName"] for m in evacuations(cluster)) == ["vm-0", "vm-1"]
        for _ in range(600):
            if len(evacuations(cluster)) == 3:
                break
            cluster.advance(1)
        assert sorted(m["spec"]["vmiName"] for m in evacuations(cluster)) == ["vm-0", "vm-1", "vm-2"]


def test_evacuating_three_nodes_never_runs_more_than_five_migrations():
    vms = [
        strategy_vm(f"{node}-{i}", "LiveMigrate", on_node=node)
        for node in ("node-a", "node-b", "node-c")
        for i in range(2)
    ]
    with running(*vms) as cluster:
        started(cluster)
        http = RawHttp(cluster)
        for node in ("node-a", "node-b", "node-c"):
            for index in range(2):
                evict(http, launcher(cluster, f"{node}-{index}"))
        most = 0
        for _ in range(900):
            cluster.advance(1)
            active = [
                m
                for m in evacuations(cluster)
                if m.get("status", {}).get("phase") not in ("", "Pending", "Succeeded", "Failed", None)
            ]
            most = max(most, len(active))
            if len([m for m in evacuations(cluster) if m.get("status", {}).get("phase") == "Succeeded"]) == 6:
                break
        assert most <= 5
        assert all(
            vmi_of(cluster, f"{node}-{i}")["status"]["nodeName"] != node
            for node in ("node-a", "node-b", "node-c")
            for i in range(2)
        )


# -- Harvester's maintenance mode ------------------------------------------------------------------------


def request_maintenance(cluster: SimCluster, node: str, forced: bool = False) -> None:
    """What Harvester's enableMaintenanceMode action writes on the node."""
    obj = cluster.store.get("nodes", "", node)
    annotations = obj["metadata"].setdefault("annotations", {})
    annotations["harvesterhci.io/drain-requested"] = "true"
    if forced:
        annotations["harvesterhci.io/drain-forced"] = "true"
    cluster.store.update("nodes", obj)


def maintain_status(cluster: SimCluster, node: str) -> str | None:
    return (
        cluster.store.get("nodes", "", node)["metadata"].get("annotations", {}).get("harvesterhci.io/maintain-status")
    )


def test_maintenance_mode_cordons_drains_and_completes():
    with running(strategy_vm("mover", "LiveMigrate"), strategy_vm("other", "LiveMigrateIfPossible")) as cluster:
        started(cluster)
        request_maintenance(cluster, "node-a")
        cluster.advance(2)  # the drain evicts, then KubeVirt's evacuation controller creates migrations
        node = cluster.store.get("nodes", "", "node-a")
        assert node["spec"]["unschedulable"] is True
        assert sorted(m["spec"]["vmiName"] for m in evacuations(cluster)) == ["mover", "other"]
        assert maintain_status(cluster, "node-a") is None  # the drain is still waiting for KubeVirt
        written: list[str] = []  # every maintain-status the node was written with, as a watch sees them

        def note(change) -> None:
            if change.resource.plural == "nodes" and change.raw["metadata"]["name"] == "node-a":
                value = change.raw["metadata"].get("annotations", {}).get("harvesterhci.io/maintain-status")
                if value and (not written or written[-1] != value):
                    written.append(value)

        cluster.store.subscribe(note)
        for _ in range(600):
            cluster.advance(1)
            if maintain_status(cluster, "node-a") == "completed":
                break
        assert written == ["running", "completed"]
        annotations = cluster.store.get("nodes", "", "node-a")["metadata"]["annotations"]
        assert "harvesterhci.io/drain-requested" not in annotations
        assert cluster.store.list("pods", field_selector="spec.nodeName=node-a") == []


def test_maintenance_mode_is_given_up_when_a_vm_cannot_migrate():
    with running(
        strategy_vm("mover", "LiveMigrate"), strategy_vm("pinned", "LiveMigrateIfPossible", host_device=True)
    ) as cluster:
        started(cluster)
        request_maintenance(cluster, "node-a")
        cluster.advance(5)
        node = cluster.store.get("nodes", "", "node-a")
        assert not node["spec"].get("unschedulable")
        assert "harvesterhci.io/drain-requested" not in node["metadata"].get("annotations", {})
        assert evacuations(cluster) == []


def test_forced_maintenance_stops_the_vms_that_cannot_migrate():
    with running(
        strategy_vm("mover", "LiveMigrate"), strategy_vm("pinned", "LiveMigrateIfPossible", host_device=True)
    ) as cluster:
        started(cluster)
        request_maintenance(cluster, "node-a", forced=True)
        for _ in range(600):
            cluster.advance(1)
            if maintain_status(cluster, "node-a") == "completed":
                break
        assert maintain_status(cluster, "node-a") == "completed"
        assert cluster.store.get("virtualmachines", "default", "pinned")["spec"]["runStrategy"] == "Halted"
        assert vmi_of(cluster, "mover")["status"]["nodeName"] != "node-a"


# -- the default scenario: a node some VMs cannot leave ------------------------------------------------


def test_draining_harvester_node_3_of_the_default_scenario_leaves_a_vm_with_nowhere_to_go():
    """dev-sandbox and legacy-erp are not live-migratable and get evicted (they stop); jump-host moves;
    monitoring-01 is migratable but no other node may take it, so its evacuation fails and is tried again."""
    with SimCluster.start("default", manual_clock=True) as cluster:
        http = RawHttp(cluster)
        answers = {}
        for pod in cluster.store.list("pods", field_selector="spec.nodeName=harvester-node-3"):
            meta = pod["metadata"]
            status, _ = http.json(
                "POST", f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/eviction", EVICTION
            )
            answers[meta["annotations"]["kubevirt.io/domain"]] = status
        assert answers == {"dev-sandbox": 201, "legacy-erp": 201, "jump-host": 429, "monitoring-01": 429}
        cluster.advance(400)
        by_vmi: dict[str, list[str]] = {}
        for migration in evacuations(cluster):
            by_vmi.setdefault(migration["spec"]["vmiName"], []).append(migration["status"].get("phase", ""))
        assert by_vmi["jump-host"] == ["Succeeded"]
        assert "Failed" in by_vmi["monitoring-01"] and len(by_vmi["monitoring-01"]) >= 2
        stuck = vmi_of(cluster, "monitoring-01")["status"]
        assert (stuck["nodeName"], stuck["evacuationNodeName"]) == ("harvester-node-3", "harvester-node-3")
        assert cluster.store.get("virtualmachineinstances", "finance", "legacy-erp")["status"]["phase"] == "Succeeded"
