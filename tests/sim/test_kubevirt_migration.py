"""Live migrations in the simulated cluster, driven over HTTP with the kubernetes client and the manual clock."""

from __future__ import annotations

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from tests.sim.kubevirt_cluster import (
    KUBEVIRT,
    advance_until,
    api_client,
    condition,
    events_about,
    kubevirt_of,
    migrate,
    phase_of,
    running,
    vm,
    vmi_of,
)
from tui.sim.kubevirt.migration import KEEPALIVE_ERROR

PHASES = ["Pending", "Scheduling", "Scheduled", "PreparingTarget", "TargetReady", "Running", "Succeeded"]
VALIDATOR = 'admission webhook "migration-create-validator.kubevirt.io" denied the request: '


def _json(error: ApiException) -> dict:
    import json

    return json.loads(error.body)


def _pods(cluster, vmi_name: str) -> dict[str, dict]:
    return {
        p["metadata"]["name"]: p
        for p in cluster.store.list("pods", "default", label_selector=f"vm.kubevirt.io/name={vmi_name}")
    }


# -- a migration that succeeds ----------------------------------------------------------------------


@pytest.fixture
def succeeded(tmp_path):
    """VM `app` migrated from node-a; yields (cluster, migration as created, migration when final)."""
    with running(vm("app", on_node="node-a")) as cluster, api_client(cluster, tmp_path) as api:
        created = migrate(api, "app")
        name = created["metadata"]["name"]
        assert advance_until(cluster, name, ("Succeeded", "Failed")) == "Succeeded"
        yield cluster, created, cluster.store.get("virtualmachineinstancemigrations", "default", name)


def test_a_migration_walks_the_phases_in_kubevirts_order(succeeded):
    _, _, final = succeeded
    assert [t["phase"] for t in final["status"]["phaseTransitionTimestamps"]] == PHASES


def test_a_succeeded_migration_leaves_the_vmi_on_the_target_node(succeeded):
    cluster, created, _ = succeeded
    vmi = vmi_of(cluster, "app")
    state = vmi["status"]["migrationState"]
    assert state["sourceNode"] == "node-a" and state["targetNode"] in ("node-b", "node-c")
    assert vmi["status"]["nodeName"] == state["targetNode"] == vmi["metadata"]["labels"]["kubevirt.io/nodeName"]
    assert state["completed"] is True and "failed" not in state
    assert state["migrationUid"] == created["metadata"]["uid"]
    assert state["mode"] == "PreCopy" and state["startTimestamp"] <= state["endTimestamp"]
    assert state["migrationConfiguration"]["completionTimeoutPerGiB"] == 150
    assert condition(vmi, "Ready")["status"] == "True"


def test_the_launcher_pod_moves_and_the_old_one_completes(succeeded):
    cluster, created, _ = succeeded
    state = vmi_of(cluster, "app")["status"]["migrationState"]
    pods = _pods(cluster, "app")
    assert pods[state["sourcePod"]]["status"]["phase"] == "Succeeded"
    target = pods[state["targetPod"]]
    assert (target["spec"]["nodeName"], target["status"]["phase"]) == (state["targetNode"], "Running")
    assert target["metadata"]["labels"]["kubevirt.io/migrationJobUID"] == created["metadata"]["uid"]


def test_a_final_migration_keeps_the_vmis_migration_state_and_loses_its_finalizer(succeeded):
    cluster, created, final = succeeded
    assert final["status"]["migrationState"] == vmi_of(cluster, "app")["status"]["migrationState"]
    assert "finalizers" not in final["metadata"]
    assert created["metadata"]["finalizers"] == ["kubevirt.io/migrationJobFinalize"]
    assert created["metadata"]["labels"] == {"kubevirt.io/vmi-name": "app"}


def test_events_are_recorded_on_the_migration_and_the_vmi_as_kubevirt_records_them(succeeded):
    cluster, created, final = succeeded
    on_migration = [reason for _, reason, _ in events_about(cluster, created["metadata"]["name"])]
    assert on_migration == ["SuccessfulCreate", "SuccessfulHandOver", "SuccessfulMigration"]
    target = final["status"]["migrationState"]["targetNode"]
    on_vmi = [(reason, message) for _, reason, message in events_about(cluster, "app")]
    assert ("PreparingTarget", "VirtualMachineInstance Migration Target Prepared.") in on_vmi
    assert ("Migrating", "VirtualMachineInstance is migrating.") in on_vmi
    assert ("Migrated", f"The VirtualMachineInstance migrated to node {target}.") in on_vmi
    assert on_vmi[-1] == ("Deleted", "Signaled Deletion")


