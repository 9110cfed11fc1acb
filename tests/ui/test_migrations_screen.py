"""The migrations screen: progress, phase, route, elapsed, the countdown to KubeVirt's timeout, warnings, outcomes."""

from __future__ import annotations

import re

from tests.ui.harness import (
    make_app,
    screen_text,
    select_vm,
    step,
    step_until,
    until,
    widget_text,
)
from tui.screens.migrations import MigrationsScreen

BUSY = "default/kafka-broker-2"  # dirties memory faster than it is copied: 5 GB x 20 s/GB = 100 s
STEADY = "default/db-primary"  # 9 GB x 150 s/GB = 22 minutes and 30 seconds


def row(app, vm_key: str):
    table = app.screen.query_one("#migrations-table")
    namespace, _, name = vm_key.partition("/")
    return next(r for r in table.rows if (r.cells["namespace"], r.cells["name"]) == (namespace, name))


def cell(app, vm_key: str, column: str) -> str:
    value = row(app, vm_key).cells[column]
    return getattr(value, "plain", value)


async def open_with_copying(pilot, cluster, app, vm_key: str) -> None:
    await select_vm(pilot, vm_key.partition("/")[2])
    assert app.start_migration(vm_key, None)
    await step_until(
        pilot,
        cluster,
        lambda: (v := app.live.ledger.running_for_vm(vm_key)) is not None and v.progress.phase == "Running",
    )
    await pilot.press("M")
    await until(pilot, lambda: isinstance(app.screen, MigrationsScreen))


