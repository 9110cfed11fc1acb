"""The completion budget, exactly as KubeVirt computes it, and the clock that runs against it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from tests.domain.clusters import cluster
from tui.domain.budget import (
    DEFAULT_PROGRESS_TIMEOUT,
    EXPIRY_ABORT,
    EXPIRY_PAUSE,
    EXPIRY_POST_COPY,
    KEEPALIVE_COUNT,
    KEEPALIVE_INTERVAL_SECONDS,
    KEEPALIVE_SECONDS,
    completion_budget,
    default_per_gib,
    matching_policy,
    remaining_seconds,
)
from tui.domain.objects import MigrationState

BUDGET = cluster("budget")
POLICIES = cluster("policies")


def budget_of(name: str, snapshot=BUDGET):
    return completion_budget(snapshot, snapshot.vmis[f"default/{name}"])


def test_the_documentations_example_holds_for_8g():
    """KubeVirt's docs: 8 GiB at 800 s/GiB is 6400 s. That is KubeVirt's computation for "8G" only."""
    budget = budget_of("vm-8g")
    assert (budget.data_units, budget.per_gib, budget.seconds) == (8, 800, 6400)


def test_kubevirt_gives_8gi_7200_seconds_and_livemig_shows_that():
    """8Gi is 8.59e9 bytes: ScaledValue(Giga) rounds up to 9 units, so KubeVirt aborts at 9 x 800 =
    7200 s, not the documented 6400 s. livemig shows 7200 s (KubeVirt's own number: the one the
    migration is really aborted at) with the computation, "9 GB x 800 s/GB = 2 hours"."""
    budget = budget_of("vm-8gi")
    assert (budget.data_units, budget.seconds) == (9, 7200)
    assert budget.text() == "9 GB x 800 s/GB = 2 hours"


def test_block_migration_counts_the_ephemeral_disks_in():
    budget = budget_of("vm-8g-block")
    assert budget.ephemeral_bytes == 1048576
    assert budget.data_units == 9


def test_an_ephemeral_disk_of_unknown_size_is_said_to_be_missing_from_the_count():
    budget = budget_of("vm-containerdisk-block")
    assert not budget.ephemeral_complete
    assert any("ephemeral" in note for note in budget.notes)


def test_without_memory_guest_the_memory_request_counts():
    assert budget_of("vm-requests-only").data_units == 5  # 3996Mi = 4.19e9 bytes


def test_an_unknown_memory_size_gives_no_seconds_and_says_why():
    budget = budget_of("vm-no-memory")
    assert budget.seconds is None and budget.data_units is None
    assert budget.text() == "? GB x 800 s/GB = unknown"
    assert any("memory" in note for note in budget.notes)


def test_the_default_comes_from_the_kubevirt_version():
    budget = budget_of("vm-8g")
    assert budget.source == "default" and "1.3.1" in budget.source_detail


@pytest.mark.parametrize("version, per_gib", [((1, 3, 1), 800), ((1, 4, 0), 150), ((1, 6, 3), 150), ((0, 54, 0), 800)])
def test_the_default_is_800_up_to_1_3_and_150_from_1_4(version, per_gib):
    assert default_per_gib(version)[0] == per_gib


def test_an_unknown_version_takes_the_shorter_default_and_says_so():
    kubevirt = replace(BUDGET.kubevirt, version=None)
    budget = budget_of("vm-8g", replace(BUDGET, kubevirt=kubevirt))
    assert budget.per_gib == 150
    assert any("unknown" in note and "800" in note for note in budget.notes)


def test_the_kubevirt_cr_setting_beats_the_default():
    migrations = replace(BUDGET.kubevirt.migrations, completion_timeout_per_gib=500)
    snapshot = replace(BUDGET, kubevirt=replace(BUDGET.kubevirt, migrations=migrations))
    budget = budget_of("vm-8g", snapshot)
    assert (budget.per_gib, budget.source) == (500, "kubevirt")


def test_a_matching_policy_beats_the_cr():
    budget = budget_of("vm-db")
    assert (budget.per_gib, budget.source) == (1200, "policy")
    assert "db-slow" in budget.source_detail


def test_an_in_flight_migrations_configuration_beats_everything():
    budget = budget_of("vm-in-flight")
    assert (budget.per_gib, budget.source, budget.seconds) == (300, "vmi", 1200)
    assert (budget.progress_timeout, budget.progress_timeout_source) == (60, "vmi")


def test_a_finished_migrations_configuration_is_not_reused_when_kubevirt_is_known():
    budget = budget_of("vm-migrated-before")
    assert (budget.per_gib, budget.source) == (800, "default")


def test_a_finished_migrations_configuration_stands_in_when_the_cr_is_unreadable():
    budget = budget_of("vm-migrated-before", replace(BUDGET, kubevirt=None))
    assert (budget.per_gib, budget.source) == (250, "previous-migration")
    assert budget.progress_timeout == 120


def test_the_progress_timeout_defaults_to_150_seconds():
    assert budget_of("vm-8g").progress_timeout == DEFAULT_PROGRESS_TIMEOUT == 150


def test_the_keepalive_is_5_probes_5_seconds_apart_about_30_seconds():
    assert (KEEPALIVE_INTERVAL_SECONDS, KEEPALIVE_COUNT, KEEPALIVE_SECONDS) == (5, 5, 30)


@pytest.mark.parametrize(
    "name, on_expiry",
    [("vm-8g", EXPIRY_ABORT), ("vm-in-flight", EXPIRY_PAUSE), ("vm-db", EXPIRY_POST_COPY)],
)
def test_what_kubevirt_does_when_the_budget_runs_out(name, on_expiry):
    # vm-db's policy sets only allowPostCopy: allowWorkloadDisruption follows it, as in KubeVirt.
    assert budget_of(name).on_expiry == on_expiry


def test_a_zero_per_gib_means_no_completion_timeout():
    migrations = replace(BUDGET.kubevirt.migrations, completion_timeout_per_gib=0)
    budget = budget_of("vm-8g", replace(BUDGET, kubevirt=replace(BUDGET.kubevirt, migrations=migrations)))
    assert not budget.limited
    assert "no completion timeout" in budget.text()


# -- which policy -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "vmi, policy",
    [
        # tier=gold (1 VMI label) ties with team=blue (1 namespace label): VMI labels win, then the name.
        ("team-blue/vm-gold", "alpha-gold"),
        ("team-blue/vm-gold-db", "by-tier-and-app"),
        ("team-blue/vm-blue", "by-namespace"),
        ("plain/vm-plain", "everything"),
        ("plain/vm-bronze", "bandwidth-only"),
        ("plain/vm-unlabelled", "alpha-gold"),
    ],
)
def test_the_policy_kubevirt_picks(vmi, policy):
    assert matching_policy(POLICIES, POLICIES.vmis[vmi]).name == policy


def test_a_policy_without_selectors_never_matches():
    names = {p.name for p in POLICIES.policies.values()}
    assert "aaa-no-selectors" in names
    assert all(matching_policy(POLICIES, v).name != "aaa-no-selectors" for v in POLICIES.vmis.values())


def test_the_best_policy_wins_even_when_it_does_not_set_the_timeout():
    budget = completion_budget(POLICIES, POLICIES.vmis["plain/vm-bronze"])
    assert (budget.per_gib, budget.source) == (150, "default")


# -- the clock ----------------------------------------------------------------------------------

START = datetime(2026, 3, 2, 10, 0, 0, tzinfo=timezone.utc)


def state(mode: str = "PreCopy", **kwargs) -> MigrationState:
    return MigrationState(start=START, mode=mode, **kwargs)


def test_remaining_time_counts_from_the_start_of_the_memory_copy():
    budget = budget_of("vm-8gi")
    assert remaining_seconds(budget, state(), START + timedelta(seconds=200)) == 7000


def test_a_paused_guest_gets_the_budget_twice():
    budget = budget_of("vm-in-flight")
    assert remaining_seconds(budget, state("Paused"), START + timedelta(seconds=1300)) == 1100


def test_post_copy_has_no_completion_clock():
    assert remaining_seconds(budget_of("vm-8gi"), state("PostCopy"), START) is None


def test_no_clock_before_the_copy_starts():
    assert remaining_seconds(budget_of("vm-8gi"), MigrationState(), START) is None


def test_an_overdue_migration_has_negative_time_left():
    assert remaining_seconds(budget_of("vm-8g"), state(), START + timedelta(seconds=6500)) == -100


def test_a_finished_migrations_clock_stops_at_its_end():
    finished = state(end=START + timedelta(seconds=60))
    assert remaining_seconds(budget_of("vm-8g"), finished, START + timedelta(hours=5)) == 6340


@pytest.mark.parametrize(
    "units, per_gib, shown",
    [
        (5, 150, "5 GB x 150 s/GB = 12 minutes and 30 seconds"),
        (9, 150, "9 GB x 150 s/GB = 22 minutes and 30 seconds"),
        (8, 800, "8 GB x 800 s/GB = 1 hour, 46 minutes and 40 seconds"),
        (9, 800, "9 GB x 800 s/GB = 2 hours"),
    ],
)
def test_the_budget_sum_on_screen_is_the_exact_product_of_its_factors(units, per_gib, shown):
    """The factors are shown next to the result: "= 12 minutes" after "5 GB x 150 s/GB" reads as a wrong sum."""
    budget = replace(budget_of("vm-8g"), data_units=units, per_gib=per_gib, seconds=units * per_gib)
    assert budget.text() == shown
