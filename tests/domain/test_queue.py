"""A Pending migration held back by KubeVirt's parallel limits reads "queued" with the limit that holds it;
VMIs a drain marked that have no migration yet wait for the evacuation controller."""

from __future__ import annotations

from tests.domain.clusters import cluster, objects
from tui.domain.queue import CLUSTER, NODE, SAME_VM, limits, queue_hold, running_migrations, waiting_evacuations
from tui.domain.snapshot import ClusterSnapshot

HISTORY = cluster("history")


def with_kubevirt(migrations: dict) -> ClusterSnapshot:
    kubevirt = {
        "apiVersion": "kubevirt.io/v1",
        "kind": "KubeVirt",
        "metadata": {"name": "kubevirt", "namespace": "harvester-system"},
        "spec": {"configuration": {"migrations": migrations}},
        "status": {"observedKubeVirtVersion": "v1.6.3"},
    }
    return ClusterSnapshot.from_objects([*objects("history"), kubevirt])


def test_kubevirts_defaults_without_the_cr():
    found = limits(HISTORY)
    assert (found.per_cluster, found.outbound_per_node) == (5, 2)


def test_migrations_past_pending_count_as_running():
    assert sorted(m.name for m in running_migrations(HISTORY)) == [
        "kubevirt-evacuation-abcde",
        "kubevirt-evacuation-fghij",
    ]


def test_held_by_the_outbound_limit_of_its_node():
    hold = queue_hold(HISTORY, HISTORY.migrations["prod/web-1-q7x2b"])
    assert hold is not None and (hold.cause, hold.running, hold.limit, hold.node) == (NODE, 2, 2, "harvester-02")
    assert hold.text == "queued (2 of 2 leaving harvester-02)"


def test_held_by_the_cluster_limit_of_the_kubevirt_cr():
    snapshot = with_kubevirt({"parallelMigrationsPerCluster": 2})
    hold = queue_hold(snapshot, snapshot.migrations["prod/app-1-k2l9m"])
    assert hold is not None and hold.cause == CLUSTER
    assert hold.text == "queued (2 of 2 running in the cluster)"


def test_a_pending_migration_with_room_is_not_queued():
    assert queue_hold(HISTORY, HISTORY.migrations["prod/app-1-k2l9m"]) is None


def test_a_higher_outbound_limit_lets_it_start():
    snapshot = with_kubevirt({"parallelOutboundMigrationsPerNode": 3})
    assert queue_hold(snapshot, snapshot.migrations["prod/web-1-q7x2b"]) is None


def test_running_and_finished_migrations_are_never_queued():
    assert queue_hold(HISTORY, HISTORY.migrations["prod/kubevirt-evacuation-abcde"]) is None
    assert queue_hold(HISTORY, HISTORY.migrations["default/slesvm-longhorn-xkq7b"]) is None


def test_a_second_migration_of_the_same_vm_waits_for_the_first():
    second = {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstanceMigration",
        "metadata": {
            "name": "db-1-later",
            "namespace": "prod",
            "uid": "u-later",
            "creationTimestamp": "2026-06-17T13:05:00Z",
        },
        "spec": {"vmiName": "db-1"},
        "status": {"phase": "Pending"},
    }
    snapshot = ClusterSnapshot.from_objects([*objects("history"), second])
    hold = queue_hold(snapshot, snapshot.migrations["prod/db-1-later"])
    assert hold is not None and (hold.cause, hold.other) == (SAME_VM, "kubevirt-evacuation-abcde")


def test_a_marked_vmi_without_a_migration_waits_for_the_evacuation_controller():
    waiting = waiting_evacuations(HISTORY)
    assert [(w.vmi.name, w.node) for w in waiting] == [("db-3", "harvester-02")]
    assert waiting[0].hold is not None and waiting[0].hold.text == "queued (2 of 2 leaving harvester-02)"
