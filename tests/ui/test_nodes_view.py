"""The Nodes screen's rows and the evacuation plan's words, without Textual, from a fixture cluster."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.domain.clusters import cluster
from tui.domain.evacuation import evacuation_plan
from tui.view.evacuation import EvacuationBatches, headline, node_not_found, queue_words, targets_words
from tui.view.ledger import MigrationLedger
from tui.view.nodes import node_lines

SNAPSHOT = cluster("evacuation")
NOW = datetime(2026, 6, 17, 12, 1, 40, tzinfo=timezone.utc)


def ledger() -> MigrationLedger:
    found = MigrationLedger(NOW)
    found.update(SNAPSHOT, None, SNAPSHOT.vmis.keys(), lambda namespace, vmi: (None, None), NOW)
    return found


def test_each_node_has_its_state_cordon_cpu_vms_and_migrations_out():
    lines = {line.name: line for line in node_lines(SNAPSHOT, ledger())}
    assert list(lines) == ["node-1", "node-2", "node-3"]
    assert (lines["node-1"].state, lines["node-1"].vms, lines["node-1"].outbound) == ("Ready", 8, 1)
    assert lines["node-3"].state == "cordoned" and lines["node-3"].vms == 0
    assert lines["node-1"].cpu == "Haswell-noTSX-IBRS"
    assert lines["node-1"].free_memory is None  # pods not known: not guessed


def test_the_plan_in_words():
    plan = evacuation_plan(SNAPSHOT, "node-1", NOW)
    assert headline(plan) == "2 VMs will move, 5 cannot, 1 is migrating already."
    assert [targets_words(item) for item in plan.movable] == ["to node-2", "to node-2"]
    assert queue_words(plan) == (
        "KubeVirt runs at most 2 migrations out of a node at once (5 in the cluster): 1 will wait as queued "
        "(phase Pending) and start as others end."
    )


def test_a_batch_counts_only_its_migrations_not_yet_finished():
    batches = EvacuationBatches()
    assert batches.unfinished("node-1", ledger()) == []
    batches.started("node-1", ("default/kubevirt-evacuation-7xk2p", "default/gone"))
    assert [view.name for view in batches.unfinished("node-1", ledger())] == ["kubevirt-evacuation-7xk2p"]


def test_many_target_nodes_are_counted_after_the_first_four():
    from tui.domain.evacuation import EvictionStrategy, Movable

    item = Movable("default", "web", tuple(f"node-{i}" for i in range(10)), EvictionStrategy("LiveMigrate", "vmi"))
    assert targets_words(item) == ("the scheduler picks one of 10 nodes (node-0, node-1, node-2, node-3 and 6 more)")


def test_an_unknown_node_among_many_is_answered_with_the_nearest_names():
    known = [f"harvester-{i:04}" for i in range(300)]
    said = node_not_found("harvester-007", known)
    assert said.startswith(
        "there is no node named harvester-007 (the cluster has 300 nodes; the nearest: harvester-0007, "
    )
    assert said.count("harvester-0") == 3 + 1
