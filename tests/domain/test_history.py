"""A VM's migration history: every migration of its VMI still in the cluster, newest first, with route,
start, duration, outcome, KubeVirt's failure reason and who started it."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.domain.clusters import cluster
from tui.domain.history import KEPT_PER_VMI, migration_history
from tui.domain.migration_origin import Starter
from tui.domain.phases import Outcome

HISTORY = cluster("history")


def test_newest_first_by_creation():
    names = [entry.name for entry in migration_history(HISTORY, "default/slesvm-longhorn")]
    assert names == [
        "slesvm-longhorn-xkq7b",
        "kubevirt-workload-update-4hx2q",
        "kubevirt-evacuation-z5498",
        "slesvm-longhorn-7tq2f",
    ]


def test_a_succeeded_migration_has_its_route_start_and_duration():
    entry = migration_history(HISTORY, "default/slesvm-longhorn")[0]
    assert (entry.source, entry.target, entry.outcome) == ("harvester-01", "harvester-03", Outcome.SUCCEEDED)
    assert entry.started == datetime(2026, 6, 17, 12, 42, 49, tzinfo=timezone.utc)
    # From creation (12:42:40) to the Succeeded transition (12:42:53).
    assert entry.duration == 13.0
    assert entry.origin.starter == Starter.USER


def test_a_timed_out_evacuation_keeps_kubevirts_reason_and_the_drained_node():
    entry = migration_history(HISTORY, "default/slesvm-longhorn")[2]
    assert entry.outcome == Outcome.TIMED_OUT
    assert entry.failure_reason == "Live migration is not completed after 600 seconds and has been aborted"
    assert (entry.origin.starter, entry.origin.node) == (Starter.EVACUATION, "harvester-02")
    assert entry.origin.sentence == "started by KubeVirt (evacuating harvester-02, Harvester maintenance mode)"


def test_a_migration_that_failed_before_hand_off_has_no_source_but_the_node_asked_for():
    entry = migration_history(HISTORY, "default/slesvm-longhorn")[3]
    assert (entry.outcome, entry.source, entry.target, entry.started) == (Outcome.FAILED, "", "harvester-01", None)
    assert entry.duration == 301.0


def test_a_running_migration_has_no_duration_yet():
    entry = migration_history(HISTORY, "prod/db-1")[0]
    assert (entry.final, entry.outcome, entry.duration) == (False, "", None)


def test_a_vm_without_migrations_has_an_empty_history():
    assert migration_history(HISTORY, "prod/db-3") == ()


def test_kubevirt_keeps_five_finished_migrations_per_vmi():
    # defaultFinalizedMigrationGarbageCollectionBuffer, pkg/virt-controller/watch/migration/migration.go v1.6.0
    assert KEPT_PER_VMI == 5