def test_the_vm_reads_migrating_while_the_memory_is_copied(tmp_path):
    with running(vm("app", on_node="node-a"), bandwidth="64Mi") as cluster, api_client(cluster, tmp_path) as api:
        name = migrate(api, "app")["metadata"]["name"]
        advance_until(cluster, name, ("Running",))
        cluster.advance(2)
        assert cluster.store.get("virtualmachines", "default", "app")["status"]["printableStatus"] == "Migrating"
        advance_until(cluster, name, ("Succeeded", "Failed"))
        assert cluster.store.get("virtualmachines", "default", "app")["status"]["printableStatus"] == "Running"


# -- where the target goes ---------------------------------------------------------------------------


def test_added_node_selector_pins_the_target_node(tmp_path):
    with running(vm("app", on_node="node-a")) as cluster, api_client(cluster, tmp_path) as api:
        name = migrate(api, "app", target="node-c")["metadata"]["name"]
        assert advance_until(cluster, name, ("Succeeded", "Failed")) == "Succeeded"
        assert vmi_of(cluster, "app")["status"]["nodeName"] == "node-c"


def test_a_host_model_vm_goes_only_to_nodes_with_its_host_model(tmp_path):
    with running(vm("hm", model=None, on_node="node-a")) as cluster, api_client(cluster, tmp_path) as api:
        name = migrate(api, "hm")["metadata"]["name"]
        assert advance_until(cluster, name, ("Succeeded", "Failed")) == "Succeeded"
        assert vmi_of(cluster, "hm")["status"]["nodeName"] == "node-b"


def test_an_unschedulable_target_pod_reports_the_schedulers_reasons(tmp_path):
    with running(vm("hm", model=None, on_node="node-a")) as cluster, api_client(cluster, tmp_path) as api:
        cluster.store.patch("nodes", None, "node-b", {"spec": {"unschedulable": True}})
        name = migrate(api, "hm")["metadata"]["name"]
        cluster.advance(3)
        assert phase_of(cluster, name) == "Scheduling"
        (target,) = [
            p for p in _pods(cluster, "hm").values() if "kubevirt.io/migrationJobUID" in p["metadata"]["labels"]
        ]
    scheduled = condition(target, "PodScheduled")
    assert (scheduled["status"], scheduled["reason"]) == ("False", "Unschedulable")
    # InterPodAffinity answers Unschedulable for anti-affinity (filtering.go), so preemption looks at that node
    # and finds no pod of lower priority (default_preemption.go SelectVictimsOnNode), as clusters report it
    # (grafana/tempo-operator#140: "1 node(s) didn't match pod anti-affinity rules. preemption: 0/1 nodes are
    # available: 1 No preemption victims found for incoming pod.").
    assert scheduled["message"] == (
        "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) didn't match pod "
        "anti-affinity rules, 1 node(s) were unschedulable. preemption: 0/3 nodes are available: 1 No preemption "
        "victims found for incoming pod, 2 Preemption is not helpful for scheduling."
    )


def test_an_unschedulable_target_fails_the_migration_after_the_timeout(tmp_path):
    timeout = {"kubevirt.io/migrationUnschedulablePodTimeoutSeconds": "20"}
    with running(vm("hm", model=None, on_node="node-a")) as cluster, api_client(cluster, tmp_path) as api:
        cluster.store.patch("nodes", None, "node-b", {"spec": {"unschedulable": True}})
        name = migrate(api, "hm", annotations=timeout)["metadata"]["name"]
        cluster.advance(10)
        assert phase_of(cluster, name) == "Scheduling"
        assert advance_until(cluster, name, ("Succeeded", "Failed"), limit=30) == "Failed"
        events = events_about(cluster, name)
        vmi_events = events_about(cluster, "hm")
        pods = _pods(cluster, "hm")
        status = cluster.store.get("virtualmachineinstancemigrations", "default", name)["status"]
    assert (
        "Warning",
        "migrationTargetPodUnschedulable",
        "Migration target pod for VMI [default/hm] is currently unschedulable.",
    ) in events
    deleted = [message for _, reason, message in events if reason == "SuccessfulDelete"]
    assert (
        len(deleted) == 1
        and deleted[0].startswith("unschedulable pod default/virt-launcher-hm-")
        and deleted[0].endswith(" timeout period exceeded")
    )
    assert events[-1] == ("Warning", "FailedMigration", "Migration target pod was removed during active migration.")
    assert not any(
        reason == "NoSuitableNodesForHostModelMigration" for _, reason, _ in vmi_events
    )  # node-b has the labels
    assert len(pods) == 1
    assert set(status["migrationState"]) == {"sourcePod"}


