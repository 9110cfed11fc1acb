"""The VM list's cells: short reasons, and the Migration cell in each state of a migration."""

from __future__ import annotations

from dataclasses import replace

from tui.domain.plan import VMSummary
from tui.domain.progress import MigrationProgress
from tui.view.ledger import MigrationView
from tui.view.vm_list import migration_cell, short_reason, status_text

RUNNING = VMSummary("default", "web-1", "Running", "harv-1", "host-model", 4 << 30, True)


def blocked(code: str, reason: str) -> VMSummary:
    return replace(RUNNING, migratable=False, reason_code=code, reason=reason)


def view(**progress: object) -> MigrationView:
    base = MigrationProgress("web-1-x7k2p", "Running", 7, 8, "Copying memory", 0.5)
    return MigrationView(
        key="default/web-1-x7k2p",
        uid="u",
        namespace="default",
        name="web-1-x7k2p",
        vm="web-1",
        progress=replace(base, **progress),
        requested_target="",
        budget=None,
        remaining=724.0,
        elapsed=60.0,
        stalled_for=None,
        counters=None,
        created=None,
        finished=None,
    )


def test_kubevirts_not_live_migratable_reasons_are_shortened_to_what_is_in_the_way():
    assert short_reason(blocked("NotLiveMigratable", "DisksNotLiveMigratable")) == "disks"
    assert short_reason(blocked("NotLiveMigratable", "HostDeviceNotLiveMigratable")) == "host device"
    assert short_reason(blocked("CDROM", "CD-ROM")) == "CD-ROM"


def test_an_unknown_status_is_shown_as_an_error_in_words():
    assert (status_text("ErrorUnschedulable").plain, status_text("ErrorUnschedulable").style) == (
        "ErrorUnschedulable",
        "error",
    )


def test_a_copy_with_bytes_shows_the_bar_percent_and_time_left():
    cell = migration_cell(view(byte_fraction=0.45, fraction=0.505))
    assert cell.plain == "█▊░░ 45% 12:04 left"


def test_a_copy_without_bytes_says_copying_and_the_time_left():
    assert migration_cell(view()).plain == "Copying 12:04 left"


def test_an_early_phase_shows_its_step():
    assert migration_cell(view(phase="Scheduling", step=3, label="Scheduling the target pod")).plain == "3/8 Scheduling"


def test_an_abort_in_progress_says_aborting():
    assert migration_cell(view(abort_requested=True)).plain == "Aborting…"


def test_a_converging_failure_is_warned_with_a_symbol():
    cell = migration_cell(view(converging=False))
    assert cell.plain.startswith("⚠ ") and cell.style == "warning"
