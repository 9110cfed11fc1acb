"""A migration that vanished before the ledger saw it end is judged by the VMI's migration state, not
by its deletion: a VM that moved is shown as migrated, even though an abort was asked for."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from tui.domain.objects import parse_kubevirt, parse_migration, parse_vmi
from tui.domain.snapshot import ClusterSnapshot
from tui.view.ledger import MigrationLedger

FIXTURES = yaml.safe_load((Path(__file__).parent / "fixtures" / "ledger.yaml").read_text())
STARTED = datetime(2026, 3, 2, 9, 0, 0, tzinfo=timezone.utc)
KEY = "default/web-1-x7k2p"


def vmi_with(**state: object) -> dict:
    vmi = copy.deepcopy(FIXTURES["vmi"])
    vmi["status"]["migrationState"].update(state)
    return vmi


def snapshot(vmi: dict, *migrations: str) -> ClusterSnapshot:
    return ClusterSnapshot.of(
        vmis=[parse_vmi(vmi)],
        migrations=[parse_migration(FIXTURES[name]) for name in migrations],
        kubevirt=parse_kubevirt(FIXTURES["kubevirt"]),
    )


def no_counters(namespace: str, vmi: str):
    return None, None


def at(seconds: float) -> datetime:
    return STARTED + timedelta(seconds=seconds)


def test_a_deleted_migration_whose_vmi_says_completed_shows_as_succeeded_on_its_target():
    ledger = MigrationLedger(STARTED)
    ledger.update(snapshot(FIXTURES["vmi"], "running"), None, (), no_counters, at(40))
    ledger.update(snapshot(FIXTURES["vmi"], "being_deleted"), [KEY], (), no_counters, at(50))
    arrived = vmi_with(completed=True, endTimestamp="2026-03-02T09:00:55Z")
    arrived["status"]["nodeName"] = "harv-2"
    ledger.update(snapshot(arrived), [KEY], ["default/web-1"], no_counters, at(60))
    view = ledger.view(KEY)
    assert view.final and view.deleted
    assert view.progress.outcome == "Succeeded"
    assert view.progress.target_node == "harv-2"


def test_a_deleted_migration_whose_vmi_says_the_abort_succeeded_shows_as_aborted():
    ledger = MigrationLedger(STARTED)
    ledger.update(snapshot(FIXTURES["vmi"], "running"), None, (), no_counters, at(40))
    aborted = vmi_with(
        completed=True, failed=True, abortRequested=True, abortStatus="Succeeded", endTimestamp="2026-03-02T09:00:55Z"
    )
    ledger.update(snapshot(aborted), [KEY], ["default/web-1"], no_counters, at(60))
    view = ledger.view(KEY)
    assert view.final and view.progress.outcome == "Aborted"


def test_a_migration_that_vanished_with_a_server_reset_is_forgotten_not_reported_aborted():
    ledger = MigrationLedger(STARTED)
    ledger.update(snapshot(FIXTURES["vmi"], "running"), None, (), no_counters, at(40), server_epoch=0)
    ledger.update(snapshot(FIXTURES["vmi"]), [KEY], ["default/web-1"], no_counters, at(60), server_epoch=1)
    assert ledger.view(KEY) is None
    assert ledger.for_vm("default/web-1") is None
    assert ledger.take_endings() == []


def test_a_migration_that_vanished_without_a_server_reset_is_still_judged_as_deleted():
    ledger = MigrationLedger(STARTED)
    ledger.update(snapshot(FIXTURES["vmi"], "running"), None, (), no_counters, at(40), server_epoch=1)
    ledger.update(snapshot(FIXTURES["vmi"]), [KEY], ["default/web-1"], no_counters, at(60), server_epoch=1)
    view = ledger.view(KEY)
    assert view is not None and view.final and view.deleted