def test_no_node_with_the_host_model_is_reported_on_the_vmi(tmp_path):
    with running(vm("hm", model=None, on_node="node-a")) as cluster, api_client(cluster, tmp_path) as api:
        cluster.store.patch(
            "nodes", None, "node-b", {"metadata": {"labels": {"cpu-model-migration.node.kubevirt.io/XYZ": None}}}
        )
        migrate(api, "hm")
        cluster.advance(3)
        reasons = [(reason, message) for _, reason, message in events_about(cluster, "hm")]
    (message,) = [message for reason, message in reasons if reason == "NoSuitableNodesForHostModelMigration"]
    assert message == (
        "Migration cannot proceed since no node is suitable to run the required CPU model / required features: "
        "map[cpu-feature.node.kubevirt.io/avx512f:true cpu-feature.node.kubevirt.io/pdpe1gb:true "
        "cpu-model-migration.node.kubevirt.io/XYZ:true]"
    )


# -- limits ------------------------------------------------------------------------------------------------


def test_migrations_beyond_the_per_node_limit_wait_in_pending(tmp_path):
    vms = (vm("one", on_node="node-a"), vm("two", on_node="node-a"))
    with (
        running(*vms, migrations={"parallelOutboundMigrationsPerNode": 1}) as cluster,
        api_client(cluster, tmp_path) as api,
    ):
        first = migrate(api, "one")["metadata"]["name"]
        second = migrate(api, "two")["metadata"]["name"]
        cluster.advance(3)
        assert (phase_of(cluster, first), phase_of(cluster, second)) == ("Scheduling", "Pending")
        assert (
            vmi_of(cluster, "two")["metadata"]["annotations"]["harvesterhci.io/migrationState"] == "Pending migration"
        )
        assert advance_until(cluster, first, ("Succeeded",)) == "Succeeded"
        assert advance_until(cluster, second, ("Succeeded",)) == "Succeeded"


def test_migrations_beyond_the_cluster_limit_wait_in_pending(tmp_path):
    vms = (vm("one", on_node="node-a"), vm("two", on_node="node-c"))
    with running(*vms, migrations={"parallelMigrationsPerCluster": 1}) as cluster, api_client(cluster, tmp_path) as api:
        first = migrate(api, "one")["metadata"]["name"]
        second = migrate(api, "two")["metadata"]["name"]
        cluster.advance(3)
        assert (phase_of(cluster, first), phase_of(cluster, second)) == ("Scheduling", "Pending")
        assert advance_until(cluster, second, ("Succeeded",)) == "Succeeded"
        assert phase_of(cluster, first) == "Succeeded"


# -- admission ----------------------------------------------------------------------------------------------


@pytest.fixture
def admission(tmp_path):
    documents = (vm("app", on_node="node-a"), vm("rwo", access="ReadWriteOnce"), vm("stopped", run="Halted"))
    with running(*documents) as cluster, api_client(cluster, tmp_path) as api:
        yield cluster, api


def _refusal(api, vmi: str) -> tuple[int, str]:
    with pytest.raises(ApiException) as error:
        migrate(api, vmi)
    return error.value.status, _json(error.value)["message"]


def test_a_migration_of_a_vmi_that_does_not_exist_is_refused(admission):
    _, api = admission
    assert _refusal(api, "stopped") == (400, VALIDATOR + 'the VMI "default/stopped" does not exist')


def test_a_migration_of_a_vmi_that_is_not_live_migratable_is_refused(admission):
    _, api = admission
    assert _refusal(api, "rwo") == (
        400,
        VALIDATOR
        + "Cannot migrate VMI, Reason: DisksNotLiveMigratable, Message: cannot migrate VMI: PVC rwo-disk-0 is not "
        "shared, live migration requires that all PVCs must be shared (using ReadWriteMany access mode)",
    )


