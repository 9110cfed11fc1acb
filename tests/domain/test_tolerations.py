"""Taints against tolerations, as kube-scheduler's TaintToleration filter applies them."""

from __future__ import annotations

import pytest

from tests.domain.clusters import cluster, codes, verdict
from tui.domain.objects import Taint, Toleration
from tui.domain.placement import node_verdicts
from tui.domain.scheduling import cordon_blocks, tolerates, untolerated_taints

TOLERATIONS = cluster("tolerations")


def eligible_nodes(vmi: str) -> list[str]:
    return [v.node for v in node_verdicts(TOLERATIONS, TOLERATIONS.vmis[f"default/{vmi}"]) if v.eligible]


@pytest.mark.parametrize(
    "vmi, eligible",
    [
        ("vm-no-tolerations", ["node-prefer-db"]),
        ("vm-tolerates-everything", ["node-dedicated-db", "node-evicting", "node-flaky", "node-prefer-db"]),
        ("vm-db-any-effect", ["node-dedicated-db", "node-prefer-db"]),
        ("vm-web", ["node-prefer-db"]),
        ("vm-flaky-ok", ["node-flaky", "node-prefer-db"]),
        ("vm-any-dedicated", ["node-dedicated-db", "node-prefer-db"]),
        ("vm-wrong-effect", ["node-prefer-db"]),
        ("vm-no-operator", ["node-dedicated-db", "node-prefer-db"]),
        ("vm-stays-through-maintenance", ["node-evicting", "node-prefer-db"]),
    ],
)
def test_each_toleration_admits_the_nodes_kube_scheduler_would(vmi, eligible):
    assert eligible_nodes(vmi) == eligible


def test_the_taint_is_named_with_key_value_and_effect():
    found = verdict(node_verdicts(TOLERATIONS, TOLERATIONS.vmis["default/vm-web"]), "node-dedicated-db")
    assert codes(found.reasons) == ["Taint"]
    assert "dedicated=db:NoSchedule" in found.reasons[0].message


def test_a_taint_without_value_is_named_without_one():
    found = verdict(node_verdicts(TOLERATIONS, TOLERATIONS.vmis["default/vm-web"]), "node-flaky")
    assert "example.com/flaky:NoSchedule" in found.reasons[0].message


@pytest.mark.parametrize(
    "toleration, taint, result",
    [
        (Toleration(operator="Exists"), Taint("any", "thing", "NoExecute"), True),
        (Toleration(key="k", operator="Exists"), Taint("k", "v", "NoSchedule"), True),
        (Toleration(key="k", operator="Equal", value="v"), Taint("k", "v", "NoExecute"), True),
        (Toleration(key="k", operator="Equal", value="v"), Taint("k", "w", "NoSchedule"), False),
        (Toleration(key="k", operator="", value="v", effect="NoSchedule"), Taint("k", "v", "NoSchedule"), True),
        (Toleration(key="k", operator="Exists", effect="NoExecute"), Taint("k", "v", "NoSchedule"), False),
        (Toleration(key="k", operator="Gte", value="1"), Taint("k", "1", "NoSchedule"), False),
        (Toleration(key="other", operator="Exists"), Taint("k", "v", "NoSchedule"), False),
    ],
)
def test_tolerates_follows_toleration_tolerates_taint(toleration, taint, result):
    assert tolerates(toleration, taint) is result


def test_prefer_no_schedule_is_never_an_untolerated_taint():
    assert untolerated_taints([Taint("k", "v", "PreferNoSchedule")], []) == []


def test_a_cordon_is_lifted_only_by_tolerating_the_unschedulable_taint():
    assert cordon_blocks(True, [])
    assert not cordon_blocks(True, [Toleration(key="node.kubernetes.io/unschedulable", operator="Exists")])
    assert not cordon_blocks(False, [])
