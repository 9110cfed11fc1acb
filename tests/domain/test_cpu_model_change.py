"""Changing a CPU model: the models offered, the one advised, what changes and for which VMs."""

from __future__ import annotations

import dataclasses

from tests.domain.clusters import cluster
from tui.domain.cpu_model_change import (
    CLUSTER_SCOPE,
    NO_MODEL,
    VM_SCOPE,
    advised_cluster_model,
    advised_vm_model,
    cluster_change,
    cluster_choices,
    cluster_patch,
    vm_change,
    vm_choices,
    vm_patch,
    vms_on_cluster_default,
)

MIXED = cluster("cpu-model-change")


def test_a_vm_is_offered_its_cluster_default_host_model_and_the_models_every_schedulable_node_runs():
    choices = vm_choices(MIXED, "default/web-1")
    assert [c.model for c in choices] == [NO_MODEL, "host-model", "123"]
    # OLD is cordoned, ABC and XYZ are not on every node: none of them is offered.
    assert [c.model for c in choices if c.current] == ["host-model"]


def test_the_advice_names_the_model_that_reaches_more_nodes_and_the_chooser_marks_it():
    advised = advised_vm_model(MIXED, "default/web-1")
    assert advised == "123"
    assert [c.model for c in vm_choices(MIXED, "default/web-1", advised) if c.advised] == ["123"]


def test_a_stopped_vm_gets_no_advice():
    assert advised_vm_model(MIXED, "jobs/batch-1") is None


def test_the_cluster_default_is_advised_when_the_nodes_host_models_differ():
    assert advised_cluster_model(MIXED) == "123"
    choices = cluster_choices(MIXED, "123")
    assert [(c.model, c.current, c.advised) for c in choices] == [(NO_MODEL, True, False), ("123", False, True)]


def test_with_one_host_model_no_cluster_default_is_advised():
    xyz_only = dataclasses.replace(MIXED, nodes={k: v for k, v in MIXED.nodes.items() if k.startswith("xyz")})
    assert advised_cluster_model(xyz_only) is None


def test_a_vm_change_says_from_what_to_what_and_that_the_running_vm_needs_a_restart():
    change = vm_change(MIXED, "default/web-1", "123")
    assert change is not None and change.scope == VM_SCOPE
    assert (change.from_words, change.to_words) == ("host-model", "123")
    assert change.vms == ("default/web-1",) and change.running == ("default/web-1",)
    assert change.resource_version == "7"


def test_removing_a_vms_model_names_the_cluster_default_it_then_takes():
    change = vm_change(MIXED, "default/web-1", NO_MODEL)
    assert change is not None and change.to_words == "host-model (the cluster default)"


def test_a_stopped_vm_needs_no_restart():
    change = vm_change(MIXED, "jobs/batch-1", "123")
    assert change is not None and change.running == ()


def test_an_unknown_vm_is_no_change():
    assert vm_change(MIXED, "default/nope", "123") is None


def test_the_cluster_default_reaches_the_vms_without_a_model_of_their_own_but_arm64():
    assert vms_on_cluster_default(MIXED) == ("default/db-1", "jobs/batch-1")
    change = cluster_change(MIXED, "123")
    assert change is not None and change.scope == CLUSTER_SCOPE
    assert (change.namespace, change.name, change.resource_version) == ("harvester-system", "kubevirt", "41")
    assert change.from_words == "host-model (no cluster default set)" and change.to_words == "123"
    assert change.vms == ("default/db-1", "jobs/batch-1") and change.running == ("default/db-1",)


def test_the_same_model_again_changes_nothing():
    change = vm_change(MIXED, "default/web-1", "host-model")
    assert change is not None and change.changes_nothing


def test_the_patches_set_the_field_only_at_the_version_seen_and_null_removes_it():
    assert vm_patch("123", "7") == {
        "metadata": {"resourceVersion": "7"},
        "spec": {"template": {"spec": {"domain": {"cpu": {"model": "123"}}}}},
    }
    assert cluster_patch(NO_MODEL, "41") == {
        "metadata": {"resourceVersion": "41"},
        "spec": {"configuration": {"cpuModel": None}},
    }
