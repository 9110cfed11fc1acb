"""Parsing API objects into values: tolerant, and never relaxing a rule it could not read."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.domain.clusters import cluster
from tui.domain.objects import parse_migration_policy, parse_node, parse_time, parse_version, parse_vmi
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
