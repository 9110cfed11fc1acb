"""The migration target pod's requests, rendered as KubeVirt renders them from the VMI and its configuration now
(pkg/virt-controller/services/renderresources.go and template.go, v1.6.0)."""

from __future__ import annotations

import pytest

from tui.domain.objects import parse_kubevirt, parse_pod, parse_vmi
from tui.domain.target_requests import RENDERED, SOURCE_POD, memory_overhead, target_requests

MI = 1024 * 1024


def vmi(domain: dict, **spec) -> object:
    return parse_vmi({"metadata": {"name": "vm", "namespace": "default"}, "spec": {"domain": domain, **spec}})


def kubevirt(version: str = "v1.6.3", **configuration) -> object:
    return parse_kubevirt(
        {
            "metadata": {"name": "kubevirt"},
            "spec": {"configuration": configuration},
            "status": {"observedKubeVirtVersion": version},
        }
    )


TWO_CPUS = {"cpu": {"cores": 2, "sockets": 1, "threads": 1}, "resources": {"requests": {"memory": "4Gi"}}}
# Page tables: 4 Gi rounded up to kB, / 512 -> 8388609; fixed 220 Mi; 2 x 8 Mi per vCPU; 8 Mi IO thread; 32 Mi video.
OVERHEAD_TWO_CPUS = 8388609 + 220 * MI + 16 * MI + 8 * MI + 32 * MI


def source_pod(compute_cpu: str, compute_memory: str) -> object:
    return parse_pod(
        {
            "metadata": {
                "name": "virt-launcher-vm-abcde",
                "namespace": "default",
                "labels": {"kubevirt.io": "virt-launcher"},
            },
            "spec": {
                "containers": [
                    {"name": "compute", "resources": {"requests": {"cpu": compute_cpu, "memory": compute_memory}}},
                    {"name": "guest-console-log", "resources": {"requests": {"cpu": "5m", "memory": "35M"}}},
                ]
            },
        }
    )


def test_the_memory_overhead_adds_up_as_kubevirt_1_6_counts_it():
    assert memory_overhead(vmi(TWO_CPUS), kubevirt()) == OVERHEAD_TWO_CPUS


@pytest.mark.parametrize(
    "version, less",
    [
        # virtlogd 20 Mi and virtqemud 35 Mi up to v1.4 (template.go), 25 Mi and 40 Mi from v1.5.0;
        # video RAM 16 Mi up to v1.5.x, 32 Mi from v1.6.0 (renderresources.go GetMemoryOverhead).
        ("v1.3.1", 10 * MI + 16 * MI),
        ("v1.4.1", 10 * MI + 16 * MI),
        ("v1.5.0", 16 * MI),
        ("v1.5.2", 16 * MI),
        ("v1.6.0", 0),
        ("v1.7.2", 0),
    ],
)
def test_the_fixed_overheads_follow_kubevirts_version(version, less):
    assert memory_overhead(vmi(TWO_CPUS), kubevirt(version)) == OVERHEAD_TWO_CPUS - less


def test_before_kubevirt_1_6_the_guaranteed_qos_overhead_is_not_multiplied_by_the_ratio():
    domain = {
        **TWO_CPUS,
        "resources": {"requests": {"memory": "4Gi", "cpu": "2"}, "limits": {"memory": "4Gi", "cpu": "2"}},
    }
    base = memory_overhead(vmi(TWO_CPUS), kubevirt("v1.5.2", additionalGuestMemoryOverheadRatio="2"))
    assert memory_overhead(vmi(domain), kubevirt("v1.5.2", additionalGuestMemoryOverheadRatio="2")) == base + 100 * MI
    base = memory_overhead(vmi(TWO_CPUS), kubevirt("v1.6.0", additionalGuestMemoryOverheadRatio="2"))
    doubled = memory_overhead(vmi(domain), kubevirt("v1.6.0", additionalGuestMemoryOverheadRatio="2")) - base
    assert abs(doubled - 200 * MI) < 2000  # from 1.6.0 doubled too (to the kB KubeVirt rounds to)


