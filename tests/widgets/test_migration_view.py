"""The migration ledger: the countdown from the cluster's clock, stalls, outcomes of deleted migrations,
what counts as finished since the UI started, and one notice per ending."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from tui.domain.objects import parse_kubevirt, parse_migration, parse_vmi
from tui.domain.progress import ByteCounters
from tui.domain.snapshot import ClusterSnapshot
from tui.widgets.migration_view import STALL_WARNING_SECONDS, MigrationLedger

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


def test_remaining_data_that_stops_shrinking_becomes_a_stall(ledger):
    counters = {"remaining": 4_000_000_000}

    def counters_of(namespace: str, vmi: str):
        return ByteCounters(remaining=counters["remaining"], total=4_294_967_296), None

    ledger.update(snapshot("running"), None, (), counters_of, at(20))
    counters["remaining"] = 3_000_000_000
    ledger.tick(snapshot("running"), counters_of, at(25))
    counters["remaining"] = 3_200_000_000  # dirtied faster than copied: it grew
    ledger.tick(snapshot("running"), counters_of, at(25 + STALL_WARNING_SECONDS - 1))
    assert not ledger.view(KEY).stalled
    ledger.tick(snapshot("running"), counters_of, at(25 + STALL_WARNING_SECONDS))
    assert ledger.view(KEY).stalled and ledger.view(KEY).stalled_for == STALL_WARNING_SECONDS


def test_a_reading_below_the_one_before_is_progress_even_above_the_lowest(ledger):
    """KubeVirt's progress timeout compares each reading with the previous one, not with the lowest."""
    counters = {"remaining": 3_000_000_000}

    def counters_of(namespace: str, vmi: str):
        return ByteCounters(remaining=counters["remaining"], total=4_294_967_296), None

    ledger.update(snapshot("running"), None, (), counters_of, at(20))
    counters["remaining"] = 3_200_000_000
    ledger.tick(snapshot("running"), counters_of, at(30))
    counters["remaining"] = 3_100_000_000
    ledger.tick(snapshot("running"), counters_of, at(40))
    ledger.tick(snapshot("running"), counters_of, at(40 + STALL_WARNING_SECONDS - 1))
    assert not ledger.view(KEY).stalled
    assert ledger.view(KEY).stalled_for == STALL_WARNING_SECONDS - 1


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
