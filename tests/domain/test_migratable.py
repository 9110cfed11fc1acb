"""Blockers: why a VM cannot be live-migrated at all, whatever the target."""

from __future__ import annotations

import pytest

from tests.domain.clusters import cluster, codes
from tui.domain.migratable import blockers, warnings
from tui.domain.placement import node_verdicts
from tui.domain.plan import vm_summary
from tui.domain.snapshot import ClusterSnapshot

BLOCKERS = cluster("blockers")
PLAIN = cluster("plain-kubevirt")
HARVESTER_NODES = cluster("harvester-nodes")


def blockers_of(name: str, snapshot: ClusterSnapshot = BLOCKERS):
    key = f"default/{name}"
    vm, vmi = snapshot.vms.get(key), snapshot.vmis.get(key)
    verdicts = node_verdicts(snapshot, vmi) if vmi is not None and vmi.phase == "Running" else []
    return blockers(snapshot, vm, vmi, verdicts)


@pytest.mark.parametrize(
    "vm, expected",
    [
        ("vm-stopped", ["NotRunning"]),
        ("vm-starting", ["NotRunning"]),
        ("vm-not-ready", []),  # a warning, not a blocker: see below
        ("vm-paused", []),
        ("vm-migrating", ["MigrationInProgress"]),
        ("vm-rwo", ["NotLiveMigratable"]),
        ("vm-hostdev", ["HostDevice"]),
        ("vm-gpu", ["GPU"]),
        ("vm-cdrom", ["CDROM"]),
        ("vm-containerdisk", ["ContainerDisk"]),
        ("vm-pinned", ["PinnedToNode", "NoEligibleNode"]),
        ("vm-nowhere", ["NoEligibleNode"]),
        ("vm-fine", []),
    ],
)
def test_each_vm_is_held_by_exactly_its_own_blockers(vm, expected):
    assert codes(blockers_of(vm)) == expected


@pytest.mark.parametrize("vm, expected", [("vm-not-ready", ["NotReady"]), ("vm-paused", ["Paused"]), ("vm-fine", [])])
def test_a_paused_or_not_ready_running_vm_migrates_with_a_warning(vm, expected):
    vmi = BLOCKERS.vmis[f"default/{vm}"]
    assert codes(warnings(vmi)) == expected


def test_the_not_ready_warning_carries_kubevirts_reason_and_says_it_migrates_anyway():
    (warning,) = warnings(BLOCKERS.vmis["default/vm-not-ready"])
    assert "PodTerminating" in warning.message and "migrates it all the same" in warning.message


def test_not_live_migratable_carries_kubevirts_reason_and_message_verbatim():
    message = blockers_of("vm-rwo")[0].message
    assert "DisksNotLiveMigratable" in message
    assert (
        "cannot migrate VMI: PVC vm-rwo-disk-0 is not shared, live migration requires that all PVCs must be shared "
        "(using ReadWriteMany access mode)" in message
    )


def test_migration_in_progress_names_the_migration_and_its_phase():
    message = blockers_of("vm-migrating")[0].message
    assert "vm-migrating-x7k2p" in message and "Running" in message


def test_a_finished_migration_blocks_nothing():
    assert "vm-migrating-old" not in " ".join(r.message for r in blockers_of("vm-migrating"))


def test_host_devices_and_gpus_are_named_by_device():
    assert "intel.com/82599_ES_10_Gigabit" in blockers_of("vm-hostdev")[0].message
    assert "nvidia.com/GRID_A100-4C" in blockers_of("vm-gpu")[0].message


def test_the_cdrom_and_the_container_disk_are_named():
    assert "cdrom-iso" in blockers_of("vm-cdrom")[0].message
    assert "rootdisk" in blockers_of("vm-containerdisk")[0].message


def test_pinned_to_node_names_the_node_and_the_label():
    assert "kubernetes.io/hostname=node-1" in blockers_of("vm-pinned")[0].message


def test_no_eligible_node_sums_up_why_the_others_refuse():
    message = blockers_of("vm-nowhere")[0].message
    assert "node-2" in message and "NodeSelector" in message


def test_a_stopped_vm_says_its_printable_status():
    assert "Stopped" in blockers_of("vm-stopped")[0].message


def test_a_vm_that_does_not_exist_is_not_found():
    assert codes(blockers(BLOCKERS, None, None, [])) == ["NotFound"]


# -- Harvester's own rules: CD-ROMs and container disks --------------------------------------------


@pytest.mark.parametrize(
    "snapshot, harvester",
    [
        (BLOCKERS, True),  # the KubeVirt CR is in harvester-system
        (HARVESTER_NODES, True),  # no KubeVirt CR readable, but the nodes are labelled harvesterhci.io/managed
        (PLAIN, False),  # the KubeVirt CR in namespace kubevirt, no Harvester node
    ],
)
def test_a_harvester_cluster_is_told_by_its_kubevirt_namespace_or_its_nodes(snapshot, harvester):
    assert snapshot.is_harvester() is harvester


@pytest.mark.parametrize(
    "vm, expected",
    [
        ("vm-cdrom", []),
        ("vm-containerdisk", []),
        ("vm-cdrom-rwo", ["NotLiveMigratable"]),
    ],
)
def test_on_plain_kubevirt_only_kubevirts_own_verdict_holds_a_cdrom_or_a_container_disk(vm, expected):
    assert codes(blockers_of(vm, PLAIN)) == expected


def test_harvester_nodes_alone_are_enough_to_apply_harvesters_cdrom_rule():
    assert codes(blockers_of("vm-cdrom", HARVESTER_NODES)) == ["CDROM"]


@pytest.mark.parametrize("vm, code", [("vm-cdrom", "CDROM"), ("vm-containerdisk", "ContainerDisk")])
def test_the_cdrom_and_container_disk_blockers_say_they_are_harvesters_policy(vm, code):
    found = [r for r in blockers_of(vm) if r.code == code]
    assert len(found) == 1 and "Harvester" in found[0].message


@pytest.mark.parametrize("vm", ["vm-cdrom", "vm-containerdisk"])
def test_the_vm_list_shows_a_cdrom_or_container_disk_vm_as_migratable_on_plain_kubevirt(vm):
    summary = vm_summary(PLAIN, PLAIN.vms[f"default/{vm}"])
    assert summary.migratable and summary.reason_code == ""