@pytest.mark.parametrize(
    "domain_extra, added",
    [
        ({"devices": {"autoattachGraphicsDevice": False}}, -32 * MI),
        ({"devices": {"tpm": {}}}, 53 * MI),
        ({"devices": {"hostDevices": [{"name": "nic", "deviceName": "intel.com/x710"}]}}, 1024 * MI),
        ({"launchSecurity": {"sev": {}}}, 256 * MI),
        # Guaranteed QoS: CPU and memory requests equal to their limits (WantsToHaveQOSGuaranteed).
        ({"resources": {"requests": {"memory": "4Gi", "cpu": "2"}, "limits": {"memory": "4Gi", "cpu": "2"}}}, 100 * MI),
        ({"resources": {"requests": {"memory": "4Gi"}, "limits": {"memory": "4Gi"}}}, 0),
    ],
)
def test_devices_change_the_overhead(domain_extra, added):
    assert memory_overhead(vmi({**TWO_CPUS, **domain_extra}), kubevirt()) == OVERHEAD_TWO_CPUS + added


def test_the_additional_overhead_ratio_multiplies_the_overhead_in_whole_kilobytes():
    ratio = kubevirt(additionalGuestMemoryOverheadRatio="2")
    kilo = -(-OVERHEAD_TWO_CPUS // 1000)
    assert memory_overhead(vmi(TWO_CPUS), ratio) == OVERHEAD_TWO_CPUS + kilo * 1000


def test_the_target_is_rendered_from_the_vmi_now_not_copied_from_the_source_pod():
    # The source pod was made for 1 vCPU and less memory; the VM has 2 vCPUs now (hotplugged).
    found = target_requests(vmi(TWO_CPUS), kubevirt(), source_pod("100m", "4500000000"))
    assert found.source == RENDERED
    assert found.cpu_milli == 5 + 200  # the log container as on the source; 2 vCPUs / cpuAllocationRatio 10
    assert found.memory == 35_000_000 + 4 * 1024**3 + OVERHEAD_TWO_CPUS


def test_the_cluster_cpu_allocation_ratio_divides_the_vcpus():
    found = target_requests(
        vmi(TWO_CPUS), kubevirt(developerConfiguration={"cpuAllocationRatio": 4}), source_pod("100m", "4Gi")
    )
    assert found.cpu_milli == 5 + 500


def test_the_vms_own_cpu_request_wins_over_the_ratio():
    domain = {**TWO_CPUS, "resources": {"requests": {"memory": "4Gi", "cpu": "1500m"}}}
    assert target_requests(vmi(domain), kubevirt(), source_pod("100m", "4Gi")).cpu_milli == 5 + 1500


def test_overcommitted_guest_overhead_is_not_requested():
    domain = {**TWO_CPUS, "resources": {"requests": {"memory": "4Gi"}, "overcommitGuestOverhead": True}}
    assert target_requests(vmi(domain), kubevirt(), source_pod("100m", "4Gi")).memory == 35_000_000 + 4 * 1024**3


@pytest.mark.parametrize(
    "domain, why",
    [
        ({"cpu": {"cores": 2}}, "memory request is not known"),
        ({**TWO_CPUS, "memory": {"hugepages": {"pageSize": "1Gi"}}}, "hugepages"),
    ],
)
def test_without_enough_to_render_the_source_pods_requests_stand_in_and_say_so(domain, why):
    found = target_requests(vmi(domain), kubevirt(), source_pod("100m", "4Gi"))
    assert found.source == SOURCE_POD and why in found.detail
    assert (found.cpu_milli, found.memory) == (105, 4 * 1024**3 + 35_000_000)


def test_without_the_source_pod_there_is_no_answer_as_its_other_containers_are_unknown():
    assert target_requests(vmi(TWO_CPUS), kubevirt(), None) is None
    assert target_requests(vmi({"cpu": {"cores": 2}}), kubevirt(), None) is None


def test_dedicated_cpus_request_one_cpu_per_vcpu_whatever_the_vm_requests():
    domain = {
        "cpu": {"cores": 2, "sockets": 1, "threads": 1, "dedicatedCpuPlacement": True, "isolateEmulatorThread": True},
        "resources": {"requests": {"memory": "4Gi", "cpu": "500m"}},
    }
    assert target_requests(vmi(domain), kubevirt(), source_pod("3", "4Gi")).cpu_milli == 5 + 3000
