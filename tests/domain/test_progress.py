"""Migration progress: the step in KubeVirt's phase order, the bar, bytes and ETA, and how it ended."""

from __future__ import annotations

import pytest

from tests.domain.clusters import cluster
from tui.domain.progress import (
    OUTCOME_ABORT_FAILED,
    OUTCOME_ABORTED,
    OUTCOME_FAILED,
    OUTCOME_STUCK,
    OUTCOME_SUCCEEDED,
    OUTCOME_TIMED_OUT,
    TOTAL_STEPS,
    ByteCounters,
    migration_progress,
)

PROGRESS = cluster("progress")
GIB = 1024**3


def progress_of(migration: str, counters=None, previous=None):
    found = PROGRESS.migrations[f"default/{migration}"]
    vmi = PROGRESS.vmis.get(f"default/{found.vmi_name}")
    return migration_progress(found, vmi, counters, previous)


@pytest.mark.parametrize(
    "migration, step, label",
    [
        ("mig-new", 1, "Created, waiting for KubeVirt"),
        ("mig-pending", 2, "Waiting for a migration slot"),
        ("mig-running", 7, "Copying memory"),
        ("mig-succeeded", TOTAL_STEPS, "Done"),
    ],
)
def test_steps_follow_kubevirts_phase_order(migration, step, label):
    progress = progress_of(migration)
    assert (progress.step, progress.label) == (step, label)


@pytest.mark.parametrize(
    "migration, outcome",
    [
        ("mig-running", ""),
        ("mig-succeeded", OUTCOME_SUCCEEDED),
        ("mig-failed", OUTCOME_FAILED),
        ("mig-timed-out", OUTCOME_TIMED_OUT),
        ("mig-stuck", OUTCOME_STUCK),
        ("mig-aborted", OUTCOME_ABORTED),
        ("mig-cancelled", OUTCOME_ABORTED),
        ("mig-abort-failed", OUTCOME_ABORT_FAILED),
        ("mig-aborting", ""),
    ],
)
def test_each_way_a_migration_ends(migration, outcome):
    assert progress_of(migration).outcome == outcome


def test_a_failure_carries_kubevirts_reason_verbatim():
    progress = progress_of("mig-failed")
    assert "guest CPU doesn't match specification: missing features" in progress.failure_reason
    assert progress.failure_reason in progress.outcome_message


def test_a_timeout_reads_the_seconds_from_kubevirts_message():
    progress = progress_of("mig-timed-out")
    assert progress.timeout_seconds == 600
    assert "completion timeout of 600 s" in progress.outcome_message


def test_a_stuck_migration_reads_the_progress_timeout():
    progress = progress_of("mig-stuck")
    assert progress.timeout_seconds == 150
    assert "harvester-02" in progress.outcome_message


def test_an_abort_in_progress_is_shown_as_requested():
    progress = progress_of("mig-aborting")
    assert progress.abort_requested and progress.abort_status == "Aborting"


def test_success_says_where_the_vm_went():
    assert progress_of("mig-succeeded").outcome_message == "Migrated from harvester-01 to harvester-03."


def test_an_unknown_phase_is_shown_as_unknown_not_guessed():
    progress = progress_of("mig-future")
    assert progress.unknown_phase and progress.step is None
    assert "Reticulating" in progress.label
    assert progress.fraction == 0.0


def test_the_bar_before_the_copy_stays_in_its_first_tenth():
    assert 0 < progress_of("mig-pending").fraction < 0.1


def test_the_bar_is_full_when_done():
    assert progress_of("mig-succeeded").fraction == 1.0


def test_a_failed_migrations_bar_stays_where_it_stopped():
    assert progress_of("mig-cancelled").fraction == pytest.approx(0.1 * 2 / 6)
    assert progress_of("mig-failed").fraction == pytest.approx(0.1)


def test_without_byte_counts_the_copy_shows_no_progress_and_no_eta():
    progress = progress_of("mig-running")
    assert progress.byte_fraction is None and progress.eta_seconds is None
    assert progress.fraction == pytest.approx(0.1)


def test_byte_counts_give_a_fraction_and_an_eta():
    counters = ByteCounters(processed=3 * GIB, remaining=1 * GIB, total=4 * GIB, transfer_rate=100e6, dirty_rate=20e6)
    progress = progress_of("mig-running", counters)
    assert progress.byte_fraction == pytest.approx(0.75)
    assert progress.fraction == pytest.approx(0.1 + 0.9 * 0.75)
    assert progress.eta_seconds == pytest.approx(GIB / 80e6)
    assert progress.converging is True


def test_dirtying_faster_than_copying_has_no_eta_and_says_it_is_not_converging():
    counters = ByteCounters(remaining=2 * GIB, total=4 * GIB, transfer_rate=50e6, dirty_rate=80e6)
    progress = progress_of("mig-running", counters)
    assert progress.eta_seconds is None and progress.converging is False


def test_a_byte_fraction_going_backwards_is_flagged_not_hidden():
    before = ByteCounters(remaining=1 * GIB, total=4 * GIB)
    now = ByteCounters(remaining=2 * GIB, total=4 * GIB)
    progress = progress_of("mig-running", now, before)
    assert progress.went_backwards
    assert progress.byte_fraction == pytest.approx(0.5)


def test_a_byte_fraction_going_forwards_is_not_flagged():
    before = ByteCounters(remaining=2 * GIB, total=4 * GIB)
    now = ByteCounters(remaining=1 * GIB, total=4 * GIB)
    assert not progress_of("mig-running", now, before).went_backwards


def test_without_a_total_the_fraction_is_processed_over_processed_plus_remaining():
    assert ByteCounters(processed=3, remaining=1).fraction() == pytest.approx(0.75)
