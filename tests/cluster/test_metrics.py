"""Byte progress from Prometheus behind the service proxy: asked only while migrations run, said once when absent."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.cluster.simulated import connect, eventually
from tui.cluster.metrics import AVAILABLE, NOT_AVAILABLE_TEXT, UNAVAILABLE, UNKNOWN, MigrationMetrics

SERIES = {
    "kubevirt_vmi_migration_data_remaining_bytes": 1_500_000_000,
    "kubevirt_vmi_migration_data_processed_bytes": 2_500_000_000,
    "kubevirt_vmi_migration_data_total_bytes": 4_000_000_000,
    "kubevirt_vmi_migration_disk_transfer_rate_bytes": 120_000_000,
    "kubevirt_vmi_migration_dirty_memory_rate_bytes": 4_000_000,
}


class Prometheus:
    """The simulated Prometheus's series: what a source-node virt-handler exports for web-1's migration."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.remaining = SERIES["kubevirt_vmi_migration_data_remaining_bytes"]

    def __call__(self, metric: str, now: datetime) -> list[tuple[dict[str, str], float]]:
        self.asked.append(metric)
        labels = {"namespace": "default", "name": "web-1", "node": "harv-1", "job": "kubevirt-prometheus-metrics"}
        if metric == "kubevirt_vmi_migration_data_remaining_bytes":
            return [(labels, float(self.remaining))]
        if metric in SERIES:
            return [(labels, float(SERIES[metric]))]
        return []


@pytest.fixture
def prometheus(cluster) -> Prometheus:
    source = Prometheus()
    cluster.set_metrics_source(source)
    cluster.monitoring = True
    return source


def start_running_migration(cluster, session) -> None:
    cluster.store.create(
        "virtualmachineinstancemigrations",
        {"metadata": {"name": "web-1-x7k2p", "namespace": "default", "labels": {"kubevirt.io/vmi-name": "web-1"}}, "spec": {"vmiName": "web-1"}},
    )
    cluster.store.patch("virtualmachineinstancemigrations", "default", "web-1-x7k2p", {"status": {"phase": "Running"}}, status=True)
    eventually(lambda: (m := session.store.get("migrations", "default/web-1-x7k2p")) is not None and m.phase == "Running")


def metrics_of(session) -> MigrationMetrics:
    session.metrics.stop()  # the test polls by hand
    session.metrics.join(5)
    return MigrationMetrics(session.transport, session.store, interval=1.0, retry_unavailable=60.0)


def test_nothing_is_asked_while_no_migration_runs(cluster, kubeconfig, prometheus):
    with connect(kubeconfig) as session:
        metrics = metrics_of(session)
        assert metrics.poll().status == UNKNOWN
    assert prometheus.asked == []


def test_running_migrations_get_byte_counters_from_prometheus(cluster, kubeconfig, prometheus):
    with connect(kubeconfig) as session:
        start_running_migration(cluster, session)
        metrics = metrics_of(session)
        assert metrics.poll().status == AVAILABLE
        latest, previous = metrics.counters("default", "web-1")
    assert latest is not None and previous is None
    assert (latest.remaining, latest.processed, latest.total) == (1_500_000_000, 2_500_000_000, 4_000_000_000)
    assert (latest.transfer_rate, latest.dirty_rate) == (120_000_000, 4_000_000)
    assert latest.fraction() == pytest.approx(0.625)


def test_the_previous_counters_are_kept_so_a_fraction_going_backwards_shows(cluster, kubeconfig, prometheus):
    with connect(kubeconfig) as session:
        start_running_migration(cluster, session)
        metrics = metrics_of(session)
        metrics.poll()
        prometheus.remaining = 1_800_000_000
        metrics.poll()
        latest, previous = metrics.counters("default", "web-1")
    assert previous is not None and previous.remaining == 1_500_000_000
    assert latest is not None and latest.remaining == 1_800_000_000


def test_the_metric_names_of_the_clusters_kubevirt_version_are_asked(cluster, kubeconfig, prometheus):
    with connect(kubeconfig) as session:  # KubeVirt 1.6.3: the transfer rate is still the "disk" one
        start_running_migration(cluster, session)
        metrics_of(session).poll()
    assert "kubevirt_vmi_migration_disk_transfer_rate_bytes" in prometheus.asked
    assert "kubevirt_vmi_migration_memory_transfer_rate_bytes" not in prometheus.asked


def test_without_monitoring_the_state_says_so_once_and_keeps_the_proxys_answer(cluster, kubeconfig):
    with connect(kubeconfig) as session:
        start_running_migration(cluster, session)
        metrics = metrics_of(session)
        changes = []
        metrics.subscribe(lambda: changes.append(metrics.state))
        state = metrics.poll()
        metrics.poll()  # within the retry period: not asked again, not said again
    assert state.status == UNAVAILABLE and state.message == NOT_AVAILABLE_TEXT
    assert 'no endpoints available for service "rancher-monitoring-prometheus"' in state.detail
    assert [c.status for c in changes] == [UNAVAILABLE]
    assert metrics.counters("default", "web-1") == (None, None)


def test_the_session_polls_by_itself_while_a_migration_runs(cluster, kubeconfig, prometheus):
    with connect(kubeconfig) as session:
        start_running_migration(cluster, session)
        latest = eventually(lambda: session.metrics.counters("default", "web-1")[0])
    assert latest.remaining == 1_500_000_000


def test_once_one_name_of_a_counter_answers_its_other_name_is_not_asked(cluster, kubeconfig, prometheus):
    with connect(kubeconfig) as session:
        start_running_migration(cluster, session)
        metrics_of(session).poll()
    assert "kubevirt_vmi_migration_data_total_bytes" in prometheus.asked
    assert "kubevirt_vmi_migration_data_bytes_total" not in prometheus.asked
