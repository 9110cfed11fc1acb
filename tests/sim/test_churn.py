"""The `churn` fault: a fixed rate of VMI status changes, for load tests of whatever watches them."""

from __future__ import annotations

import pytest

from tests.sim.kubevirt_cluster import condition, running, vm, vmi_of
from tui.sim.faults import FaultError


@pytest.fixture
def cluster():
    with running(
        vm("one", on_node="node-a"), vm("two", on_node="node-b"), vm("three", on_node="node-c")
    ) as running_cluster:
        running_cluster.clock.advance(30)
        yield running_cluster


def _probe_times(cluster) -> dict[str, str]:
    return {
        name: condition(vmi_of(cluster, name), "Ready").get("lastProbeTime", "") for name in ("one", "two", "three")
    }


def test_churn_changes_rate_vmi_statuses_per_second_and_stops_after_its_seconds(cluster):
    untouched = _probe_times(cluster)
    cluster.fault("churn", rate=1, seconds=2)
    cluster.clock.advance(1)
    after_one = _probe_times(cluster)
    cluster.clock.advance(1)
    after_two = _probe_times(cluster)
    cluster.clock.advance(10)
    assert sum(after_one[name] != untouched[name] for name in untouched) == 1
    assert sum(after_two[name] != untouched[name] for name in untouched) == 2
    assert _probe_times(cluster) == after_two


def test_churn_touches_only_the_ready_condition_probe_time(cluster):
    before = {name: vmi_of(cluster, name) for name in ("one", "two", "three")}
    cluster.fault("churn", rate=3, seconds=1)
    cluster.clock.advance(2)
    for name, old in before.items():
        new = vmi_of(cluster, name)
        assert new["status"]["phase"] == old["status"]["phase"] == "Running"
        assert new["status"]["nodeName"] == old["status"]["nodeName"]
        assert condition(new, "Ready")["status"] == condition(old, "Ready")["status"]


def test_churn_refuses_an_unknown_parameter(cluster):
    with pytest.raises(FaultError, match='unknown parameter "speed"'):
        cluster.fault("churn", speed=3)
