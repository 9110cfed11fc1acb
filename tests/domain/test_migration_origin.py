"""Who started a migration: KubeVirt's evacuation of a node, a workload update, Harvester, or a user."""

from __future__ import annotations

from tests.domain.clusters import cluster
from tui.domain.migration_origin import Starter, migration_origin
from tui.domain.objects import parse_migration, parse_vmi

HISTORY = cluster("history")


def origin_of(key: str):
    migration = HISTORY.migrations[key]
    return migration_origin(migration, HISTORY.vmis.get(f"{migration.namespace}/{migration.vmi_name}"), HISTORY.nodes)


def test_an_evacuation_names_the_node_from_its_annotation():
    origin = origin_of("prod/kubevirt-evacuation-abcde")
    assert (origin.starter, origin.node, origin.by_kubevirt) == (Starter.EVACUATION, "harvester-02", True)


def test_an_evacuation_of_a_node_in_harvester_maintenance_says_so():
    origin = origin_of("prod/kubevirt-evacuation-abcde")
    assert origin.maintenance
    assert origin.short == "maintenance"


def test_an_evacuation_without_its_annotation_takes_the_node_from_the_vmi():
    migration = parse_migration(
        {"metadata": {"name": "kubevirt-evacuation-x1", "namespace": "prod"}, "spec": {"vmiName": "db-3"}}
    )
    origin = migration_origin(migration, HISTORY.vmis["prod/db-3"], HISTORY.nodes)
    assert (origin.starter, origin.node) == (Starter.EVACUATION, "harvester-02")


def test_a_workload_update():
    origin = origin_of("default/kubevirt-workload-update-4hx2q")
    assert (origin.starter, origin.short) == (Starter.WORKLOAD_UPDATE, "update")
    assert origin.sentence == "started by KubeVirt (workload update after a KubeVirt upgrade)"


def test_a_volume_update_is_kubevirts_own():
    migration = parse_migration(
        {
            "metadata": {
                "name": "kubevirt-workload-update-v2",
                "namespace": "prod",
                "annotations": {"kubevirt.io/workloadUpdateMigration": ""},
                "labels": {"kubevirt.io/volume-update-migration": "app-1"},
            },
            "spec": {"vmiName": "app-1"},
        }
    )
    assert migration_origin(migration).starter == Starter.VOLUME_UPDATE


def test_a_plain_migration_was_started_by_a_user():
    origin = origin_of("prod/web-1-q7x2b")
    assert (origin.starter, origin.by_kubevirt, origin.short) == (Starter.USER, False, "user")


def test_harvesters_migrate_action_with_a_chosen_node_while_it_runs():
    # pkg/api/vm/handler.go migrate, Harvester v1.7.0: VMI annotation + addedNodeSelector on the VMIM.
    vmi = parse_vmi(
        {
            "metadata": {
                "name": "app-1",
                "namespace": "prod",
                "annotations": {"harvesterhci.io/migrationTargetNodeName": "harvester-03"},
            },
            "status": {"phase": "Running", "nodeName": "harvester-01"},
        }
    )
    migration = parse_migration(
        {
            "metadata": {"name": "app-1-abcde", "namespace": "prod"},
            "spec": {"vmiName": "app-1", "addedNodeSelector": {"kubernetes.io/hostname": "harvester-03"}},
            "status": {"phase": "Running"},
        }
    )
    assert migration_origin(migration, vmi).starter == Starter.HARVESTER
    assert migration_origin(migration, None).starter == Starter.USER