def test_a_second_migration_while_one_is_in_flight_is_refused(admission):
    _, api = admission
    first = migrate(api, "app")
    assert _refusal(api, "app") == (
        400,
        VALIDATOR
        + f"in-flight migration detected. Active migration job ({first['metadata']['uid']}) is currently already in progress for VMI app.",
    )


def test_a_migration_of_a_final_vmi_is_refused(admission):
    cluster, api = admission
    cluster.store.patch("virtualmachineinstances", "default", "app", {"status": {"phase": "Succeeded"}})
    assert _refusal(api, "app") == (400, VALIDATOR + "Cannot migrate VMI in finalized state.")


def test_a_migration_without_a_vmi_name_is_invalid(admission):
    _, api = admission
    body = {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstanceMigration",
        "metadata": {"name": "nameless"},
        "spec": {},
    }
    with pytest.raises(ApiException) as error:
        client.CustomObjectsApi(api).create_namespaced_custom_object(
            *KUBEVIRT, "default", "virtualmachineinstancemigrations", body
        )
    assert (error.value.status, _json(error.value)["reason"]) == (422, "Invalid")
    assert _json(error.value)["message"] == VALIDATOR + "vmiName is missing"


# -- aborts ----------------------------------------------------------------------------------------------------


def _history_of(cluster, name: str, since: int) -> list[dict]:
    return [
        change.raw
        for change in cluster.store.changes_since(since, cluster.store.resource("virtualmachineinstancemigrations"))
        if change.name == name
    ]


def test_deleting_a_migration_before_hand_off_fails_it_and_removes_its_target_pod(tmp_path):
    with running(vm("app", on_node="node-a")) as cluster, api_client(cluster, tmp_path) as api:
        name = migrate(api, "app")["metadata"]["name"]
        cluster.advance(2)
        assert phase_of(cluster, name) == "Scheduling"
        since = cluster.store.resource_version
        client.CustomObjectsApi(api).delete_namespaced_custom_object(
            *KUBEVIRT, "default", "virtualmachineinstancemigrations", name
        )
        cluster.advance(1)
        history = _history_of(cluster, name, since)
        events = events_about(cluster, name)
        assert not cluster.store.exists("virtualmachineinstancemigrations", "default", name)
        assert len(_pods(cluster, "app")) == 1
        assert vmi_of(cluster, "app")["status"]["nodeName"] == "node-a"
    last = history[-1]
    assert last["status"]["phase"] == "Failed" and condition(last, "migrationAbortRequested")["status"] == "True"
    assert ("Warning", "FailedMigration", "Migration failed due to being canceled") in events
    assert any(
        reason == "SuccessfulDelete" and message.startswith("migration canceled and pod default/virt-launcher-app-")
        for _, reason, message in events
    )


def test_deleting_a_running_migration_aborts_it_and_the_vm_stays(tmp_path):
    with running(vm("busy-vm", on_node="node-a")) as cluster, api_client(cluster, tmp_path) as api:
        name = migrate(api, "busy-vm")["metadata"]["name"]
        assert advance_until(cluster, name, ("Running",)) == "Running"
        cluster.advance(3)
        client.CustomObjectsApi(api).delete_namespaced_custom_object(
            *KUBEVIRT, "default", "virtualmachineinstancemigrations", name
        )
        cluster.advance(1)
        aborting = vmi_of(cluster, "busy-vm")["status"]["migrationState"]
        assert (
            condition(
                cluster.store.get("virtualmachineinstancemigrations", "default", name), "migrationAbortRequested"
            )["status"]
            == "True"
        )
        cluster.advance(3)
        vmi = vmi_of(cluster, "busy-vm")
        gone = not cluster.store.exists("virtualmachineinstancemigrations", "default", name)
        pods = _pods(cluster, "busy-vm")
        migration_events = [reason for _, reason, _ in events_about(cluster, name)]
    assert (aborting["abortRequested"], aborting["abortStatus"]) == (True, "Aborting")
    state = vmi["status"]["migrationState"]
    assert (state["abortRequested"], state["abortStatus"], state["completed"], state["failed"]) == (
        True,
        "Succeeded",
        True,
        True,
    )
    assert state["failureReason"] == "Live migration aborted "
    assert vmi["status"]["nodeName"] == "node-a" and gone
    assert list(pods) == [state["sourcePod"]]  # Harvester removed the aborted migration's target pod
    assert migration_events[-2:] == ["SuccessfulAbortMigration", "FailedMigration"]


