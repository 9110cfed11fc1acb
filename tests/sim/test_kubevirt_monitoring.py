"""The simulated KubeVirt's migration metrics as Prometheus serves them: read at each scrape, stamped with its time."""

from __future__ import annotations

import urllib.parse
from contextlib import contextmanager
from typing import Iterator

import orjson

from tests.sim.conftest import RawHttp
from tests.sim.kubevirt_cluster import advance_until, api_client, migrate, scenario_text, vm
from tui.sim.runtime import SimCluster
from tui.sim.scenario import parse_scenario

PROMETHEUS = (
    "/api/v1/namespaces/cattle-monitoring-system/services/http:rancher-monitoring-prometheus:9090/proxy/api/v1/query"
)
REMAINING = 'kubevirt_vmi_migration_data_remaining_bytes{name="web-1"}'


@contextmanager
def migrating(tmp_path, scrape_interval: str | None = None) -> Iterator[SimCluster]:
    """web-1 (8Gi) copying its memory from node-a at 64Mi/s, a couple of minutes' work."""
    text = scenario_text(vm("web-1", memory="8Gi", on_node="node-a"), bandwidth="64Mi")
    if scrape_interval is not None:
        text = text.replace("monitoring: true", f"monitoring: true\nscrapeInterval: {scrape_interval}", 1)
    with (
        SimCluster.start(parse_scenario(text, name="test"), manual_clock=True) as cluster,
        api_client(cluster, tmp_path) as api,
    ):
        name = migrate(api, "web-1", name="web-1-x7k2p")["metadata"]["name"]
        assert advance_until(cluster, name, ("Running",)) == "Running"
        yield cluster


def ask(cluster: SimCluster, query: str) -> list[dict]:
    response = RawHttp(cluster).request("GET", f"{PROMETHEUS}?query={urllib.parse.quote(query)}")
    return orjson.loads(response.data)["data"]["result"]


def remaining(cluster: SimCluster) -> float:
    [series] = ask(cluster, REMAINING)
    return float(series["value"][1])


def sample_time(cluster: SimCluster) -> float:
    [series] = ask(cluster, f"timestamp({REMAINING})")
    return float(series["value"][1])


def to_next_scrape(cluster: SimCluster, interval: float, past: float = 1.0) -> float:
    """Step the clock to `past` seconds after the next scrape falls due; returns that scrape's time."""
    now = cluster.clock.now().timestamp()
    due = (now // interval + 1) * interval
    cluster.advance(due + past - now)
    return due


def test_the_remaining_data_changes_only_when_prometheus_scrapes(tmp_path):
    with migrating(tmp_path, "30s") as cluster:
        to_next_scrape(cluster, 30)
        first = remaining(cluster)
        cluster.advance(25)
        assert remaining(cluster) == first
        cluster.advance(5)
        assert remaining(cluster) < first


def test_timestamp_answers_the_time_of_the_scrape_the_value_came_from(tmp_path):
    with migrating(tmp_path, "30s") as cluster:
        due = to_next_scrape(cluster, 30, past=12)
        [series] = ask(cluster, f"timestamp({REMAINING})")
    assert float(series["value"][1]) == due
    assert series["value"][0] == due + 12  # the evaluation time, next to every value
    assert "__name__" not in series["metric"] and series["metric"]["name"] == "web-1"


def test_every_byte_counter_of_a_migration_is_of_the_same_scrape(tmp_path):
    with migrating(tmp_path) as cluster:
        to_next_scrape(cluster, 5)
        stamps = {
            metric: sample_time_of(cluster, metric)
            for metric in (
                "kubevirt_vmi_migration_data_remaining_bytes",
                "kubevirt_vmi_migration_data_processed_bytes",
                "kubevirt_vmi_migration_data_total_bytes",
                "kubevirt_vmi_migration_disk_transfer_rate_bytes",
                "kubevirt_vmi_migration_dirty_memory_rate_bytes",
            )
        }
    assert len(set(stamps.values())) == 1, stamps


def sample_time_of(cluster: SimCluster, metric: str) -> float:
    [series] = ask(cluster, f'timestamp({metric}{{name="web-1"}})')
    return float(series["value"][1])


def test_the_default_scrape_interval_is_five_seconds(tmp_path):
    with migrating(tmp_path) as cluster:
        due = to_next_scrape(cluster, 5)
        first = sample_time(cluster)
        cluster.advance(5)
        assert (first, sample_time(cluster)) == (due, due + 5)


def test_an_ended_migrations_series_are_gone_from_the_next_scrape(tmp_path):
    with migrating(tmp_path) as cluster:
        assert remaining(cluster) > 0
        assert advance_until(cluster, "web-1-x7k2p", ("Succeeded", "Failed"), limit=600) == "Succeeded"
        to_next_scrape(cluster, 5)
        assert ask(cluster, REMAINING) == []