async def test_a_running_migration_shows_its_bar_phase_route_and_time_left(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_with_copying(pilot, cluster, app, STEADY)
        await until(pilot, lambda: "%" in cell(app, STEADY, "progress"), what="byte progress")
        assert cell(app, STEADY, "phase") == "Running"
        assert re.fullmatch(r"harvester-node-2 → harvester-node-[013]", cell(app, STEADY, "route"))
        assert cell(app, STEADY, "left").startswith("22:")
        assert re.fullmatch(r"[█▉▊▋▌▍▎▏░]{8} +\d+%", cell(app, STEADY, "progress"))


async def test_the_time_left_counts_down_with_the_clusters_clock(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_with_copying(pilot, cluster, app, STEADY)
        before = app.live.ledger.running_for_vm(STEADY).remaining
        # A tick of the UI while the cluster's clock stands still: the countdown stands still too.
        app.live.tick()
        assert app.live.ledger.running_for_vm(STEADY).remaining == before
        step(cluster, 10)
        await until(pilot, lambda: app.live.ledger.running_for_vm(STEADY).remaining == before - 10)
        minutes, seconds = divmod(int(before - 10), 60)
        await until(pilot, lambda: cell(app, STEADY, "left") == f"{minutes}:{seconds:02d}")


async def test_the_countdown_warns_when_less_than_a_fifth_of_the_time_is_left(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_with_copying(pilot, cluster, app, BUSY)
        assert not cell(app, BUSY, "left").startswith("⚠")
        await step_until(pilot, cluster, lambda: app.live.ledger.running_for_vm(BUSY).remaining < 20, stride=5)
        await until(pilot, lambda: cell(app, BUSY, "left").startswith("⚠"))
        assert "(under 20 %)" in widget_text(app, "#migration-detail")


async def test_a_stall_is_warned_naming_the_progress_timeout(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_with_copying(pilot, cluster, app, BUSY)
        await step_until(pilot, cluster, lambda: app.live.ledger.running_for_vm(BUSY).stalled, what="a stall")
        await until(pilot, lambda: "⚠ stalled" in screen_text(app))
        assert "KubeVirt aborts after 2 minutes and 30 seconds without progress (progressTimeout)" in widget_text(
            app, "#migration-detail"
        )


async def test_a_timed_out_migration_ends_with_kubevirts_reason(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_with_copying(pilot, cluster, app, BUSY)
        await step_until(pilot, cluster, lambda: "✗ Timed out" in screen_text(app), seconds=200, stride=5)
        text = widget_text(app, "#migration-detail")
        assert "not completed within its completion timeout of 100 s" in text
        assert "Live migration is not completed after 100 seconds and has been aborted" in text


async def test_finished_migrations_stay_listed_with_their_outcome(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_with_copying(pilot, cluster, app, "default/jump-host")
        await step_until(pilot, cluster, lambda: "✓ Succeeded" in screen_text(app), stride=3)
        assert "0 running, 1 ended since 09:00:00 UTC" in screen_text(app)


async def test_without_monitoring_the_bar_follows_the_phases(cluster, admin):
    cluster.monitoring = False
    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_with_copying(pilot, cluster, app, STEADY)
        await until(pilot, lambda: "monitoring not available" in screen_text(app))
        assert cell(app, STEADY, "progress").endswith("7/8")


async def test_a_stall_is_shown_by_a_sign_and_a_word_not_only_by_colour(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_with_copying(pilot, cluster, app, BUSY)
        await step_until(pilot, cluster, lambda: app.live.ledger.running_for_vm(BUSY).stalled, what="a stall")
        await until(pilot, lambda: cell(app, BUSY, "phase") == "Stalled")
        assert re.fullmatch(r"⚠ [█▉▊▋▌▍▎▏░]{6} +\d+%", cell(app, BUSY, "progress"))


async def test_a_migration_outpaced_by_the_guest_says_not_converging_whole_at_80_columns(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_with_copying(pilot, cluster, app, BUSY)
        view = app.live.ledger.running_for_vm(BUSY)
        assert view.progress.converging is False and not view.stalled
        await until(pilot, lambda: cell(app, BUSY, "phase") == "Not converging")
        assert cell(app, BUSY, "progress").startswith("⚠ ")
        assert "Not converging" in screen_text(app)


async def test_a_healthy_migration_shows_no_warning_sign(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_with_copying(pilot, cluster, app, STEADY)
        await until(pilot, lambda: "%" in cell(app, STEADY, "progress"), what="byte progress")
        assert "⚠" not in cell(app, STEADY, "progress") and cell(app, STEADY, "phase") == "Running"


async def test_the_progress_bar_fills_as_far_as_the_percentage_beside_it(cluster, admin):
    from tui.view.progress_cell import bar

    app = make_app(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_with_copying(pilot, cluster, app, STEADY)
        await until(pilot, lambda: "%" in cell(app, STEADY, "progress"), what="byte progress")
        await step_until(
            pilot, cluster, lambda: app.live.ledger.running_for_vm(STEADY).progress.byte_fraction > 0.2, stride=5
        )
        app.updates_paused = True
        await pilot.pause(0.2)
        shown, percent = cell(app, STEADY, "progress").split()
        copied = app.live.ledger.running_for_vm(STEADY).progress.byte_fraction
        assert (shown, percent) == (bar(copied, 8), f"{copied * 100:.0f}%")
        assert f", {percent} copied" in widget_text(app, "#migration-detail")


async def test_the_route_shows_the_target_whole_and_shortens_the_source_to_the_columns_width(cluster, admin):
    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_with_copying(pilot, cluster, app, STEADY)
        target = app.live.ledger.running_for_vm(STEADY).target
        await until(
            pilot,
            lambda: re.search(rf"…\S*-2 → {target}\b", screen_text(app)),
            what="the source shortened, the target whole",
        )


def test_a_route_that_fits_its_column_is_shown_whole():
    from tui.screens.migrations import RouteCell

    assert RouteCell("harvester-node-1", "harvester-node-3").fit(35).plain == "harvester-node-1 → harvester-node-3"


def test_a_route_too_wide_for_its_column_loses_the_start_of_its_source_first():
    from tui.screens.migrations import RouteCell

    assert RouteCell("harvester-node-1", "harvester-node-3").fit(31).plain == "…ster-node-1 → harvester-node-3"
    assert RouteCell("harvester-node-1", "harvester-node-3").fit(22).plain == "…-1 → harvester-node-3"


async def test_on_the_migrations_screen_the_footer_says_back_and_m_goes_back(cluster, admin):
    from tests.ui.harness import screen_lines
    from tui.screens.vm_list import VMListScreen

    app = make_app(admin)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(app.live.vm_list.summaries) == 11)
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, MigrationsScreen))
        await until(pilot, lambda: "Back" in screen_lines(app)[-1], what="the footer")
        assert "Migrations" not in screen_lines(app)[-1]
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, VMListScreen))