# -- timeouts -------------------------------------------------------------------------------------------------------


def test_a_migration_that_cannot_finish_in_its_completion_budget_is_aborted(tmp_path):
    with (
        running(vm("busy-vm", on_node="node-a"), migrations={"completionTimeoutPerGiB": 5}) as cluster,
        api_client(cluster, tmp_path) as api,
    ):
        name = migrate(api, "busy-vm")["metadata"]["name"]
        assert advance_until(cluster, name, ("Succeeded", "Failed")) == "Failed"
        final = cluster.store.get("virtualmachineinstancemigrations", "default", name)
        vmi = vmi_of(cluster, "busy-vm")
        events = events_about(cluster, "busy-vm")
        migration_events = events_about(cluster, name)
    reason = (
        "Live migration is not completed after 15 seconds and has been aborted"  # 2Gi + cloud-init disk: 3 GB x 5 s
    )
    state = vmi["status"]["migrationState"]
    assert (state["failureReason"], state["abortStatus"], state["completed"], state["failed"]) == (
        reason,
        "Succeeded",
        True,
        True,
    )
    assert final["status"]["migrationState"] == state
    assert vmi["status"]["nodeName"] == "node-a"
    assert (
        "Warning",
        "Migrated",
        f"VirtualMachineInstance migration uid {state['migrationUid']} failed. reason:{reason}",
    ) in events
    assert migration_events[-1] == ("Warning", "FailedMigration", "source node reported migration failed")


def test_a_migration_whose_remaining_data_stops_falling_is_aborted_on_the_progress_timeout(tmp_path):
    settings = {"completionTimeoutPerGiB": 0, "progressTimeout": 20}
    with running(vm("busy-vm", on_node="node-a"), migrations=settings) as cluster, api_client(cluster, tmp_path) as api:
        name = migrate(api, "busy-vm")["metadata"]["name"]
        assert advance_until(cluster, name, ("Succeeded", "Failed")) == "Failed"
        state = vmi_of(cluster, "busy-vm")["status"]["migrationState"]
    assert state["failureReason"] == "Live migration stuck for 21 seconds and has been aborted"
    assert state["abortStatus"] == "Succeeded"


# -- faults -------------------------------------------------------------------------------------------------------------


def test_a_short_network_cut_only_delays_the_migration(tmp_path):
    with running(vm("app", on_node="node-a"), bandwidth="64Mi") as cluster, api_client(cluster, tmp_path) as api:
        name = migrate(api, "app", target="node-b")["metadata"]["name"]
        advance_until(cluster, name, ("Running",))
        cluster.fault("cut-network", nodes="node-a,node-b", seconds=20)
        cluster.advance(25)
        assert phase_of(cluster, name) == "Running"
        assert advance_until(cluster, name, ("Succeeded", "Failed")) == "Succeeded"


def test_a_long_network_cut_fails_the_migration_with_libvirts_keepalive_error(tmp_path):
    with running(vm("app", on_node="node-a"), bandwidth="64Mi") as cluster, api_client(cluster, tmp_path) as api:
        name = migrate(api, "app", target="node-b")["metadata"]["name"]
        advance_until(cluster, name, ("Running",))
        cut_at = cluster.clock.now()
        cluster.fault("cut-network", nodes="node-a,node-b", seconds=120)
        assert advance_until(cluster, name, ("Succeeded", "Failed")) == "Failed"
        state = vmi_of(cluster, "app")["status"]["migrationState"]
    assert state["failureReason"] == KEEPALIVE_ERROR
    assert "abortStatus" not in state
    from tui.domain.objects import parse_time

    assert (parse_time(state["endTimestamp"]) - cut_at).total_seconds() == 30


