"""Cordon and uncordon: one PATCH of spec.unschedulable as kubectl sends it, clear words when refused."""

from __future__ import annotations

import pytest

from tests.cluster.simulated import connect, eventually
from tui.cluster.access import Action
from tui.cluster.node_actions import NodeActions


@pytest.fixture
def admin(kubeconfig):
    with connect(kubeconfig) as session:
        yield session


@pytest.fixture
def viewer(kubeconfig):
    with connect(kubeconfig, context="sim-viewer") as session:
        yield session


def unschedulable(cluster, node: str) -> bool:
    return bool(cluster.store.get("nodes", "", node).get("spec", {}).get("unschedulable"))


def actions(session, readonly: bool = False) -> NodeActions:
    return NodeActions(session.transport, session.store, readonly=readonly)


def test_cordon_sets_spec_unschedulable_and_says_what_it_means(cluster, admin):
    result = actions(admin).cordon("harv-2")
    assert result.ok, result.message
    assert result.message == "Node harv-2 cordoned: no new VM or pod is placed there."
    assert unschedulable(cluster, "harv-2")


def test_uncordon_removes_spec_unschedulable(cluster, admin):
    assert unschedulable(cluster, "harv-3")
    result = actions(admin).uncordon("harv-3")
    assert result.ok, result.message
    assert "unschedulable" not in cluster.store.get("nodes", "", "harv-3").get("spec", {})


def test_cordoning_a_cordoned_node_changes_nothing(cluster, admin):
    before = cluster.store.get("nodes", "", "harv-3")["metadata"]["resourceVersion"]
    result = actions(admin).cordon("harv-3")
    assert result.ok and result.message == "Node harv-3 is already cordoned: nothing to change."
    assert cluster.store.get("nodes", "", "harv-3")["metadata"]["resourceVersion"] == before


def test_a_node_that_does_not_exist_is_named(admin):
    result = actions(admin).cordon("harv-9")
    assert not result.ok and result.code == 404
    assert result.message.startswith("There is no node harv-9")


def test_a_user_who_may_not_patch_nodes_is_told_which_right_is_missing(cluster, viewer):
    result = actions(viewer).cordon("harv-2")
    assert not result.ok and result.code == 403
    assert result.message.startswith("You may not cordon node harv-2: that needs the right to patch nodes")
    assert not unschedulable(cluster, "harv-2")


def test_read_only_refuses_without_a_call(cluster, admin):
    result = actions(admin, readonly=True).cordon("harv-2")
    assert not result.ok and result.refused
    assert not unschedulable(cluster, "harv-2")


def test_the_store_sees_the_cordon(admin):
    actions(admin).cordon("harv-2")
    eventually(lambda: admin.store.snapshot().nodes["harv-2"].unschedulable)


def test_the_access_review_for_cordon_asks_to_patch_nodes_cluster_wide(admin, viewer):
    assert admin.access.check(Action.CORDON, "").allowed
    denied = viewer.access.check(Action.CORDON, "")
    assert not denied.allowed
    assert denied.reason.startswith("you may not patch nodes (cluster-wide)")
