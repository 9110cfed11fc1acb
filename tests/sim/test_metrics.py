"""The simulated Prometheus: instant queries and timestamp(), scrapes at an interval, the Simulation's scrapeInterval."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tui.sim.metrics import LOOKBACK_SECONDS, QueryError, ScrapeLoop, instant_query, parse_query
from tui.sim.scenario import ScenarioError, Simulation, parse_scenario

REMAINING = "kubevirt_vmi_migration_data_remaining_bytes"
T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=timezone.utc)  # a whole multiple of every interval used here
WEB_1 = {"namespace": "default", "name": "web-1", "node": "harv-1", "job": "kubevirt-prometheus-metrics"}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def scraped_at(seconds: float):
    """A source whose only sample of web-1's remaining data was scraped at T0 + `seconds`."""

    def source(metric: str, now: datetime):
        return [(WEB_1, 1_500_000_000.0, at(seconds))] if metric == REMAINING else []

    return source


# -- instant queries -------------------------------------------------------------------------------------------


def test_an_instant_query_answers_the_evaluation_time_next_to_each_value_not_the_samples():
    answer = instant_query(f'{REMAINING}{{name="web-1"}}', at(47), scraped_at(30))
    [series] = answer["data"]["result"]
    assert series["value"] == [at(47).timestamp(), "1500000000"]
    assert series["metric"]["__name__"] == REMAINING


def test_timestamp_answers_each_samples_own_time_and_drops_the_metric_name():
    answer = instant_query(f'timestamp({REMAINING}{{name="web-1"}})', at(47), scraped_at(30))
    [series] = answer["data"]["result"]
    assert series["metric"] == WEB_1
    assert series["value"] == [at(47).timestamp(), str(int(at(30).timestamp()))]


def test_timestamp_keeps_the_label_matchers():
    answer = instant_query(f'timestamp( {REMAINING}{{name="web-2"}} )', at(47), scraped_at(30))
    assert answer == {"status": "success", "data": {"resultType": "vector", "result": []}}


def test_timestamp_of_an_exporter_read_at_the_query_is_the_evaluation_time():
    def read_now(metric: str, now: datetime):
        return [(WEB_1, 42.0)]

    [series] = instant_query(f"timestamp({REMAINING})", at(47.25), read_now)["data"]["result"]
    assert series["value"] == [at(47.25).timestamp(), repr(at(47.25).timestamp())]


def test_a_function_other_than_timestamp_is_refused_as_bad_data():
    with pytest.raises(QueryError, match="only timestamp"):
        parse_query(f"rate({REMAINING}[5m])")


def test_an_unclosed_timestamp_is_refused():
    with pytest.raises(QueryError, match="unclosed left parenthesis"):
        parse_query(f"timestamp({REMAINING}")


# -- scrapes -----------------------------------------------------------------------------------------------------


class Exporter:
    """What a target exports right now; counts how often it was read."""

    def __init__(self) -> None:
        self.remaining = 4_000_000_000.0
        self.migrating = True
        self.reads = 0

    def __call__(self) -> dict:
        self.reads += 1
        return {REMAINING: [(WEB_1, self.remaining)] if self.migrating else []}


@pytest.fixture
def exporter() -> Exporter:
    return Exporter()


def values(loop: ScrapeLoop, now: datetime, when: datetime | None = None) -> list[tuple[float, datetime]]:
    return [(value, taken) for _, value, taken in loop.samples(REMAINING, now, when)]


def test_values_change_only_at_scrapes(exporter):
    loop = ScrapeLoop(30.0, exporter)
    assert values(loop, at(31)) == [(4_000_000_000, at(30))]
    exporter.remaining = 3_000_000_000
    assert values(loop, at(59)) == [(4_000_000_000, at(30))]
    assert values(loop, at(60)) == [(3_000_000_000, at(60))]


def test_a_scrape_is_taken_once_however_often_it_is_asked(exporter):
    loop = ScrapeLoop(30.0, exporter)
    for second in range(31, 60, 5):
        values(loop, at(second))
    assert exporter.reads == 1


def test_a_sample_carries_the_time_its_scrape_fell_due(exporter):
    loop = ScrapeLoop(15.0, exporter)
    assert values(loop, at(47.5)) == [(4_000_000_000, at(45))]


def test_a_series_missing_from_the_newest_scrape_is_gone(exporter):
    loop = ScrapeLoop(5.0, exporter)
    values(loop, at(12))
    exporter.migrating = False
    assert values(loop, at(14)) == [(4_000_000_000, at(10))]
    assert values(loop, at(15)) == []


def test_a_query_at_an_earlier_time_sees_the_scrape_of_that_time(exporter):
    loop = ScrapeLoop(30.0, exporter)
    values(loop, at(30))
    exporter.remaining = 3_000_000_000
    values(loop, at(60))
    assert values(loop, at(60), when=at(45)) == [(4_000_000_000, at(30))]
    assert values(loop, at(60), when=at(29)) == []


def test_a_sample_older_than_the_lookback_window_is_not_answered(exporter):
    loop = ScrapeLoop(30.0, exporter)
    values(loop, at(30))
    assert values(loop, at(30), when=at(30 + LOOKBACK_SECONDS + 1)) == []


# -- the Simulation's scrapeInterval ---------------------------------------------------------------------------------

SIMULATION = "apiVersion: livemig.io/v1alpha1\nkind: Simulation\nmonitoring: true\n"


def test_the_scrape_interval_is_five_seconds_unless_the_scenario_says_otherwise():
    assert parse_scenario(SIMULATION).simulation.scrape_interval == Simulation().scrape_interval == 5.0


@pytest.mark.parametrize(
    ("written", "seconds"), [("30s", 30.0), ("1m", 60.0), ("1m30s", 90.0), ("500ms", 0.5), ("15", 15.0), ("2.5", 2.5)]
)
def test_the_scrape_interval_is_written_as_prometheus_durations_or_seconds(written, seconds):
    assert parse_scenario(f"{SIMULATION}scrapeInterval: {written}\n").simulation.scrape_interval == seconds


@pytest.mark.parametrize("written", ["0s", "-5", "soon", "true", "30 s"])
def test_a_scrape_interval_that_is_no_positive_duration_is_refused_naming_the_field(written):
    with pytest.raises(
        ScenarioError, match=r"document 1 \(Simulation\): scrapeInterval: .* is not a duration of more than zero"
    ):
        parse_scenario(f"{SIMULATION}scrapeInterval: {written}\n")
