"""Byte progress from Prometheus behind the service proxy: asked only while migrations run, said once when absent,
each reading one sample at its own time; an API server that does not answer changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from tests.cluster.simulated import connect, eventually
from tui.cluster.metrics import (
    AVAILABLE,
    NOT_AVAILABLE_TEXT,
    UNAVAILABLE,
    UNKNOWN,
    MigrationMetrics,
)

SERIES = {
    "kubevirt_vmi_migration_data_remaining_bytes": 1_500_000_000,
    "kubevirt_vmi_migration_data_processed_bytes": 2_500_000_000,
    "kubevirt_vmi_migration_data_total_bytes": 4_000_000_000,
    "kubevirt_vmi_migration_disk_transfer_rate_bytes": 120_000_000,
    "kubevirt_vmi_migration_dirty_memory_rate_bytes": 4_000_000,
}


REMAINING = "kubevirt_vmi_migration_data_remaining_bytes"


class Prometheus:
    """The simulated Prometheus's series: what a source-node virt-handler exports for web-1's migration.

    `scrape(remaining, at)` stores a new sample; until the first, each value is read at the query.
    `on_ask(metric)` runs before each answer (to scrape in the middle of a poll).
    """

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.remaining = SERIES[REMAINING]
        self.sample_time: datetime | None = None
        self.on_ask: Callable[[str], None] | None = None

    def scrape(self, remaining: int, at: datetime) -> None:
        self.remaining, self.sample_time = remaining, at

    def __call__(self, metric: str, now: datetime) -> list[tuple]:
        self.asked.append(metric)
        if self.on_ask is not None:
            self.on_ask(metric)
        labels = {"namespace": "default", "name": "web-1", "node": "harv-1", "job": "kubevirt-prometheus-metrics"}
        if metric == REMAINING:
            value = float(self.remaining)
        elif metric in SERIES:
            value = float(SERIES[metric])
        else:
            return []
        return [(labels, value)] if self.sample_time is None else [(labels, value, self.sample_time)]


@pytest.fixture
def prometheus(cluster) -> Prometheus:
    source = Prometheus()
    cluster.set_metrics_source(source)
    cluster.monitoring = True
    return source


def start_running_migration(cluster, session) -> None:
    cluster.store.create(
        "virtualmachineinstancemigrations",
        {
            "metadata": {"name": "web-1-x7k2p", "namespace": "default", "labels": {"kubevirt.io/vmi-name": "web-1"}},
            "spec": {"vmiName": "web-1"},
        },
    )
    cluster.store.patch(
        "virtualmachineinstancemigrations", "default", "web-1-x7k2p", {"status": {"phase": "Running"}}, status=True
    )
    eventually(
        lambda: (m := session.store.get("migrations", "default/web-1-x7k2p")) is not None and m.phase == "Running"
    )


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


# -- sample times ------------------------------------------------------------------------------------------------

SCRAPED = datetime(2026, 3, 2, 9, 0, 30, tzinfo=timezone.utc)


def test_the_counters_carry_the_time_of_their_sample_not_of_the_question(cluster, kubeconfig, prometheus):
    prometheus.scrape(1_500_000_000, SCRAPED)
    with connect(kubeconfig) as session:
        start_running_migration(cluster, session)
        cluster.advance(17)  # the question comes 17 s (or more) after the scrape
        metrics = metrics_of(session)
        metrics.poll()
        latest, _ = metrics.counters("default", "web-1")
    assert latest is not None and latest.at == SCRAPED


def test_the_same_sample_asked_again_is_not_a_new_reading(cluster, kubeconfig, prometheus):
    prometheus.scrape(1_500_000_000, SCRAPED)
    with connect(kubeconfig) as session:
        start_running_migration(cluster, session)
        metrics = metrics_of(session)
        metrics.poll()
        first = metrics.counters("default", "web-1")
        cluster.advance(5)
        metrics.poll()
        assert metrics.counters("default", "web-1") == first
    assert first[1] is None


def test_a_scrape_in_the_middle_of_a_poll_keeps_the_reading_before_it_until_the_next_poll(
    cluster, kubeconfig, prometheus
):
    prometheus.scrape(1_500_000_000, SCRAPED)
    later = SCRAPED + timedelta(seconds=30)
    with connect(kubeconfig) as session:
        start_running_migration(cluster, session)
        metrics = metrics_of(session)
        metrics.poll()
        before = metrics.counters("default", "web-1")

        asked_remaining = []

        def scrape_after_the_first_question(metric: str) -> None:
            if metric == REMAINING:
                asked_remaining.append(metric)
                if len(asked_remaining) == 2:  # the poll has asked the sample's time, not yet its value
                    prometheus.scrape(1_200_000_000, later)

        prometheus.on_ask = scrape_after_the_first_question
        metrics.poll()
        during = metrics.counters("default", "web-1")
        metrics.poll()
        latest, previous = metrics.counters("default", "web-1")
    assert during == before
    assert (latest.remaining, latest.at) == (1_200_000_000, later)
    assert previous == before[0]


# -- an API server that does not answer ------------------------------------------------------------------------


def test_an_api_server_failing_a_poll_keeps_the_state_and_the_counters_and_the_next_poll_asks_again(
    cluster, kubeconfig, prometheus
):
    with connect(kubeconfig, probe_interval=3600) as session:  # no health probe to take the failure
        start_running_migration(cluster, session)
        metrics = metrics_of(session)
        metrics.poll()
        counters = metrics.counters("default", "web-1")
        cluster.fault("fail", count=1, code=500)
        state = metrics.poll()
        kept = metrics.counters("default", "web-1")
        asked = len(prometheus.asked)
        metrics.poll()  # at the usual interval, not after the minute an unavailable Prometheus waits
    assert state.status == AVAILABLE
    assert kept == counters and counters[0] is not None
    assert len(prometheus.asked) > asked


def test_an_api_server_that_is_gone_keeps_the_state_and_the_counters(cluster, kubeconfig, prometheus):
    with connect(kubeconfig) as session:
        start_running_migration(cluster, session)
        metrics = metrics_of(session)
        metrics.poll()
        counters = metrics.counters("default", "web-1")
        cluster.stop()  # the port is closed: no answer at all
        state = metrics.poll()
        kept = metrics.counters("default", "web-1")
    assert state.status == AVAILABLE
    assert kept == counters and counters[0] is not None
