"""The node rules read one frozen input, which is also the key of their cached answer.

The answer `nodes_allowed_by_rules` keeps per snapshot and input must be the one the full verdicts
give (but free capacity) for every VM that shares it, and the source node's name, which the rules get
beside the input, may only change their messages, never whether a node is refused.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.domain.clusters import cluster
from tui.domain import reasons as codes
from tui.domain.phases import VMIPhase
from tui.domain.placement import (
    any_node_allowed_by_rules,
    node_verdicts,
    nodes_allowed_by_rules,
)
from tui.domain.placement.target import migration_rule_input, template_target
from tui.domain.placement.verdict import RULES
from tui.domain.snapshot import ClusterSnapshot

FIXTURES = (
    "affinity",
    "blockers",
    "cpu",
    "cpu-advice",
    "harvester-nodes",
    "networks",
    "placement",
    "plain-kubevirt",
    "plan",
    "resources",
    "scheduler-rules",
    "tolerations",
    "versions",
)


def _running(snapshot: ClusterSnapshot) -> list:
    return [vmi for vmi in snapshot.vmis.values() if vmi.phase == VMIPhase.RUNNING]


@pytest.mark.parametrize("name", FIXTURES)
@pytest.mark.parametrize("pods_known", [None, False])
def test_the_kept_answer_is_the_verdicts_answer_for_every_vm_that_shares_it(name: str, pods_known: bool | None) -> None:
    snapshot = cluster(name, pods_known=pods_known)
    running = _running(snapshot)
    assert running, f"fixture {name} has running VMs"
    for vmi in running:  # one snapshot: every VM after the first may be answered from the kept value
        by_rules = {
            v.node
            for v in node_verdicts(snapshot, vmi)
            if all(reason.code == codes.RESOURCES for reason in v.reasons) and v.node != vmi.node_name
        }
        assert set(nodes_allowed_by_rules(snapshot, vmi)) == by_rules, vmi.key
        assert any_node_allowed_by_rules(snapshot, vmi) is bool(by_rules), vmi.key


@pytest.mark.parametrize("name", FIXTURES)
def test_the_source_name_words_messages_and_refuses_no_node(name: str) -> None:
    snapshot = cluster(name)
    for vmi in _running(snapshot):
        facts = migration_rule_input(snapshot, vmi)
        for node in snapshot.nodes.values():
            for rule in RULES:
                refused = {bool(rule(node, facts, source)) for source in (vmi.node_name, "", "elsewhere")}
                assert len(refused) == 1, (vmi.key, node.name, rule.__name__)


def test_vms_that_ask_for_the_same_things_on_two_nodes_share_one_input() -> None:
    snapshot = cluster("cpu")
    vmi = snapshot.vmis["default/vm-passthrough"]  # no CPU labels: the source's host model plays no part
    moved = replace(vmi, node_name="node-haswell")
    assert snapshot.nodes["node-haswell"].arch == snapshot.nodes[vmi.node_name].arch
    here, there = migration_rule_input(snapshot, vmi), migration_rule_input(snapshot, moved)
    assert here == there and hash(here) == hash(there)
    # One answer, each VM's own source left out of it.
    assert set(nodes_allowed_by_rules(snapshot, moved)) - {vmi.node_name} == set(
        nodes_allowed_by_rules(snapshot, vmi)
    ) - {"node-haswell"}


def test_a_host_model_vm_on_another_cpu_generation_gets_its_own_input() -> None:
    snapshot = cluster("cpu")
    vmi = snapshot.vmis["default/vm-fresh"]
    moved = replace(vmi, node_name="node-haswell")
    assert migration_rule_input(snapshot, vmi) != migration_rule_input(snapshot, moved)


def test_a_field_of_the_input_is_part_of_the_key() -> None:
    snapshot = cluster("networks")
    vmi = _running(snapshot)[0]
    facts = migration_rule_input(snapshot, vmi)
    assert facts != replace(facts, pods_known=not facts.pods_known)
    assert facts != replace(facts, migration_network=("harvester-system/other", "other"))
    assert len({facts, replace(facts), replace(facts, source_arch="s390x")}) == 2


def test_a_stopped_vm_is_placed_without_a_source() -> None:
    snapshot = cluster("blockers")
    vm = next(iter(snapshot.vms.values()))
    target = template_target(snapshot, vm)
    assert (target.source_name, target.source_node, target.rules.source_known) == ("", None, False)
