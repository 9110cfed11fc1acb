"""Reflectors keep the store equal to the server: first list, watch events, restarts, compaction, stalls, RBAC."""

from __future__ import annotations

import threading

import pytest

from tests.cluster.simulated import (
    connect,
    differences,
    eventually,
    in_step,
    server_state,
    store_state,
)
from tui.cluster.connection import ConnectionStatus

VM = """
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {{name: {name}, namespace: default}}
spec:
  runStrategy: Halted
  template:
    spec:
      domain:
        cpu: {{cores: 1}}
        memory: {{guest: 1Gi}}
"""


def vm(name: str) -> dict:
    import yaml

    return yaml.safe_load(VM.format(name=name))


def test_the_first_list_pages_through_everything_the_server_holds(cluster, kubeconfig):
    with connect(kubeconfig) as session:
        assert in_step(session, cluster), differences(session, cluster)
        assert sorted(session.store.snapshot().vms) == ["default/build-1", "default/db-1", "default/web-1"]
        assert session.store.snapshot().kubevirt is not None


def test_objects_created_changed_and_deleted_on_the_server_reach_the_store(cluster, kubeconfig):
    with connect(kubeconfig) as session:
        cluster.store.create("virtualmachines", vm("new-1"))
        cluster.store.patch("virtualmachines", "default", "web-1", {"metadata": {"labels": {"tier": "front"}}})
        cluster.store.delete("virtualmachines", "default", "build-1")
        eventually(lambda: in_step(session, cluster))
        snapshot = session.store.snapshot()
        assert "default/build-1" not in snapshot.vms
        assert snapshot.vms["default/web-1"].meta.labels["tier"] == "front"


def test_store_equals_the_server_after_a_restart_with_changes_made_while_it_was_down(cluster, kubeconfig):
    with connect(kubeconfig) as session:
        cluster.fault("restart", seconds=1.0)
        cluster.store.create("virtualmachines", vm("while-down"))
        cluster.store.delete("nodes", None, "harv-3")
        eventually(lambda: in_step(session, cluster))
        assert "while-down" in {key.split("/")[1] for key in store_state(session, "vms")}


def test_compaction_while_away_makes_the_reflector_list_again_and_report_what_vanished(cluster, kubeconfig):
    with connect(kubeconfig) as session:
        reflector = session.reflector("vms")
        lists_before = reflector.lists
        deleted = []
        session.store.subscribe(lambda batch: deleted.extend(batch.deleted.get("vms", ())))
        cluster.fault("restart", seconds=1.0)
        cluster.store.delete("virtualmachines", "default", "db-1")
        cluster.fault("compact")
        eventually(lambda: reflector.lists > lists_before and in_step(session, cluster))
        assert "default/db-1" not in session.store.snapshot().vms
        eventually(lambda: "default/db-1" in deleted)


def test_store_equals_the_server_after_a_stall(cluster, kubeconfig):
    with connect(kubeconfig) as session:
        cluster.fault("stall", seconds=1.5)
        cluster.store.create("virtualmachines", vm("during-stall"))
        cluster.store.patch("nodes", None, "harv-2", {"spec": {"unschedulable": True}})
        eventually(lambda: in_step(session, cluster))
        assert session.store.snapshot().nodes["harv-2"].unschedulable


@pytest.mark.parametrize("compact", [False, True], ids=["history-kept", "history-compacted"])
def test_no_stale_rows_remain_for_objects_deleted_while_disconnected(cluster, kubeconfig, compact):
    with connect(kubeconfig) as session:
        cluster.fault("restart", seconds=1.0)
        cluster.store.delete("virtualmachines", "default", "web-1")
        cluster.store.delete("pods", "default", "virt-launcher-web-1-rmbgb")
        cluster.store.delete("virtualmachineinstances", "default", "web-1")
        if compact:
            cluster.fault("compact")
        eventually(lambda: in_step(session, cluster))
        snapshot = session.store.snapshot()
        assert "default/web-1" not in snapshot.vms
        assert "default/web-1" not in snapshot.vmis
        assert snapshot.pods_on("harv-1") == []


def test_a_refused_connection_shows_as_reconnecting_with_attempts_and_the_error(cluster, kubeconfig):
    with connect(kubeconfig) as session:
        cluster.fault("restart", seconds=3.0)
        state = eventually(
            lambda: (s := session.store.state("vms")).status == ConnectionStatus.RECONNECTING and s.attempt >= 2 and s
        )
        assert "refused" in state.last_error
        assert state.since is not None
        eventually(lambda: session.store.state("vms").status == ConnectionStatus.CONNECTED)
        assert session.store.state("vms").attempt == 0


def test_the_health_probe_marks_a_silent_server_as_reconnecting_before_any_watch_times_out(cluster, kubeconfig):
    from tests.cluster.simulated import FAST

    slow_watches = FAST.__class__(**{**FAST.__dict__, "watch_idle_timeout": 60.0})
    with connect(kubeconfig, timings=slow_watches, probe_timeout=0.5) as session:
        cluster.fault("stall", seconds=3.0)
        state = eventually(lambda: (s := session.store.state("nodes")).status == ConnectionStatus.RECONNECTING and s)
        assert "no answer from the API server" in state.last_error
        eventually(lambda: all(s.status == ConnectionStatus.CONNECTED for s in session.store.states().values()))


