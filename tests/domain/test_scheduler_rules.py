"""What else a node must offer (extended resources, a stable TSC), and the rules placement says it does not check."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.domain.clusters import cluster, codes, objects, verdict
from tui.domain.objects import parse_pod
from tui.domain.placement import node_verdicts
from tui.domain.plan import plan_for
from tui.domain.snapshot import ClusterSnapshot

RULES = cluster("scheduler-rules")
NOW = datetime(2026, 6, 17, 12, 0, 0, tzinfo=timezone.utc)


def verdicts_of(vmi: str, snapshot: ClusterSnapshot = RULES):
    return node_verdicts(snapshot, snapshot.vmis[f"default/{vmi}"])


# -- extended resources: hugepages, KubeVirt's device plugins -----------------------------------------


@pytest.mark.parametrize(
    "node, expected",
    [
        ("node-2", []),
        ("node-no-hugepages", ["Resources"]),
        ("node-hugepages-used", ["Resources"]),
        ("node-no-devices", ["Resources"]),  # kvm, tun and vhost-net, in one reason
    ],
)
def test_the_launcher_pods_extended_resources_must_fit_the_node(node, expected):
    found = verdict(verdicts_of("vm-hugepages"), node)
    assert codes(found.reasons) == expected
    assert found.resources_checked


def test_hugepages_already_taken_are_named_in_bytes_with_what_is_free():
    message = verdict(verdicts_of("vm-hugepages"), "node-hugepages-used").reasons[0].message
    assert "hugepages-1Gi" in message and "would request 8 GiB" in message
    assert "16 GiB allocatable, 12 GiB already requested by 1 pod, 4 GiB free" in message


def test_resources_the_node_does_not_offer_at_all_are_named_in_one_reason():
    message = verdict(verdicts_of("vm-hugepages"), "node-no-devices").reasons[0].message
    assert "does not offer" in message
    assert "devices.kubevirt.io/kvm (1), devices.kubevirt.io/tun (1), devices.kubevirt.io/vhost-net (1)" in message


def test_a_pods_extended_requests_add_up_like_cpu_and_memory():
    pod = parse_pod(
        {
            "spec": {
                "initContainers": [{"name": "setup", "resources": {"requests": {"nvidia.com/GA102GL_A10": "1"}}}],
                "containers": [
                    {
                        "name": "compute",
                        "resources": {"requests": {"devices.kubevirt.io/kvm": "1", "hugepages-2Mi": "1Gi"}},
                    },
                    {"name": "hook", "resources": {"requests": {"hugepages-2Mi": "2Mi", "ephemeral-storage": "50M"}}},
                ],
            }
        }
    )
    assert dict(pod.other_requests) == {
        "devices.kubevirt.io/kvm": 1,
        "ephemeral-storage": 50_000_000,
        "hugepages-2Mi": 1024**3 + 2 * 1024**2,
        "nvidia.com/GA102GL_A10": 1,  # the init container's, while it runs
    }


# -- the TSC frequency a guest keeps ------------------------------------------------------------------


@pytest.mark.parametrize(
    "vmi, node, expected",
    [
        ("vm-invtsc", "node-2", []),
        ("vm-invtsc", "node-other-tsc", ["NodeSelector"]),
        ("vm-tsc-free", "node-other-tsc", []),  # a frequency is recorded, but the guest does not depend on it
    ],
)
def test_a_guest_that_needs_a_stable_tsc_goes_only_where_its_frequency_can_run(vmi, node, expected):
    assert codes(verdict(verdicts_of(vmi), node).reasons) == expected


def test_the_tsc_reason_names_the_frequency_and_the_label():
    message = verdict(verdicts_of("vm-invtsc"), "node-other-tsc").reasons[0].message
    assert "2100000000 Hz" in message and "scheduling.node.kubevirt.io/tsc-frequency-2100000000" in message


# -- rules placement does not evaluate ------------------------------------------------------------------


@pytest.mark.parametrize(
    "vmi, named",
    [
        ("vm-anti-affinity", "podAntiAffinity"),
        ("vm-affinity", "podAffinity"),
        ("vm-spread", "topologySpreadConstraints"),
        ("vm-windows", "HypervStrictCheck"),
    ],
)
def test_an_eligible_node_says_which_of_the_vms_scheduling_rules_are_not_checked(vmi, named):
    found = verdict(verdicts_of(vmi), "node-2")
    assert found.eligible
    assert len(found.unchecked) == 1 and named in found.unchecked[0]


def test_preferences_only_rank_nodes_and_leave_nothing_unchecked():
    assert all(not v.unchecked for v in verdicts_of("vm-preferences"))


def test_the_source_node_carries_no_caveat():
    assert verdict(verdicts_of("vm-anti-affinity"), "node-1").unchecked == ()


def test_hyperv_without_the_strict_check_gate_leaves_nothing_unchecked():
    items = [item for doc in objects("scheduler-rules") for item in doc["items"] if item["kind"] != "KubeVirt"]
    snapshot = ClusterSnapshot.from_objects(items)
    assert all(not v.unchecked for v in verdicts_of("vm-windows", snapshot))


def test_a_plan_keeps_the_caveats_on_its_node_verdicts():
    plan = plan_for(RULES, "default", "vm-spread", NOW)
    assert all(v.unchecked for v in plan.nodes if v.eligible)


@pytest.mark.parametrize(
    "spec, named",
    [
        ({"priorityClassName": "vm-critical"}, "Preemption"),
        ({"schedulerName": "volcano"}, "scheduler volcano"),
        ({"domain": {"cpu": {"realtime": {}}}}, "kubevirt.io/realtime"),
        ({"domain": {"launchSecurity": {"sev": {}}}}, "kubevirt.io/sev"),
        ({"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "d"}}]}, "Volume binding and zones"),
    ],
)
def test_rules_the_vm_asks_for_that_placement_does_not_evaluate_are_named(spec, named):
    from tui.domain.objects import parse_guest_spec
    from tui.domain.placement import unchecked_rules

    (rule,) = unchecked_rules(parse_guest_spec(spec), None)
    assert named in rule


def test_the_default_scheduler_named_explicitly_is_no_unchecked_rule():
    from tui.domain.objects import parse_guest_spec
    from tui.domain.placement import unchecked_rules

    assert unchecked_rules(parse_guest_spec({"schedulerName": "default-scheduler"}), None) == ()


def test_the_plan_names_what_no_verdict_evaluates_for_any_vm():
    plan = plan_for(RULES, "default", "vm-anti-affinity", NOW).to_dict()
    assert any("Other pods' required anti-affinity" in rule for rule in plan["not_checked"])
