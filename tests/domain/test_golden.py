"""Golden cases transcribed from upstream unit tests (fixtures/golden/*.yaml): livemig's rules must give
upstream's answers. Each row names the upstream file, its tag or commit, and the upstream case."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tui.domain.budget import matching_policy, migrated_volume_bytes
from tui.domain.cpu import launcher_node_selector, migration_target_node_selector
from tui.domain.objects import parse_kubevirt, parse_migration_policy, parse_namespace, parse_node, parse_pod, parse_vmi
from tui.domain.scheduling import cordon_blocks, required_affinity, selector_mismatches, untolerated_taints
from tui.domain.snapshot import ClusterSnapshot
from tui.domain.target_requests import memory_overhead

GOLDEN = Path(__file__).parent / "fixtures" / "golden"


def table(name: str, key: str) -> list[dict]:
    with open(GOLDEN / f"{name}.yaml") as handle:
        return yaml.safe_load(handle)[key]


def case_id(row: dict) -> str:
    return row["case"][:90]


SCHEDULER = table("scheduler", "cases")
KUBEVIRT_SOURCES = yaml.safe_load((GOLDEN / "kubevirt.yaml").read_text())


def test_there_are_at_least_forty_golden_cases_each_naming_its_source():
    keys = ("selectors", "targets", "policies", "migrated_volumes", "overheads")
    rows = SCHEDULER + [row for key in keys for row in KUBEVIRT_SOURCES[key]]
    assert len(rows) >= 40
    assert all(row["source"]["file"] and (row["source"].get("tag") or row["source"].get("commit")) for row in rows)


# -- kube-scheduler and component-helpers -------------------------------------------------------------


def _pod(spec: dict) -> dict:
    spec = dict(spec)
    if "required" in spec:
        required = spec.pop("required")
        spec["affinity"] = {
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": required}}
        }
    return {"metadata": {"name": "pod", "namespace": "default"}, "spec": spec}


def _node(node: dict) -> dict:
    return {
        "metadata": {"name": node.get("name", "node"), "labels": node.get("labels") or {}},
        "spec": {"taints": node.get("taints") or [], "unschedulable": node.get("unschedulable", False)},
    }


@pytest.mark.parametrize("row", SCHEDULER, ids=case_id)
def test_scheduler_filters_answer_as_upstream(row):
    pod, node = parse_pod(_pod(row["pod"])), parse_node(_node(row["node"]))
    fits = (
        not selector_mismatches(pod.node_selector, node.labels)
        and required_affinity(pod.affinity, node.labels, node.name).matched
        and not untolerated_taints(node.taints, pod.tolerations)
        and not cordon_blocks(node.unschedulable, pod.tolerations)
    )
    assert fits is row["fits"], f"{row['source']['file']}: {row['case']}"


# -- KubeVirt: the launcher and target pods' node selectors ------------------------------------------


def _kubevirt(cluster_selectors: dict | None = None):
    return parse_kubevirt(
        {
            "metadata": {"name": "kubevirt", "namespace": "kubevirt"},
            "spec": {"configuration": {"developerConfiguration": {"nodeSelectors": cluster_selectors or {}}}},
            "status": {"observedKubeVirtVersion": "v1.6.0"},
        }
    )


@pytest.mark.parametrize("row", KUBEVIRT_SOURCES["selectors"], ids=case_id)
def test_launcher_node_selectors_render_as_upstream(row):
    status = {"topologyHints": {"tscFrequency": row["tsc_frequency"]}} if "tsc_frequency" in row else {}
    vmi = parse_vmi({"metadata": {"name": "vm", "namespace": "default"}, "spec": row["spec"], "status": status})
    selector = launcher_node_selector(vmi, _kubevirt(row.get("cluster_selectors")))
    if "selector" in row:
        assert selector == row["selector"]
    else:
        assert row["includes"].items() <= selector.items()


@pytest.mark.parametrize("row", KUBEVIRT_SOURCES["targets"], ids=case_id)
def test_migration_targets_ask_for_the_host_model_as_upstream(row):
    node = parse_node(
        {
            "metadata": {
                "name": "testNode",
                "labels": {
                    "host-model-cpu.node.kubevirt.io/fake": "true",
                    "cpu-model-migration.node.kubevirt.io/fake": "true",
                    "host-model-required-features.node.kubevirt.io/fake": "true",
                },
            }
        }
    )
    vmi = parse_vmi(
        {
            "metadata": {"name": "testvmi", "namespace": "default"},
            "spec": {"domain": {"cpu": {"model": row["model"]}}},
            "status": {"phase": "Running", "nodeName": "testNode"},
        }
    )
    selector = migration_target_node_selector(vmi, node, None, _kubevirt())
    has_label = any("cpu-model-migration.node.kubevirt.io/" in key for key in selector)
    assert has_label is row["migration_label"]


# -- KubeVirt: MigrationPolicy matching --------------------------------------------------------------


def _labels(name: str, count: int) -> dict[str, str]:
    return {f"{name}-key-{i}": f"{name}-value-{i}" for i in range(count)}


@pytest.mark.parametrize("row", KUBEVIRT_SOURCES["policies"], ids=case_id)
def test_migration_policies_match_as_upstream(row):
    vmi_labels: dict[str, str] = {"kubevirt.io/domain": "testvmi"}  # newVirtualMachine gives the VMI labels
    namespace_labels: dict[str, str] = {}
    policies = []
    for info in row["policies"]:
        own_vmi, own_ns = _labels(info["name"], info["vmi"]), _labels(f"{info['name']}-ns", info["ns"])
        vmi_labels |= own_vmi
        namespace_labels |= own_ns
        selector_vmi = dict(own_vmi)
        if info.get("mismatch"):
            selector_vmi[f"{info['name']}-key-0"] = "XYZ"
        policies.append(
            parse_migration_policy(
                {
                    "metadata": {"name": info["name"]},
                    "spec": {
                        "selectors": {"virtualMachineInstanceSelector": selector_vmi, "namespaceSelector": own_ns}
                    },
                }
            )
        )
    vmi = parse_vmi({"metadata": {"name": "testvmi", "namespace": "default", "labels": vmi_labels}})
    namespace = parse_namespace({"metadata": {"name": "default", "labels": namespace_labels}})
    snapshot = ClusterSnapshot.of(vmis=[vmi], policies=policies, namespaces=[namespace])
    found = matching_policy(snapshot, vmi)
    assert (found.name if found is not None else None) == row["expected"]


# -- KubeVirt: what a volume migration adds to the data size -----------------------------------------


@pytest.mark.parametrize("row", KUBEVIRT_SOURCES["migrated_volumes"], ids=case_id)
def test_migrated_volumes_add_to_the_data_size_as_upstream(row):
    vmi = parse_vmi({"metadata": {"name": "vm", "namespace": "default"}, "status": {"migratedVolumes": row["volumes"]}})
    assert migrated_volume_bytes(vmi, (1, 8, 0)) == row["bytes"]


# -- KubeVirt: the launcher's memory overhead ----------------------------------------------------------


@pytest.mark.parametrize("row", KUBEVIRT_SOURCES["overheads"], ids=case_id)
def test_the_launcher_memory_overhead_is_kubevirts_for_its_version(row):
    vmi = parse_vmi(
        {
            "metadata": {"name": "vm", "namespace": "default"},
            "spec": {"domain": {"resources": {"requests": {"memory": "1Gi"}}}},
        }
    )
    kubevirt = parse_kubevirt({"metadata": {"name": "kubevirt"}, "status": {"observedKubeVirtVersion": row["version"]}})
    assert memory_overhead(vmi, kubevirt) == row["bytes"]
