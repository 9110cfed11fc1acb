"""The simulated KubeVirt's rules on their own: the memory copy, kube-scheduler's message, settings by version, overhead."""

from __future__ import annotations

import pytest

from tui.sim.kubevirt import precopy
from tui.sim.kubevirt.config import default_migration_configuration, settings_from
from tui.sim.kubevirt.render import memory_overhead
from tui.sim.kubevirt.scheduler import NodeRefusal, failed_scheduling_message
from tui.sim.scenario import Simulation

GI = 1024**3
MI = 1024**2


def _run(copy: precopy.MemoryCopy, seconds: int, bandwidth: float) -> list[precopy.MemoryCopy]:
    steps = []
    for _ in range(seconds):
        copy = precopy.advance(copy, 1.0, bandwidth)
        steps.append(copy)
    return steps


def test_the_remaining_data_falls_while_the_bandwidth_beats_the_dirty_rate():
    steps = _run(precopy.MemoryCopy.start(4 * GI, 8 * MI), 5, 128 * MI)
    assert [round(s.remaining / MI) for s in steps] == [4096 - 120 * n for n in range(1, 6)]


def test_the_remaining_data_does_not_fall_when_the_guest_dirties_faster_than_the_link_carries():
    steps = _run(precopy.MemoryCopy.start(4 * GI, 512 * MI), 5, 128 * MI)
    assert {s.remaining for s in steps} == {4 * GI}
    assert steps[-1].stuck_for == 4 and not steps[-1].done


def test_the_copy_switches_over_once_the_rest_fits_in_the_downtime():
    steps = _run(precopy.MemoryCopy.start(1 * GI, 0), 20, 128 * MI)
    done = [s for s in steps if s.done]
    assert done[0].elapsed == 8 and done[0].remaining == 0 and done[0].processed == 1 * GI


def test_a_copy_without_traffic_counts_its_silence_and_resumes():
    copy = precopy.MemoryCopy.start(1 * GI, 4 * MI)
    silent = _run(copy, 3, 0)[-1]
    assert silent.silent_for == 3 and silent.remaining == 1 * GI
    assert precopy.advance(silent, 1.0, 128 * MI).silent_for == 0


def test_post_copy_drains_whatever_the_guest_does():
    copy = precopy.switch_mode(precopy.MemoryCopy.start(1 * GI, 2 * GI), precopy.POST_COPY)
    steps = _run(copy, 10, 256 * MI)
    assert steps[3].done and steps[3].remaining == 0


def test_the_failed_scheduling_message_counts_reasons_as_kube_scheduler_does():
    refusals = [
        NodeRefusal(("node(s) didn't match pod anti-affinity rules",), False),
        NodeRefusal(("Insufficient memory",), True),
        NodeRefusal(("node(s) didn't match Pod's node affinity/selector",), False),
        NodeRefusal(("node(s) didn't match Pod's node affinity/selector",), False),
    ]
    assert failed_scheduling_message(4, refusals) == (
        "0/4 nodes are available: 1 Insufficient memory, 1 node(s) didn't match pod anti-affinity rules, "
        "2 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: "
        "1 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling."
    )


@pytest.mark.parametrize(("version", "per_gib"), [((1, 3, 1), 800), ((1, 4, 0), 150), ((1, 6, 3), 150)])
def test_the_completion_timeout_default_follows_the_version(version, per_gib):
    assert default_migration_configuration(version)["completionTimeoutPerGiB"] == per_gib


def test_allow_workload_disruption_is_reported_from_kubevirt_1_5():
    assert "allowWorkloadDisruption" not in default_migration_configuration((1, 4, 2))
    assert default_migration_configuration((1, 5, 0))["allowWorkloadDisruption"] is False


def test_the_kubevirt_crs_observed_version_wins_over_the_simulations():
    cr = {"metadata": {"name": "kubevirt", "namespace": "kubevirt"}, "status": {"observedKubeVirtVersion": "v1.4.1"}}
    settings = settings_from(cr, Simulation(kubevirt_version="1.6.3"))
    assert settings.version == (1, 4, 1) and not settings.added_node_selector and not settings.harvester


