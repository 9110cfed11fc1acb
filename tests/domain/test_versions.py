"""Rules that depend on the KubeVirt and Harvester versions, and the plan saying which versions' rules it applied."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from tests.domain.clusters import codes, objects, verdict
from tui.domain.budget import completion_budget
from tui.domain.migratable import blockers
from tui.domain.objects import parse_version
from tui.domain.placement import node_verdicts
from tui.domain.plan import plan_for, vm_summary
from tui.domain.snapshot import ClusterSnapshot
from tui.domain.versions import rule_versions

NOW = datetime(2026, 6, 17, 12, 0, 0, tzinfo=timezone.utc)


def snapshot_with(
    *,
    os_image: str | None = "Harvester v1.7.0",
    server_version: str | None = None,
    kubevirt: str | None = "v1.6.3",
    namespaces_known: bool = True,
) -> ClusterSnapshot:
    """The versions fixture, with the nodes' OS image, Harvester's server-version setting and KubeVirt's version as asked."""
    found = []
    for obj in objects("versions")[0]["items"]:
        if obj["kind"] == "Node":
            info = dict(obj["status"].get("nodeInfo", {}))
            if os_image is None:
                info.pop("osImage", None)
            else:
                info["osImage"] = os_image
            obj = {**obj, "status": {**obj["status"], "nodeInfo": info}}
        if obj["kind"] == "KubeVirt":
            if kubevirt is None:
                continue
            obj = {**obj, "status": {**obj["status"], "observedKubeVirtVersion": kubevirt}}
        found.append(obj)
    if server_version is not None:
        found.append(
            {
                "apiVersion": "harvesterhci.io/v1beta1",
                "kind": "Setting",
                "metadata": {"name": "server-version"},
                "value": server_version,
            }
        )
    return ClusterSnapshot.from_objects(found, namespaces_known=namespaces_known)


def blocker_codes(snapshot: ClusterSnapshot, name: str) -> list[str]:
    vmi = snapshot.vmis[f"default/{name}"]
    return codes(blockers(snapshot, None, vmi, node_verdicts(snapshot, vmi)))


# -- Harvester's CD-ROM and container-disk rule ----------------------------------------------------


@pytest.mark.parametrize(
    "os_image, server_version, refused",
    [
        # pkg/api/vm/handler.go migrate (v1.4.0) refuses CD-ROMs and container disks.
        ("Harvester v1.4.2", None, True),
        # pkg/util/virtualmachineinstance/virtualmachineinstance.go ValidateVMMigratable, v1.5.0 to v1.7.3.
        ("Harvester v1.5.0", None, True),
        ("Harvester v1.6.1", None, True),
        ("Harvester v1.7.3", None, True),
        # v1.8.0: ValidateVMMigratable has no CD-ROM or container-disk check (CD-ROM hotplug volumes).
        ("Harvester v1.8.0", None, False),
        ("Harvester v1.8.2", None, False),
        # The server-version setting wins over the OS image.
        ("Harvester v1.7.0", "v1.8.1", False),
        ("Harvester v1.8.1", "v1.7.2", True),
        # Unknown: the older rule, said in the plan.
        (None, None, True),
    ],
)
def test_harvesters_cdrom_and_container_disk_refusal_follows_its_version(os_image, server_version, refused):
    snapshot = snapshot_with(os_image=os_image, server_version=server_version)
    assert ("CDROM" in blocker_codes(snapshot, "vm-cdrom")) is refused
    assert ("ContainerDisk" in blocker_codes(snapshot, "vm-containerdisk")) is refused
    assert (vm_summary_of(snapshot, "vm-cdrom").reason_code == "CDROM") is refused


def vm_summary_of(snapshot: ClusterSnapshot, name: str):
    vmi = snapshot.vmis[f"default/{name}"]
    from tui.domain.objects import VM, Meta

    vm = VM(meta=Meta(name=name, namespace="default"), template=vmi.spec, printable_status="Running")
    return vm_summary(snapshot, vm)


def test_during_an_upgrade_the_oldest_nodes_harvester_version_applies():
    snapshot = snapshot_with()
    upgraded = replace(snapshot.nodes["harvester-2"], os_image="Harvester v1.8.0")
    snapshot = replace(snapshot, nodes={**snapshot.nodes, "harvester-2": upgraded})
    assert rule_versions(snapshot).harvester == (1, 7, 0)


def test_the_plan_says_which_versions_rules_it_applied():
    plan = plan_for(snapshot_with(server_version="v1.7.1"), "default", "vm-cdrom", NOW).to_dict()
    assert plan["rule_versions"] == {
        "kubevirt": "v1.6.3",
        "harvester": "v1.7.1",
        "harvester_source": "server-version setting",
        "harvester_cluster": True,
        "assumed": [],
    }