def test_a_node_made_not_ready_takes_no_migration(tmp_path):
    with running(vm("app", on_node="node-a")) as cluster, api_client(cluster, tmp_path) as api:
        cluster.fault("node-not-ready", node="node-c")
        name = migrate(api, "app", target="node-c")["metadata"]["name"]
        cluster.advance(3)
        (target,) = [
            p for p in _pods(cluster, "app").values() if "kubevirt.io/migrationJobUID" in p["metadata"]["labels"]
        ]
    assert phase_of(cluster, name) == "Scheduling"
    assert (
        "1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }"
        in condition(target, "PodScheduled")["message"]
    )


def test_the_migration_network_limit_from_a_policy_is_applied(tmp_path):
    policy = """
apiVersion: migrations.kubevirt.io/v1alpha1
kind: MigrationPolicy
metadata: {name: slow-lane}
spec:
  bandwidthPerMigration: 32Mi
  completionTimeoutPerGiB: 400
  selectors:
    virtualMachineInstanceSelector: {tier: batch}
"""
    with (
        running(vm("app", on_node="node-a", labels={"tier": "batch"}), policy) as cluster,
        api_client(cluster, tmp_path) as api,
    ):
        name = migrate(api, "app")["metadata"]["name"]
        advance_until(cluster, name, ("Running",))
        cluster.advance(2)
        state = vmi_of(cluster, "app")["status"]["migrationState"]
        (run,) = kubevirt_of(cluster).migrations.runs.values()
    assert state["migrationPolicyName"] == "slow-lane"
    assert state["migrationConfiguration"]["completionTimeoutPerGiB"] == 400
    assert state["migrationConfiguration"]["bandwidthPerMigration"] == "32Mi"
    assert run.copy is not None and run.copy.transfer_rate == 32 * 1024 * 1024


def test_an_unschedulable_target_pod_gets_the_schedulers_failed_scheduling_event(tmp_path):
    with (
        running(vm("app", on_node="node-a", node_selector={"rack": "r1"})) as cluster,
        api_client(cluster, tmp_path) as api,
    ):
        cluster.store.patch("nodes", None, "node-b", {"spec": {"unschedulable": True}})
        migrate(api, "app")
        cluster.advance(3)
        (target,) = [
            p for p in _pods(cluster, "app").values() if "kubevirt.io/migrationJobUID" in p["metadata"]["labels"]
        ]
        events = events_about(cluster, target["metadata"]["name"])
    assert events == [("Warning", "FailedScheduling", condition(target, "PodScheduled")["message"])]


def test_post_copy_finishes_a_migration_the_completion_budget_would_abort(tmp_path):
    settings = {"completionTimeoutPerGiB": 5, "allowPostCopy": True, "allowWorkloadDisruption": True}
    with running(vm("busy-vm", on_node="node-a"), migrations=settings) as cluster, api_client(cluster, tmp_path) as api:
        name = migrate(api, "busy-vm")["metadata"]["name"]
        assert advance_until(cluster, name, ("Succeeded", "Failed")) == "Succeeded"
        state = vmi_of(cluster, "busy-vm")["status"]["migrationState"]
    assert state["mode"] == "PostCopy" and state["completed"] is True and "failed" not in state


def test_allow_post_copy_alone_lets_post_copy_start_at_the_timeout(tmp_path):
    # virt-config.go v1.6.0 GetMigrationConfiguration: allowWorkloadDisruption follows allowPostCopy when unset.
    settings = {"completionTimeoutPerGiB": 5, "allowPostCopy": True}
    with running(vm("busy-vm", on_node="node-a"), migrations=settings) as cluster, api_client(cluster, tmp_path) as api:
        name = migrate(api, "busy-vm")["metadata"]["name"]
        assert advance_until(cluster, name, ("Succeeded", "Failed")) == "Succeeded"
        state = vmi_of(cluster, "busy-vm")["status"]["migrationState"]
    assert state["migrationConfiguration"]["allowWorkloadDisruption"] is True
    assert state["mode"] == "PostCopy" and "failed" not in state


