"""Required node affinity as kube-scheduler reads it: terms ORed, expressions ANDed, every operator."""

from __future__ import annotations

import pytest

from tests.domain.clusters import cluster, codes, verdict
from tui.domain.objects import NodeAffinity, NodeSelectorTerm, SelectorRequirement
from tui.domain.placement import node_verdicts
from tui.domain.scheduling import required_affinity, requirement_problem

AFFINITY = cluster("affinity")
NODES = ["node-a3", "node-b12", "node-b-norack"]


def eligible_nodes(vmi: str) -> list[str]:
    verdicts = node_verdicts(AFFINITY, AFFINITY.vmis[f"default/{vmi}"])
    return [v.node for v in verdicts if v.eligible]


@pytest.mark.parametrize(
    "vmi, eligible",
    [
        ("vm-in", ["node-a3"]),
        ("vm-not-in", ["node-b-norack", "node-b12"]),
        ("vm-exists", ["node-b12"]),
        ("vm-does-not-exist", ["node-a3", "node-b-norack"]),
        ("vm-gt", ["node-b12"]),
        ("vm-lt", ["node-a3"]),
        ("vm-or", ["node-a3", "node-b12"]),
        ("vm-and", ["node-b12"]),
        ("vm-fields", ["node-a3"]),
        ("vm-empty-term", []),
        ("vm-invalid-term", ["node-b-norack", "node-b12"]),
        ("vm-vlan100", ["node-b12"]),
        ("vm-cpumanager-affinity", []),
    ],
)
def test_each_operator_selects_the_nodes_kube_scheduler_would(vmi, eligible):
    assert eligible_nodes(vmi) == eligible


def test_a_failing_expression_names_the_key_and_the_nodes_value():
    found = verdict(node_verdicts(AFFINITY, AFFINITY.vmis["default/vm-in"]), "node-b12")
    assert codes(found.reasons) == ["NodeAffinity"]
    assert "topology.kubernetes.io/zone in (zone-a)" in found.reasons[0].message
    assert "topology.kubernetes.io/zone=zone-b" in found.reasons[0].message


def test_gt_on_a_label_that_is_not_an_integer_fails_and_says_so():
    found = verdict(node_verdicts(AFFINITY, AFFINITY.vmis["default/vm-gt"]), "node-b-norack")
    assert "example.com/rack > 10" in found.reasons[0].message
    assert "example.com/rack=top-shelf" in found.reasons[0].message


def test_when_no_ored_term_matches_one_reason_lists_every_term():
    found = verdict(node_verdicts(AFFINITY, AFFINITY.vmis["default/vm-or"]), "node-b-norack")
    assert codes(found.reasons) == ["NodeAffinity"]
    assert "None of the 2" in found.reasons[0].message
    assert "term 1" in found.reasons[0].message and "term 2" in found.reasons[0].message


def test_every_anded_expression_that_fails_is_its_own_reason():
    found = verdict(node_verdicts(AFFINITY, AFFINITY.vmis["default/vm-and"]), "node-a3")
    assert codes(found.reasons) == ["NodeAffinity", "NodeAffinity"]


def test_an_empty_term_is_explained_as_matching_no_node():
    found = verdict(node_verdicts(AFFINITY, AFFINITY.vmis["default/vm-empty-term"]), "node-a3")
    assert "matches no node" in found.reasons[0].message


def test_an_invalid_term_is_explained_as_invalid():
    found = verdict(node_verdicts(AFFINITY, AFFINITY.vmis["default/vm-invalid-term"]), "node-a3")
    assert "invalid" in found.reasons[0].message and "ten" in found.reasons[0].message


def test_a_harvester_cluster_network_rule_reports_network_naming_the_cluster_network():
    found = verdict(node_verdicts(AFFINITY, AFFINITY.vmis["default/vm-vlan100"]), "node-a3")
    assert codes(found.reasons) == ["Network"]
    assert "cluster network vlan100" in found.reasons[0].message


def test_the_cpu_manager_label_in_an_affinity_reports_cpu_manager():
    found = verdict(node_verdicts(AFFINITY, AFFINITY.vmis["default/vm-cpumanager-affinity"]), "node-a3")
    assert codes(found.reasons) == ["CPUManager"]


def test_match_fields_failure_names_the_node():
    found = verdict(node_verdicts(AFFINITY, AFFINITY.vmis["default/vm-fields"]), "node-b12")
    assert "metadata.name in (node-a3)" in found.reasons[0].message and "node-b12" in found.reasons[0].message


# -- the predicate itself -------------------------------------------------------------------------


def term(*expressions: SelectorRequirement) -> NodeSelectorTerm:
    return NodeSelectorTerm(match_expressions=expressions)


def test_no_required_affinity_matches_every_node():
    assert required_affinity(NodeAffinity(None), {}, "n").matched


def test_required_affinity_with_no_terms_matches_no_node():
    result = required_affinity(NodeAffinity(()), {"a": "b"}, "n")
    assert not result.matched and result.no_usable_terms


def test_not_in_matches_a_node_without_the_label():
    affinity = NodeAffinity((term(SelectorRequirement("zone", "NotIn", ("a",))),))
    assert required_affinity(affinity, {}, "n").matched


@pytest.mark.parametrize(
    "requirement, problem",
    [
        (SelectorRequirement("zone", "Like", ("a",)), "unsupported operator"),
        (SelectorRequirement("zone", "In", ()), "at least one value"),
        (SelectorRequirement("zone", "Exists", ("a",)), "takes no values"),
        (SelectorRequirement("rack", "Gt", ("1", "2")), "exactly one value"),
        (SelectorRequirement("rack", "Lt", ("1.5",)), "integer"),
        (SelectorRequirement("bad key!", "Exists"), "not a valid label name"),
        (SelectorRequirement("zone", "In", ("has space",)), "not a valid label value"),
        (SelectorRequirement("rack", "Gt", ("-5",)), "not a valid label value"),
    ],
)
def test_expressions_kube_scheduler_refuses_are_named(requirement, problem):
    assert problem in requirement_problem(requirement)


@pytest.mark.parametrize("value, label, holds", [("10", "11", True), ("10", "10", False), ("9", "0010", True)])
def test_gt_compares_as_64_bit_integers(value, label, holds):
    affinity = NodeAffinity((term(SelectorRequirement("rack", "Gt", (value,))),))
    assert required_affinity(affinity, {"rack": label}, "n").matched is holds