def test_the_crs_migration_settings_overlay_the_defaults():
    cr = {
        "metadata": {"namespace": "harvester-system"},
        "spec": {"configuration": {"migrations": {"completionTimeoutPerGiB": 30, "bandwidthPerMigration": 0}}},
    }
    config = settings_from(cr, Simulation(kubevirt_version="1.6.3")).migration_configuration()
    assert (config["completionTimeoutPerGiB"], config["progressTimeout"], config["bandwidthPerMigration"]) == (
        30,
        150,
        "0",
    )


def test_the_memory_overhead_grows_with_vcpus_and_host_devices():
    settings = settings_from(None, Simulation(kubevirt_version="1.6.3"))
    spec = {"domain": {"cpu": {"cores": 2}, "resources": {"requests": {"memory": "4Gi"}}, "devices": {}}}
    base = memory_overhead(spec, settings)
    more_cpus = memory_overhead({**spec, "domain": {**spec["domain"], "cpu": {"cores": 8}}}, settings)
    with_gpu = memory_overhead(
        {**spec, "domain": {**spec["domain"], "devices": {"gpus": [{"deviceName": "nvidia.com/A10"}]}}}, settings
    )
    page_tables = 4_294_968_000 // 512  # 4 GiB rounded up to whole kilobytes, one byte per 512
    # renderresources.go v1.6.0 GetMemoryOverhead: launcher processes 220, two vCPUs 16, I/O thread 8, video 32 MiB.
    assert base == page_tables + (220 + 16 + 8 + 32) * MI
    assert more_cpus - base == 6 * 8 * MI and with_gpu - base == 1024 * MI


@pytest.mark.parametrize(("version", "video"), [("1.5.2", 16), ("1.6.0", 32)])
def test_the_video_ram_overhead_doubles_in_kubevirt_1_6(version, video):
    spec = {"domain": {"cpu": {"cores": 1}, "resources": {"requests": {"memory": "1G"}}, "devices": {}}}
    headless = {"domain": {**spec["domain"], "devices": {"autoattachGraphicsDevice": False}}}
    settings = settings_from(None, Simulation(kubevirt_version=version))
    assert memory_overhead(spec, settings) - memory_overhead(headless, settings) == video * MI


def test_a_guaranteed_qos_vm_gets_100_mib_more_before_the_ratio_applies():
    # renderresources.go v1.6.0: IsCPUDedicated() || WantsToHaveQOSGuaranteed() adds 100Mi, then multiplyMemory.
    plain = settings_from(None, Simulation(kubevirt_version="1.6.3"))
    doubled = settings_from(
        {
            "metadata": {"namespace": "harvester-system"},
            "spec": {"configuration": {"additionalGuestMemoryOverheadRatio": "2"}},
        },
        Simulation(kubevirt_version="1.6.3"),
    )
    burstable = {
        "domain": {
            "cpu": {"cores": 1},
            "resources": {"requests": {"memory": "2Gi", "cpu": "1"}, "limits": {"memory": "4Gi", "cpu": "1"}},
            "devices": {},
        }
    }
    guaranteed = {
        "domain": {
            **burstable["domain"],
            "resources": {"requests": {"memory": "2Gi", "cpu": "1"}, "limits": {"memory": "2Gi", "cpu": "1"}},
        }
    }
    assert memory_overhead(guaranteed, plain) - memory_overhead(burstable, plain) == 100 * MI
    base = memory_overhead(guaranteed, plain)
    assert (
        memory_overhead(guaranteed, doubled) == base + -(-base // 1000) * 1000
    )  # the ratio applies to the 100 MiB too


def test_before_kubevirt_1_6_the_100_mib_came_after_the_ratio():
    # renderresources.go v1.5.2 GetMemoryOverhead: multiplyMemory, then IsCPUDedicated() || WantsToHaveQOSGuaranteed().
    cr = {
        "metadata": {"namespace": "harvester-system"},
        "spec": {"configuration": {"additionalGuestMemoryOverheadRatio": "2"}},
    }
    plain, doubled = (
        settings_from(None, Simulation(kubevirt_version="1.5.2")),
        settings_from(cr, Simulation(kubevirt_version="1.5.2")),
    )
    guaranteed = {
        "domain": {
            "cpu": {"cores": 1},
            "resources": {"requests": {"memory": "2Gi", "cpu": "1"}, "limits": {"memory": "2Gi", "cpu": "1"}},
            "devices": {},
        }
    }
    unpinned = memory_overhead(guaranteed, plain) - 100 * MI
    assert memory_overhead(guaranteed, doubled) == unpinned + -(-unpinned // 1000) * 1000 + 100 * MI
