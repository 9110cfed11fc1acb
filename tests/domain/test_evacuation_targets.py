"""Emptying a node onto chosen nodes: each VM gets one chosen node it may go to, spread by free memory,
or stays saying why; never left to the scheduler once nodes are chosen."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from tests.domain.clusters import cluster
from tui.domain.evacuation import (
    DRAIN_EVACUATES,
    FROM_VMI,
    EvacuationPlan,
    EvictionStrategy,
    Movable,
    evacuation_plan,
)
from tui.domain.evacuation_targets import (
    STAYS_NO_ROOM_LEFT,
    STAYS_NOT_ON_CHOSEN,
    MemoryFacts,
    eligible_nodes,
    memory_facts,
    onto_chosen,
)
from tui.domain.keys import VMKey

GI = 1024**3
STRATEGY = EvictionStrategy("LiveMigrate", FROM_VMI)


def plan_of(*vms: tuple[str, tuple[str, ...]]) -> EvacuationPlan:
    movable = tuple(Movable("default", name, targets, STRATEGY) for name, targets in vms)
    return EvacuationPlan(node="node-0", found=True, cordoned=False, maintenance="", movable=movable)


def facts(free: dict[str, int | None], requests: dict[str, int | None]) -> MemoryFacts:
    return MemoryFacts(free, {VMKey("default", name): memory for name, memory in requests.items()})


def targets(plan: EvacuationPlan) -> dict[str, str]:
    return {item.name: item.target for item in plan.movable}


def test_with_no_node_chosen_the_plan_is_unchanged_and_the_scheduler_decides():
    plan = plan_of(("a", ("node-1", "node-2")))
    assert onto_chosen(plan, [], facts({}, {})) is plan
    assert plan.movable[0].to_dict()["target"] is None and plan.to_dict()["onto"] == []


def test_each_vm_goes_to_the_chosen_node_with_the_most_free_memory_left_after_those_placed_before():
    plan = plan_of(("a", ("node-1", "node-2")), ("b", ("node-1", "node-2")), ("c", ("node-1", "node-2")))
    chosen = onto_chosen(
        plan, ["node-1", "node-2"], facts({"node-1": 10 * GI, "node-2": 7 * GI}, {"a": 4 * GI, "b": 2 * GI, "c": GI})
    )
    # a (4 GiB) first: node-1 (10 -> 6); b (2 GiB): node-2 has 7, more than 6 (7 -> 5); c: node-1 (6 -> 5)
    assert targets(chosen) == {"a": "node-1", "b": "node-2", "c": "node-1"}
    assert [item.name for item in chosen.movable] == ["a", "b", "c"]  # in the plan's order
    assert chosen.onto == ("node-1", "node-2") and chosen.unmovable == ()
    assert chosen.to_dict()["onto"] == ["node-1", "node-2"]
    assert chosen.movable[1].to_dict()["target"] == "node-2"


def test_a_vm_goes_only_to_a_chosen_node_its_plan_says_can_take_it():
    plan = plan_of(("a", ("node-2",)), ("b", ("node-1", "node-2")))
    chosen = onto_chosen(plan, ["node-1", "node-2"], facts({"node-1": 100 * GI, "node-2": GI}, {"a": GI, "b": GI}))
    assert targets(chosen) == {"a": "node-2", "b": "node-1"}


def test_a_vm_no_chosen_node_can_take_stays_and_says_which_nodes_could():
    plan = plan_of(("a", ("node-3",)), ("b", ("node-1",)))
    chosen = onto_chosen(plan, ["node-1", "node-2"], facts({"node-1": 8 * GI, "node-2": 8 * GI}, {"a": GI, "b": GI}))
    assert targets(chosen) == {"b": "node-1"}
    [stays] = chosen.unmovable
    assert (stays.name, stays.code, stays.drain) == ("a", STAYS_NOT_ON_CHOSEN, DRAIN_EVACUATES)
    assert stays.why == "None of the chosen nodes (node-1, node-2) can take it; the nodes that can: node-3."
    assert "evacuation migration" in stays.on_drain


def test_a_vm_stays_when_the_chosen_nodes_have_no_memory_left_for_it_once_the_others_are_placed():
    plan = plan_of(("big", ("node-1",)), ("small", ("node-1",)), ("tiny", ("node-1",)))
    chosen = onto_chosen(plan, ["node-1"], facts({"node-1": 6 * GI}, {"big": 4 * GI, "small": 2 * GI, "tiny": 1 * GI}))
    assert targets(chosen) == {"big": "node-1", "small": "node-1"}
    [stays] = chosen.unmovable
    assert (stays.name, stays.code) == ("tiny", STAYS_NO_ROOM_LEFT)
    assert stays.why.startswith("The chosen nodes that can take it (node-1) have less free memory left than its")
    assert stays.why.endswith("would request (1 GiB) once the VMs placed before it are counted.")


def test_with_free_memory_unknown_the_vms_are_spread_by_count_in_the_order_the_nodes_were_chosen():
    plan = plan_of(("a", ("node-1", "node-2")), ("b", ("node-1", "node-2")), ("c", ("node-1", "node-2")))
    chosen = onto_chosen(plan, ["node-2", "node-1"], facts({"node-1": None, "node-2": None}, {}))
    assert targets(chosen) == {"a": "node-2", "b": "node-1", "c": "node-2"}
    assert chosen.onto == ("node-2", "node-1")


def test_a_node_named_twice_counts_once():
    plan = plan_of(("a", ("node-1",)))
    assert onto_chosen(plan, ["node-1", "node-1"], facts({"node-1": GI}, {"a": GI})).onto == ("node-1",)


def test_the_eligible_nodes_are_those_that_can_take_at_least_one_vm():
    assert eligible_nodes(plan_of(("a", ("node-3", "node-1")), ("b", ("node-2", "node-1")))) == (
        "node-1",
        "node-2",
        "node-3",
    )


def test_free_memory_and_requests_are_read_from_the_cluster():
    unread = cluster("evacuation")
    plan = evacuation_plan(unread, "node-1", datetime(2026, 6, 17, 12, 1, 40, tzinfo=timezone.utc))
    assert memory_facts(unread, plan).free["node-2"] is None  # pods unread: what is requested is unknown
    snapshot = replace(unread, pods_known=True)
    found = memory_facts(snapshot, plan)
    node = snapshot.nodes["node-2"]
    used = sum(pod.memory_request for pod in snapshot.pods_on("node-2") if not pod.is_terminal)
    assert found.free["node-2"] == node.allocatable_memory - used
    assert set(found.requests) == {item.key for item in plan.movable}
    assert all(memory is None or memory > 0 for memory in found.requests.values())
