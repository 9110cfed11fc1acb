"""The migration ledger: the countdown from the cluster's clock, stalls judged on Prometheus samples at their own
times, outcomes of deleted migrations, what counts as finished since the UI started, and one notice per ending."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from tui.domain.objects import parse_kubevirt, parse_migration, parse_vmi
from tui.domain.progress import ByteCounters
from tui.domain.snapshot import ClusterSnapshot
from tui.domain.trouble import stall_threshold
from tui.view.ledger import MigrationLedger

FIXTURES = yaml.safe_load((Path(__file__).parent / "fixtures" / "ledger.yaml").read_text())
STARTED = datetime(2026, 3, 2, 9, 0, 0, tzinfo=timezone.utc)  # when the UI started
KEY = "default/web-1-x7k2p"
VM = "default/web-1"


def snapshot(*migrations: str) -> ClusterSnapshot:
    return ClusterSnapshot.of(
        vmis=[parse_vmi(FIXTURES["vmi"])],
        migrations=[parse_migration(FIXTURES[name]) for name in migrations],
        kubevirt=parse_kubevirt(FIXTURES["kubevirt"]),
    )


def no_counters(namespace: str, vmi: str):
    return None, None


def at(seconds: float) -> datetime:
    return STARTED + timedelta(seconds=seconds)


@pytest.fixture
def ledger() -> MigrationLedger:
    return MigrationLedger(STARTED)


def test_the_time_left_is_the_budget_minus_the_time_since_the_copy_started(ledger):
    ledger.update(snapshot("running"), None, (), no_counters, at(40))
    view = ledger.view(KEY)
    assert view.budget.seconds == 750
    assert view.remaining == 750 - 30
    assert view.elapsed == 40
    assert view.requested_target == "harv-2"


def test_a_tick_moves_the_countdown_with_the_clock(ledger):
    ledger.update(snapshot("running"), None, (), no_counters, at(40))
    assert ledger.tick(snapshot("running"), no_counters, at(45)) == {VM}
    assert ledger.view(KEY).remaining == 750 - 35


def test_less_than_a_fifth_of_the_budget_left_is_low_on_time(ledger):
    ledger.update(snapshot("running"), None, (), no_counters, at(10 + 600))
    assert not ledger.view(KEY).low_on_time
    ledger.tick(snapshot("running"), no_counters, at(10 + 601))
    assert ledger.view(KEY).low_on_time


class Samples:
    """Prometheus samples of web-1's remaining data, each at its scrape time; the ledger asks for the newest."""

    def __init__(self) -> None:
        self.latest: ByteCounters | None = None

    def scrape(self, seconds: float, remaining: int) -> None:
        self.latest = ByteCounters(remaining=remaining, total=4_294_967_296, at=at(seconds))

    def __call__(self, namespace: str, vmi: str):
        return self.latest, None


@pytest.fixture
def samples() -> Samples:
    return Samples()


def poll_every_5_s(ledger: MigrationLedger, samples: Samples, start: float, end: float) -> list[bool]:
    """The ledger refreshed every 5 s from `start` to `end`; whether it said stalled each time."""
    said = []
    for second in range(int(start), int(end) + 1, 5):
        ledger.tick(snapshot("running"), samples, at(second))
        said.append(ledger.view(KEY).stalled)
    return said


def test_a_sample_seen_again_until_the_next_scrape_is_no_stall(ledger, samples):
    samples.scrape(30, 4_000_000_000)
    ledger.update(snapshot("running"), None, (), samples, at(31))
    samples.scrape(60, 3_000_000_000)
    said = poll_every_5_s(ledger, samples, 61, 89)
    assert not any(said)
    assert ledger.view(KEY).stalled_for == 0


def test_a_migration_whose_every_sample_shrank_is_no_stall_however_late_the_next_sample(ledger, samples):
    samples.scrape(30, 4_000_000_000)
    ledger.update(snapshot("running"), None, (), samples, at(31))
    samples.scrape(60, 3_000_000_000)
    said = poll_every_5_s(ledger, samples, 61, 61 + 120)  # Prometheus missed four scrapes
    assert not any(said)


def test_samples_that_stop_shrinking_for_two_scrape_intervals_are_a_stall(ledger, samples):
    samples.scrape(30, 4_000_000_000)
    ledger.update(snapshot("running"), None, (), samples, at(31))
    samples.scrape(60, 3_000_000_000)
    ledger.tick(snapshot("running"), samples, at(61))
    samples.scrape(90, 3_200_000_000)  # dirtied faster than copied: it grew
    ledger.tick(snapshot("running"), samples, at(91))
    assert not ledger.view(KEY).stalled  # one sample without a shrink: not yet
    samples.scrape(120, 3_200_000_000)
    ledger.tick(snapshot("running"), samples, at(124))
    view = ledger.view(KEY)
    assert view.stalled and view.stalled_for == 124 - 60