def test_a_policys_allow_post_copy_alone_lets_post_copy_start_at_the_timeout(tmp_path):
    # migrations/v1alpha1/types.go v1.6.0 GetMigrationConfByPolicy: the same rule for a MigrationPolicy.
    policy = """
apiVersion: migrations.kubevirt.io/v1alpha1
kind: MigrationPolicy
metadata: {name: post-copy}
spec:
  allowPostCopy: true
  completionTimeoutPerGiB: 5
  selectors:
    virtualMachineInstanceSelector: {tier: busy}
"""
    with (
        running(vm("busy-vm", on_node="node-a", labels={"tier": "busy"}), policy) as cluster,
        api_client(cluster, tmp_path) as api,
    ):
        name = migrate(api, "busy-vm")["metadata"]["name"]
        assert advance_until(cluster, name, ("Succeeded", "Failed")) == "Succeeded"
        state = vmi_of(cluster, "busy-vm")["status"]["migrationState"]
    assert state["migrationPolicyName"] == "post-copy" and state["mode"] == "PostCopy"


def test_harvester_keeps_the_vmis_migration_annotations_in_step(tmp_path):
    with running(vm("busy-vm", on_node="node-a")) as cluster, api_client(cluster, tmp_path) as api:
        created = migrate(api, "busy-vm", target="node-b")
        name = created["metadata"]["name"]
        seen = []
        for _ in range(12):
            cluster.advance(1)
            annotations = vmi_of(cluster, "busy-vm")["metadata"].get("annotations", {})
            seen.append(annotations.get("harvesterhci.io/migrationState"))
        assert annotations["harvesterhci.io/migrationUID"] == created["metadata"]["uid"]
        # Only Harvester's own migrate action names the target node on the VMI (pkg/api/vm/handler.go v1.6.0).
        assert "harvesterhci.io/migrationTargetNodeName" not in annotations
        client.CustomObjectsApi(api).delete_namespaced_custom_object(
            *KUBEVIRT, "default", "virtualmachineinstancemigrations", name
        )
        nudged_while_running = cluster.store.get("virtualmachines", "default", "busy-vm")["metadata"]["annotations"][
            "harvesterhci.io/timestamp"
        ]
        cluster.advance(1)
        aborting = vmi_of(cluster, "busy-vm")["metadata"]["annotations"].get("harvesterhci.io/migrationState")
        cluster.advance(3)
        after = vmi_of(cluster, "busy-vm")["metadata"].get("annotations", {})
        nudged_at_the_end = cluster.store.get("virtualmachines", "default", "busy-vm")["metadata"]["annotations"][
            "harvesterhci.io/timestamp"
        ]
    assert seen[0] == "Migrating" and set(seen) == {"Migrating"}
    assert aborting == "Aborting migration"
    assert not any(key.startswith("harvesterhci.io/migration") for key in after)
    assert nudged_while_running < nudged_at_the_end  # each change bumps the VM, so Harvester's UI refreshes


def test_only_the_five_newest_finalized_migrations_are_kept(tmp_path):
    with running(vm("app", on_node="node-a")) as cluster, api_client(cluster, tmp_path) as api:
        names = []
        for _ in range(6):
            names.append(migrate(api, "app")["metadata"]["name"])
            assert advance_until(cluster, names[-1], ("Succeeded", "Failed")) == "Succeeded"
        cluster.advance(1)
        kept = {m["metadata"]["name"] for m in cluster.store.list("virtualmachineinstancemigrations", "default")}
    assert kept == set(names[1:])


def test_a_target_pod_removed_while_memory_is_copied_fails_the_migration_and_the_vm_stays(tmp_path):
    with running(vm("busy-vm", on_node="node-a")) as cluster, api_client(cluster, tmp_path) as api:
        name = migrate(api, "busy-vm")["metadata"]["name"]
        advance_until(cluster, name, ("Running",))
        cluster.advance(2)
        target = vmi_of(cluster, "busy-vm")["status"]["migrationState"]["targetPod"]
        cluster.store.delete("pods", "default", target)
        cluster.advance(2)
        final = cluster.store.get("virtualmachineinstancemigrations", "default", name)
        vmi = vmi_of(cluster, "busy-vm")
        printable = cluster.store.get("virtualmachines", "default", "busy-vm")["status"]["printableStatus"]
    assert final["status"]["phase"] == "Failed"
    assert events_about(cluster, name)[-1] == (
        "Warning",
        "FailedMigration",
        "Migration target pod was removed during active migration.",
    )
    state = vmi["status"]["migrationState"]
    assert state["failed"] is True and state["failureReason"].endswith(
        "Message='Cannot recv data: Connection reset by peer')"
    )
    assert final["status"]["migrationState"] == state
    assert (vmi["status"]["nodeName"], printable) == ("node-a", "Running")