def test_the_plan_says_which_rule_it_assumed_for_an_unknown_harvester_version():
    plan = plan_for(snapshot_with(os_image=None), "default", "vm-cdrom", NOW).to_dict()
    (assumed,) = plan["rule_versions"]["assumed"]
    assert "Harvester version unknown" in assumed and "1.4 to 1.7" in assumed
    assert plan["rule_versions"]["harvester"] is None


def test_the_plan_says_which_rules_it_assumed_for_an_unknown_kubevirt_version():
    plan = plan_for(snapshot_with(kubevirt=None), "default", "vm-cdrom", NOW).to_dict()
    assert plan["rule_versions"]["kubevirt"] is None
    assert any("KubeVirt version unknown" in line and "1.5.1" in line for line in plan["rule_versions"]["assumed"])


def test_the_harvester_version_is_read_from_the_os_image():
    versions = rule_versions(snapshot_with(os_image="Harvester v1.6.1"))
    assert versions.harvester == (1, 6, 1) and versions.harvester_source == "nodes' OS image"
    assert versions.harvester_line() == "Harvester v1.6.1 (from the nodes' OS image)"


# -- witness nodes ---------------------------------------------------------------------------------


def test_a_witness_label_with_any_value_makes_a_witness_node():
    snapshot = snapshot_with()
    found = verdict(node_verdicts(snapshot, snapshot.vmis["default/vm-cdrom"]), "harvester-witness")
    assert codes(found.reasons) == ["Witness"]


# -- the data size: volume migrations and empty disks ------------------------------------------------


@pytest.mark.parametrize(
    "vm, kubevirt, units",
    [
        # v1.7.2 and later (pkg/storage/types/pvc.go at v1.7.2, volume.go at v1.8.0): each migratedVolumes
        # source claim, min(requests, capacity) in bytes: 4 GB + 10 GiB = 15 units.
        ("vm-volume-migration", "v1.7.2", 15),
        ("vm-volume-migration", "v1.8.0", 15),
        ("vm-volume-migration", None, 15),  # unknown: the newest rule
        # Before: only source claims still in volumeStatus; the destination is listed there, so nothing.
        ("vm-volume-migration", "v1.6.3", 4),
        ("vm-volume-migration", "v1.7.1", 4),
        # A source claim still in volumeStatus, min(3, 2) = 2 bytes: 2 bytes from 1.7.2 (4 GB + 2 B -> 5),
        # 2 x 10^9 bytes before (NewScaledQuantity(size, Giga)).
        ("vm-volume-migration-old-rule", "v1.7.2", 5),
        ("vm-volume-migration-old-rule", "v1.7.1", 6),
        ("vm-volume-migration-old-rule", "v1.5.0", 6),
        # An emptyDisk is not in the ephemeral-disk directory: BlockMigration adds nothing for it.
        ("vm-empty-disk", "v1.6.3", 4),
    ],
)
def test_the_data_size_follows_kubevirts_version(vm, kubevirt, units):
    snapshot = snapshot_with(kubevirt=kubevirt)
    budget = completion_budget(snapshot, snapshot.vmis[f"default/{vm}"])
    assert budget.data_units == units


def test_a_volume_migration_is_named_in_the_budgets_notes():
    snapshot = snapshot_with(kubevirt="v1.8.0")
    budget = completion_budget(snapshot, snapshot.vmis["default/vm-volume-migration"])
    assert budget.migrated_volume_units == 11
    assert any("volume migration copies 10 GiB" in note for note in budget.notes)


# -- a policy whose namespace selector cannot be evaluated -------------------------------------------


def test_a_namespace_selector_that_cannot_be_evaluated_is_said_not_guessed():
    snapshot = snapshot_with(namespaces_known=False)
    budget = completion_budget(snapshot, snapshot.vmis["team-a/vm-tier-gold"])
    assert budget.source == "default" and budget.per_gib == 150
    assert any("gold-in-prod" in note and "could not be evaluated" in note for note in budget.notes)


def test_with_namespaces_readable_an_unlabelled_namespace_simply_does_not_match():
    snapshot = snapshot_with()
    budget = completion_budget(snapshot, snapshot.vmis["team-a/vm-tier-gold"])
    assert budget.source == "default"
    assert not any("could not be evaluated" in note for note in budget.notes)


def test_parse_version_reads_harvester_and_kubevirt_spellings():
    assert parse_version("Harvester v1.7.0") == (1, 7, 0)
    assert parse_version("v1.5.2") == (1, 5, 2)
