"""Parsing API objects into values: tolerant, and never relaxing a rule it could not read."""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime, timezone

from tests.domain.clusters import cluster
from tui.domain.objects import (
    GuestSpec,
    parse_guest_spec,
    parse_migration_policy,
    parse_node,
    parse_time,
    parse_version,
    parse_vm,
    parse_vmi,
)
from tui.domain.snapshot import ClusterSnapshot


def test_an_affinity_expression_that_is_not_an_object_is_kept_as_a_problem_not_dropped():
    vmi = parse_vmi(
        {
            "spec": {
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {"matchExpressions": ["zone=a", {"key": "k", "operator": "In", "values": ["a", 3]}]}
                            ]
                        }
                    }
                }
            }
        }
    )
    expressions = vmi.spec.affinity.terms[0].match_expressions
    assert [e.problem for e in expressions] == ["an expression that is not an object", "a value that is not a string"]


def test_the_machine_type_the_guest_runs_comes_from_the_vmi_status():
    vmi = parse_vmi({"spec": {"domain": {"machine": {"type": "q35"}}}, "status": {"machine": {"type": "pc-q35-8.2"}}})
    assert (vmi.spec.machine_type, vmi.machine_type) == ("q35", "pc-q35-8.2")


def test_a_policy_without_selectors_is_told_apart_from_an_empty_one():
    assert not parse_migration_policy({"spec": {}}).selectors_set
    assert parse_migration_policy({"spec": {"selectors": {}}}).selectors_set


def test_a_node_ready_condition_of_unknown_status_is_unknown_not_false():
    ready = {"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown"}
    node = parse_node({"status": {"conditions": [ready]}})
    assert node.ready is None and node.ready_reason == "NodeStatusUnknown"


def test_timestamps_with_offsets_are_read_in_utc():
    assert parse_time("2026-01-19T07:35:10+02:00") == datetime(2026, 1, 19, 5, 35, 10, tzinfo=timezone.utc)
    assert parse_time("2026-13-40T00:00:00Z") is None


def test_kubevirt_versions_are_read_from_release_and_build_strings():
    assert parse_version("v1.6.3") == (1, 6, 3)
    assert parse_version("1.6.3-150700.3.13.1") == (1, 6, 3)
    assert parse_version("latest") is None


def test_a_snapshot_reads_lists_skips_other_kinds_and_knows_pods_only_when_given():
    snapshot = ClusterSnapshot.from_objects(
        [
            {"kind": "List", "items": [{"kind": "Node", "metadata": {"name": "n1"}}, "junk"]},
            {"kind": "ConfigMap", "metadata": {"name": "x"}},
            {"kind": "NodeList", "items": [{"kind": "Node", "metadata": {"name": "n2"}}]},
        ]
    )
    assert sorted(snapshot.nodes) == ["n1", "n2"]
    assert not snapshot.pods_known
    assert ClusterSnapshot.from_objects([], pods_known=True).pods_known


def test_a_vm_network_names_its_nad_with_or_without_namespace():
    snapshot = cluster("networks")
    assert snapshot.nad("vlan100", "default").cluster_network == "data"
    assert snapshot.nad("default/vlan100", "elsewhere").cluster_network == "data"
    assert snapshot.nad("vlan100", "elsewhere") is None


def test_the_deployed_kubevirt_is_the_one_in_charge():
    snapshot = ClusterSnapshot.from_objects(
        [
            {"kind": "KubeVirt", "metadata": {"name": "a"}, "status": {"phase": "Deleting"}},
            {"kind": "KubeVirt", "metadata": {"name": "b"}, "status": {"phase": "Deployed"}},
        ]
    )
    assert snapshot.kubevirt.meta.name == "b"


def _vmi_with_domain(name: str, domain: dict) -> dict:
    return {"metadata": {"name": name, "namespace": "default"}, "spec": {"domain": domain}}


def test_vmis_with_equal_domains_share_what_their_domain_says():
    domain = {
        "cpu": {"cores": 2, "model": "host-model"},
        "devices": {"disks": [{"name": "rootdisk", "disk": {"bus": "virtio"}}], "interfaces": [{"name": "default"}]},
        "resources": {"requests": {"memory": "2Gi", "cpu": "500m"}},
    }
    first = parse_vmi(_vmi_with_domain("a", domain)).spec
    second = parse_vmi(_vmi_with_domain("b", {**domain})).spec
    assert first == second
    assert first.disks is second.disks  # read once, shared
    assert (first.cores, first.cpu_model, first.cpu_request_milli) == (2, "host-model", 500)


