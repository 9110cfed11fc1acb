"""Emptying a node: which VMs move and where, which stay and why, and what a drain would do with them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone

from tests.domain.clusters import cluster
from tui.domain.evacuation import (
    DRAIN_EVACUATES,
    DRAIN_EVICTS,
    DRAIN_LEFT_TO_OWNER,
    DRAIN_REFUSED,
    FROM_CLUSTER,
    FROM_KUBEVIRT_DEFAULT,
    FROM_VMI,
    STAYS_EVICTION_NONE,
    STAYS_EXTERNAL,
    EvacuationPlan,
    cordoned,
    evacuation_plan,
)

SNAPSHOT = cluster("evacuation")
NOW = datetime(2026, 6, 17, 12, 1, 40, tzinfo=timezone.utc)
PLAN = evacuation_plan(SNAPSHOT, "node-1", NOW)


def stays(plan: EvacuationPlan, name: str):
    [found] = [item for item in plan.unmovable if item.name == name]
    return found


def test_a_migratable_vm_moves_to_every_node_that_can_take_it_but_never_a_cordoned_one():
    [web] = [item for item in PLAN.movable if item.name == "web"]
    assert web.targets == ("node-2",)  # node-3 is cordoned, node-1 is the one emptied
    assert (web.strategy.value, web.strategy.source) == ("LiveMigrate", FROM_VMI)


def test_the_movable_vms_are_those_whose_strategy_asks_for_a_live_migration():
    assert [str(item.key) for item in PLAN.movable] == ["default/web", "shop/db"]


def test_without_a_strategy_of_its_own_the_clusters_default_applies():
    [db] = [item for item in PLAN.movable if item.name == "db"]
    assert (db.strategy.value, db.strategy.source) == ("LiveMigrate", FROM_CLUSTER)


def test_with_no_strategy_anywhere_kubevirts_default_none_applies_and_the_vm_stays():
    kubevirt = replace(SNAPSHOT.kubevirt, eviction_strategy="")
    plan = evacuation_plan(replace(SNAPSHOT, kubevirt=kubevirt), "node-1", NOW)
    db = stays(plan, "db")
    assert db.code == STAYS_EVICTION_NONE
    assert db.strategy.source == FROM_KUBEVIRT_DEFAULT
    assert "evictionStrategy None (KubeVirt's default, as the KubeVirt CR names none)" in db.why


def test_eviction_strategy_none_stays_and_says_a_drain_would_shut_it_down_and_always_starts_it_again():
    legacy = stays(PLAN, "legacy")
    assert legacy.code == STAYS_EVICTION_NONE
    assert "migrate it by hand if it must keep running" in legacy.why
    assert legacy.on_drain == (
        "A drain would evict it: the guest shuts down, and KubeVirt starts it again on another node "
        "(runStrategy Always)."
    )


def test_eviction_strategy_external_is_left_to_its_owner():
    ext = stays(PLAN, "ext")
    assert ext.code == STAYS_EXTERNAL
    assert "leaves moving it to its owner" in ext.why
    assert "KubeVirt refuses the eviction and marks the VMI (evacuationNodeName)" in ext.on_drain


def test_a_vm_kubevirt_calls_not_live_migratable_stays_with_kubevirts_reason():
    sandbox = stays(PLAN, "sandbox")
    assert sandbox.code == "NotLiveMigratable"
    assert "DisksNotLiveMigratable" in sandbox.why
    assert sandbox.on_drain == (
        "A drain would evict it: the guest shuts down, and it stays stopped (runStrategy RerunOnFailure)."
    )


def test_live_migrate_on_a_vm_that_cannot_migrate_makes_a_drain_stuck():
    strict = stays(PLAN, "strict")
    assert strict.code == "NotLiveMigratable"
    assert strict.on_drain.startswith("A drain would be stuck: KubeVirt refuses to evict")


def test_no_eligible_node_summarises_each_nodes_reasons_counting_the_cordon():
    rack1 = stays(PLAN, "rack1")
    assert rack1.code == "NoEligibleNode"
    assert rack1.why == "No other node can take it: node-2: NodeSelector; node-3: Unschedulable."
    assert "start an evacuation migration, and wait while that cannot succeed" in rack1.on_drain


def test_a_vm_with_a_migration_underway_is_neither_moved_nor_blocked_and_kubevirts_own_is_told():
    [leaving] = PLAN.migrating
    assert (str(leaving.key), leaving.migration, leaving.by_kubevirt) == (
        "default/leaving",
        "kubevirt-evacuation-7xk2p",
        True,
    )
    assert "leaving" not in {item.name for item in (*PLAN.movable, *PLAN.unmovable)}


def test_vms_on_other_nodes_are_not_in_the_plan():
    names = {item.name for item in (*PLAN.movable, *PLAN.unmovable, *PLAN.migrating)}
    assert "elsewhere" not in names


def test_the_plan_is_made_as_if_the_node_were_cordoned_without_changing_the_snapshot():
    assert not SNAPSHOT.nodes["node-1"].unschedulable
    assert cordoned(SNAPSHOT, "node-1").nodes["node-1"].unschedulable
    assert not PLAN.cordoned


def test_an_already_cordoned_node_says_so():
    plan = evacuation_plan(cordoned(SNAPSHOT, "node-1"), "node-1", NOW)
    assert plan.cordoned
    assert [str(item.key) for item in plan.movable] == ["default/web", "shop/db"]


def test_migrations_beyond_the_outbound_limit_are_counted_as_queued():
    # Two movable, one migration already out of node-1, at most two out of a node: one waits.
    assert (PLAN.parallel_outbound_per_node, PLAN.parallel_per_cluster) == (2, 5)
    assert PLAN.queued == 1


def test_an_empty_or_unknown_node_has_nothing_to_do():
    plan = evacuation_plan(SNAPSHOT, "node-3", NOW)
    assert plan.found and plan.nothing_to_do
    missing = evacuation_plan(SNAPSHOT, "node-9", NOW)
    assert not missing.found and missing.nothing_to_do


def test_without_the_nodes_a_migratable_vm_still_moves_and_the_scheduler_decides():
    plan = evacuation_plan(replace(SNAPSHOT, nodes_known=False), "node-1", NOW)
    [web] = [item for item in plan.movable if item.name == "web"]
    assert web.targets == ()
    assert not plan.nodes_known


def test_the_json_has_the_documented_shape():
    data = PLAN.to_dict()
    assert list(data) == [
        "node",
        "cordoned",
        "maintenance",
        "movable",
        "unmovable",
        "migrating",
        "nodes_known",
        "parallel_migrations_per_cluster",
        "parallel_outbound_migrations_per_node",
        "running_in_cluster",
        "onto",
    ]
    assert list(data["movable"][0]) == ["vm", "targets", "target", "eviction_strategy", "eviction_strategy_from"]
    assert list(data["unmovable"][0]) == [
        "vm",
        "code",
        "why",
        "on_drain",
        "drain",
        "eviction_strategy",
        "eviction_strategy_from",
        "reasons",
    ]
    json.dumps(data)


def test_what_a_drain_does_is_given_as_a_code_for_each_vm_that_stays():
    assert {item.name: item.drain for item in PLAN.unmovable} == {
        "ext": DRAIN_LEFT_TO_OWNER,
        "legacy": DRAIN_EVICTS,
        "rack1": DRAIN_EVACUATES,
        "sandbox": DRAIN_EVICTS,
        "strict": DRAIN_REFUSED,
    }
