"""Migration progress: the step in KubeVirt's phase order, the bar, bytes and ETA, and how it ended."""

from __future__ import annotations

import pytest

from tests.domain.clusters import cluster
from tui.domain.budget import SOURCE_KUBEVIRT, CompletionBudget
from tui.domain.phases import Outcome
from tui.domain.progress import (
    TOTAL_STEPS,
    ByteCounters,
    migration_progress,
)

PROGRESS = cluster("progress")
GIB = 1024**3


def progress_of(migration: str, counters=None, previous=None, **kwargs):
    found = PROGRESS.migrations[f"default/{migration}"]
    vmi = PROGRESS.vmis.get(f"default/{found.vmi_name}")
    return migration_progress(found, vmi, counters, previous, **kwargs)


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
        ("mig-succeeded", Outcome.SUCCEEDED),
        ("mig-failed", Outcome.FAILED),
        ("mig-timed-out", Outcome.TIMED_OUT),
        ("mig-stuck", Outcome.STUCK),
        ("mig-aborted", Outcome.ABORTED),
        ("mig-cancelled", Outcome.ABORTED),
        ("mig-abort-failed", Outcome.ABORT_FAILED),
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


# -- KubeVirt's own aborts that say only "Live migration has been aborted" -------------------------


@pytest.mark.parametrize(
    "migration, outcome, inferred",
    [
        ("mig-quiet-timeout", Outcome.TIMED_OUT, True),  # 751 s against a 750 s budget
        ("mig-quiet-stuck", Outcome.STUCK, True),  # 200 s: within the budget, past the progress timeout
        ("mig-quiet-unknown", Outcome.FAILED, False),  # no budget recorded: which timeout cannot be told
        ("mig-deleted-while-running", Outcome.ABORTED, False),  # deleted before it ended: on request
        ("mig-timed-out-then-deleted", Outcome.TIMED_OUT, True),  # deleted ten minutes after it ended
        ("mig-failed-then-deleted", Outcome.FAILED, False),
        ("mig-unschedulable-deleted", Outcome.FAILED, False),
        ("mig-timed-out", Outcome.TIMED_OUT, False),  # KubeVirt's own words say it: nothing to infer
        ("mig-aborted", Outcome.ABORTED, False),
    ],
)
def test_kubevirts_own_abort_is_told_apart_from_an_abort_on_request(migration, outcome, inferred):
    progress = progress_of(migration)
    assert (progress.outcome, progress.outcome_inferred) == (outcome, inferred)


def test_an_inferred_timeout_gives_the_time_it_ran_the_budget_and_says_it_was_inferred():
    progress = progress_of("mig-quiet-timeout")
    assert progress.timeout_seconds == 750
    assert "after 12 minutes and 31 seconds" in progress.outcome_message
    assert "completion timeout of 12 minutes and 30 seconds" in progress.outcome_message
    assert "inferred" in progress.outcome_message and "Live migration has been aborted" in progress.outcome_message
    assert "harvester-01" in progress.outcome_message


def test_an_inferred_stuck_migration_names_its_progress_timeout():
    progress = progress_of("mig-quiet-stuck")
    assert progress.timeout_seconds == 150
    assert (
        "3 minutes and 20 seconds" in progress.outcome_message
        and "2 minutes and 30 seconds" in progress.outcome_message
    )
    assert "inferred" in progress.outcome_message


def test_kubevirts_own_abort_without_a_known_budget_is_not_called_an_abort_on_request():
    message = progress_of("mig-quiet-unknown").outcome_message
    assert "not on request" in message and "cannot be told" in message


def test_the_callers_budget_tells_which_timeout_when_the_migration_recorded_none():
    budget = CompletionBudget(seconds=750, per_gib=150, data_units=5, source=SOURCE_KUBEVIRT, source_detail="")
    progress = progress_of("mig-quiet-unknown", budget=budget)  # ran 760 s
    assert (progress.outcome, progress.outcome_inferred, progress.timeout_seconds) == (Outcome.TIMED_OUT, True, 750)


def test_a_migration_that_failed_and_was_then_deleted_keeps_kubevirts_reason():
    progress = progress_of("mig-failed-then-deleted")
    assert progress.outcome_message.startswith("Failed: Live migration failed")
    assert "guest CPU doesn't match specification" in progress.outcome_message


def test_an_unschedulable_target_then_a_deletion_is_a_failure_not_an_abort():
    progress = progress_of("mig-unschedulable-deleted")
    assert "unschedulable pod" in progress.outcome_message