def test_a_domain_value_that_is_not_json_is_read_as_it_is_not_as_its_text():
    # YAML reads an unquoted date as a date: not a string, so not a CPU model; its text is one.
    as_date = parse_vmi(_vmi_with_domain("a", {"cpu": {"model": datetime(2024, 1, 2, tzinfo=timezone.utc)}}))
    as_text = parse_vmi(_vmi_with_domain("b", {"cpu": {"model": "2024-01-02T00:00:00+00:00"}}))
    assert as_date.spec.cpu_model == ""
    assert as_text.spec.cpu_model == "2024-01-02T00:00:00+00:00"


def _vm_with_template_spec(spec: object) -> dict:
    return {"metadata": {"name": "vm", "namespace": "ns"}, "spec": {"template": {"spec": spec}}}


TEMPLATE_SPEC = {
    "domain": {
        "cpu": {"cores": 2, "model": "Cascadelake-Server"},
        "memory": {"guest": "4Gi"},
        "devices": {"disks": [{"name": "disk-0", "disk": {"bus": "virtio"}}], "interfaces": [{"name": "default"}]},
    },
    "nodeSelector": {"zone": "a"},
    "tolerations": [{"key": "k", "operator": "Exists"}],
    "volumes": [{"name": "disk-0", "persistentVolumeClaim": {"claimName": "vm-disk-0"}}],
    "networks": [{"name": "default", "pod": {}}],
    "evictionStrategy": "LiveMigrate",
}


def test_a_vm_template_read_when_first_needed_says_what_it_says_when_read_at_once():
    template = parse_vm(_vm_with_template_spec(TEMPLATE_SPEC)).template
    whole = parse_guest_spec(TEMPLATE_SPEC)
    assert template == whole and whole == template
    for name in GuestSpec.__dataclass_fields__:
        assert getattr(template, name) == getattr(whole, name), name
    assert template.memory == whole.memory
    assert dataclasses.replace(template, cpu_model="Haswell").cpu_model == "Haswell"
    assert dataclasses.replace(parse_vm(_vm_with_template_spec(TEMPLATE_SPEC)).template, cpu_model="x").volumes == (
        whole.volumes
    )


def test_a_vm_template_is_read_once_when_threads_first_read_it_together():
    template = parse_vm(_vm_with_template_spec(TEMPLATE_SPEC)).template
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(template.volumes)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(volumes == parse_guest_spec(TEMPLATE_SPEC).volumes for volumes in seen) and len(seen) == 8


def test_a_vm_template_with_values_json_would_change_is_read_as_they_are():
    # YAML reads an unquoted date as a date, not a CPU model; a NaN would come back from JSON as null.
    as_date = parse_vm(_vm_with_template_spec({"domain": {"cpu": {"model": datetime(2024, 1, 2)}}})).template
    assert as_date.cpu_model == ""
    huge = parse_vm(_vm_with_template_spec({"domain": {"cpu": {"cores": 2**70}}})).template
    assert huge.cores is None
    nan = parse_vm(_vm_with_template_spec({"domain": {"cpu": {"cores": float("nan")}}})).template
    assert nan.cores is None
    assert parse_vm(_vm_with_template_spec("not an object")).template == GuestSpec()


def test_objects_with_the_same_conditions_share_them_and_odd_ones_are_read_as_before():
    conditions = [
        {"type": "Ready", "status": "True", "lastTransitionTime": "2026-11-30T15:18:03Z"},
        {"type": "LiveMigratable", "status": "False", "reason": "DisksNotLiveMigratable", "message": "m"},
    ]
    first = parse_vmi({"status": {"conditions": conditions}}).conditions
    second = parse_vmi({"status": {"conditions": [dict(c) for c in conditions]}}).conditions
    assert first is second
    assert [(c.type, c.status, c.reason) for c in first] == [
        ("Ready", True, ""),
        ("LiveMigratable", False, "DisksNotLiveMigratable"),
    ]
    odd = [{"type": "Ready", "status": "True", "message": {"not": "text"}}, "not an object", {"status": "True"}]
    read = parse_vmi({"status": {"conditions": odd}}).conditions
    assert [(c.type, c.status, c.message) for c in read] == [("Ready", True, "")]