def test_a_watch_silent_for_longer_than_its_idle_timeout_is_given_up_and_reopened(cluster, kubeconfig):
    with connect(kubeconfig, probe_interval=3600) as session:  # no health probe: the watch alone notices
        cluster.fault("stall", seconds=4.0)  # longer than the watches' idle timeout (3 s here)
        state = eventually(lambda: (s := session.store.state("vms")).status == ConnectionStatus.RECONNECTING and s)
        assert "did not answer in time" in state.last_error
        cluster.store.create("virtualmachines", vm("after-silence"))
        eventually(lambda: in_step(session, cluster))
        assert session.store.state("vms").status == ConnectionStatus.CONNECTED


def test_server_errors_are_retried_with_back_off_until_the_server_recovers(cluster, kubeconfig):
    with connect(kubeconfig) as session:
        cluster.fault("fail", count=6, code=500)
        cluster.fault("restart")  # every watch reconnects into the failing requests
        cluster.store.create("virtualmachines", vm("after-errors"))
        eventually(lambda: in_step(session, cluster))


def test_first_lists_that_fail_are_waited_for_until_they_succeed(cluster, kubeconfig):
    session = connect(kubeconfig, start=False)
    with session:
        cluster.fault("fail", count=3, code=500)  # the first three lists
        session.start()
        assert session.wait_until_synced(30)
        assert {kind: state.status for kind, state in session.store.states().items()} == {
            kind: ConnectionStatus.CONNECTED for kind in session.store.states()
        }
        assert in_step(session, cluster), differences(session, cluster)


def test_a_user_who_may_not_read_the_kubevirt_cr_gets_its_version_from_virt_api(cluster, kubeconfig):
    with connect(kubeconfig, context="sim-operator") as session:
        state = session.store.state("kubevirts")
        assert state.status == ConnectionStatus.FORBIDDEN
        assert (
            "only KubeVirt's version, v1.6.3-150700.3.13.1, from /apis/subresources.kubevirt.io/v1/version"
            in state.partial
        )
        kubevirt = session.store.snapshot().kubevirt
        assert kubevirt is not None and kubevirt.version == (1, 6, 3)
        assert kubevirt.migrations.completion_timeout_per_gib is None  # its settings stay unknown


def test_a_kind_the_user_may_not_list_stays_empty_and_says_forbidden(cluster, kubeconfig):
    with connect(kubeconfig, context="sim-alice") as session:
        state = session.store.state("nodes")
        assert state.status == ConnectionStatus.FORBIDDEN
        assert 'cannot list resource "nodes"' in state.last_error
        assert session.store.snapshot().nodes == {}
        assert sorted(session.store.snapshot().vms) == ["default/build-1", "default/db-1", "default/web-1"]


def test_pods_forbidden_in_all_namespaces_fall_back_to_the_launcher_pods_of_the_namespace(cluster, kubeconfig):
    with connect(kubeconfig, context="sim-alice") as session:
        state = session.store.state("pods")
        assert state.status == ConnectionStatus.CONNECTED
        assert "virt-launcher" in state.partial and "default" in state.partial
        snapshot = session.store.snapshot()
        assert list(snapshot.pods) == ["default/virt-launcher-web-1-rmbgb"]
        assert snapshot.pods_known is False  # so the rules skip the free-resources check


def test_namespace_scope_lists_only_that_namespace_but_the_kubevirt_cr_from_all(cluster, kubeconfig):
    cluster.store.create("namespaces", {"metadata": {"name": "other"}})
    cluster.store.create(
        "virtualmachines", {**vm("elsewhere"), "metadata": {"name": "elsewhere", "namespace": "other"}}
    )
    with connect(kubeconfig, namespace="other") as session:
        snapshot = session.store.snapshot()
        assert list(snapshot.vms) == ["other/elsewhere"]
        assert snapshot.kubevirt is not None and snapshot.kubevirt.meta.namespace == "harvester-system"
        assert "default/virt-launcher-web-1-rmbgb" in snapshot.pods  # every pod, for the resources check


def test_every_thread_is_gone_after_stop(cluster, kubeconfig):
    session = connect(kubeconfig)
    assert session.threads()
    session.stop()
    assert session.threads() == []
    assert not [t for t in threading.enumerate() if t.name.startswith("reflector-")]


def test_stop_ends_every_thread_even_while_the_server_is_silent(cluster, kubeconfig):
    session = connect(kubeconfig)
    cluster.fault("stall", seconds=30)
    try:
        session.stop(timeout=10)
        assert session.threads() == []
    finally:
        cluster.fault("stall", seconds=0)


def test_server_state_helper_sees_the_scenario(cluster):
    # Guards the comparisons above: the fixture cluster has content in every kind that matters.
    assert len(server_state(cluster, "vms")) == 3 and len(server_state(cluster, "nodes")) == 3


def test_a_relist_keeps_the_parsed_objects_that_did_not_change(cluster, kubeconfig):
    with connect(kubeconfig) as session:
        reflector = session.reflector("vms")
        unchanged = session.store.get("vms", "default/build-1")
        lists_before = reflector.lists
        cluster.fault("restart", seconds=1.0)
        cluster.store.patch("virtualmachines", "default", "web-1", {"metadata": {"labels": {"tier": "front"}}})
        cluster.fault("compact")
        eventually(lambda: reflector.lists > lists_before and in_step(session, cluster))
        assert session.store.get("vms", "default/build-1") is unchanged
        assert session.store.get("vms", "default/web-1").meta.labels["tier"] == "front"
