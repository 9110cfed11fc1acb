"""The plan for one VM (what `livemig plan -o json` prints) and the cheap line of the VM list."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from tests.domain.clusters import cluster
from tui.domain.objects import VM, parse_kubevirt
from tui.domain.plan import plan_for, target_pinning, vm_summary

PLAN = cluster("plan")
NOW = datetime(2026, 6, 17, 12, 1, 40, tzinfo=timezone.utc)


def test_the_plan_json_has_exactly_the_documented_shape():
    plan = plan_for(PLAN, "default", "vm1", NOW).to_dict()
    assert list(plan) == [
        "vm",
        "node",
        "cpu_model",
        "migratable",
        "blockers",
        "completion_budget",
        "target_pinning",
        "nodes",
        "warnings",
        "rule_versions",
        "not_checked",
        "target_requests",
    ]
    assert plan["vm"] == {"namespace": "default", "name": "vm1"}
    assert list(plan["completion_budget"]) == ["seconds", "per_gib", "data_units", "source"]
    assert all(list(node) == ["name", "eligible", "reasons", "cautions"] for node in plan["nodes"])
    assert list(plan["rule_versions"]) == ["kubevirt", "harvester", "harvester_source", "harvester_cluster", "assumed"]
    json.dumps(plan)  # it is plain JSON


def test_the_plan_of_a_migratable_vm():
    plan = plan_for(PLAN, "default", "vm1", NOW).to_dict()
    assert plan["node"] == "node-1" and plan["cpu_model"] == "host-model"
    assert plan["migratable"] is True and plan["blockers"] == []
    assert plan["completion_budget"] == {"seconds": 750, "per_gib": 150, "data_units": 5, "source": "kubevirt"}
    assert plan["target_pinning"] == "addedNodeSelector"


def test_the_plan_lists_every_node_including_the_source():
    nodes = plan_for(PLAN, "default", "vm1", NOW).to_dict()["nodes"]
    assert nodes == [
        {
            "name": "node-1",
            "eligible": False,
            "reasons": [{"code": "SourceNode", "message": "The VM runs on this node now."}],
            "cautions": [],
        },
        {"name": "node-2", "eligible": True, "reasons": [], "cautions": []},
        {
            "name": "node-3",
            "eligible": False,
            "reasons": [
                {
                    "code": "Unschedulable",
                    "message": "Node is cordoned (spec.unschedulable: true); uncordon it to place VMs here.",
                }
            ],
            "cautions": [],
        },
    ]


def test_the_plan_of_a_stopped_vm_shows_where_it_could_start():
    plan = plan_for(PLAN, "default", "vm-stopped", NOW)
    assert not plan.migratable and [b.code for b in plan.blockers] == ["NotRunning"]
    assert plan.node is None
    assert [v.node for v in plan.nodes if v.eligible] == ["node-1", "node-2"]
    assert plan.completion_budget is not None and plan.completion_budget.data_units == 3


def test_a_vm_being_migrated_has_its_progress_and_time_left():
    plan = plan_for(PLAN, "default", "vm-moving", NOW)
    assert [b.code for b in plan.blockers] == ["MigrationInProgress"]
    assert plan.progress is not None and plan.progress.label == "Copying memory"
    assert plan.remaining_seconds == 600 - 100


def test_a_vm_that_does_not_exist_gets_a_plan_that_says_so():
    plan = plan_for(PLAN, "default", "nope", NOW).to_dict()
    assert plan["blockers"] == [{"code": "NotFound", "message": plan["blockers"][0]["message"]}]
    assert plan["nodes"] == [] and plan["completion_budget"] is None


@pytest.mark.parametrize(
    "version, pinning",
    [("v1.6.0", "addedNodeSelector"), ("v1.8.1", "addedNodeSelector"), ("v1.5.2", "unsupported"), ("", "unsupported")],
)
def test_target_pinning_needs_kubevirt_1_6(version, pinning):
    kubevirt = parse_kubevirt({"metadata": {"name": "kubevirt"}, "status": {"observedKubeVirtVersion": version}})
    assert target_pinning(kubevirt)[0] == pinning


def test_an_unknown_version_says_why_pinning_is_off():
    assert "unknown" in target_pinning(None)[1]


def test_the_plan_follows_the_clusters_kubevirt_version():
    older = replace(PLAN, kubevirt=replace(PLAN.kubevirt, version=(1, 5, 2)))
    assert plan_for(older, "default", "vm1", NOW).to_dict()["target_pinning"] == "unsupported"


# -- the list line ----------------------------------------------------------------------------


def test_the_list_line_of_a_migratable_vm():
    line = vm_summary(PLAN, PLAN.vms["default/vm1"])
    assert (line.status, line.node, line.cpu_model, line.migratable, line.reason) == (
        "Running",
        "node-1",
        "host-model",
        True,
        "",
    )
    assert line.memory_bytes == 3996 * 1024**2


@pytest.mark.parametrize("vm, reason", [("vm-stopped", "not running"), ("vm-moving", "migrating")])
def test_the_list_line_gives_a_short_reason(vm, reason):
    line = vm_summary(PLAN, PLAN.vms[f"default/{vm}"])
    assert not line.migratable and line.reason == reason


def test_the_list_line_shows_kubevirts_own_reason_when_it_is_not_live_migratable():
    snapshot = cluster("blockers")
    line = vm_summary(snapshot, snapshot.vms["default/vm-rwo"])
    assert line.reason_code == "NotLiveMigratable" and line.reason == "DisksNotLiveMigratable"


def test_the_list_line_names_the_node_a_vm_is_pinned_to():
    snapshot = cluster("blockers")
    vmi = snapshot.vmis["default/vm-pinned"]
    line = vm_summary(snapshot, VM(meta=vmi.meta, template=vmi.spec))
    assert line.reason == "pinned to node-1"


def test_the_list_line_notices_when_no_other_node_is_usable():
    lonely = replace(PLAN, nodes={"node-1": PLAN.nodes["node-1"], "node-3": PLAN.nodes["node-3"]})
    line = vm_summary(lonely, PLAN.vms["default/vm1"])
    assert line.reason_code == "NoEligibleNode"


def test_the_list_line_says_no_node_when_no_other_node_takes_the_vms_host_model():
    snapshot = cluster("cpu")
    vmi = snapshot.vmis["default/vm-fresh"]
    on_cascade = replace(vmi, node_name="node-cascade")
    alone = replace(snapshot, vmis={**snapshot.vmis, vmi.key: on_cascade})
    line = vm_summary(alone, VM(meta=vmi.meta, template=vmi.spec))
    assert line.reason_code == "NoEligibleNode"
    assert not plan_for(alone, "default", "vm-fresh", NOW).migratable


def test_nodes_that_could_not_be_read_are_no_reason_to_say_no_node_can_take_the_vm():
    # A user with rights in one namespace only: the nodes are unknown, not absent.
    unread = replace(PLAN, nodes={}, nodes_known=False)
    line = vm_summary(unread, PLAN.vms["default/vm1"])
    assert line.migratable and line.reason_code == ""
    plan = plan_for(unread, "default", "vm1", NOW)
    assert plan.migratable and plan.nodes == ()
    assert plan_for(replace(PLAN, nodes={}), "default", "vm1", NOW).blockers[0].code == "NoEligibleNode"


@pytest.mark.parametrize(
    "fixture", ["affinity", "blockers", "cpu", "networks", "placement", "plan", "resources", "tolerations"]
)
def test_the_list_line_agrees_with_the_plan_on_every_vm_but_for_free_capacity(fixture):
    snapshot = cluster(fixture)
    for vmi in snapshot.vmis.values():
        vm = snapshot.vms.get(vmi.key) or VM(meta=vmi.meta, template=vmi.spec)
        plan = plan_for(snapshot, vmi.namespace, vmi.name, NOW)
        vm_level = [b for b in plan.blockers if b.code != "NoEligibleNode"]
        allowed_by_rules = any(
            all(reason.code == "Resources" for reason in verdict.reasons)
            for verdict in plan.nodes
            if verdict.node != vmi.node_name
        )
        line = vm_summary(snapshot, vm)
        assert line.migratable == (not vm_level and allowed_by_rules), (fixture, vmi.key, plan.blockers)
