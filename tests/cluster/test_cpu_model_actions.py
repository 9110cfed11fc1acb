"""Setting a CPU model over HTTP against the simulated cluster: a VM's, and the cluster default."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.simulated import eventually
from tests.ui.harness import connect_as, simulated
from tui.cluster.access import SET_CLUSTER_CPU_MODEL, SET_CPU_MODEL
from tui.cluster.cpu_model_actions import set_cpu_model
from tui.cluster.session import ClusterSession
from tui.domain.cpu_model_change import NO_MODEL, cluster_change, vm_change
from tui.sim.runtime import SimCluster


@pytest.fixture(scope="module")
def cluster() -> Iterator[SimCluster]:
    with simulated("default") as running:
        yield running


@pytest.fixture
def admin(cluster: SimCluster, tmp_path: Path) -> Iterator[ClusterSession]:
    session = connect_as(cluster, tmp_path)
    yield session
    session.stop()


@pytest.fixture
def viewer(cluster: SimCluster, tmp_path: Path) -> Iterator[ClusterSession]:
    session = connect_as(cluster, tmp_path, user="viewer")
    yield session
    session.stop()


def template_model(cluster: SimCluster, name: str) -> object:
    vm = cluster.store.get("virtualmachines", "default", name)
    return vm["spec"]["template"]["spec"]["domain"].get("cpu", {}).get("model")


def cluster_default(cluster: SimCluster) -> object:
    return cluster.store.get("kubevirts", "harvester-system", "kubevirt")["spec"]["configuration"].get("cpuModel")


def test_setting_a_vms_model_lands_in_its_template_and_says_it_needs_a_restart(cluster, admin):
    change = vm_change(admin.store.snapshot(), "default/web-frontend-01", "123")
    assert change is not None
    result = set_cpu_model(admin.transport, change)
    assert result.ok and result.restart_required, result.message
    assert template_model(cluster, "web-frontend-01") == "123"
    assert "restarts" in result.message


def test_the_cluster_default_lands_in_the_kubevirt_cr_and_null_removes_it(cluster, admin):
    change = cluster_change(admin.store.snapshot(), "123")
    assert change is not None and change.vms
    result = set_cpu_model(admin.transport, change)
    assert result.ok, result.message
    assert cluster_default(cluster) == "123"
    assert f"{len(change.vms)} VMs without a model of their own" in result.message

    eventually(lambda: (kubevirt := admin.store.snapshot().kubevirt) is not None and kubevirt.cpu_model == "123")
    removed = cluster_change(admin.store.snapshot(), NO_MODEL)
    assert removed is not None and removed.from_words == "123"
    assert set_cpu_model(admin.transport, removed).ok
    assert cluster_default(cluster) is None


def test_a_vm_changed_since_it_was_shown_is_a_conflict_and_nothing_changes(cluster, admin):
    change = vm_change(admin.store.snapshot(), "default/monitoring-01", "123")
    assert change is not None
    cluster.store.patch("virtualmachines", "default", "monitoring-01", {"metadata": {"labels": {"touched": "yes"}}})
    result = set_cpu_model(admin.transport, change)
    assert not result.ok and result.code == 409
    assert "changed since it was shown" in result.message
    assert template_model(cluster, "monitoring-01") is None


def test_the_viewer_may_not_patch_vms_or_the_kubevirt_cr_and_is_told_so(cluster, viewer):
    assert not viewer.access.check(SET_CPU_MODEL, "default").allowed
    denied = viewer.access.check(SET_CLUSTER_CPU_MODEL, "harvester-system")
    assert not denied.allowed and "patch kubevirts in harvester-system" in denied.reason
    change = cluster_change(viewer.store.snapshot(), "123")
    assert change is not None
    result = set_cpu_model(viewer.transport, change)
    assert not result.ok and result.forbidden
    assert 'cannot patch resource "kubevirts"' in result.message


def test_read_only_refuses_without_asking_the_server(cluster, admin):
    change = vm_change(admin.store.snapshot(), "default/jump-host", NO_MODEL)
    assert change is not None
    result = set_cpu_model(admin.transport, change, readonly=True)
    assert not result.ok and result.refused and "read-only" in result.message
    assert template_model(cluster, "jump-host") == "123"


def restart_required(cluster: SimCluster, name: str) -> dict | None:
    vm = cluster.store.get("virtualmachines", "default", name)
    return next((c for c in vm.get("status", {}).get("conditions", []) if c.get("type") == "RestartRequired"), None)


def test_kubevirt_marks_a_running_vm_whose_model_changed_restart_required(cluster, admin):
    change = vm_change(admin.store.snapshot(), "default/kafka-broker-2", "host-model")
    assert change is not None and change.running
    assert set_cpu_model(admin.transport, change).ok
    cluster.advance(1)
    condition = eventually(lambda: restart_required(cluster, "kafka-broker-2"))
    assert condition["status"] == "True"
    assert condition["message"] == "a non-live-updatable field was changed in the template spec"


def test_a_new_cluster_default_marks_no_vm_restart_required(cluster, admin):
    eventually(lambda: (kubevirt := admin.store.snapshot().kubevirt) is not None and not kubevirt.cpu_model)
    change = cluster_change(admin.store.snapshot(), "123")
    assert change is not None and change.running
    assert set_cpu_model(admin.transport, change).ok
    # A VM changed after it: once KubeVirt marked that one, it has seen the new default too.
    later = vm_change(admin.store.snapshot(), "default/jump-host", "host-model")
    assert later is not None and set_cpu_model(admin.transport, later).ok
    cluster.advance(1)
    eventually(lambda: restart_required(cluster, "jump-host"))
    assert [key for key in change.running if restart_required(cluster, key.partition("/")[2])] == []