def test_a_stall_needs_at_least_15_s_of_samples_without_a_shrink(ledger, samples):
    samples.scrape(0, 4_000_000_000)
    ledger.update(snapshot("running"), None, (), samples, at(1))
    for second in (5, 10):
        samples.scrape(second, 4_000_000_000)
        ledger.tick(snapshot("running"), samples, at(second + 1))
    assert not ledger.view(KEY).stalled  # two scrape intervals of 5 s, but only 10 s
    samples.scrape(15, 4_000_000_000)
    ledger.tick(snapshot("running"), samples, at(16))
    assert ledger.view(KEY).stalled


def test_the_stall_threshold_is_two_scrape_intervals_and_never_below_15_s():
    assert [stall_threshold(interval) for interval in (None, 5.0, 7.5, 30.0, 60.0)] == [15.0, 15.0, 15.0, 60.0, 120.0]


def test_a_reading_below_the_one_before_is_progress_even_above_the_lowest(ledger, samples):
    """KubeVirt's progress timeout compares each reading with the previous one, not with the lowest."""
    samples.scrape(0, 3_000_000_000)
    ledger.update(snapshot("running"), None, (), samples, at(1))
    for second, remaining in ((30, 3_200_000_000), (60, 3_100_000_000), (90, 3_000_000_000)):
        samples.scrape(second, remaining)
        ledger.tick(snapshot("running"), samples, at(second + 1))
    assert not ledger.view(KEY).stalled
    assert ledger.view(KEY).stalled_for == 0


def test_without_sample_times_a_change_of_the_counters_is_a_new_sample_taken_then(ledger):
    counters = {"remaining": 4_000_000_000}

    def counters_of(namespace: str, vmi: str):
        return ByteCounters(remaining=counters["remaining"], total=4_294_967_296), None

    ledger.update(snapshot("running"), None, (), counters_of, at(20))
    counters["remaining"] = 3_000_000_000
    ledger.tick(snapshot("running"), counters_of, at(25))
    ledger.tick(snapshot("running"), counters_of, at(30))  # the same counters: no new sample
    counters["remaining"] = 3_200_000_000
    ledger.tick(snapshot("running"), counters_of, at(35))
    assert not ledger.view(KEY).stalled
    counters["remaining"] = 3_300_000_000
    ledger.tick(snapshot("running"), counters_of, at(45))
    view = ledger.view(KEY)
    assert view.stalled and view.stalled_for == 45 - 25


def test_a_migration_deleted_before_it_ended_shows_as_aborted(ledger):
    ledger.update(snapshot("running"), None, (), no_counters, at(40))
    ledger.update(snapshot("being_deleted"), [KEY], (), no_counters, at(60))
    assert ledger.view(KEY).aborting
    ledger.update(snapshot(), [KEY], (), no_counters, at(70))
    view = ledger.view(KEY)
    assert view.final and view.deleted
    assert view.progress.outcome == "Aborted"
    assert ledger.for_vm(VM) is view


def test_a_migration_seen_running_is_listed_as_finished_and_told_once(ledger):
    ledger.update(snapshot("running"), None, (), no_counters, at(40))
    ledger.update(snapshot("succeeded"), [KEY], (), no_counters, at(56))
    [ended] = ledger.take_endings()
    assert ended.progress.outcome == "Succeeded"
    assert ledger.take_endings() == []
    assert [v.key for v in ledger.views()] == [KEY]


def test_a_migration_that_ended_before_the_ui_started_is_not_listed(ledger):
    ledger.update(snapshot("old_success"), None, (), no_counters, at(5))
    assert ledger.views() == []
    assert ledger.for_vm(VM) is None
    assert ledger.take_endings() == []


def test_a_migration_aborted_before_hand_off_keeps_the_source_it_was_seen_leaving(ledger):
    key = "default/web-1-q9z4w"
    ledger.update(snapshot("scheduling"), None, (), no_counters, at(300))
    assert ledger.view(key).source == "harv-1"
    ledger.update(snapshot(), [key], (), no_counters, at(310))
    view = ledger.view(key)
    assert view.final and view.progress.outcome == "Aborted"
    assert view.source == "harv-1"


def test_an_abort_kubevirt_did_on_its_own_past_the_budget_shows_as_timed_out(ledger):
    ledger.update(snapshot("running"), None, (), no_counters, at(600))
    ended = FIXTURES["aborted_by_kubevirt"]
    vmi = {
        **FIXTURES["vmi"],
        "status": {**FIXTURES["vmi"]["status"], "migrationState": ended["status"]["migrationState"]},
    }
    after = ClusterSnapshot.of(
        vmis=[parse_vmi(vmi)], migrations=[parse_migration(ended)], kubevirt=parse_kubevirt(FIXTURES["kubevirt"])
    )
    ledger.update(after, [KEY], [VM], no_counters, at(810))
    view = ledger.view(KEY)
    assert view.final
    assert view.progress.outcome == "TimedOut" and view.progress.outcome_inferred
