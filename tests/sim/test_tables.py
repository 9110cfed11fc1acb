"""Server-side Table output: printer columns as kubectl shows them."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.sim.conftest import vmi
from tui.sim.resources import NODES, PODS, VIRTUAL_MACHINE_INSTANCE_MIGRATIONS, VIRTUAL_MACHINE_INSTANCES
from tui.sim.tables import human_duration, to_table

NOW = datetime(2024, 12, 13, 13, 39, 3, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (5, "5s"),
        (119, "119s"),
        (200, "3m20s"),
        (600, "10m"),
        (3 * 3600 + 120, "3h2m"),
        (30 * 3600, "30h"),
        (3 * 86400, "3d"),
        (400 * 86400, "400d"),
    ],
)
def test_ages_read_like_kubectl(seconds, shown):
    assert human_duration(seconds) == shown


def test_vmi_rows_show_phase_ip_node_and_ready_from_the_crd_columns():
    obj = vmi("vm1")
    obj["metadata"]["creationTimestamp"] = "2024-12-13T12:37:23Z"
    table = to_table(VIRTUAL_MACHINE_INSTANCES, [obj], NOW)
    names = [c["name"] for c in table["columnDefinitions"]]
    assert names == ["Name", "Age", "Phase", "IP", "NodeName", "Ready", "Live-Migratable", "Paused"]
    assert table["rows"][0]["cells"] == ["vm1", "61m", "Running", "10.52.0.77", "harv41", "True", "True", None]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


def test_vmim_rows_have_no_age_column():
    table = to_table(
        VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
        [{"metadata": {"name": "vm1-gbbv6"}, "spec": {"vmiName": "vm1"}, "status": {"phase": "Succeeded"}}],
        NOW,
    )
    assert table["rows"][0]["cells"] == ["vm1-gbbv6", "Succeeded", "vm1"]


def test_pod_rows_count_ready_containers_and_show_waiting_reasons():
    pod = {
        "metadata": {"name": "virt-launcher-vm1-abcde", "creationTimestamp": "2024-12-13T13:38:03Z"},
        "spec": {"nodeName": "harv41", "containers": [{"name": "compute"}, {"name": "guest-console-log"}]},
        "status": {
            "phase": "Pending",
            "podIP": "10.52.0.77",
            "containerStatuses": [
                {"name": "compute", "ready": True, "restartCount": 0, "state": {"running": {}}},
                {
                    "name": "guest-console-log",
                    "ready": False,
                    "restartCount": 1,
                    "state": {"waiting": {"reason": "ContainerCreating"}},
                },
            ],
        },
    }
    cells = to_table(PODS, [pod], NOW)["rows"][0]["cells"]
    assert cells[:5] == ["virt-launcher-vm1-abcde", "1/2", "ContainerCreating", "1", "60s"]
    assert cells[5:7] == ["10.52.0.77", "harv41"]


def test_node_status_says_not_ready_and_scheduling_disabled():
    node = {
        "metadata": {
            "name": "harvester-node-1",
            "labels": {"node-role.kubernetes.io/control-plane": "true", "node-role.kubernetes.io/etcd": "true"},
        },
        "spec": {"unschedulable": True},
        "status": {
            "conditions": [{"type": "Ready", "status": "Unknown"}],
            "nodeInfo": {"kubeletVersion": "v1.34.2+rke2r1"},
        },
    }
    cells = to_table(NODES, [node], NOW)["rows"][0]["cells"]
    assert cells[1:3] == ["NotReady,SchedulingDisabled", "control-plane,etcd"]
    assert cells[4] == "v1.34.2+rke2r1"


def test_watch_tables_after_the_first_carry_no_column_definitions():
    table = to_table(VIRTUAL_MACHINE_INSTANCES, [vmi("vm1")], NOW, headers=False)
    assert table["columnDefinitions"] == [] and len(table["rows"]) == 1
